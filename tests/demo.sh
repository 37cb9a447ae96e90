#!/usr/bin/env bash
# make demo: the whole main job on this one machine, start to finish.
#
# Brings up a wrp-agentd on loopback with throwaway CURVE keys, then drives
# the basic pipeline (pipelines/basic_runtime.yaml) through start, status,
# stop and clean with wrp-controller, printing each command and its output.
# Uses chimaera_start_runtime from PATH when there is one, else the
# project's stand-in runtime (and says which). As root, the agent gets a
# private mount namespace with its own tmpfs /dev/shm, so the host's
# /dev/shm is never touched; otherwise a scratch directory stands in for
# it. Everything it starts is stopped on exit, whatever happens.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BIN=$BUILD/bin
TBIN=$BUILD/test-bin
D=$(mktemp -d /tmp/wrp-demo.XXXXXX)
export WRP_HOME=$D/wrp-home
agent=""
CTL=()

cleanup () {
    set +e
    if [ -n "$agent" ] && kill -0 "$agent" 2>/dev/null; then
        # A runtime the demo left running is the agent's child in its own
        # process group and outlives the agent by design: stop it by its
        # pid (as the agent reports it) before the agent goes.
        local pid
        pid=$("$BIN/wrp-controller" "${CTL[@]}" --timeout 2000 status --json 2>/dev/null \
              | python3 -c 'import json,sys; n=json.load(sys.stdin)["nodes"][0]; r=n["runtime"] or {}; print(r.get("pid") or "")' 2>/dev/null)
        if [ -n "$pid" ]; then
            "$BIN/wrp-controller" "${CTL[@]}" --timeout 5000 kill >/dev/null 2>&1
            kill -KILL "$pid" 2>/dev/null
        fi
        kill -TERM "$agent" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$agent" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$agent" 2>/dev/null
        wait "$agent" 2>/dev/null
    fi
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then
    say () { printf '\n\033[1m# %s\033[0m\n' "$*"; }
else
    say () { printf '\n# %s\n' "$*"; }
fi
# wrp ARGS: run wrp-controller against the demo's agent, showing the command.
wrp () {
    printf '$ wrp-controller %s\n' "$*"
    local rc=0
    "$BIN/wrp-controller" "${CTL[@]}" "$@" || rc=$?
    [ $rc -eq 0 ] || { printf '(exit %d)\n' "$rc"; failed=$((failed + 1)); }
    return 0
}
failed=0
# free_port_pair [AVOID]: a port P with P and P+1 both free on loopback (the
# runtime serves on port and port+1), P and P+1 different from AVOID.
free_port_pair () {
    python3 - "${1:-0}" <<'PY'
import socket, sys
avoid = int(sys.argv[1])
for _ in range(100):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        if p + 1 > 65535 or avoid in (p, p + 1):
            continue
        b.bind(("127.0.0.1", p + 1))
        print(p)
        break
    except OSError:
        pass
    finally:
        a.close(); b.close()
PY
}

[ -x "$BIN/wrp-agentd" ] && [ -x "$BIN/wrp-controller" ] || { echo "demo: run make first" >&2; exit 1; }

# The runtime: the real one if installed, else the stand-in.
if command -v chimaera_start_runtime >/dev/null 2>&1; then
    RUNTIME_PATH=$PATH
    say "Using the installed IOWarp runtime: $(command -v chimaera_start_runtime)"
else
    [ -x "$TBIN/chimaera_start_runtime" ] || { echo "demo: no chimaera_start_runtime on PATH and no stand-in; run make $TBIN/chimaera_start_runtime" >&2; exit 1; }
    RUNTIME_PATH=$TBIN:$PATH
    say "No chimaera_start_runtime on PATH: using the project's STAND-IN runtime ($TBIN/chimaera_start_runtime)."
    echo "  It behaves like the real one (config, segments, ports, signals) but runs no tasks."
fi

# Throwaway keys: one pair for the agent, one for the controller, whose
# public key the agent authorizes.
mkdir -p "$D/authorized" "$D/state" "$D/shm"
"$BIN/wrp-controller" keygen "$D/agent.key" >/dev/null
"$BIN/wrp-controller" keygen "$D/controller.key" >/dev/null
cp "$D/controller.key" "$D/authorized/controller.key"

AGENT_PORT=$(free_port_pair)
RUNTIME_PORT=$(free_port_pair "$AGENT_PORT")
echo 127.0.0.1 >"$D/hostfile"
CTL=(-H "$D/hostfile" --port "$AGENT_PORT" --key "$D/controller.key" --agent-key "$D/agent.key")
AGENT=("$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$AGENT_PORT" --state-dir "$D/state"
       --key "$D/agent.key" --authorized-keys "$D/authorized" --node-name demo)

# The agent (and so the runtime) gets its own mount namespace with a fresh
# tmpfs on /dev/shm: as root directly, otherwise inside an unprivileged
# user namespace where the system allows one.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    NS=(unshare --mount --propagation private)
elif unshare --user --map-root-user --mount true 2>/dev/null; then
    NS=(unshare --user --map-root-user --mount --propagation private)
else
    NS=()
fi
if [ ${#NS[@]} -gt 0 ]; then
    say "Starting wrp-agentd on 127.0.0.1:$AGENT_PORT (CURVE keys; a private /dev/shm in its own mount namespace)"
    PATH=$RUNTIME_PATH "${NS[@]}" \
        sh -c 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec "$@"' sh "${AGENT[@]}" \
        2>"$D/agent.log" &
    SHM_VIEW=/dev/shm   # as the agent sees it; read through /proc/PID/root
else
    # No way to hide the host's /dev/shm: the agent looks at a scratch dir
    # and the stand-in makes no segments, so nothing of the host's is touched.
    say "Starting wrp-agentd on 127.0.0.1:$AGENT_PORT (CURVE keys; scratch shm dir $D/shm: not root, no user namespaces)"
    if [ "$RUNTIME_PATH" != "$PATH" ]; then export FAKE_CHI_NO_SHM=1; fi
    PATH=$RUNTIME_PATH "${AGENT[@]}" --shm-dir "$D/shm" 2>"$D/agent.log" &
    SHM_VIEW=$D/shm
fi
agent=$!
for _ in $(seq 100); do
    "$BIN/wrp-controller" "${CTL[@]}" --timeout 200 status >/dev/null 2>&1 && break
    kill -0 "$agent" 2>/dev/null || { cat "$D/agent.log" >&2; echo "demo: the agent did not start" >&2; exit 1; }
    sleep 0.1
done

shm_ls () {
    if [ "$SHM_VIEW" = /dev/shm ]; then ls -l "/proc/$agent/root/dev/shm"; else ls -l "$SHM_VIEW"; fi
}

say "Every wrp-controller command below runs with these options (the demo's hostfile, agent port and keys):"
echo "  ${CTL[*]}"
cd "$TOP"
say "Load the basic pipeline (all defaults, sleep: 1) and give the runtime a free port"
wrp ppl load pipelines/basic_runtime.yaml
wrp pkg conf runtime port="$RUNTIME_PORT"
say "Status before start"
wrp status
say "Start (pushes the config, starts the runtime, returns once it serves; then the pipeline's sleep)"
wrp start
say "Status"
wrp status
say "The runtime's shared memory on the node"
shm_ls
say "Stop (returns once the process is gone; the segments stay)"
wrp stop
say "Clean (removes the pushed config, the log and the chi_* segments)"
wrp clean
shm_ls
say "Status after clean"
wrp status
if [ $failed -eq 0 ]; then
    say "Done: stopping the agent; nothing is left running."
else
    say "$failed command(s) failed (see above; the agent's log follows). Stopping the agent."
    cat "$D/agent.log"
    exit 1
fi
