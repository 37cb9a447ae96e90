#!/usr/bin/env bash
# The runtime failing in every way the real one can, and requests the agent
# must refuse: exit at start (FATAL line), never ready (timeout, killed),
# crash (SIGSEGV noticed at once), SIGTERM ignored on stop (bounded), loader
# variables, bad pipeline names, ports already taken, missing binary.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

mkdir -p "$T/a"
printf 'stop_timeout_ms: 300\n' > "$T/a/agentd.yaml"
start_agent "$T/a"
port=$(runtime_port)

note "runtime exits at start (no modules) -> failed with its exit code and error line"
start_runtime f1 "$port" env.FAKE_CHI_FAIL_AT_START=3
assert_eq ERROR "$(field command)" "failing start"
assert_eq FAILED "$(field code)" "code"
assert_eq failed "$(field state)" "state"
assert_eq 3 "$(field exit_code)" "exit code"
assert_contains "$(field error)" "ChiMod 'chimaera_admin' not found" "error names the runtime's error line"
assert_contains "$(field output)" "Created shared memory" "output holds the runtime's last lines"
send STATUS s1
assert_eq failed "$(field state)" "failed stays failed"
assert_contains "$(field error)" "exited with code 3" "status error"

note "never ready -> TIMEOUT, process gone"
start_runtime f2 "$port" env.FAKE_CHI_NEVER_READY=1 timeout_ms=400
assert_eq TIMEOUT "$(field code)" "never ready: $R"
assert_eq failed "$(field state)" "state after timeout"
assert_eq "" "$(field pid)" "no pid after timeout"
grep -q "not serving on 127.0.0.1:$((port + 1)) in time; killing it" "$T/a/agent.log" || fail "timeout not logged"
pid=$(grep -o 'started .* (pid [0-9]*)' "$T/a/agent.log" | tail -n 1 | grep -o '[0-9]*)$' | tr -d ')')
dead "$pid" || fail "timed-out runtime $pid still alive"

note "crash -> failed, signal 11, noticed promptly"
# (It must outlive the start's settle time, up to twice its time to listen.)
start_runtime f3 "$port" env.FAKE_CHI_CRASH_AFTER_MS=2000
assert_eq running "$(field state)" "crashing runtime first runs"
pid=$(field pid)
wait_for 10 dead "$pid"
t0=$(date +%s%N)
crash_wait () { send STATUS s; [ "$(field state)" = failed ]; }
wait_for 5 crash_wait
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "crash noticed after $ms ms"
assert_eq 11 "$(field signal)" "crash signal"
assert_contains "$(field error)" "without being asked" "crash error"

note "stop against a runtime ignoring SIGTERM -> gone in bounded time"
start_runtime f4 "$port" env.FAKE_CHI_IGNORE_TERM=1
pid=$(field pid)
# SIGTERM is ignored, but the stop binary's request still ends it (abort).
t0=$(date +%s%N)
send STOP f4s
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq OK "$(field command)" "stop: $R"
dead "$pid" || fail "runtime alive after stop"
[ "$ms" -lt 3000 ] || fail "stop took $ms ms"

note "SIGTERM ignored and no stop request honoured -> SIGKILL"
start_runtime f5 "$port" env.FAKE_CHI_IGNORE_TERM=1
pid=$(field pid)
kill -STOP "$pid"        # a wedged runtime: nothing it could do helps
t0=$(date +%s%N)
send STOP f5s
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq OK "$(field command)" "stop of a wedged runtime: $R"
assert_eq 9 "$(field signal)" "ended by SIGKILL"
dead "$pid" || fail "wedged runtime alive after stop"
[ "$ms" -ge 500 ] && [ "$ms" -lt 3000 ] || fail "escalation took $ms ms (2 steps of 300 ms expected)"
grep -q "runtime pid $pid: SIGTERM to its process group" "$T/a/agent.log" || fail "no SIGTERM step"
grep -q "runtime pid $pid: SIGKILL to its process group" "$T/a/agent.log" || fail "no SIGKILL step"

note "LD_PRELOAD -> REFUSED, nothing written"
send CLEAN cl1
send START r1 pipeline=evil config=@"$(runtime_conf "$port")" port="$port" env.LD_PRELOAD=/tmp/x.so
assert_eq REFUSED "$(field code)" "LD_PRELOAD"
assert_contains "$(field text)" "LD_PRELOAD" "text names the variable"
[ ! -e "$T/a/state/pipelines/evil" ] || fail "refused start wrote files"
send START r2 pipeline=evil config=@"$(runtime_conf "$port")" port="$port" env.LD_AUDIT=/tmp/x.so
assert_eq REFUSED "$(field code)" "LD_AUDIT"

note "pipeline ../../etc -> REFUSED"
send START r3 pipeline=../../etc config=@"$(runtime_conf "$port")" port="$port"
assert_eq REFUSED "$(field code)" "path pipeline name"
send START r4 pipeline=.. config=@"$(runtime_conf "$port")" port="$port"
assert_eq REFUSED "$(field code)" "dot-dot pipeline name"
send START r5 pipeline=ok config=x
assert_eq BAD_REQUEST "$(field code)" "missing port"
assert_contains "$(field text)" "port" "text names the field"
ls "$T/a/state/pipelines" | grep -q . && fail "refused starts wrote files: $(ls "$T/a/state/pipelines")"

note "port taken -> BUSY naming the port and the holder"
python3 -c "
import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port + 1)); s.listen(1); print('ready', flush=True); time.sleep(60)" > "$T/holder.out" &
holder=$!
at_exit "kill -9 $holder 2>/dev/null"
wait_for 30 grep -q ready "$T/holder.out"
start_runtime b1 "$port"
assert_eq BUSY "$(field code)" "port taken: $R"
assert_contains "$(field text)" "port $((port + 1))" "text names the port"
assert_contains "$(field text)" "pid $holder" "text names the holder"
assert_eq stopped "$(field state)" "nothing started"
assert_eq "" "$(field pid)" "no runtime after BUSY"
kill -9 $holder
wait $holder 2>/dev/null || true    # gone, and its port with it
start_runtime b1 "$port"
assert_eq running "$(field state)" "BUSY is not recorded: same id retried later runs"
send KILL bk

note "missing start binary -> NOT_FOUND"
stop_agent
printf 'start_binary: /nonexistent/chimaera_start_runtime\n' > "$T/a/agentd.yaml"
start_agent "$T/a"
start_runtime n1 "$port"
assert_eq NOT_FOUND "$(field code)" "missing binary"
assert_contains "$(field text)" "/nonexistent/chimaera_start_runtime" "text names the binary"
assert_contains "$(field text)" "set start_binary in $T/a/agentd.yaml" "text names the file and key to set"
echo "failures ok"
