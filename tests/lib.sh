# Shared shell helpers for the integration tests. Source it first:
#   . "$(dirname "$0")/lib.sh"
# It sets BIN (the binaries under test), TBIN (test programs, the stand-in
# runtime among them), a private scratch directory T removed on exit, and
# runs every function registered with at_exit, even when the test fails.
set -euo pipefail
WRP_TOP=${WRP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$WRP_TOP/$BUILD ;; esac
BIN=$BUILD/bin
TBIN=$BUILD/test-bin
T=$(mktemp -d /tmp/wrp-test.XXXXXX)
export WRP_HOME=$T/wrp-home
_exit_hooks=()

at_exit () { _exit_hooks+=("$*"); }

_run_exit_hooks () {
    local rc=$?
    set +e
    local i
    for ((i = ${#_exit_hooks[@]} - 1; i >= 0; i--)); do eval "${_exit_hooks[$i]}"; done
    rm -rf "$T"
    exit $rc
}
trap _run_exit_hooks EXIT
trap 'exit 130' INT TERM

fail () { echo "FAIL: $*" >&2; exit 1; }
skip () { echo "$*"; exit 77; }
note () { echo "-- $*"; }

# assert_eq EXPECTED ACTUAL WHAT
assert_eq () {
    [ "$1" == "$2" ] || fail "$3: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains () {
    case $1 in *"$2"*) ;; *) fail "$3: '$2' not in: $1" ;; esac
}

assert_not_contains () {
    case $1 in *"$2"*) fail "$3: '$2' unexpectedly in: $1" ;; *) ;; esac
}

# run_cmd VAR_OUT VAR_RC cmd...: runs cmd, keeps stdout+stderr and exit code.
run_cmd () {
    local __out=$1 __rc=$2
    shift 2
    local o r=0
    o=$("$@" 2>&1) || r=$?
    printf -v "$__out" '%s' "$o"
    printf -v "$__rc" '%s' "$r"
}

# wait_for SECONDS cmd...: polls cmd (every 20 ms) until it succeeds; fails
# the test with the command's text when the deadline passes.
wait_for () {
    local deadline=$(( $(date +%s%N) + ${1%.*} * 1000000000 ))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out waiting for: $*"
        sleep 0.02
    done
}

# need_root: skip the test when it cannot make namespaces.
need_root () {
    [ "$(id -u)" -eq 0 ] || skip "needs root for namespaces"
    command -v ip >/dev/null || skip "needs iproute2"
}

# free_port: a TCP port nobody listens on now (loopback).
free_port () {
    python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# small_pipeline FILE NAME [MAIN [DATA]]: write FILE, a pipeline NAME of one
# runtime with small shared-memory segments (what the multi-node tests
# start): main MAIN (16M), client and runtime data DATA (4M) each.
small_pipeline () {
    cat >"$1" <<YAML
name: $2
pkgs:
  - pkg_type: wrp_runtime
    pkg_name: runtime
    main_segment_size: ${3:-16M}
    client_data_segment_size: ${4:-4M}
    runtime_data_segment_size: ${4:-4M}
YAML
}

# curve_agent NAME KEYS: a CURVE agent named NAME on a free loopback port
# ($port; pid in $apid, log in $T/agent.log) with the key KEYS/agent.key,
# trusting the keys in $T/authorized; $T/hosts names it. Waits until it
# listens. Then ctl KEY ARGS... runs the controller with that key against it.
curve_agent () {
    CURVE_KEYS=$2
    port=$(free_port)
    echo 127.0.0.1 >"$T/hosts"
    "$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$port" --state-dir "$T/state" \
        --shm-dir "$T/shm" --node-name "$1" --key "$2/agent.key" \
        --authorized-keys "$T/authorized" >"$T/agent.log" 2>&1 &
    apid=$!
    at_exit "kill $apid 2>/dev/null; wait $apid 2>/dev/null"
    wait_for 10 _curve_listening
    ctl () {
        local key=$1
        shift
        "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --timeout 3000 \
            --key "$key" --agent-key "$CURVE_KEYS/agent.key" "$@"
    }
}
_curve_listening () { ss -Htln "sport = :$port" | grep -q LISTEN; }
