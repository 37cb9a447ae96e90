# Multi-node harness for the integration tests: N "nodes", each a network
# namespace with its own address, its own private tmpfs /dev/shm and its
# own wrp-agentd, all on one bridge that the controller (in the root
# namespace) reaches directly. Source it after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/netns.sh"
#   netns_up 4                       # nodes 1..4, agents answering
#   ctl start                        # wrp-controller against those nodes
#   netns_shm 2                      # ls of node 2's /dev/shm
#   netns_runtime_pid 2              # node 2's runtime pid (empty: none)
#   netns_kill_agent 3               # SIGKILL node 3's agent
#
# Names carry the test's pid (namespaces wrpt-PID-I, bridge wrbPID, veths
# wrvPIDhI) so runs never collide; leftovers of killed runs (their pid is
# gone) are removed first. netns_down runs at exit, even when the test fails.
#
# Set NETNS_ENV_I="VAR=value ..." before netns_up (or netns_start_agent I)
# to give node I's agent (and so its runtime) extra environment.

NETNS_PORT=${NETNS_PORT:-5560}          # agent port on every node
NETNS_N=0
NETNS_TAG=$$
NETNS_BRIDGE=wrb$NETNS_TAG
# A /24 of its own per test process (10.213.1.0 .. 10.213.250.0).
NETNS_NET=10.213.$(( NETNS_TAG % 250 + 1 ))
NETNS_HOSTFILE=$T/hosts
declare -a NETNS_NS NETNS_IP NETNS_AGENT_PID NETNS_STATE NETNS_DIR

# _netns_alive PID: the process exists and is not a zombie.
_netns_alive () {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# Remove what killed earlier runs left: namespaces, bridges and veths whose
# owning test pid no longer exists.
netns_clean_stale () {
    local ns pid link
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^wrpt-[0-9]+-[0-9]+$' || true); do
        pid=${ns#wrpt-}; pid=${pid%%-*}
        [ "$pid" != "$NETNS_TAG" ] || continue
        _netns_alive "$pid" && continue
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' \
                  | grep -E '^(wrb[0-9]+|wrv[0-9]+h[0-9]+)$' || true); do
        pid=${link#wr?}; pid=${pid%%h*}
        [ "$pid" != "$NETNS_TAG" ] || continue
        _netns_alive "$pid" && continue
        ip link del "$link" 2>/dev/null || true
    done
}

# netns_start_agent I: (re)start node I's agent in its namespace, with a
# private tmpfs on /dev/shm (a restart gets a fresh mount namespace, so
# only the runtime it re-adopts keeps the old segments visible through
# /proc/PID/root). Waits until the agent listens.
netns_start_agent () {
    _netns_spawn_agent "$1"
    _netns_wait_agent "$1"
}

_netns_spawn_agent () {
    local i=$1 ns=${NETNS_NS[$1]} dir=${NETNS_DIR[$1]}
    local envvar="NETNS_ENV_$i"
    local extra=${!envvar:-}
    # shellcheck disable=SC2086
    env PATH="$TBIN:$BIN:$PATH" USER="${USER:-root}" $extra \
        ip netns exec "$ns" unshare --mount --propagation private \
        sh -c 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec "$@"' sh \
        "$BIN/wrp-agentd" --insecure --endpoint "tcp://*:$NETNS_PORT" \
        --state-dir "${NETNS_STATE[$i]}" --node-name "node$i" ${NETNS_AGENT_ARGS:-} \
        >>"$dir/agent.log" 2>&1 &
    NETNS_AGENT_PID[$i]=$!
    disown "${NETNS_AGENT_PID[$i]}"      # no job-control chatter when killed
}

# _netns_wait_agent I: wait until node I's agent listens (its own
# /proc/PID/net/tcp, once the pid is wrp-agentd in its namespace: no fork
# per look).
_netns_wait_agent () {
    local i=$1 pid=${NETNS_AGENT_PID[$1]} comm
    local port_hex
    printf -v port_hex ':%04X 00000000:0000 0A' "$NETNS_PORT"
    local deadline=$(( $(date +%s) + 10 ))
    while :; do
        comm=$(<"/proc/$pid/comm") 2>/dev/null || comm=
        [ "$comm" = wrp-agentd ] && [[ $(<"/proc/$pid/net/tcp") == *"$port_hex"* ]] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            sed 's/^/    agent: /' "${NETNS_DIR[$i]}/agent.log" >&2
            fail "node $i: wrp-agentd exited at start"
        fi
        [ "$(date +%s)" -lt "$deadline" ] || fail "node $i: wrp-agentd does not listen on :$NETNS_PORT"
        sleep 0.02
    done
}

# netns_start N PIPELINE: bring up nodes 1..N, load PIPELINE and start it
# on every node (each step must succeed).
netns_start () {
    netns_up "$1"
    run_cmd out rc ctl ppl load "$2"
    assert_eq 0 "$rc" "ppl load: $out"
    run_cmd out rc ctl start
    assert_eq 0 "$rc" "start: $out"
}

# netns_up N: bring up nodes 1..N and write the hostfile ($NETNS_HOSTFILE).
netns_up () {
    need_root
    command -v unshare >/dev/null || skip "needs util-linux unshare"
    [ -x "$BIN/wrp-agentd" ] || fail "no $BIN/wrp-agentd (make first)"
    netns_clean_stale
    at_exit netns_down
    local n=$1 i
    ip link add "$NETNS_BRIDGE" type bridge || fail "cannot create bridge $NETNS_BRIDGE"
    ip addr add "$NETNS_NET.254/24" dev "$NETNS_BRIDGE"
    ip link set "$NETNS_BRIDGE" up
    : >"$NETNS_HOSTFILE"
    # The links in one ip -batch, each namespace's own setup in one more:
    # hundreds of nodes come up in seconds, not minutes.
    local batch=$T/netns.batch
    : >"$batch"
    for ((i = 1; i <= n; i++)); do
        NETNS_NS[$i]=wrpt-$NETNS_TAG-$i
        NETNS_IP[$i]=$NETNS_NET.$i
        NETNS_DIR[$i]=$T/node$i
        NETNS_STATE[$i]=$T/node$i/state
        mkdir -p "${NETNS_STATE[$i]}"
        ip netns add "${NETNS_NS[$i]}" || fail "cannot create namespace ${NETNS_NS[$i]}"
        NETNS_N=$i
        echo "link add wrv${NETNS_TAG}h$i type veth peer name eth0 netns ${NETNS_NS[$i]}" >>"$batch"
        echo "link set wrv${NETNS_TAG}h$i master $NETNS_BRIDGE up" >>"$batch"
        echo "${NETNS_IP[$i]}" >>"$NETNS_HOSTFILE"
    done
    ip -batch "$batch" || fail "cannot create the veths"
    for ((i = 1; i <= n; i++)); do
        printf 'link set lo up\naddr add %s/24 dev eth0\nlink set eth0 up\n' "${NETNS_IP[$i]}" \
            | ip -n "${NETNS_NS[$i]}" -batch - || fail "cannot set up ${NETNS_NS[$i]}"
    done
    for ((i = 1; i <= n; i++)); do
        _netns_spawn_agent "$i"
    done
    for ((i = 1; i <= n; i++)); do
        _netns_wait_agent "$i"
    done
}

# netns_down: stop every process in our namespaces, delete them, the
# bridge and the veths. Safe to call twice.
netns_down () {
    local i ns
    for ((i = 1; i <= NETNS_N; i++)); do
        [ -n "${NETNS_AGENT_PID[$i]:-}" ] && kill -9 "${NETNS_AGENT_PID[$i]}" 2>/dev/null
        ns=${NETNS_NS[$i]}
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
    for ((i = 1; i <= NETNS_N; i++)); do
        [ -n "${NETNS_AGENT_PID[$i]:-}" ] && _netns_wait_gone "${NETNS_AGENT_PID[$i]}"
        ip netns del "${NETNS_NS[$i]}" 2>/dev/null
        ip link del "wrv${NETNS_TAG}h$i" 2>/dev/null
    done
    ip link del "$NETNS_BRIDGE" 2>/dev/null
    NETNS_N=0
    return 0
}

# _netns_wait_gone PID: wait (up to 5 s) until the process is gone.
_netns_wait_gone () {
    local deadline=$(( $(date +%s%N) + 5000000000 ))
    while kill -0 "$1" 2>/dev/null && [ "$(date +%s%N)" -lt "$deadline" ]; do
        sleep 0.01
    done
}

# netns_kill_agent I [SIGNAL]: signal node I's agent (default KILL) and wait
# until it is gone.
netns_kill_agent () {
    local pid=${NETNS_AGENT_PID[$1]}
    kill -"${2:-KILL}" "$pid" 2>/dev/null || true
    _netns_wait_gone "$pid"
    kill -0 "$pid" 2>/dev/null && fail "node $1: agent $pid still alive after SIG${2:-KILL}"
    return 0
}

# netns_shm I: the names in node I's /dev/shm, one a line (through a live
# process of the node: its agent, else its runtime).
netns_shm () {
    local pid=${NETNS_AGENT_PID[$1]}
    kill -0 "$pid" 2>/dev/null || pid=$(netns_runtime_pid "$1")
    [ -n "$pid" ] || return 1
    ls -A "/proc/$pid/root/dev/shm"
}

# netns_shm_path I: the path of node I's /dev/shm as seen from here.
netns_shm_path () {
    echo "/proc/${NETNS_AGENT_PID[$1]}/root/dev/shm"
}

# netns_runtime_pid I: the pid of node I's runtime (the stand-in), empty
# when none runs.
netns_runtime_pid () {
    local pid
    for pid in $(ip netns pids "${NETNS_NS[$1]}" 2>/dev/null); do
        [ "$pid" = "${NETNS_AGENT_PID[$1]}" ] && continue
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "chimaera_start_" ] && { echo "$pid"; return 0; }
        case $(readlink "/proc/$pid/exe" 2>/dev/null) in
            */chimaera_start_runtime) echo "$pid"; return 0 ;;
        esac
    done
    return 0
}

# netns_pids I: every process in node I's namespace.
netns_pids () {
    ip netns pids "${NETNS_NS[$1]}" 2>/dev/null
}

# ctl ARGS...: the controller against the nodes (insecure, their hostfile).
ctl () {
    "$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --port "$NETNS_PORT" --insecure "$@"
}
