#!/usr/bin/env bash
# monitor against real runtimes on three nodes: a real runtime that crashes
# (SIGSEGV, then one that aborts by itself) is reported within one poll
# interval, with the signal; the other nodes stay running.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns.sh"
. "$(dirname "$0")/real_lib.sh"

interval=500
real_pipeline "$T/real.yaml" "heartbeat_interval: $interval"
netns_up 3
run_cmd out rc rctl ppl load "$T/real.yaml"
assert_eq 0 "$rc" "ppl load: $out"
run_cmd out rc rctl start
assert_eq 0 "$rc" "start: $out"

"$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --port "$NETNS_PORT" --insecure monitor \
    >"$T/monitor.out" 2>"$T/monitor.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"
at_exit '[ "${rc:-0}" = 0 ] || { echo "--- monitor:"; cat "$T/monitor.out" "$T/monitor.err"; }'
wait_for 10 grep -q "monitoring 3 nodes" "$T/monitor.out"
assert_contains "$(head -n 1 "$T/monitor.out")" "3 up, 3 running" "the initial view"

# ms_until SECONDS PATTERN: how long until PATTERN is in the monitor's output.
ms_until () {
    local t0=$(date +%s%N)
    wait_for "$1" grep -q "$2" "$T/monitor.out"
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

for crash in 1:SEGV 2:ABRT; do
    i=${crash%%:*} sig=${crash#*:}
    note "node $i: the real runtime dies by SIG$sig"
    kill -"$sig" "$(netns_runtime_pid "$i")"
    ms=$(ms_until 10 "${NETNS_IP[$i]} runtime failed: killed by SIG$sig")
    note "monitor reported it after $ms ms (interval $interval ms)"
    [ "$ms" -le $((interval + 500)) ] || fail "node $i: crash reported after $ms ms, interval $interval ms"
done
grep -q "${NETNS_IP[3]} runtime failed" "$T/monitor.out" && fail "node 3 reported failed"
rctl status --json >"$T/s.json" || true
[ "$(real_field "$T/s.json" "${NETNS_IP[3]}" 'n["runtime"]["state"]')" = running ] || fail "node 3: $(cat "$T/s.json")"
[ "$(real_field "$T/s.json" "${NETNS_IP[1]}" 'n["runtime"]["signal"]')" = 11 ] || fail "node 1 signal: $(cat "$T/s.json")"
kill -TERM "$mon"
mon_rc=0
wait "$mon" || mon_rc=$?
assert_eq 0 "$mon_rc" "monitor's exit on SIGTERM"
echo "monitor ok"
