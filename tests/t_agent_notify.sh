#!/usr/bin/env bash
# systemd notification: READY=1 once bound, STATUS= on state changes,
# WATCHDOG=1 at half WATCHDOG_USEC, STOPPING=1 on SIGTERM, after which the
# runtime keeps running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

sock=$T/notify.sock
python3 - "$sock" > "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    data = s.recv(4096)
    for line in data.decode().split("\n"):
        print(line, flush=True)
PY
listener=$!
at_exit "kill -9 $listener 2>/dev/null"
wait_for 5 test -S "$sock"

AGENT_ENV="NOTIFY_SOCKET=$sock WATCHDOG_USEC=200000" start_agent "$T/a"
wait_for 5 grep -qx READY=1 "$T/notify.log"
grep -qx "STATUS=runtime stopped" "$T/notify.log" || fail "no initial STATUS: $(cat "$T/notify.log")"
# Due every 100 ms: several within a second.
count_watchdog () { [ "$(grep -cx WATCHDOG=1 "$T/notify.log")" -ge 5 ]; }
wait_for 3 count_watchdog

port=$(runtime_port)
start_runtime a1 "$port"
pid=$(field pid)
wait_for 5 grep -qx "STATUS=runtime running, pipeline testpipe" "$T/notify.log"
grep -qx "STATUS=runtime starting, pipeline testpipe" "$T/notify.log" || fail "no starting STATUS"

stop_agent TERM
wait_for 5 grep -qx STOPPING=1 "$T/notify.log"
alive "$pid" || fail "runtime died with the agent's SIGTERM"
grep -q "signal 15: exiting; the runtime keeps running" "$T/a/agent.log" || fail "exit not logged"

note "without WATCHDOG_USEC there is no watchdog ping"
: > "$T/notify.log"
AGENT_ENV="NOTIFY_SOCKET=$sock" start_agent "$T/a"
wait_for 5 grep -qx READY=1 "$T/notify.log"
send STATUS s1
assert_eq "$pid" "$(field pid)" "same runtime after the SIGTERM restart"
sleep 0.3   # a window in which a (wrong) watchdog ping would show
grep -qx WATCHDOG=1 "$T/notify.log" && fail "watchdog ping without WATCHDOG_USEC"
send KILL k1
echo "notify ok"
