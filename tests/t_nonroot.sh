#!/usr/bin/env bash
# Without root: an unprivileged user made by the test runs wrp-agentd and
# wrp-controller from its home directory, keys in ~/.wrp, the state under
# its own directory (as `srun wrp-agentd ...` would on an allocation). The
# runtime runs as that user and its segments are named after it; status
# lists only that user's segments and clean removes only those: a segment
# of another user (root's) in the same /dev/shm is neither shown nor
# touched. The runtime's environment is agentd.yaml's env plus what the
# controller forwards that env does not set, nothing of the agent's own.
# The agent gets a private /dev/shm (a mount namespace) so the machine's is
# not involved.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to create the test's user"
for tool in useradd userdel setpriv unshare nsenter; do
    command -v $tool >/dev/null || skip "no $tool"
done
[ -x "$TBIN/chimaera_start_runtime" ] || fail "no $TBIN/chimaera_start_runtime"

U=wrpnr$(printf '%05d' $((RANDOM % 100000)))
H=$(mktemp -d /tmp/wrp-nonroot.XXXXXX)
at_exit "rm -rf '$H'"
useradd --home-dir "$H" --no-create-home --shell /bin/sh --user-group "$U"
at_exit "userdel '$U' 2>/dev/null"
chown "$U:" "$H"
chmod 0700 "$H"

# as_user CMD...: CMD as the user, with its own environment only.
as_user () {
    setpriv --reuid="$U" --regid="$U" --init-groups -- \
        env -i HOME="$H" USER="$U" LOGNAME="$U" PATH="$H/bin:/usr/bin:/bin" \
        WRP_PIPELINE_PATH="$H/pipelines" "$@"
}
as_user mkdir -p "$H/bin" "$H/pipelines"
install -o "$U" -m 0755 "$BIN/wrp-agentd" "$BIN/wrp-controller" "$TBIN/chimaera_start_runtime" \
    "$TBIN/chimaera_stop_runtime" "$H/bin/"
install -o "$U" -m 0644 "$WRP_TOP/pipelines/basic_runtime.yaml" "$H/pipelines/"

note "keys in ~/.wrp, made by the user"
as_user wrp-controller keygen "$H/.wrp/agent.key" >/dev/null
as_user wrp-controller keygen "$H/.wrp/controller.key" >/dev/null
as_user mkdir -p "$H/.wrp/authorized_keys"
as_user cp "$H/.wrp/controller.key" "$H/.wrp/authorized_keys/"
assert_eq "600 $U" "$(stat -c '%a %U' "$H/.wrp/agent.key_secret")" "agent secret key"

# Ports: the agent's, and the runtime's port and port+1, all free now.
read -r agent_port rt_port < <(python3 - <<'PY'
import socket, random
def free(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind(("127.0.0.1", p)); return True
    except OSError: return False
    finally: s.close()
a = next(p for p in iter(lambda: random.randint(20000, 40000), 0) if free(p))
r = next(p for p in iter(lambda: random.randint(40001, 60000), 0) if free(p) and free(p + 1))
print(a, r)
PY
)

note "the agent as $U, with a private /dev/shm holding root's segment"
cat >"$T/agent.sh" <<EOF
mount -t tmpfs -o mode=1777,size=4g wrp-shm /dev/shm
echo root >/dev/shm/chi_main_segment_root
exec setpriv --reuid=$U --regid=$U --init-groups -- env -i HOME=$H USER=$U LOGNAME=$U \
    PATH=$H/bin:/usr/bin:/bin WRP_AGENT_ONLY=yes wrp-agentd -c $H/.wrp/agentd.yaml --endpoint tcp://127.0.0.1:$agent_port \
    --state-dir $H/.wrp/agent --key $H/.wrp/agent.key --authorized-keys $H/.wrp/authorized_keys
EOF
# The runtime's environment is the file's env (plus what the controller
# forwards that env does not set), not the agent's own.
printf 'env:\n  PATH: %s/bin:/usr/bin:/bin\n  WRP_FROM_FILE: yes\n  CHI_REPO_PATH: /file/lib\n' "$H" |
    as_user sh -c "cat >'$H/.wrp/agentd.yaml'"
unshare --mount --propagation private bash "$T/agent.sh" >"$T/agent.log" 2>&1 &
agent=$!
at_exit "kill $agent 2>/dev/null; cat '$T/agent.log' | tail -n 20"
wait_for 20 grep -q 'serving on' "$T/agent.log"
assert_eq "$U" "$(ps -o user= -p $agent)" "the agent's user"
in_ns () { nsenter --target $agent --mount -- "$@"; }
runtime_pid=
at_exit '[ -z "$runtime_pid" ] || kill -9 "$runtime_pid" 2>/dev/null'

CTL=(wrp-controller -H "$H/hosts" --port "$agent_port" --agent-key "$H/.wrp/agent.key")
echo 127.0.0.1 | as_user sh -c "cat >'$H/hosts'"
as_user "${CTL[@]}" ppl load basic_runtime >/dev/null
as_user "${CTL[@]}" pkg conf runtime port=$rt_port >/dev/null

note "start: the runtime runs as $U, its segments named after $U"
run_cmd out rc as_user env CHI_REPO_PATH=/controller/lib LD_LIBRARY_PATH=/controller/lib "${CTL[@]}" start
[ "$rc" = 0 ] || fail "start: $out"
json=$(as_user "${CTL[@]}" status --json)
runtime_pid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][0]["runtime"]["pid"])' <<<"$json")
assert_eq "$U" "$(ps -o user= -p "$runtime_pid")" "the runtime's user"
renv=$(tr '\0' '\n' <"/proc/$runtime_pid/environ")
assert_contains "$renv" "WRP_FROM_FILE=yes" "the file's env"
assert_not_contains "$renv" "WRP_AGENT_ONLY" "the agent's own environment"
assert_contains "$renv" "CHI_REPO_PATH=/file/lib" "the file's value over the forwarded one"
assert_contains "$renv" "LD_LIBRARY_PATH=/controller/lib" "a forwarded variable the file does not set"
assert_contains "$renv" "USER=$U" "USER"
assert_eq "$U" "$(in_ns stat -c %U "/dev/shm/chi_main_segment_$U")" "owner of chi_main_segment_$U"
assert_contains "$json" "chi_main_segment_$U" "status lists the user's segment"
assert_not_contains "$json" "chi_main_segment_root" "status lists another user's segment"
[ -d "$H/.wrp/agent/pipelines/basic_runtime" ] || fail "no state under $H/.wrp/agent"

note "stop, clean: only $U's segments go"
run_cmd out rc as_user "${CTL[@]}" stop
[ "$rc" = 0 ] || fail "stop: $out"
runtime_pid=
run_cmd out rc as_user "${CTL[@]}" clean
[ "$rc" = 0 ] || fail "clean: $out"
assert_contains "$out" "removed" "clean"
in_ns sh -c "! ls /dev/shm/chi_*_$U 2>/dev/null" || fail "clean left $U's segments: $(in_ns ls /dev/shm)"
assert_eq root "$(in_ns cat /dev/shm/chi_main_segment_root)" "root's segment is untouched"
echo "nonroot ok"
