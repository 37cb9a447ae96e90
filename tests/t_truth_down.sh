#!/usr/bin/env bash
# Down is decided from evidence, each kind with its own message, at the
# moment it is known:
# - a name that does not resolve, a refused connection, no route: at once;
# - an agent SIGKILLed in the middle of a START: within a second, the other
#   nodes unaffected;
# - an agent SIGSTOPped (the kernel still accepts its connections): only at
#   the deadline, saying it is connected but does not answer.
# (A refused handshake, "not authorized" / "security mismatch", is checked
# by t_fanout_denied and t_security_curve.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

cat >"$T/down.yaml" <<'YAML'
name: truth
pkgs:
  - pkg_type: wrp_runtime
    pkg_name: runtime
    main_segment_size: 1M
    client_data_segment_size: 1M
    runtime_data_segment_size: 1M
YAML

# Node 2's runtime takes 4 s to serve: its START is under way for that
# long; node 3's never serves in this test's time.
NETNS_ENV_2="FAKE_CHI_READY_DELAY_MS=4000"
NETNS_ENV_3="FAKE_CHI_READY_DELAY_MS=120000"
netns_up 3
run_cmd out rc ctl ppl load "$T/down.yaml"
assert_eq 0 "$rc" "ppl load: $out"

# row HOST FILE: the node's error from a --json document.
row_error () {
    python3 -c 'import json,sys; print([n["error"] for n in json.load(open(sys.argv[1]))["nodes"] if n["host"] == sys.argv[2]][0])' "$2" "$1"
}

note "SIGKILL mid-START: reported within a second, the others started"
printf '%s\n' "${NETNS_IP[1]}" "${NETNS_IP[2]}" >"$T/hosts12"
"$BIN/wrp-controller" -H "$T/hosts12" --port "$NETNS_PORT" --insecure --timeout 30000 start --json \
    >"$T/start.json" 2>"$T/start.err" &
ctl_pid=$!
has_runtime () { [ -n "$(netns_runtime_pid "$1")" ]; }
wait_for 10 has_runtime 2
wait_for 10 has_runtime 1
t_kill=$(date +%s%N)
netns_kill_agent 2
rc=0
wait $ctl_pid || rc=$?
ms=$(( ($(date +%s%N) - t_kill) / 1000000 ))
note "start returned $ms ms after node 2's agent was killed (exit $rc)"
assert_eq 2 "$rc" "start exit code with a killed agent"
[ "$ms" -lt 2000 ] || fail "a killed agent took $ms ms to report (timeout 30 s)"
err=$(row_error "${NETNS_IP[2]}" "$T/start.json")
assert_contains "$err" "connection refused: is wrp-agentd running on ${NETNS_IP[2]}:$NETNS_PORT?" "killed agent's row"
python3 - "$T/start.json" "${NETNS_IP[2]}" <<'PY' || fail "the other nodes: $(cat "$T/start.json")"
import json, sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    if n["host"] != sys.argv[2]:
        assert n["result"] == "ok" and n["runtime"]["state"] == "running", n
PY

note "refused, unresolvable: said at once"
printf '%s\n' "${NETNS_IP[1]}" "${NETNS_IP[2]}" no-such-node.invalid >"$T/hosts2"
t0=$(date +%s%N)
rc=0
"$BIN/wrp-controller" -H "$T/hosts2" --port "$NETNS_PORT" --insecure --timeout 30000 status --json \
    >"$T/s2.json" 2>/dev/null || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "status with a dead agent and a bad name: exit $rc in $ms ms"
assert_eq 2 "$rc" "status exit code"
[ "$ms" -lt 3000 ] || fail "status took $ms ms with --timeout 30000: the reasons were known at once"
assert_contains "$(row_error "${NETNS_IP[2]}" "$T/s2.json")" "connection refused: is wrp-agentd running" "refused"
assert_contains "$(row_error no-such-node.invalid "$T/s2.json")" "cannot resolve no-such-node.invalid" "resolve"
assert_eq None "$(row_error "${NETNS_IP[1]}" "$T/s2.json")" "live node"

note "no route: said at once (a namespace with loopback only)"
NS=wrpt-$$-noroute
ip netns add "$NS" || fail "cannot create namespace"
at_exit "ip netns del $NS 2>/dev/null"
ip -n "$NS" link set lo up
echo 10.99.0.1 >"$T/hosts3"
t0=$(date +%s%N)
rc=0
ip netns exec "$NS" "$BIN/wrp-controller" -H "$T/hosts3" --port "$NETNS_PORT" --insecure \
    --timeout 30000 status --json >"$T/s3.json" 2>/dev/null || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "status without a route: exit $rc in $ms ms"
assert_eq 2 "$rc" "no route exit code"
[ "$ms" -lt 3000 ] || fail "no route took $ms ms to report"
assert_contains "$(row_error 10.99.0.1 "$T/s3.json")" "no route to 10.99.0.1:$NETNS_PORT" "no route"

note "SIGSTOP mid-START (connection open): reported at the deadline, never before"
printf '%s\n' "${NETNS_IP[1]}" "${NETNS_IP[3]}" >"$T/hosts4"
t0=$(date +%s%N)
"$BIN/wrp-controller" -H "$T/hosts4" --port "$NETNS_PORT" --insecure --timeout 3000 start --json \
    >"$T/start4.json" 2>/dev/null &
ctl_pid=$!
wait_for 10 has_runtime 3
kill -STOP "${NETNS_AGENT_PID[3]}"
at_exit "kill -CONT ${NETNS_AGENT_PID[3]} 2>/dev/null"
rc=0
wait $ctl_pid || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "start with an agent stopped mid-START: exit $rc in $ms ms"
assert_eq 2 "$rc" "stopped agent exit code"
[ "$ms" -ge 4000 ] || fail "an agent stopped mid-START was given up after $ms ms, before the deadline (3 s + 1 s for its reply)"
err=$(row_error "${NETNS_IP[3]}" "$T/start4.json")
# Either it answered the STATUS probe beside the START before it stopped
# ("stopped answering N s ago") or not ("heartbeats answered, no reply").
assert_contains "$err" "connected" "agent stopped mid-START"
assert_contains "$err" "no reply to START within 4.0 s" "agent stopped mid-START"

note "SIGSTOP, new connection (the kernel accepts it): reported at the deadline"
t0=$(date +%s%N)
rc=0
"$BIN/wrp-controller" -H "$T/hosts4" --port "$NETNS_PORT" --insecure --timeout 3000 status --json \
    >"$T/s4.json" 2>/dev/null || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "status with a stopped agent: exit $rc in $ms ms"
assert_eq 2 "$rc" "stopped agent exit code"
[ "$ms" -ge 3000 ] || fail "a stopped agent was given up after $ms ms, before the 3 s deadline"
[ "$ms" -lt 8000 ] || fail "a stopped agent took $ms ms (deadline 3 s)"
err=$(row_error "${NETNS_IP[3]}" "$T/s4.json")
assert_contains "$err" "connected" "stopped agent"
assert_contains "$err" "no reply to STATUS within 3.0 s" "stopped agent"
assert_eq None "$(row_error "${NETNS_IP[1]}" "$T/s4.json")" "live node beside the stopped one"
kill -CONT "${NETNS_AGENT_PID[3]}"

note "monitor: a closed connection is reported at once, not after 2.5 silent intervals"
echo "${NETNS_IP[1]}" >"$T/hosts5"
"$BIN/wrp-controller" -H "$T/hosts5" --port "$NETNS_PORT" --insecure monitor >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"
wait_for 10 grep -q "monitoring 1 node" "$T/mon.out"
t_kill=$(date +%s%N)
netns_kill_agent 1
wait_for 10 grep -q "agent down" "$T/mon.out"
ms=$(( ($(date +%s%N) - t_kill) / 1000000 ))
note "monitor reported the killed agent within $ms ms (poll interval 1000 ms)"
assert_contains "$(cat "$T/mon.out")" "${NETNS_IP[1]} agent down: connection closed" "monitor line"
[ "$ms" -lt 1500 ] || fail "monitor took $ms ms to report a closed connection"
kill -TERM $mon
