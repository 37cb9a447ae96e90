#!/usr/bin/env bash
# A tampered state dir: a pipeline directory that is a symlink out of it
# (START must not write through it, CLEAN must not unlink through it), a
# forged agent.state naming an unrelated process (never adopted: KILL must
# not touch it), a garbage agent.state (reset with a warning), and a state
# dir that others can write or that another user owns (refused).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
command -v useradd >/dev/null || skip "needs useradd (passwd)"
other=wrpt$$
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$other" || skip "cannot add a local user"
at_exit "userdel $other 2>/dev/null"

note "a pipeline directory that is a symlink"
start_agent "$T/a"
mkdir -p "$T/outside"
for f in hostfile chimaera_config.yaml runtime.log; do echo precious > "$T/outside/$f"; done
mkdir -p "$T/a/state/pipelines"
ln -s "$T/outside" "$T/a/state/pipelines/p4"
port=$(runtime_port)
send START l1 pipeline=p4 config=@"$(runtime_conf "$port")" hostfile=@/dev/null port="$port" \
    env.WRP_TEST_MARK="$WRP_TEST_MARK"
assert_eq ERROR "$(field command)" "START through a symlinked pipeline dir"
for f in hostfile chimaera_config.yaml runtime.log; do
    assert_eq precious "$(cat "$T/outside/$f")" "START wrote $f through the link"
done
send CLEAN c1 pipeline=p4
for f in hostfile chimaera_config.yaml runtime.log; do
    [ -f "$T/outside/$f" ] || fail "CLEAN unlinked $f through the link"
done
stop_agent

note "a forged agent.state naming an unrelated process"
setsid sleep 1000 &
victim=$!
at_exit "kill -9 $victim 2>/dev/null"
wait_for 5 test -r /proc/$victim/stat
st=$(awk '{print $22}' /proc/$victim/stat)
printf 'pid=%d\nstart_time=%s\nstarted_at_ms=1\npipeline=testpipe\ngeneration=1\nsha256=\nstarts=1\nport=%d\nstate=running\nexit_code=-1\nsignal=0\nstop_requested=0\nerror=\n' \
    "$victim" "$st" "$port" > "$T/a/state/agent.state"
start_agent "$T/a"
send STATUS s1
assert_not_contains "$(field pid)" "$victim" "the forged pid was adopted"
send KILL k1
alive "$victim" || fail "KILL killed an unrelated process named by a forged agent.state"
grep -q "warning:.*agent.state" "$T/a/agent.log" || fail "no warning about the forged record"
stop_agent

note "a garbage agent.state"
head -c 300 /dev/urandom > "$T/a/state/agent.state"
start_agent "$T/a"
send STATUS s2
assert_eq stopped "$(field state)" "garbage record reset"
wait_for 5 grep -q "warning:.*agent.state.*reset" "$T/a/agent.log"
stop_agent

# refused WHAT: the agent must refuse the state dir at start, naming it.
refused () {
    run_cmd out rc timeout 10 nsenter --mount=/proc/$NS_PID/ns/mnt -- "$BIN/wrp-agentd" \
        -c "$T/a/agentd.yaml" --insecure --endpoint "tcp://127.0.0.1:$(free_port)" \
        --state-dir "$T/a/state"
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "$1: not refused (rc $rc): $out"
    assert_contains "$out" "$T/a/state" "$1: names the state dir"
}
note "a state dir others can write"
chmod 777 "$T/a/state"
refused "state dir 0777"
chmod 700 "$T/a/state"
note "a state dir owned by another user"
chown "$other" "$T/a/state"
refused "state dir owned by another user"
chown root "$T/a/state"
echo "statedir ok"
