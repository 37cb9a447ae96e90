#!/usr/bin/env bash
# The agent's own death neither kills nor forgets the runtime: SIGKILL the
# agent while the runtime runs, restart it, and it reports the same pid
# running, answers repeated ids from its record, and stops the runtime. A
# runtime that ended while the agent was down is reported honestly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

mkdir -p "$T/a"
printf 'stop_timeout_ms: 400\n' > "$T/a/agentd.yaml"
start_agent "$T/a"
port=$(runtime_port)
start_runtime a1 "$port"
assert_eq running "$(field state)" "start"
pid=$(field pid)

note "agent SIGKILLed, runtime untouched; restart re-adopts it"
stop_agent KILL
alive "$pid" || fail "runtime died with the agent"
start_agent "$T/a"
# A re-adopted runtime is `starting` until the agent's readiness probe
# finds it serving again: wait for that, with a deadline.
running () { send STATUS s1; [ "$(field state)" = running ]; }
wait_for 30 running
assert_eq running "$(field state)" "state after agent restart"
assert_eq "$pid" "$(field pid)" "same pid after agent restart"
assert_eq 1 "$(field starts)" "starts kept"
assert_eq testpipe "$(field pipeline)" "pipeline kept"
grep -q "re-adopted runtime pid $pid" "$T/a/agent.log" || fail "adoption not logged"

note "repeated id across the restart -> from the record"
start_runtime a1 "$port"
assert_eq OK "$(field command)" "repeat"
assert_eq "" "$(field noop)" "original reply, not a new noop"
send STATUS s2
assert_eq 1 "$(field starts)" "not started twice"

note "an adopted runtime that crashes is noticed"
kill -KILL "$pid"      # (not SEGV: a sanitizer build of the stand-in would catch it)
crashed () { send STATUS s; [ "$(field state)" = failed ]; }
wait_for 5 crashed
assert_contains "$(field error)" "without being asked" "adopted crash error"
# Its status is known while it is a zombie or on Linux >= 6.15 (pidfd);
# otherwise the agent says it does not know rather than guess.
sig=$(field signal)
[ "$sig" = 9 ] || assert_contains "$(field error)" "exit status unknown" "adopted crash: signal '$sig'"

note "stop of an adopted runtime"
start_runtime a2 "$port"
pid=$(field pid)
stop_agent KILL
start_agent "$T/a"
send STOP b1
assert_eq OK "$(field command)" "stop of adopted runtime: $R"
assert_eq stopped "$(field state)" "stopped"
dead "$pid" || fail "adopted runtime alive after stop"

note "stale record: runtime gone while the agent was down"
start_runtime a3 "$port"
pid=$(field pid)
stop_agent KILL
kill -9 "$pid"
wait_for 5 dead "$pid"
start_agent "$T/a"
send STATUS s3
assert_eq failed "$(field state)" "stale record"
assert_eq "" "$(field pid)" "no pid for a gone runtime"
assert_contains "$(field error)" "ended while the agent was down" "honest error"
assert_eq 3 "$(field starts)" "starts kept"

note "a stop cut short by the agent's death, then repeated"
start_runtime a4 "$port" env.FAKE_CHI_IGNORE_TERM=1
pid=$(field pid)
kill -STOP "$pid"                   # wedged: the stop takes the full escalation
"$TBIN/wrp-send" -t 200 "$AGENT_EP" STOP b4 >/dev/null 2>&1 || true
stop_agent KILL
alive "$pid" || fail "runtime ended before the test could restart the agent"
start_agent "$T/a"
running_s4 () { send STATUS s4; [ "$(field state)" = running ]; }
wait_for 30 running_s4
assert_eq running "$(field state)" "interrupted stop: the runtime still runs"
SEND_TIMEOUT=30000 send STOP b4
assert_eq OK "$(field command)" "repeated stop: $R"
dead "$pid" || fail "runtime alive after the repeated stop"
echo "restart ok"
