#!/usr/bin/env bash
# The real Chimaera runtime on eight namespaced nodes: stop with nothing
# running, start, status (processes, segment names and sizes = configured +
# 16 KiB, the pushed config and hostfile, the node id the runtime printed,
# its two listening ports), a second start leaving every runtime alone,
# stop through the real abort path, stop again, clean, then start and kill.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns.sh"
. "$(dirname "$0")/real_lib.sh"

N=${REAL_NODES:-8}
real_pipeline "$T/real.yaml"
netns_up "$N"
run_cmd out rc rctl ppl load "$T/real.yaml"
assert_eq 0 "$rc" "ppl load: $out"

note "stop with nothing running"
run_cmd out rc rctl stop
echo "$out"
assert_eq 0 "$rc" "stop with nothing running"
assert_contains "$out" "$N nodes: $N reachable, 0 running" "stop summary"

note "start"
t0=$(date +%s%N)
run_cmd out rc rctl start
note "start on $N nodes took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "$out"
assert_eq 0 "$rc" "start"
assert_contains "$out" "$N nodes: $N reachable, $N running" "start summary"
declare -a PID
for ((i = 1; i <= N; i++)); do
    PID[$i]=$(netns_runtime_pid "$i")
    pid=${PID[$i]}
    [ -n "$pid" ] || fail "node $i: no runtime process after start"
    real_is_real "$pid" || fail "node $i: pid $pid is not the real runtime: $(readlink /proc/$pid/exe)"
    env=$(tr '\0' '\n' <"/proc/$pid/environ")
    assert_contains "$env" "CHI_REPO_PATH=$REAL_LIB" "node $i: CHI_REPO_PATH forwarded"
    assert_contains "$env" "LD_LIBRARY_PATH=$REAL_LIB" "node $i: LD_LIBRARY_PATH forwarded"
    conf=$(sed -n 's/^CHI_SERVER_CONF=//p' <<<"$env")
    assert_eq "${NETNS_STATE[$i]}/pipelines/real/chimaera_config.yaml" "$conf" "node $i: CHI_SERVER_CONF"
    python3 - "$conf" "$NETNS_HOSTFILE" "$REAL_PORT" <<'PY' || fail "node $i: pushed config $conf"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert c["memory"] == {"main_segment_size": 32 << 20, "client_data_segment_size": 8 << 20,
                       "runtime_data_segment_size": 8 << 20}, c["memory"]
assert c["networking"]["port"] == int(sys.argv[3]), c["networking"]
assert c["runtime"]["sched_threads"] == 2 and c["runtime"]["slow_threads"] == 1, c["runtime"]
pushed = open(c["networking"]["hostfile"]).read().split()
assert pushed == open(sys.argv[2]).read().split(), (pushed, "differs from the cluster's hostfile")
PY
    # The segments, named for the runtime's USER, 16 KiB over the configured sizes.
    shm=$(cd "$(netns_shm_path "$i")" && stat -c '%n=%s' chi_* | tr '\n' ' ')
    assert_eq "chi_client_data_segment_$REAL_USER=$(( (8 << 20) + 16384 )) chi_main_segment_$REAL_USER=$(( (32 << 20) + 16384 )) chi_runtime_data_segment_$REAL_USER=$(( (8 << 20) + 16384 )) " \
        "$shm" "node $i: segments"
    # Node id from the runtime's own output: its line in the hostfile.
    grep -q "SUCCESS: Main server started on ${NETNS_IP[$i]} (node=$((i - 1)))\$" <(real_log "$i") ||
        fail "node $i: no 'SUCCESS: Main server started on ${NETNS_IP[$i]} (node=$((i - 1)))' in: $(real_log "$i" | grep SUCCESS)"
    real_listens "$i" "$REAL_PORT" || fail "node $i: main server not listening on :$REAL_PORT"
    ip netns exec "${NETNS_NS[$i]}" ss -Htln "src 127.0.0.1:$((REAL_PORT + 1))" | grep -q LISTEN ||
        fail "node $i: local server not on 127.0.0.1:$((REAL_PORT + 1))"
done

note "status --json"
rctl status --json >"$T/status.json" || fail "status --json exit $?: $(cat "$T/status.json")"
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/status.json" ||
    fail "status --json does not match the schema"
want=""
for ((i = 1; i <= N; i++)); do want="$want ${NETNS_IP[$i]}=${PID[$i]}"; done
python3 - "$T/status.json" "$REAL_USER" $want <<'PY' || fail "status --json: $(cat "$T/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
user = sys.argv[2]
want = dict(a.split("=") for a in sys.argv[3:])
assert d["summary"]["running"] == len(want), d["summary"]
sizes = {"chi_main_segment_" + user: (32 << 20) + 16384,
         "chi_client_data_segment_" + user: (8 << 20) + 16384,
         "chi_runtime_data_segment_" + user: (8 << 20) + 16384}
for n in d["nodes"]:
    assert n["runtime"]["state"] == "running", n
    assert str(n["runtime"]["pid"]) == want[n["host"]], n
    assert {s["name"]: s["bytes"] for s in n["shm"]} == sizes, n["shm"]
PY

note "second start: every runtime left alone"
run_cmd out rc rctl start
echo "$out"
assert_eq 0 "$rc" "second start"
[ "$(grep -c 'already running' <<<"$out")" -eq "$N" ] || fail "second start did not say 'already running' on every node"
for ((i = 1; i <= N; i++)); do
    assert_eq "${PID[$i]}" "$(netns_runtime_pid "$i")" "node $i: runtime pid after the second start"
    assert_eq 1 "$(grep -c 'SUCCESS: Main server started' <(real_log "$i"))" "node $i: runtimes started"
done

note "stop: the real stop binary, the runtime dies by SIGABRT, reported stopped"
t0=$(date +%s%N)
run_cmd out rc rctl stop
note "stop on $N nodes took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "$out"
assert_eq 0 "$rc" "stop"
assert_contains "$out" "$N nodes: $N reachable, 0 running" "stop summary"
aborted=0
for ((i = 1; i <= N; i++)); do
    real_gone "${PID[$i]}" || fail "node $i: runtime ${PID[$i]} alive after stop returned"
    [ -z "$(netns_runtime_pid "$i")" ] || fail "node $i: a runtime runs after stop"
    log=${NETNS_DIR[$i]}/agent.log
    grep -q "stop binary (pid [0-9]*) exited with code 0" "$log" || fail "node $i: the stop binary did not exit 0"
    grep -q "runtime pid ${PID[$i]} killed by signal 6 (ABRT)" "$log" && aborted=$((aborted + 1))
    [ "$(netns_shm "$i" | grep -c '^chi_')" -eq 3 ] || fail "node $i: segments after stop: $(netns_shm "$i")"
done
note "$aborted of $N runtimes ended by the real abort path (the others by the agent's SIGTERM)"
[ "$aborted" -ge 1 ] || fail "no runtime died by SIGABRT after the real stop binary"
rctl status --json >"$T/status.json" || fail "status after stop: exit $?"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(n["runtime"]["state"]=="stopped" and n["error"] is None for n in d["nodes"]), d' \
    "$T/status.json" || fail "status after stop: $(cat "$T/status.json")"

note "stop again: nothing running, success"
run_cmd out rc rctl stop
assert_eq 0 "$rc" "second stop: $out"

note "clean"
echo keep >"$(netns_shm_path 1)/not_ours"
run_cmd out rc rctl clean
echo "$out"
assert_eq 0 "$rc" "clean"
for ((i = 1; i <= N; i++)); do
    assert_not_contains "$(netns_shm "$i")" "chi_" "node $i: segments after clean"
    [ ! -e "${NETNS_STATE[$i]}/pipelines/real/chimaera_config.yaml" ] || fail "node $i: config left after clean"
    [ ! -e "${NETNS_STATE[$i]}/pipelines/real/hostfile" ] || fail "node $i: hostfile left after clean"
done
assert_contains "$(netns_shm 1)" "not_ours" "clean removed a file that is not the runtime's"

note "start, then kill"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start after clean: $out"
for ((i = 1; i <= N; i++)); do PID[$i]=$(netns_runtime_pid "$i"); [ -n "${PID[$i]}" ] || fail "node $i: not started"; done
run_cmd out rc rctl kill
echo "$out"
assert_eq 0 "$rc" "kill"
for ((i = 1; i <= N; i++)); do
    real_gone "${PID[$i]}" || fail "node $i: runtime alive after kill"
    grep -q "runtime pid ${PID[$i]} killed by signal 9 (KILL)" "${NETNS_DIR[$i]}/agent.log" ||
        fail "node $i: not ended by SIGKILL"
done
run_cmd out rc rctl clean
assert_eq 0 "$rc" "clean after kill: $out"
for ((i = 1; i <= N; i++)); do assert_not_contains "$(netns_shm "$i")" "chi_" "node $i: segments after kill+clean"; done
echo "lifecycle ok on $N nodes"
