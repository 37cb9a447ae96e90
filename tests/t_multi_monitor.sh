#!/usr/bin/env bash
# monitor against two nodes: the initial view first; a runtime killed by
# SIGSEGV is reported failed with that signal (by monitor within one poll
# interval, and by the next status); a dead agent is reported down within
# three intervals; --write-json keeps a valid view; --textfile a .prom
# file; SIGTERM ends it with exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

interval=200
cat >"$T/mon.yaml" <<YAML
name: montest
pkgs:
  - pkg_type: wrp_runtime
    pkg_name: runtime
    heartbeat_interval: $interval
    main_segment_size: 16M
    client_data_segment_size: 4M
    runtime_data_segment_size: 4M
YAML

# A sanitizer build of the stand-in would catch the SIGSEGV itself and exit 1.
NETNS_ENV_1="ASAN_OPTIONS=handle_segv=0"
netns_up 2
run_cmd out rc ctl ppl load "$T/mon.yaml"
assert_eq 0 "$rc" "ppl load: $out"
run_cmd out rc ctl start
assert_eq 0 "$rc" "start: $out"

mkdir -p "$T/textfile"
# The binary itself in the background (not the ctl function: its subshell
# would take the SIGTERM).
"$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --port "$NETNS_PORT" --insecure \
    monitor --write-json "$T/view.json" --textfile "$T/textfile" >"$T/monitor.out" 2>"$T/monitor.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"
at_exit 'echo "--- monitor stdout:"; cat "$T/monitor.out"; echo "--- monitor stderr:"; cat "$T/monitor.err"'
wait_for 5 grep -q "monitoring 2 nodes" "$T/monitor.out"
assert_contains "$(head -n 1 "$T/monitor.out")" "2 up, 2 running" "first line: the initial view"
wait_for 5 test -s "$T/view.json"
wait_for 5 test -s "$T/textfile/wrp.prom"

# ms_until SECONDS PATTERN: waits for PATTERN in the monitor's output,
# prints how long it took.
ms_until () {
    local t0=$(date +%s%N)
    wait_for "$1" grep -q "$2" "$T/monitor.out"
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

note "runtime on node 1 killed by SIGSEGV"
kill -SEGV "$(netns_runtime_pid 1)"
ms=$(ms_until 5 "${NETNS_IP[1]} runtime failed: killed by SIGSEGV")
note "monitor reported the crash after $ms ms (interval $interval ms)"
[ "$ms" -le $(( interval + 300 )) ] || fail "crash reported after $ms ms, interval $interval ms"
line=$(grep "${NETNS_IP[1]} runtime failed" "$T/monitor.out")
[[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ]] || fail "no ISO time on: $line"

run_cmd out rc ctl status
echo "$out"
assert_eq 2 "$rc" "status with a failed runtime"
assert_contains "$(grep "^${NETNS_IP[1]} " <<<"$out")" "killed by SIGSEGV" "status row of node 1"
ctl status --json >"$T/s.json" || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=[n for n in d["nodes"] if n["host"]==sys.argv[2]][0]; assert n["runtime"]["state"]=="failed" and n["runtime"]["signal"]==11, n' \
    "$T/s.json" "${NETNS_IP[1]}" || fail "status --json of node 1: $(cat "$T/s.json")"

note "agent on node 2 killed"
netns_kill_agent 2
ms=$(ms_until 5 "${NETNS_IP[2]} agent down")
note "monitor reported the dead agent after $ms ms (interval $interval ms)"
[ "$ms" -le $(( 3 * interval + 150 )) ] || fail "dead agent reported after $ms ms, 3 intervals = $(( 3 * interval )) ms"

note "the view files"
sleep_until_updated () { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=[n for n in d["nodes"] if n["host"]==sys.argv[2]][0]; sys.exit(0 if not n["reachable"] else 1)' "$T/view.json" "${NETNS_IP[2]}"; }
wait_for 3 sleep_until_updated
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/view.json" \
    || fail "--write-json view: $(cat "$T/view.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["updated_at"] and all("last_seen" in n for n in d["nodes"]), d' "$T/view.json" \
    || fail "view.json lacks updated_at / last_seen"
assert_contains "$(cat "$T/textfile/wrp.prom")" "wrp_last_poll_timestamp_seconds " "textfile"
assert_contains "$(cat "$T/textfile/wrp.prom")" "wrp_agent_up{host=\"${NETNS_IP[2]}\"} 0" "textfile: node 2 down"
ls "$T/textfile" | grep -qv '^wrp.prom$' && fail "temp files left in the textfile dir: $(ls "$T/textfile")"

note "agent on node 2 back"
netns_start_agent 2
ms=$(ms_until 10 "${NETNS_IP[2]} agent up")
note "monitor saw node 2 back after $ms ms"

note "SIGTERM"
kill -TERM $mon
rc=0
wait $mon || rc=$?
assert_eq 0 "$rc" "monitor exit code on SIGTERM"
