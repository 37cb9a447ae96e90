#!/usr/bin/env python3
"""Validate wrp-controller JSON output against docs/status.schema.json.

    check_status_json.py SCHEMA [FILE]     (FILE default: stdin)

Exits 0 when valid; otherwise prints each violation with its JSON path and
exits 1. Exits 77 (skip) when python3-jsonschema is not installed."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed")
    sys.exit(77)

schema = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read() if len(sys.argv) > 2 else sys.stdin.read()
try:
    doc = json.loads(text)
except ValueError as e:
    print(f"not JSON: {e}: {text[:200]!r}")
    sys.exit(1)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print("/" + "/".join(str(p) for p in e.path) + ": " + e.message)
sys.exit(1 if errors else 0)
