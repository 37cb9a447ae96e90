#!/usr/bin/env bash
# Every C file is in the format .clang-format pins (make format fixes it).
. "$(dirname "$0")/lib.sh"
command -v clang-format >/dev/null || skip "clang-format not installed"
cd "$WRP_TOP"
bad=()
for f in agent/*.[ch] common/*.[ch] controller/*.[ch] proto/*.[ch] tests/*/*.c bench/*.c; do
    [ -f "$f" ] || continue
    clang-format "$f" | cmp -s - "$f" || bad+=("$f")
done
[ ${#bad[@]} -eq 0 ] || fail "not in the pinned format (run make format): ${bad[*]}"
echo "format ok"
