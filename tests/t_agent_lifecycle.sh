#!/usr/bin/env bash
# Agent lifecycle over real sockets: status, start (environment, pushed
# config), start twice (noop), repeated id, stop (process gone, segments
# left), clean (removed list, symlink not followed), clean while running,
# kill.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

start_agent "$T/a"
send STATUS s1
assert_eq OK "$(field command)" "status command"
assert_eq stopped "$(field state)" "initial state"
assert_eq testnode "$(field node)" "node name"
assert_eq "$T/a/state" "$(field state_dir)" "state_dir"
assert_contains "$R" "agent_version=" "agent_version"

note "start -> running"
port=$(runtime_port)
start_runtime a1 "$port" env.CHI_REPO_PATH=/opt/chi/lib
assert_eq OK "$(field command)" "start: $R"
assert_eq running "$(field state)" "state after start"
pid=$(field pid)
[ -n "$pid" ] && alive "$pid" || fail "runtime pid '$pid' not alive"
assert_eq 1 "$(field starts)" "starts"
assert_eq testpipe "$(field pipeline)" "pipeline"
assert_eq 1 "$(field generation)" "generation"
conf=$T/conf-$port.yaml
assert_eq "$(sha256sum < "$conf" | cut -d' ' -f1)" "$(field sha256)" "sha256 of the config"
env=$(tr '\0' '\n' < /proc/$pid/environ)
pushed=$(printf '%s\n' "$env" | sed -n 's/^CHI_SERVER_CONF=//p')
assert_eq "$T/a/state/pipelines/testpipe/chimaera_config.yaml" "$pushed" "CHI_SERVER_CONF"
cmp -s "$conf" "$pushed" || fail "pushed config differs from the bytes sent"
assert_contains "$env" "USER=$(id -un)" "USER in the runtime's environment"
assert_contains "$env" "CHI_REPO_PATH=/opt/chi/lib" "forwarded variable"
# Own process group, so a kill of the group never reaches the agent.
assert_eq "$pid" "$(awk '{print $5}' /proc/$pid/stat)" "runtime is its own process group leader"
shm=$(field shm)
assert_contains "$shm" "chi_main_segment_$(id -un)	1064960" "main segment (1M + 16K) in status"
[ -f "$SHM/chi_main_segment_$(id -un)" ] || fail "segment not in the agent's /dev/shm"

note "start again -> noop"
start_runtime a2 "$port"
assert_eq OK "$(field command)" "second start"
assert_eq 1 "$(field noop)" "noop flag"
assert_eq "$pid" "$(field pid)" "same pid"
assert_eq 1 "$(field starts)" "starts unchanged"

note "repeated id -> answered from the record"
start_runtime a1 "$port"
assert_eq OK "$(field command)" "repeat"
assert_eq 1 "$(field starts)" "repeat did not start again"
assert_eq "" "$(field noop)" "repeat carries the original reply (no noop)"
grep -q "START a1: repeated; answered from the record" "$T/a/agent.log" || fail "repeat not logged"

note "clean while running -> refused"
send CLEAN c0
assert_eq ERROR "$(field command)" "clean while running"
assert_eq REFUSED "$(field code)" "clean refusal code"
[ -f "$SHM/chi_main_segment_$(id -un)" ] || fail "refused clean removed a segment"

note "stop -> process gone, segments left"
send STOP b1
assert_eq OK "$(field command)" "stop: $R"
assert_eq stopped "$(field state)" "state after stop"
dead "$pid" || fail "runtime $pid still alive after stop replied"
assert_eq 6 "$(field signal)" "stand-in runtime ends by SIGABRT on a stop request"
assert_eq "" "$(field pid)" "no pid once stopped"
[ -f "$SHM/chi_main_segment_$(id -un)" ] || fail "stop removed the segments"
send STOP b2
assert_eq OK "$(field command)" "stop when stopped"

note "clean -> chi_* gone, links not followed, others kept"
echo precious > "$T/target"
ln -s "$T/target" "$SHM/chi_evil"
echo other > "$SHM/not_ours"
mkdir "$SHM/chi_dir"
send CLEAN c1
assert_eq OK "$(field command)" "clean: $R"
removed=$(field removed)
assert_contains "$removed" "/dev/shm/chi_main_segment_$(id -un)	1064960" "removed segment listed"
assert_contains "$removed" "/dev/shm/chi_evil	0" "removed link listed"
assert_contains "$removed" "$T/a/state/pipelines/testpipe/chimaera_config.yaml" "removed config listed"
assert_contains "$removed" "$T/a/state/pipelines/testpipe/runtime.log" "removed log listed"
assert_not_contains "$removed" "not_ours" "clean touched another file"
assert_eq precious "$(cat "$T/target")" "symlink target intact"
[ ! -e "$SHM/chi_evil" ] && [ ! -L "$SHM/chi_evil" ] || fail "chi_evil link still there"
[ -f "$SHM/not_ours" ] || fail "not_ours removed"
[ -d "$SHM/chi_dir" ] || fail "a chi_* directory was removed"
ls "$SHM" | grep -q '^chi_.*segment' && fail "segments left after clean"
[ ! -e "$T/a/state/pipelines/testpipe" ] || fail "pipeline dir left"

note "kill -> SIGKILL to the group"
start_runtime a3 "$port"
assert_eq running "$(field state)" "restart after clean"
pid=$(field pid)
assert_eq 2 "$(field starts)" "starts counts"
send KILL k1
assert_eq OK "$(field command)" "kill: $R"
assert_eq stopped "$(field state)" "state after kill"
assert_eq 9 "$(field signal)" "killed by SIGKILL"
dead "$pid" || fail "runtime $pid alive after kill"
send KILL k2
assert_eq OK "$(field command)" "kill with nothing to kill"
echo "lifecycle ok"
