#!/usr/bin/env bash
# One agent killed: the other nodes are carried out, the command exits 2,
# the dead node is marked unreachable, and the command returns within its
# timeout (plus a small margin) instead of hanging on the dead node.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

small_pipeline "$T/down.yaml" downtest

netns_up 3
run_cmd out rc ctl ppl load "$T/down.yaml"
assert_eq 0 "$rc" "ppl load: $out"
run_cmd out rc ctl start
assert_eq 0 "$rc" "start: $out"

netns_kill_agent 2

# timed RUN: runs the controller, sets out, rc and ms (wall time).
timed () {
    local t0
    t0=$(date +%s%N)
    run_cmd out rc "$@"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}

note "status with node 2's agent dead"
timed ctl --timeout 2000 status
echo "$out"
note "status took $ms ms (timeout 2000 ms)"
assert_eq 2 "$rc" "status exit code with a dead agent"
[ "$ms" -lt 3000 ] || fail "status took $ms ms, timeout was 2000 ms"
row=$(grep "^${NETNS_IP[2]} " <<<"$out") || fail "no row for node 2"
assert_contains "$row" "down" "node 2 row"
assert_contains "$row" "unreachable" "node 2 row"
assert_contains "$out" "3 nodes: 2 reachable, 2 running" "summary"
# The failing node comes first.
first=$(grep -A1 '^HOST ' <<<"$out" | sed -n 2p)
assert_contains "$first" "${NETNS_IP[2]}" "failing node first"

ctl --timeout 2000 status --json >"$T/s.json" && fail "status --json should exit 2"
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/s.json" \
    || fail "schema: $(cat "$T/s.json")"
python3 - "$T/s.json" "${NETNS_IP[2]}" <<'PY' || fail "json: $(cat "$T/s.json")"
import json, sys
d = json.load(open(sys.argv[1]))
for n in d["nodes"]:
    if n["host"] == sys.argv[2]:
        assert n["reachable"] is False and n["runtime"] is None and "unreachable" in n["error"], n
    else:
        assert n["reachable"] and n["runtime"]["state"] == "running", n
PY

note "stop with node 2's agent dead"
timed ctl --timeout 2000 stop
echo "$out"
note "stop took $ms ms (timeout 2000 ms)"
assert_eq 2 "$rc" "stop exit code with a dead agent"
[ "$ms" -lt 3500 ] || fail "stop took $ms ms, timeout was 2000 ms"
[ -z "$(netns_runtime_pid 1)" ] || fail "node 1 not stopped"
[ -z "$(netns_runtime_pid 3)" ] || fail "node 3 not stopped"
assert_contains "$(grep "^${NETNS_IP[2]} " <<<"$out")" "unreachable" "node 2 row after stop"

note "the agent comes back: it still knows its runtime"
netns_start_agent 2
run_cmd out rc ctl status
echo "$out"
row=$(grep "^${NETNS_IP[2]} " <<<"$out")
assert_contains "$row" "running" "node 2's runtime, re-adopted by the restarted agent"
