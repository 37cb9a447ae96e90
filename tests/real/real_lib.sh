# Helpers of the real-runtime suite (tests/real/t_real_*.sh): the nodes of
# tests/netns.sh, every agent pointed at the real Chimaera runtime built by
# `make check-real` (tests/real/build.sh) through its config file, and the
# controller forwarding CHI_REPO_PATH and LD_LIBRARY_PATH to the runtimes.
# Source after lib.sh and netns.sh:
#
#   . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../netns.sh"
#   . "$(dirname "$0")/real_lib.sh"
#   real_pipeline "$T/p.yaml"          # small sparse segments, one port
#   netns_up 8
#   rctl start                         # the controller, runtime env forwarded
#
# Skips (exit 77) when the real runtime is not built.

REAL=${WRP_REAL_PREFIX:-$WRP_TOP/build/real/prefix}
[ -x "$REAL/bin/chimaera_start_runtime" ] && [ -x "$REAL/bin/chimaera_stop_runtime" ] ||
    skip "no real runtime in $REAL (make check-real builds it)"
REAL_LIB=$REAL/lib
unset CHI_REPO_PATH LD_LIBRARY_PATH     # only what a test forwards reaches a runtime
REAL_PORT=${REAL_PORT:-6555}            # the runtime's port (and port+1) on every node
REAL_USER=${USER:-root}                 # the agent gives the runtime its own user
REAL_SEGMENTS="chi_client_data_segment_$REAL_USER chi_main_segment_$REAL_USER chi_runtime_data_segment_$REAL_USER"

# real_agent_conf [YAML LINES...]: the agents' config file (real binaries,
# plus the lines given), used by every agent netns_up starts afterwards.
real_agent_conf () {
    {
        echo "start_binary: $REAL/bin/chimaera_start_runtime"
        echo "stop_binary: $REAL/bin/chimaera_stop_runtime"
        printf '%s\n' "$@"
    } >"$T/agentd.yaml"
    NETNS_AGENT_ARGS="-c $T/agentd.yaml"
}
real_agent_conf

# real_pipeline FILE [EXTRA YAML LINES...]: a pipeline named "real" with
# segments of 32M/8M/8M (sparse) on REAL_PORT.
real_pipeline () {
    local file=$1
    shift
    {
        echo "name: real"
        echo "pkgs:"
        echo "  - pkg_type: jarvis_wrp_runtime.wrp_runtime"
        echo "    pkg_name: runtime"
        echo "    port: $REAL_PORT"
        echo "    low_latency_workers: 2"
        echo "    high_latency_workers: 1"
        echo "    main_segment_size: 32M"
        echo "    client_data_segment_size: 8M"
        echo "    runtime_data_segment_size: 8M"
        local line
        for line in "$@"; do echo "    $line"; done
    } >"$file"
}

# rctl ARGS...: the controller against the nodes (or the hostfile
# REAL_HOSTS), forwarding the real runtime's library and module paths (set
# REAL_CTL_ENV to replace them).
rctl () {
    # shellcheck disable=SC2086
    env -u CHI_REPO_PATH -u LD_LIBRARY_PATH ${REAL_CTL_ENV-CHI_REPO_PATH=$REAL_LIB LD_LIBRARY_PATH=$REAL_LIB} \
        "$BIN/wrp-controller" -H "${REAL_HOSTS:-$NETNS_HOSTFILE}" --port "$NETNS_PORT" --insecure "$@"
}

# real_log I: node I's runtime output (the agent keeps it per pipeline).
real_log () {
    cat "${NETNS_STATE[$1]}/pipelines/real/runtime.log" 2>/dev/null
}

# real_field JSON_FILE HOST EXPR: one value of status --json for a node
# (a Python expression over n, the node's object).
real_field () {
    python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for n in d["nodes"]:
    if n["host"] == sys.argv[2]:
        v = eval(sys.argv[3], {"n": n})
        print("" if v is None else v)
PY
}

# real_is_real PID: the process runs the real runtime binary.
real_is_real () {
    [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$REAL/bin/chimaera_start_runtime" ]
}

# real_gone PID: the process is gone (or a zombie: a runtime adopted across
# an agent restart is reaped by whoever inherited it, maybe never).
real_gone () { ! _netns_alive "$1"; }

# real_listens I PORT: something listens on PORT in node I's namespace.
real_listens () {
    ip netns exec "${NETNS_NS[$1]}" ss -Htln "sport = :$2" 2>/dev/null | grep -q LISTEN
}

# On failure, show the end of each node's agent log and runtime output.
declare -a NETNS_NS    # (none when a test makes no nodes)
at_exit '[ "${rc:-0}" = 0 ] || for ((_i = 1; _i <= ${#NETNS_NS[@]}; _i++)); do
    echo "--- node $_i agent"; tail -n 15 "${NETNS_DIR[$_i]}/agent.log" 2>/dev/null
    echo "--- node $_i runtime"; tail -n 8 "${NETNS_STATE[$_i]}/pipelines/real/runtime.log" 2>/dev/null; done'

# real_exec I CMD...: run CMD inside node I (its network and its agent's
# mount namespace, so its private /dev/shm), as the agent runs the runtime.
real_exec () {
    local i=$1
    shift
    nsenter --mount="/proc/${NETNS_AGENT_PID[$i]}/ns/mnt" --net="/var/run/netns/${NETNS_NS[$i]}" -- \
        env USER="$REAL_USER" CHI_REPO_PATH="$REAL_LIB" "$@"
}

# real_restart_agent I: start node I's agent again (after netns_kill_agent)
# in the mount namespace its runtime still holds, so it sees the same
# /dev/shm, as a restarted agent on a real node does.
real_restart_agent () {
    local i=$1 pid
    pid=$(netns_runtime_pid "$i")
    [ -n "$pid" ] || fail "node $i: no runtime whose namespace the agent could join"
    # shellcheck disable=SC2086
    nsenter --mount="/proc/$pid/ns/mnt" --net="/var/run/netns/${NETNS_NS[$i]}" -- \
        env PATH="$TBIN:$BIN:$PATH" USER="$REAL_USER" \
        "$BIN/wrp-agentd" --insecure --endpoint "tcp://*:$NETNS_PORT" --state-dir "${NETNS_STATE[$i]}" \
        --node-name "node$i" $NETNS_AGENT_ARGS >>"${NETNS_DIR[$i]}/agent.log" 2>&1 &
    NETNS_AGENT_PID[$i]=$!
    disown "${NETNS_AGENT_PID[$i]}"
    wait_for 10 real_listens "$i" "$NETNS_PORT"
}
