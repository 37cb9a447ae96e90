#!/usr/bin/env bash
# Trust in the files that decide who may command the agent, checked as ssh
# does with a real second local user (made here): the authorized-keys
# directory and each key file must be owned by root or the agent's user and
# not writable by group or others, key files regular files; the agent's
# config and key files likewise. What fails is refused and logged.
. "$(dirname "$0")/lib.sh"
need_root
command -v useradd >/dev/null || skip "needs useradd (passwd)"
command -v runuser >/dev/null || skip "needs runuser (util-linux)"
[ -x "$BIN/wrp-controller" ] || fail "no $BIN/wrp-controller (make first)"

intruder=wrpx$$
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$intruder" || skip "cannot add a local user"
at_exit "userdel $intruder 2>/dev/null"

k=$T/keys
for name in agent controller; do
    "$BIN/wrp-controller" keygen "$k/$name.key" >/dev/null || fail "keygen $name"
done
chmod 755 "$T" "$k"
chmod 644 "$k"/*.key
runuser -u "$intruder" -- "$BIN/wrp-controller" keygen "$T/ikeys/intruder.key" >/dev/null 2>&1 \
    || { mkdir -p "$T/ikeys"; chmod 777 "$T/ikeys"; runuser -u "$intruder" -- \
         "$BIN/wrp-controller" keygen "$T/ikeys/intruder.key" >/dev/null || fail "keygen intruder"; }
# The controller below runs as root: a root-owned copy of the intruder's pair.
cp -r "$T/ikeys" "$T/ikeys-root"
chown -R root "$T/ikeys-root"
mkdir -p "$T/authorized" "$T/shm"
chmod 755 "$T/authorized"
cp "$k/controller.key" "$T/authorized/controller.pub"
curve_agent keys "$k"
refused () {
    run_cmd out rc ctl "$1" status
    assert_eq 2 "$rc" "$2: exit code ($out)"
    assert_contains "$out" "not authorized" "$2"
}
accepted () {
    run_cmd out rc ctl "$1" status
    assert_eq 0 "$rc" "$2: $out"
}

accepted "$k/controller.key" "authorized controller"

note "directory writable by everybody: another user drops a key"
chmod 777 "$T/authorized"
runuser -u "$intruder" -- cp "$T/ikeys/intruder.key" "$T/authorized/intruder.pub"
refused "$T/ikeys-root/intruder.key" "intruder's key in a 0777 directory"
refused "$k/controller.key" "any key in a 0777 directory"
wait_for 5 grep -q "authorized.*writable by group or others" "$T/agent.log"

note "directory fixed; the intruder's file stays, owned by them"
chmod 755 "$T/authorized"
accepted "$k/controller.key" "authorized controller after chmod"
refused "$T/ikeys-root/intruder.key" "key file owned by another user"
wait_for 5 grep -q "intruder.pub.*owned by" "$T/agent.log"

note "a key file writable by others; a symlink"
rm -f "$T/authorized/intruder.pub"
cp "$T/ikeys/intruder.key" "$T/authorized/open.pub"
chmod 666 "$T/authorized/open.pub"
refused "$T/ikeys-root/intruder.key" "world-writable key file"
wait_for 5 grep -q "open.pub.*writable by group or others" "$T/agent.log"
rm -f "$T/authorized/open.pub"
ln -s "$T/ikeys/intruder.key" "$T/authorized/link.pub"
refused "$T/ikeys-root/intruder.key" "key file behind a symlink"
kill -9 $apid

# agent_refuses WHAT NEEDLE ARGS...: the agent must exit non-zero at once
# and name NEEDLE.
agent_refuses () {
    local what=$1 needle=$2
    shift 2
    run_cmd out rc timeout 10 "$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$(free_port)" \
        --state-dir "$T/state2" --shm-dir "$T/shm" "$@"
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "$what: agent did not refuse (rc $rc): $out"
    assert_contains "$out" "$needle" "$what"
}

note "agent config writable by others, or owned by another user"
printf 'log_level: info\n' > "$T/agentd.yaml"
chmod 666 "$T/agentd.yaml"
agent_refuses "world-writable config" "writable by group or others" -c "$T/agentd.yaml" --insecure
chmod 644 "$T/agentd.yaml"
chown "$intruder" "$T/agentd.yaml"
agent_refuses "config owned by another user" "owned by" -c "$T/agentd.yaml" --insecure
chown root "$T/agentd.yaml"

note "agent key files owned by another user"
chown "$intruder" "$k/agent.key"
agent_refuses "public key owned by another user" "owned by" --key "$k/agent.key" \
    --authorized-keys "$T/authorized"
chown root "$k/agent.key"
chown "$intruder" "$k/agent.key_secret"
agent_refuses "secret key owned by another user" "owned by" --key "$k/agent.key" \
    --authorized-keys "$T/authorized"
chown root "$k/agent.key_secret"
chmod 777 "$T/authorized"
agent_refuses "authorized-keys directory writable by others" "writable by group or others" \
    --key "$k/agent.key" --authorized-keys "$T/authorized"
echo "keydir ok"
