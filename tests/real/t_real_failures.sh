#!/usr/bin/env bash
# Failures of the real runtime, reported in its own words: missing modules
# (it listens, then exits 1: never reported running, tried several times),
# a config it rejects (a wrongly typed port, a bad size: exit 1 before any
# segment), and a taken port (a runtime started by hand holds it: the agent
# refuses, the first runtime and its segments untouched).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns.sh"
. "$(dirname "$0")/real_lib.sh"

N=4
real_pipeline "$T/real.yaml"
netns_up "$N"
run_cmd out rc rctl ppl load "$T/real.yaml"
assert_eq 0 "$rc" "ppl load: $out"

# status_all STATE: every node's runtime in STATE, per status --json.
status_all () {
    rctl status --json >"$T/s.json" 2>/dev/null || true
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if all(n["runtime"]["state"]==sys.argv[2] for n in d["nodes"]) else 1)' \
        "$T/s.json" "$1"
}

note "missing modules: nothing forwarded, the runtime finds no ChiMod"
# (It also looks in ./lib, ../lib and /usr/local/lib, whatever it is told.)
rounds="1 2 3"
if [ -e /usr/local/lib/libchimaera_admin_runtime.so ]; then
    note "SKIPPED: this machine has the runtime's modules in /usr/local/lib"
    rounds=""
fi
for round in $rounds; do
    REAL_CTL_ENV="" run_cmd out rc rctl start
    echo "$out"
    assert_eq 2 "$rc" "round $round: start without modules"
    assert_contains "$out" "$N nodes: $N reachable, 0 running, $N failed" "round $round: summary"
    for ((i = 1; i <= N; i++)); do
        row=$(grep "^${NETNS_IP[$i]} " <<<"$out")
        assert_contains "$row" "ChiMod 'chimaera_admin' not found" "round $round: node $i row in the runtime's words"
        assert_contains "$row" "exited with code 1" "round $round: node $i exit code"
        [ -z "$(netns_runtime_pid "$i")" ] || fail "round $round: node $i: a runtime process is left"
        real_listens "$i" $((REAL_PORT + 1)) && fail "round $round: node $i: port $((REAL_PORT + 1)) still listens"
        # The real runtime leaves its segments behind.
        [ "$(netns_shm "$i" | grep -c '^chi_')" -eq 3 ] || fail "round $round: node $i: segments: $(netns_shm "$i")"
    done
    status_all failed || fail "round $round: status: $(cat "$T/s.json")"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(n["runtime"]["exit_code"]==1 and "not found" in n["error"] for n in d["nodes"]), d' \
        "$T/s.json" || fail "round $round: status --json: $(cat "$T/s.json")"
    run_cmd out rc rctl clean
    assert_eq 0 "$rc" "clean: $out"
done

note "a config the runtime rejects (sent to node 1's agent as the controller would)"
rctl config >"$T/good.yaml" || fail "config"
grep -q '^  port: '"$REAL_PORT"'$' "$T/good.yaml" || fail "no port line in the generated config"
sed 's/^  port: .*/  port: abc/' "$T/good.yaml" >"$T/bad-port.yaml"
sed 's/^  main_segment_size: .*/  main_segment_size: 12Q/' "$T/good.yaml" >"$T/bad-size.yaml"
n=0
for bad in bad-port bad-size; do
    n=$((n + 1))
    run_cmd out rc "$TBIN/wrp-send" -t 20000 "tcp://${NETNS_IP[1]}:$NETNS_PORT" START "rej$n" \
        pipeline=real "config=@$T/$bad.yaml" port="$REAL_PORT" "env.CHI_REPO_PATH=$REAL_LIB"
    echo "$out"
    assert_contains "$out" "code=FAILED" "$bad: refused"
    assert_contains "$out" "exited with code 1 before serving" "$bad: how it ended"
    assert_contains "$out" "FATAL" "$bad: the runtime's FATAL line"
    assert_not_contains "$(netns_shm 1)" "chi_" "$bad: segments created"
    [ -z "$(netns_runtime_pid 1)" ] || fail "$bad: a runtime process is left"
done

note "a taken port: a runtime started by hand on node 2 with the same config"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start: $out"
run_cmd out rc rctl stop
assert_eq 0 "$rc" "stop: $out"
conf=${NETNS_STATE[2]}/pipelines/real/chimaera_config.yaml
real_exec 2 env CHI_SERVER_CONF="$conf" "$REAL/bin/chimaera_start_runtime" >"$T/hand.log" 2>&1 &
hand=$!
at_exit "kill -9 $hand 2>/dev/null"
wait_for 30 grep -q "SUCCESS: Main server started on ${NETNS_IP[2]}" "$T/hand.log"
wait_for 30 real_listens 2 $((REAL_PORT + 1))
hand_pid=$(netns_runtime_pid 2)
real_is_real "$hand_pid" || fail "no hand-started runtime on node 2"
before=$(cd "$(netns_shm_path 2)" && stat -c '%n %i %Y' chi_*)
run_cmd out rc rctl start
echo "$out"
assert_eq 2 "$rc" "start with node 2's port taken"
assert_contains "$out" "$N nodes: $N reachable, $((N - 1)) running; start did not succeed on 1 of $N" "summary"
row=$(grep "^${NETNS_IP[2]} " <<<"$out")
assert_contains "$row" "port $((REAL_PORT + 1)) on 127.0.0.1 is already in use" "node 2: names the port"
assert_contains "$row" "pid $hand_pid (chimaera_start_)" "node 2: names the process holding it"
kill -0 "$hand_pid" || fail "the hand-started runtime died"
assert_eq "$before" "$(cd "$(netns_shm_path 2)" && stat -c '%n %i %Y' chi_*)" "the first runtime's segments were touched"
assert_eq 1 "$(grep -c 'SUCCESS: Main server started' "$T/hand.log")" "hand runtime started once"
kill -TERM "$hand_pid"
hand_rc=0
wait "$hand" || hand_rc=$?
assert_eq 0 "$hand_rc" "the real runtime's exit on SIGTERM"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start once the port is free: $out"
run_cmd out rc rctl stop
assert_eq 0 "$rc" "stop: $out"
echo "failures ok"
