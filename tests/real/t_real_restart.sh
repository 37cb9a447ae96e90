#!/usr/bin/env bash
# The agent SIGKILLed and restarted while the real runtime runs: the new
# agent reports the same pid running and its segments, still supervises it
# (a later SIGSEGV is reported with the signal), and a runtime adopted
# across a restart is stopped through the real stop binary with the
# environment the runtime was given.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns.sh"
. "$(dirname "$0")/real_lib.sh"

real_pipeline "$T/real.yaml"
netns_up 2
run_cmd out rc rctl ppl load "$T/real.yaml"
assert_eq 0 "$rc" "ppl load: $out"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start: $out"
pid=$(netns_runtime_pid 1)
real_is_real "$pid" || fail "node 1: not the real runtime"

# node1 FIELD: a field of node 1 in status --json (Python expression over n).
node1 () {
    rctl status --json >"$T/s.json" 2>/dev/null || true
    real_field "$T/s.json" "${NETNS_IP[1]}" "$1"
}

note "agent SIGKILLed: the runtime lives on"
netns_kill_agent 1
kill -0 "$pid" || fail "the runtime died with its agent"
real_restart_agent 1
grep -q "re-adopted runtime pid $pid" "${NETNS_DIR[1]}/agent.log" || fail "adoption not logged"
running () { [ "$(node1 'n["runtime"]["state"]')" = running ]; }
wait_for 10 running
assert_eq "$pid" "$(node1 'n["runtime"]["pid"]')" "same pid after the restart"
assert_eq 1 "$(node1 'n["runtime"]["starts"]')" "starts after the restart"
assert_eq 3 "$(node1 'len(n["shm"])')" "segments seen by the restarted agent"

note "a second start is a no-op on the adopted runtime"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start: $out"
assert_contains "$(grep "^${NETNS_IP[1]} " <<<"$out")" "already running" "node 1"
assert_eq "$pid" "$(netns_runtime_pid 1)" "same runtime after the second start"

note "a later SIGSEGV is reported with the signal"
kill -SEGV "$pid"
crashed () { [ "$(node1 'n["runtime"]["state"]')" = failed ]; }
wait_for 10 crashed
error=$(node1 'n["error"]')
assert_contains "$error" "without being asked" "crash error"
sig=$(node1 'n["runtime"]["signal"]')
kernel=$(uname -r | awk -F. '{print $1 * 1000 + $2}')
if [ "$kernel" -ge 6015 ]; then
    assert_eq 11 "$sig" "signal of the adopted runtime's crash ($error)"
    assert_contains "$error" "killed by signal 11 (SEGV)" "crash error"
else
    # Before Linux 6.15 a pidfd does not tell a non-child's exit status.
    [ "$sig" = 11 ] || assert_contains "$error" "exit status unknown" "crash error: signal '$sig'"
fi
run_cmd out rc rctl status
assert_eq 2 "$rc" "status with a crashed runtime: $out"

note "an adopted runtime is stopped through the real stop binary"
run_cmd out rc rctl stop
assert_eq 0 "$rc" "stop: $out"
run_cmd out rc rctl clean
assert_eq 0 "$rc" "clean: $out"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start again: $out"
pid=$(netns_runtime_pid 1)
netns_kill_agent 1
real_restart_agent 1
wait_for 10 running
assert_eq "$pid" "$(node1 'n["runtime"]["pid"]')" "same pid after the second restart"
run_cmd out rc rctl stop
echo "$out"
assert_eq 0 "$rc" "stop of the adopted runtime"
real_gone "$pid" || fail "the adopted runtime is alive after stop"
log=${NETNS_DIR[1]}/agent.log
grep -q "runtime pid $pid: ran $REAL/bin/chimaera_stop_runtime" "$log" || fail "the stop binary was not run"
grep -q "stop binary (pid [0-9]*) exited with code 0" <(sed -n "/runtime pid $pid: ran/,\$p" "$log") ||
    fail "the stop binary failed for the adopted runtime: $(tail -n 5 "$log")"
assert_eq stopped "$(node1 'n["runtime"]["state"]')" "state after stop"
echo "restart ok"
