#!/usr/bin/env bash
# Stop against the real runtime, in the ways it goes: the real abort path
# (stop binary exits 0, the runtime dies by SIGABRT later) reported as a
# clean stop; a runtime that ignores the stop (SIGSTOPped) escalated to
# SIGTERM then SIGKILL and gone; a stop binary that aborts itself (it
# finds no segments to attach) escalated at once and reported as a success;
# and the real stop binary's own behaviour with nothing running.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns.sh"
. "$(dirname "$0")/real_lib.sh"

step=1000
real_agent_conf "stop_timeout_ms: $step"
real_pipeline "$T/real.yaml"
netns_up 3
run_cmd out rc rctl ppl load "$T/real.yaml"
assert_eq 0 "$rc" "ppl load: $out"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start: $out"
declare -a PID
for i in 1 2 3; do PID[$i]=$(netns_runtime_pid "$i"); real_is_real "${PID[$i]}" || fail "node $i: not the real runtime"; done

note "node 1 SIGSTOPped (ignores the stop), node 3 without its segments (the stop binary aborts), node 2 as it is"
kill -STOP "${PID[1]}"
rm -f "$(netns_shm_path 3)"/chi_*
t0=$(date +%s%N)
run_cmd out rc rctl stop
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out"
note "stop took $ms ms (escalation step $step ms)"
assert_eq 0 "$rc" "stop exit code"
assert_contains "$out" "3 nodes: 3 reachable, 0 running" "stop summary"
for i in 1 2 3; do real_gone "${PID[$i]}" || fail "node $i: runtime ${PID[$i]} alive after stop returned"; done

log1=${NETNS_DIR[1]}/agent.log log2=${NETNS_DIR[2]}/agent.log log3=${NETNS_DIR[3]}/agent.log
note "node 1: stop binary exit 0, SIGTERM, SIGKILL"
grep -q "stop binary (pid [0-9]*) exited with code 0" "$log1" || fail "node 1: stop binary"
grep -q "runtime pid ${PID[1]}: SIGTERM to its process group" "$log1" || fail "node 1: no SIGTERM"
grep -q "runtime pid ${PID[1]}: SIGKILL to its process group" "$log1" || fail "node 1: no SIGKILL"
grep -q "runtime pid ${PID[1]} killed by signal 9 (KILL)" "$log1" || fail "node 1: not ended by SIGKILL"
[ "$ms" -ge $((2 * step)) ] || fail "stop returned after $ms ms, before two escalation steps of $step ms"

note "node 2: the real abort path"
grep -q "stop binary (pid [0-9]*) exited with code 0" "$log2" || fail "node 2: stop binary"
if grep -q "runtime pid ${PID[2]} killed by signal 6 (ABRT)" "$log2"; then
    note "node 2: died by SIGABRT after the stop binary"
else
    # On a slow machine the abort may come after the first step's wait.
    grep -q "runtime pid ${PID[2]}: SIGTERM" "$log2" || fail "node 2: neither SIGABRT nor SIGTERM: $(tail -n 5 "$log2")"
    note "node 2: not dead within $step ms of the stop binary; SIGTERM ended it"
fi

note "node 3: the stop binary aborted itself; SIGTERM at once, reported stopped"
grep -q "stop binary (pid [0-9]*) killed by signal 6 (ABRT)" "$log3" || fail "node 3: the stop binary did not abort: $(tail -n 5 "$log3")"
grep -q "runtime pid ${PID[3]}: SIGTERM to its process group" "$log3" || fail "node 3: no SIGTERM"
grep -q "runtime pid ${PID[3]} exited with code 0" "$log3" || fail "node 3: the real runtime's SIGTERM exit is code 0"
aborted=$(sed -n 's/^\([0-9T:.-]*\) .*stop binary (pid [0-9]*) killed by signal 6.*/\1/p' "$log3")
termed=$(sed -n "s/^\([0-9T:.-]*\) .*runtime pid ${PID[3]}: SIGTERM.*/\1/p" "$log3")
gap=$(python3 -c 'import sys, datetime as d; f=lambda s: d.datetime.fromisoformat(s); print(int((f(sys.argv[2]) - f(sys.argv[1])).total_seconds() * 1000))' "$aborted" "$termed")
note "SIGTERM $gap ms after the stop binary aborted"
[ "$gap" -lt "$step" ] || fail "node 3: SIGTERM came $gap ms after the stop binary failed (waited the step)"

rctl status --json >"$T/s.json" || fail "status after stop: exit $?: $(cat "$T/s.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(n["runtime"]["state"]=="stopped" and n["error"] is None for n in d["nodes"]), d' \
    "$T/s.json" || fail "status after stop: $(cat "$T/s.json")"

note "the real stop binary with stale segments and no runtime: exit 0 at once, nothing done"
conf=${NETNS_STATE[2]}/pipelines/real/chimaera_config.yaml
t0=$(date +%s%N)
run_cmd out rc real_exec 2 env CHI_SERVER_CONF="$conf" "$REAL/bin/chimaera_stop_runtime"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq 0 "$rc" "stop binary, stale segments: $out"
note "it took $ms ms"
[ "$ms" -lt 10000 ] || fail "the stop binary with stale segments took $ms ms"

note "the real stop binary with nothing at all: dies by SIGABRT"
run_cmd out rc rctl clean
assert_eq 0 "$rc" "clean: $out"
run_cmd out rc real_exec 2 env -u CHI_SERVER_CONF "$REAL/bin/chimaera_stop_runtime"
[ "$rc" -eq 134 ] || fail "stop binary with nothing: exit $rc (want 134, SIGABRT): $out"

note "stop with nothing running: success on every node"
run_cmd out rc rctl stop
assert_eq 0 "$rc" "stop with nothing running: $out"
echo "stop ok"
