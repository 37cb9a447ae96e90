#!/usr/bin/env bash
# Four nodes (network namespaces, private /dev/shm each): status before
# start, start, status as JSON (schema) and Prometheus text, stop, clean —
# checked the way an operator would: exit codes, rows, the runtime's
# environment and config on every node, what is left in /dev/shm.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

cat >"$T/multi.yaml" <<'YAML'
name: multi
pkgs:
  - pkg_type: jarvis_wrp_runtime.wrp_runtime
    pkg_name: runtime
    low_latency_workers: 3
    main_segment_size: 64M
    client_data_segment_size: 16M
    runtime_data_segment_size: 16M
YAML

netns_up 4
run_cmd out rc ctl ppl load "$T/multi.yaml"
assert_eq 0 "$rc" "ppl load: $out"

note "status before start"
run_cmd out rc ctl status
echo "$out"
assert_eq 0 "$rc" "status before start"
assert_contains "$out" "4 nodes: 4 reachable, 0 running" "status summary"
[ "$(grep -c ' up  *stopped ' <<<"$out")" -eq 4 ] || fail "every node stopped: $out"

note "start"
t0=$(date +%s%N)
run_cmd out rc ctl start
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out"
note "start on 4 nodes took $ms ms"
assert_eq 0 "$rc" "start exit code"
assert_contains "$out" "4 nodes: 4 reachable, 4 running" "start summary"
for i in 1 2 3 4; do
    pid=$(netns_runtime_pid $i)
    [ -n "$pid" ] || fail "node $i: no runtime process after start"
    conf=$(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^CHI_SERVER_CONF=//p')
    [ -n "$conf" ] || fail "node $i: runtime has no CHI_SERVER_CONF"
    [ -f "$conf" ] || fail "node $i: CHI_SERVER_CONF=$conf is not a file"
    python3 - "$conf" "${NETNS_IP[$i]}" <<'PY' || fail "node $i: config $conf does not hold the pipeline's values"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert c["workers"]["low_latency_threads"] == 3, c["workers"]
assert c["runtime"]["sched_threads"] == 3, c["runtime"]
assert c["memory"]["main_segment_size"] == 64 << 20, c["memory"]
hosts = open(c["networking"]["hostfile"]).read().split()
assert sys.argv[2] in hosts, hosts
PY
done

note "status --json"
ctl status --json >"$T/status.json" || fail "status --json exit $?"
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/status.json" \
    || fail "status --json does not match docs/status.schema.json: $(cat "$T/status.json")"
pids=""
for i in 1 2 3 4; do pids="$pids ${NETNS_IP[$i]}=$(netns_runtime_pid $i)"; done
python3 - "$T/status.json" $pids <<'PY' || fail "status --json content: $(cat "$T/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
want = dict(a.split("=") for a in sys.argv[2:])
assert d["pipeline"] == "multi"
assert d["summary"]["total"] == 4 and d["summary"]["reachable"] == 4 and d["summary"]["running"] == 4, d["summary"]
for n in d["nodes"]:
    assert n["reachable"] and n["rtt_ms"] is not None
    assert n["runtime"]["state"] == "running", n
    assert str(n["runtime"]["pid"]) == want[n["host"]], (n["host"], n["runtime"]["pid"], want)
    assert n["config"]["generation"] == d["generation"], n["config"]
    assert len(n["config"]["sha256"]) == 64
    assert n["error"] is None, n["error"]
PY

note "status --format prometheus"
ctl status --format prometheus >"$T/metrics.prom" || fail "prometheus exit $?"
python3 - "$T/metrics.prom" <<'PY' || fail "prometheus output: $(cat "$T/metrics.prom")"
import re, sys
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$')
types, samples = {}, []
text = open(sys.argv[1]).read()
assert text.endswith("\n")
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ")
        assert name not in types, "TYPE twice: " + name
        types[name] = typ
    elif line.startswith("# HELP ") or not line:
        continue
    else:
        m = line_re.match(line)
        assert m, "bad sample line: " + line
        assert m.group(1) in types, "sample before its TYPE: " + line
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"', m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(7))))
def get(name, **want):
    return [v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in want.items())]
for name in ("wrp_agent_up", "wrp_runtime_up", "wrp_agent_rtt_seconds", "wrp_config_generation",
             "wrp_runtime_starts_total", "wrp_runtime_uptime_seconds"):
    assert len(get(name)) == 4, (name, get(name))
assert get("wrp_agent_up") == [1.0] * 4
assert get("wrp_runtime_up") == [1.0] * 4
assert get("wrp_runtime_state", state="running") == [1.0] * 4
assert get("wrp_runtime_state", state="failed") == [0.0] * 4
assert types["wrp_runtime_starts_total"] == "counter"
assert len(get("wrp_shm_bytes")) >= 4 and all(v > 0 for v in get("wrp_shm_bytes"))
PY

note "stop"
run_cmd out rc ctl stop
echo "$out"
assert_eq 0 "$rc" "stop exit code"
assert_contains "$out" "4 nodes: 4 reachable, 0 running" "stop summary"
for i in 1 2 3 4; do
    [ -z "$(netns_runtime_pid $i)" ] || fail "node $i: runtime still there after stop returned"
    [ "$(netns_shm $i | grep -c '^chi_')" -ge 1 ] || fail "node $i: stop removed the segments: $(netns_shm $i)"
    echo keep >"$(netns_shm_path $i)/not_ours"
done

note "clean"
run_cmd out rc ctl clean
echo "$out"
assert_eq 0 "$rc" "clean exit code"
assert_contains "$out" "removed" "clean says what it removed"
for i in 1 2 3 4; do
    left=$(netns_shm $i)
    assert_not_contains "$left" "chi_" "node $i: chi_* left after clean"
    assert_contains "$left" "not_ours" "node $i: clean removed a file that is not the runtime's"
done
ctl clean --json >"$T/clean.json" || fail "second clean exit $?"
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/clean.json" \
    || fail "clean --json does not match the schema: $(cat "$T/clean.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(n["result"]=="ok" for n in d["nodes"]), d' "$T/clean.json" \
    || fail "clean --json results"
