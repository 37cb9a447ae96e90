# Helpers for the agent tests (tests/t_agent_*.sh). Source after lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/agent_lib.sh"
#
# Every agent of a test runs inside one private mount namespace with its
# own tmpfs on /dev/shm (made by a holder process), so the runtime's
# segments are the test's alone; a restarted agent joins the same namespace.
# The test reads that /dev/shm as $SHM (/proc/HOLDER/root/dev/shm).
# Agents run --insecure on a free loopback port, with the stand-in runtime
# first on PATH. Everything started is killed at exit: the agents by pid,
# runtimes by a marker variable only this test's processes carry.

need_root
command -v unshare >/dev/null || skip "needs unshare (util-linux)"
command -v nsenter >/dev/null || skip "needs nsenter (util-linux)"
[ -x "$BIN/wrp-agentd" ] || fail "no $BIN/wrp-agentd: run make"
for p in chimaera_start_runtime chimaera_stop_runtime wrp-send; do
    [ -x "$TBIN/$p" ] || fail "no $TBIN/$p: run make $TBIN/$p"
done

WRP_TEST_MARK="wrp-test-$$-$RANDOM"
export WRP_TEST_MARK

# The namespace holder: a sleeping process owning the private /dev/shm.
unshare --mount --propagation private sh -c \
    'mount -t tmpfs -o size=64m tmpfs /dev/shm && exec sleep 100000' &
NS_PID=$!
at_exit "kill -9 $NS_PID 2>/dev/null"
wait_for 5 grep -q ' /dev/shm tmpfs ' /proc/$NS_PID/mounts
SHM=/proc/$NS_PID/root/dev/shm

# Kill every process carrying this test's marker (runtimes, stop binaries).
_kill_marked () {
    local p
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" != "$$" ] || continue
        if { tr "\0" "\n" < "$p/environ"; } 2>/dev/null | grep -qx "WRP_TEST_MARK=$WRP_TEST_MARK"; then
            kill -9 "${p#/proc/}" 2>/dev/null
        fi
    done
    return 0
}
at_exit _kill_marked
# On failure, show the end of each agent's log ($rc: the exit code lib.sh keeps).
at_exit '[ "${rc:-0}" = 0 ] || for l in "$T"/*/agent.log; do [ -f "$l" ] && { echo "--- $l"; tail -n 25 "$l"; }; done'

AGENT_PID=
AGENT_PORT=
AGENT_EP=
AGENT_DIR=

# start_agent DIR [agent args...]: starts an agent with state in DIR/state,
# config DIR/agentd.yaml (created empty unless it exists), log DIR/agent.log
# (appended), on AGENT_PORT (picked once per DIR). Waits until it answers.
# Extra environment for the agent: AGENT_ENV (words NAME=value).
start_agent () {
    AGENT_DIR=$1
    shift
    mkdir -p "$AGENT_DIR"
    [ -f "$AGENT_DIR/agentd.yaml" ] || : > "$AGENT_DIR/agentd.yaml"
    [ -f "$AGENT_DIR/port" ] || free_port > "$AGENT_DIR/port"
    AGENT_PORT=$(cat "$AGENT_DIR/port")
    AGENT_EP=tcp://127.0.0.1:$AGENT_PORT
    # shellcheck disable=SC2086
    nsenter --mount=/proc/$NS_PID/ns/mnt -- env PATH="$TBIN:$PATH" ${AGENT_ENV:-} \
        "$BIN/wrp-agentd" -c "$AGENT_DIR/agentd.yaml" --insecure --endpoint "$AGENT_EP" \
        --state-dir "$AGENT_DIR/state" --node-name testnode "$@" \
        >> "$AGENT_DIR/agent.log" 2>&1 &
    AGENT_PID=$!
    at_exit "kill -9 $AGENT_PID 2>/dev/null"
    wait_for 10 "$TBIN/wrp-send" -t 500 "$AGENT_EP" STATUS -
}

# stop_agent [SIGNAL]: signals the agent (default KILL) and waits for it.
stop_agent () {
    kill -"${1:-KILL}" "$AGENT_PID" 2>/dev/null || true
    wait "$AGENT_PID" 2>/dev/null || true
}

# send CMD ID [KEY=VALUE...]: one message to the agent; the reply in $R.
send () {
    R=$("$TBIN/wrp-send" -t "${SEND_TIMEOUT:-15000}" "$AGENT_EP" "$@") \
        || fail "no reply to $* (agent log: $(tail -n 5 "$AGENT_DIR/agent.log"))"
}

# field KEY: the value of KEY in $R (several lines for a list).
field () {
    printf '%s\n' "$R" | sed -n "s/^$1=//p"
}

# runtime_conf PORT: a minimal chimaera config on PORT, in $T/conf-PORT.yaml.
runtime_conf () {
    local f=$T/conf-$1.yaml
    printf 'memory:\n  main_segment_size: 1M\n  client_data_segment_size: 1M\n  runtime_data_segment_size: 1M\nnetworking:\n  port: %d\n' "$1" > "$f"
    echo "$f"
}

# start_runtime ID PORT [KEY=VALUE...]: START on the agent with the
# test marker forwarded.
start_runtime () {
    local id=$1 port=$2
    shift 2
    send START "$id" pipeline=testpipe generation=1 config=@"$(runtime_conf "$port")" \
        port="$port" env.WRP_TEST_MARK="$WRP_TEST_MARK" "$@"
}

# A port pair (P, P+1) nobody uses.
runtime_port () {
    local p
    while :; do
        p=$(free_port)
        [ "$p" -lt 65000 ] || continue
        python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $p + 1))" 2>/dev/null \
            && { echo "$p"; return; }
    done
}

alive () { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
dead () { ! alive "$1"; }
