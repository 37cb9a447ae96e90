#!/usr/bin/env bash
# bench/run.sh — the wrp benchmarks (`make bench`); docs/PERFORMANCE.md has a
# full run's table and how to read it.
#
# On this one machine, over loopback addresses only:
#   scale      wrp-controller status/start/stop/clean end to end against N
#              agents (N = 1 16 64 256 1000), each agent on its own 127.0.x.y,
#              with CURVE and with --insecure; one warm STATUS sweep as
#              `monitor` does it (bench/wrpprobe.c, the product's codec)
#   anchor     parallel-ssh against a private sshd on 127.0.0.1: `true`, and
#              the Jarvis-style start and stop of the stand-in runtime
#   floor      a bare czmq fan-out (bench/floor.c: one ROUTER connected to
#              every server) to N echo processes (bench/echo.c, one process
#              per endpoint, like the agents)
#   footprint  an idle agent's RSS, private memory, CPU and wake-ups; the
#              controller's peak RSS at the largest N
#   truth      runtime SIGSEGV -> the agent says `failed`; agent SIGKILL ->
#              `monitor` prints the change
#   sim        wrp-controller against simulated agents (bench/simagent.c:
#              one process serving many endpoints with the product's codec
#              and transport) at 1000, 3000 and 10000 nodes: time, CPU, peak
#              RSS and descriptors; and the floor against bench/echo serving
#              the same endpoints the same way
# The floor is measured first: how much slower this machine is than the one
# in docs/PERFORMANCE.md scales the waits (agents coming up) and, on a slow
# machine, cuts the runs per measure. A size whose agents do not come up is
# a row saying so; past the time bound the remaining measures are rows
# saying so. Prints one table at the end (always) and writes it to
# $BUILD/bench/results.md.
#
# Environment:
#   BENCH_QUICK=1      smoke test: N = 1 16 64, one run each, short idle window
#   BENCH_SIZES="..."  override the agent counts
#   BENCH_RUNS=K       runs per measure (default 5; 3 from N = 256 up and for ssh)
#   BENCH_MAX_SECS=S   hard bound on the whole run (default 900)
#   BENCH_ONLY="..."   only these parts: scale floor anchor truth footprint sim
#   BENCH_SIM_SIZES="..."  simulated-agent sizes (default 1000 3000 10000)
#   BENCH_MODES="..."  curve and/or insecure (default both)
#   BENCH_KEEP=1       keep the scratch directory (agent logs) for a post-mortem
# Everything it starts carries WRP_BENCH_TAG in its environment and is killed
# on exit, even on failure or interrupt.
set -u -o pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
. bench/ssh_lib.sh
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BIN=$BUILD/bin
TBIN=$BUILD/test-bin
OUT=$BUILD/bench
mkdir -p "$OUT"

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    SIZES=${BENCH_SIZES:-"1 16 64"}
    RUNS=${BENCH_RUNS:-1}
    RUNS_BIG=$RUNS
    SSH_RUNS=$RUNS
    SSH_SIZES="16 64"
    IDLE_SECS=10
    TRACE_SECS=3
    TRUTH_RUNS=2
    SIM_SIZES=${BENCH_SIM_SIZES:-"1000"}
    MAX_SECS=${BENCH_MAX_SECS:-400}
else
    SIZES=${BENCH_SIZES:-"1 16 64 256 1000"}
    RUNS=${BENCH_RUNS:-5}
    RUNS_BIG=${BENCH_RUNS:-3}
    SSH_RUNS=${BENCH_RUNS:-3}
    SSH_SIZES="16 64"
    IDLE_SECS=60
    TRACE_SECS=10
    TRUTH_RUNS=5
    SIM_SIZES=${BENCH_SIM_SIZES:-"1000 3000 10000"}
    MAX_SECS=${BENCH_MAX_SECS:-840}
fi
MODES=${BENCH_MODES:-"curve insecure"}
AGENT_PORT=5560
RT_PORT=5555
ECHO_PORT=5570
SIM_PORT=5580
SIM_ECHO_PORT=5590
# The floor's cold 1000-node round inside the process on the machine of
# docs/PERFORMANCE.md (--insecure), in ms: the yardstick for SLOW.
FLOOR_REF_MS=330
SLOW=1

W=$(mktemp -d /tmp/wrp-bench.XXXXXX)
TAG="wrp-bench-$$-${W##*.}"
LOG=$OUT/bench.log
: >"$LOG"
export WRP_HOME=$W/wrp-home
START_US=${EPOCHREALTIME/./}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WATCHDOG=

say () { echo "bench: $*" >&2; echo "bench: $*" >>"$LOG"; }

# Every process this script starts (agents, runtimes, echo servers, sshd and
# the sessions it runs) has WRP_BENCH_TAG=$TAG in its environment; the
# runtimes inherit it from their agent. This finds exactly those, by that tag.
tagged_pids () {
    grep -lsz "^WRP_BENCH_TAG=$TAG\$" /proc/[0-9]*/environ 2>/dev/null \
        | sed 's|/proc/\([0-9]*\)/environ|\1|' | grep -vx "$$"
}

kill_tagged () {
    local pids
    pids=$(tagged_pids | tr '\n' ' ')
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    # Wait (bounded) until the kernel has reaped them or they are zombies of ours.
    local i
    for ((i = 0; i < 100; i++)); do
        [ -z "$(tagged_pids)" ] && break
        sleep 0.05
    done
    wait 2>/dev/null
}

cleanup () {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
    kill_tagged
    [ -n "${MADE_RUN_SSHD:-}" ] && rmdir /run/sshd 2>/dev/null
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $W"; else rm -rf "$W"; fi
    exit $rc
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# The whole run is bounded: past MAX_SECS the watchdog marks the run over
# time and kills what it started (which ends the command being measured);
# every part then records "not measured" instead of measuring, and the table
# is still printed. Two minutes later it ends the script itself.
OVERTIME=$W/overtime
(
    WRP_BENCH_TAG=$TAG sleep "$MAX_SECS"
    echo "bench: over ${MAX_SECS}s: the remaining measures are skipped" >&2
    touch "$OVERTIME"
    kill_tagged
    WRP_BENCH_TAG=$TAG sleep 120
    kill -TERM $$
) &
WATCHDOG=$!
over () { [ -e "$OVERTIME" ]; }
OVER_NOTE="not measured: over the time bound"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge 8192 ] || say "warning: ulimit -n is $(ulimit -n); 1000 agents need more"

# ---------------------------------------------------------------- helpers
now_us () { printf -v "$1" '%s' "${EPOCHREALTIME/./}"; }

# timed VAR cmd...: runs cmd as a user would (output to the log), VAR gets
# the wall time in ms; returns cmd's exit code. Commands are bounded by
# their own timeout options (and the watchdog), so nothing is added to the
# process being timed.
timed () {
    local __v=$1 s e rc=0
    shift
    echo "+ $*" >>"$LOG"
    now_us s
    "$@" >>"$LOG" 2>&1 || rc=$?
    now_us e
    printf -v "$__v" '%d.%03d' $(((e - s) / 1000)) $(((e - s) % 1000))
    [ $rc -eq 0 ] || echo "  (exit $rc)" >>"$LOG"
    return $rc
}

# Results: R[key] = "median min max runs failed unit" (key: what|N|mode).
declare -A R RSS CPU ACPU
# record KEY UNIT FAILED SAMPLES...
record () {
    local key=$1 unit=$2 failed=$3
    shift 3
    if [ $# -eq 0 ]; then
        R[$key]="- - - 0 $failed $unit"
        return
    fi
    R[$key]="$(printf '%s\n' "$@" | sort -g | awk -v f="$failed" -v u="$unit" \
        '{a[NR] = $1} END {print a[int((NR + 1) / 2)], a[1], a[NR], NR, f, u}')"
}
# note KEY TEXT: a cell that is a message instead of a number
declare -A NOTE
note () { NOTE[$1]=$2; }
med_of () { local v=${R[$1]:-}; [ -n "$v" ] && echo "${v%% *}"; }

addr_of () { # addr_of I -> 127.0.x.y of agent I (1-based)
    printf '127.0.%d.%d' $((10 + ($1 - 1) / 250)) $((1 + ($1 - 1) % 250))
}

# wait_until SECONDS cmd...: polls cmd every 50 ms until it succeeds.
wait_until () {
    local deadline=$((${EPOCHREALTIME%.*} + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "${EPOCHREALTIME%.*}" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

part_on () { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

# sum_ticks PID...: CPU time (user+sys, clock ticks) of these processes
sum_ticks () {
    (cd /proc && cat $(printf '%s/stat ' "$@") 2>/dev/null) | awk '{s += $14 + $15} END {print s + 0}'
}

elapsed_s () { local n; now_us n; echo $(((n - START_US) / 1000000)); }

# ---------------------------------------------------------------- prerequisites
need_pkgs=""
command -v parallel-ssh >/dev/null || need_pkgs="$need_pkgs pssh"
[ -x /usr/sbin/sshd ] || need_pkgs="$need_pkgs openssh-server"
command -v ssh-keygen >/dev/null || need_pkgs="$need_pkgs openssh-client"
[ -x /usr/bin/time ] || need_pkgs="$need_pkgs time"
command -v strace >/dev/null || need_pkgs="$need_pkgs strace"
if [ -n "$need_pkgs" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        say "installing$need_pkgs"
        export DEBIAN_FRONTEND=noninteractive
        timeout 300 apt-get update -qq >>"$LOG" 2>&1
        timeout 300 apt-get install -y -qq --no-install-recommends $need_pkgs >>"$LOG" 2>&1 \
            || say "warning: could not install$need_pkgs"
    else
        say "missing$need_pkgs (run as root to install them); the parts needing them are skipped"
    fi
fi

# The bench programs: echo and floor need only czmq; wrpprobe links the
# product's codec and transport (libwrp.a).
CZMQ_CFLAGS=$(pkg-config --cflags libczmq libzmq)
CZMQ_LIBS=$(pkg-config --libs libczmq libzmq)
for p in echo floor; do
    if ! cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE $CZMQ_CFLAGS \
            -o "$OUT/$p" "bench/$p.c" $CZMQ_LIBS >>"$LOG" 2>&1; then
        say "cannot build bench/$p.c (see $LOG)"
        exit 1
    fi
done
# bench_wrp NAME: builds bench/NAME.c against the product's libwrp.a into
# $OUT/NAME; false when it cannot.
bench_wrp () {
    local libs="libczmq libzmq yaml-0.1 libsystemd libsodium"
    [ -f "$BUILD/lib/libwrp.a" ] && cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
        -Icommon -Iproto $(pkg-config --cflags $libs) -o "$OUT/$1" "bench/$1.c" \
        "$BUILD/lib/libwrp.a" $(pkg-config --libs $libs) -lm >>"$LOG" 2>&1
}
PROBE=
SIM=
if bench_wrp wrpprobe; then
    PROBE=$OUT/wrpprobe
else
    say "cannot build bench/wrpprobe.c against libwrp.a: warm-poll and crash figures skipped"
fi
if bench_wrp simagent; then
    SIM=$OUT/simagent
else
    say "cannot build bench/simagent.c against libwrp.a: simulated-agent figures skipped"
fi

AGENTD=$BIN/wrp-agentd
CTL=$BIN/wrp-controller
RT_START=$TBIN/chimaera_start_runtime
RT_STOP=$TBIN/chimaera_stop_runtime
WRP_OK=1
WRP_WHY=
for f in "$AGENTD" "$CTL" "$RT_START" "$RT_STOP"; do
    if [ ! -x "$f" ]; then
        WRP_OK=0
        WRP_WHY="${WRP_WHY:+$WRP_WHY, }${f#$TOP/} missing"
    fi
done
[ $WRP_OK = 1 ] || say "wrp parts skipped: $WRP_WHY (run make all and the test-bin targets)"
# Many runtimes on one machine: each must bind only its own node address
# (as on a cluster), or an early one takes a later node's address and that
# agent refuses to start: the stand-in's FAKE_CHI_NODE_ADDR does that.
AGENT_START_BIN=$RT_START

# ---------------------------------------------------------------- keys and files
K=$W/keys
mkdir -p "$K/authorized" "$WRP_HOME"
"$OUT/floor" --keygen "$K/echo.key"
if [ $WRP_OK = 1 ]; then
    if ! "$CTL" keygen "$K/agent.key" >>"$LOG" 2>&1 \
            || ! "$CTL" keygen "$K/controller.key" >>"$LOG" 2>&1; then
        say "wrp-controller keygen failed; making the zcert pairs with bench/floor --keygen"
        "$OUT/floor" --keygen "$K/agent.key"
        "$OUT/floor" --keygen "$K/controller.key"
    fi
    cp "$K/controller.key" "$K/authorized/controller.key"
    chmod 0600 "$K"/*_secret
fi
declare -A CSEC ASEC PSEC
CSEC[curve]="--key $K/controller.key --agent-key $K/agent.key"
CSEC[insecure]="--insecure"
ASEC[curve]="--key $K/agent.key --authorized-keys $K/authorized"
ASEC[insecure]="--insecure"
PSEC[curve]="--key $K/controller.key --agent-key $K/agent.key"
PSEC[insecure]="--insecure"

PIPELINE=$W/bench.yaml
cat >"$PIPELINE" <<EOF
name: bench
pkgs:
  - pkg_type: wrp_runtime
    pkg_name: runtime
    port: $RT_PORT
    heartbeat_interval: 100
    timeout: 120
EOF

# ---------------------------------------------------------------- agents
# agent_setup NAME ADDR MODE: writes the agent's config under $W/a/NAME.
AGENT_PIDS=()
agent_config () {
    local d=$W/a/$1 addr=$2
    mkdir -p "$d/state" "$d/shm"
    cat >"$d/agentd.yaml" <<EOF
endpoint: tcp://$addr:$AGENT_PORT
state_dir: $d/state
shm_dir: $d/shm
node_name: $addr
log_level: warning
start_binary: $AGENT_START_BIN
stop_binary: $RT_STOP
runtime_address: $addr
EOF
}

# agent_spawn NAME ADDR MODE: starts one agent in the background; its pid
# is in $SPAWNED. The runtime it starts inherits the stand-in's knobs.
agent_spawn () {
    local d=$W/a/$1 addr=$2 mode=$3
    WRP_BENCH_TAG=$TAG FAKE_CHI_NO_SHM=1 FAKE_CHI_LOCAL_ADDR=$addr FAKE_CHI_NODE_ADDR=$addr \
        WRP_BENCH_RUNTIME=$RT_START "$AGENTD" -c "$d/agentd.yaml" ${ASEC[$mode]} 2>>"$d/agent.log" &
    SPAWNED=$!
}

ctl () { # ctl MODE HOSTFILE VERB [args]: the controller as a user runs it
    local mode=$1 hosts=$2
    shift 2
    "$CTL" -H "$hosts" -p "$PIPELINE" ${CSEC[$mode]} "$@"
}

# agents_up N MODE: N agents on 127.0.x.y, hostfile $W/hosts and endpoint
# list $W/eps; returns 0 once all answer a status (bounded).
agents_up () {
    local n=$1 mode=$2 i addr
    rm -rf "$W"/a/n[0-9]*
    : >"$W/hosts"
    : >"$W/eps"
    AGENT_PIDS=()
    for ((i = 1; i <= n; i++)); do
        addr=$(addr_of $i)
        echo "$addr" >>"$W/hosts"
        echo "tcp://$addr:$AGENT_PORT" >>"$W/eps"
        agent_config "n$i" "$addr"
    done
    for ((i = 1; i <= n; i++)); do
        agent_spawn "n$i" "$(addr_of $i)" "$mode"
        AGENT_PIDS+=("$SPAWNED")
    done
    local bound=$(((20 + n / 10) * SLOW))
    # Each probe is given time for every agent to answer on this machine:
    # a shorter one never sees all of a large, slow set at once.
    if ! wait_until "$bound" ctl "$mode" "$W/hosts" status --timeout $((3000 * SLOW)); then
        say "  $n agents ($mode) did not all answer within ${bound}s; first agent log:"
        tail -n 5 "$W/a/n1/agent.log" >&2
        return 1
    fi
}

agents_down () {
    # The runtimes outlive their agents by design: kill them through the
    # agents first (by pid, their process groups), then the agents.
    ctl "$1" "$W/hosts" kill --timeout 20000 >>"$LOG" 2>&1
    [ ${#AGENT_PIDS[@]} -gt 0 ] && kill -TERM "${AGENT_PIDS[@]}" 2>/dev/null
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "${AGENT_PIDS[@]}" 2>/dev/null || break
        sleep 0.05
    done
    [ ${#AGENT_PIDS[@]} -gt 0 ] && kill -KILL "${AGENT_PIDS[@]}" 2>/dev/null
    wait "${AGENT_PIDS[@]}" 2>/dev/null
    AGENT_PIDS=()
    kill_tagged_runtimes
}

kill_tagged_runtimes () { # any stand-in runtime of this run still alive
    local p pids=""
    for p in $(tagged_pids); do
        [ "$(readlink /proc/$p/exe 2>/dev/null)" = "$RT_START" ] && pids="$pids $p"
    done
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    return 0
}

# ---------------------------------------------------------------- footprint agents
# One agent per mode with a runtime, left alone for the whole run: its CPU
# time is read at the start and at the end (at least IDLE_SECS apart).
declare -A FP_PID FP_CPU0 FP_T0 FP_ADDR
FP_ADDR[curve]=127.0.9.1
FP_ADDR[insecure]=127.0.9.4
if [ $WRP_OK = 1 ] && part_on footprint; then
    for mode in $MODES; do
        a=${FP_ADDR[$mode]}
        say "footprint: idle agent ($mode) on $a with a runtime"
        echo "$a" >"$W/hosts-fp-$mode"
        agent_config "fp-$mode" "$a"
        agent_spawn "fp-$mode" "$a" "$mode"
        FP_PID[$mode]=$SPAWNED
        if wait_until 20 ctl "$mode" "$W/hosts-fp-$mode" status --timeout 2000 \
                && ctl "$mode" "$W/hosts-fp-$mode" start --timeout 20000 >>"$LOG" 2>&1; then
            :
        else
            say "  the $mode footprint agent did not start a runtime:"
            tail -n 5 "$W/a/fp-$mode/agent.log" >&2
            FP_PID[$mode]=
        fi
    done
    sleep 1 # let start-up allocations settle before the idle window opens
    for mode in $MODES; do
        [ -n "${FP_PID[$mode]}" ] || continue
        read -r -a st <"/proc/${FP_PID[$mode]}/stat"
        FP_CPU0[$mode]=$((st[13] + st[14]))
        now_us "FP_T0[$mode]"
    done
fi

# ---------------------------------------------------------------- floor
# N echo processes (one ROUTER each, on the agents' addresses, port
# ECHO_PORT); bench/floor connects its one ROUTER to each and does one round
# (cold: as a process, end to end, and inside the process), then 20 warm
# rounds. "curve" uses CURVE servers without a ZAP handler.
FLOOR_SIZES=$SIZES
part_on floor || FLOOR_SIZES=""
for n in $FLOOR_SIZES; do
    runs=$RUNS
    [ "$n" -ge 256 ] && runs=$RUNS_BIG
    for mode in $MODES; do
        if over; then
            note "floorcold|$n|$mode" "$OVER_NOTE"
            continue
        fi
        say "floor: $n echo servers, $mode ($(elapsed_s)s elapsed)"
        fsec=()
        esec=()
        if [ "$mode" = curve ]; then
            fsec=(--curve "$K/echo.key")
            esec=(--curve "$K/echo.key")
        fi
        : >"$W/eps-floor"
        epids=()
        for ((i = 1; i <= n; i++)); do
            ep="tcp://$(addr_of $i):$ECHO_PORT"
            echo "$ep" >>"$W/eps-floor"
            WRP_BENCH_TAG=$TAG "$OUT/echo" "${esec[@]}" "$ep" 2>>"$LOG" &
            epids+=($!)
        done
        # The probe waits for the servers itself (refused connects are
        # retried), so it is given the whole bound, not a short window a
        # slow machine's cold round would not fit in.
        if ! wait_until 30 "$OUT/floor" "${fsec[@]}" --rounds 0 --timeout 30000 "$W/eps-floor"; then
            note "floorcold|$n|$mode" "echo servers did not answer"
        else
            proc=() inproc=() failed=0
            for ((r = 1; r <= runs; r++)); do
                t=
                if timed t "$OUT/floor" "${fsec[@]}" --rounds 0 --timeout 30000 "$W/eps-floor"; then
                    proc+=("$t")
                    inproc+=("$(tail -n 1 "$LOG" | sed -n 's/.*cold_ms=\([0-9.]*\).*/\1/p')")
                else
                    failed=$((failed + 1))
                fi
            done
            record "floorcold|$n|$mode" ms "$failed" "${proc[@]}"
            record "floorin|$n|$mode" ms "$failed" "${inproc[@]}"
            if out=$("$OUT/floor" "${fsec[@]}" --rounds 20 --timeout 30000 "$W/eps-floor"); then
                echo "floor: $out" >>"$LOG"
                eval "$(echo "$out" | tr ' ' '\n' | sed -n 's/^\(warm_[a-z]*_ms\)=/P_\1=/p')"
                R["floorwarm|$n|$mode"]="$P_warm_median_ms $P_warm_min_ms $P_warm_max_ms 20 0 ms"
            fi
        fi
        kill -TERM "${epids[@]}" 2>/dev/null
        wait "${epids[@]}" 2>/dev/null
    done
done

# How much slower than the reference machine: the cold round inside the
# process at the largest size, --insecure (else CURVE, at a quarter of the
# cost), against FLOOR_REF_MS scaled to that size. On a machine at least
# twice as slow, fewer runs per measure keep the whole run in bounds.
big=${FLOOR_SIZES##* }
if [ -n "$big" ]; then
    f=$(med_of "floorin|$big|insecure")
    ref=$((FLOOR_REF_MS * big / 1000))
    [ -z "$f" ] && f=$(med_of "floorin|$big|curve") && ref=$((ref * 4))
    if [ -n "$f" ] && [ "$f" != - ] && [ "$ref" -gt 0 ]; then
        SLOW=$(awk -v f="$f" -v r="$ref" 'BEGIN {s = f / r; printf "%d", s < 1 ? 1 : s + 0.5}')
    fi
fi
say "floor: this machine is ${SLOW}x the reference (waits scaled by it)"
if [ "$SLOW" -ge 2 ] && [ "$QUICK" != 1 ]; then
    RUNS=$(( RUNS > 2 ? 2 : RUNS )) RUNS_BIG=1 SSH_RUNS=1 TRUTH_RUNS=2 IDLE_SECS=30
    # What a slow machine leaves out so that the 10,000-node rows still fit
    # the bound: parallel-ssh on 64 hosts (minutes of sshd there) and the
    # 3000-node simulation.
    SSH_SIZES="16"
    [ -n "${BENCH_SIM_SIZES:-}" ] || SIM_SIZES="1000 10000"
fi

# ---------------------------------------------------------------- scale
SIZES_DONE=""
SCALE_SIZES=$SIZES
part_on scale || SCALE_SIZES=""
for n in $SCALE_SIZES; do
    runs=$RUNS
    [ "$n" -ge 256 ] && runs=$RUNS_BIG
    for mode in $MODES; do
        [ $WRP_OK = 1 ] || break
        if over; then
            for v in status start stop clean; do note "$v|$n|$mode" "$OVER_NOTE"; done
            continue
        fi
        say "scale: $n agents, $mode, $runs runs ($(elapsed_s)s elapsed)"
        if ! agents_up "$n" "$mode"; then
            for v in status start stop clean; do
                note "$v|$n|$mode" "agents did not all come up within $(((20 + n / 10) * SLOW)) s"
            done
            agents_down "$mode"
            continue
        fi
        declare -A S=()
        declare -A F=()
        for v in status start stop clean; do S[$v]=""; F[$v]=0; done
        for ((r = 1; r <= runs; r++)); do
            over && break
            for v in start status stop clean; do
                t=
                rsscmd=()
                # The controller's peak RSS at the largest N: the last run
                # goes through /usr/bin/time (one fork more, ~1 ms).
                if [ "$r" = "$runs" ] && [ "$n" = "${SIZES##* }" ] && [ -x /usr/bin/time ]; then
                    rsscmd=(/usr/bin/time -f '%M %U %S' -o "$W/rss-$v-$mode")
                fi
                [ ${#rsscmd[@]} -gt 0 ] && c0=$(sum_ticks "${AGENT_PIDS[@]}")
                if ! timed t "${rsscmd[@]}" "$CTL" -H "$W/hosts" -p "$PIPELINE" \
                        ${CSEC[$mode]} --timeout 120000 "$v"; then
                    F[$v]=$((F[$v] + 1))
                fi
                if [ ${#rsscmd[@]} -gt 0 ]; then
                    ACPU["$v|$mode"]=$(awk -v d=$(($(sum_ticks "${AGENT_PIDS[@]}") - c0)) \
                        -v t="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", d / t}')
                fi
                S[$v]="${S[$v]} $t"
            done
            if [ "$r" = 1 ] && [ -n "$PROBE" ]; then
                # monitor's sweep: connections kept, one STATUS to all, all replies
                if out=$("$PROBE" poll ${PSEC[$mode]} --rounds 20 "$W/eps" 2>>"$LOG"); then
                    echo "probe: $out" >>"$LOG"
                    eval "$(echo "$out" | tr ' ' '\n' | sed -n 's/^\(warm_[a-z]*_ms\|cold_ms\)=/P_\1=/p')"
                    R["poll|$n|$mode"]="$P_warm_median_ms $P_warm_min_ms $P_warm_max_ms 20 0 ms"
                else
                    note "poll|$n|$mode" "probe failed: $out"
                fi
            fi
        done
        for v in status start stop clean; do
            # shellcheck disable=SC2086
            record "$v|$n|$mode" ms "${F[$v]}" ${S[$v]}
        done
        for v in status start stop clean; do
            if [ -f "$W/rss-$v-$mode" ]; then
                read -r kb us ss < <(tail -n 1 "$W/rss-$v-$mode")
                RSS["$v|$mode"]=$kb
                CPU["$v|$mode"]=$(awk -v u="$us" -v s="$ss" 'BEGIN {printf "%.2f", u + s}')
            fi
        done
        agents_down "$mode"
    done
    SIZES_DONE="$SIZES_DONE $n"
done

# ---------------------------------------------------------------- anchor
# A private sshd on 127.0.0.1 (own config, port, host key, client key);
# hosts b001..bNNN all resolve to it through the client's config, so
# parallel-ssh runs N real ssh sessions at once (-p N). The remote side
# tells the hosts apart by PSSH_NODENUM (parallel-ssh sends it).
SSH_OK=1
command -v parallel-ssh >/dev/null && [ -x /usr/sbin/sshd ] || SSH_OK=0
[ "$(id -u)" -eq 0 ] || SSH_OK=0
part_on anchor || SSH_OK=0
if [ $SSH_OK = 1 ] && over; then SSH_OK=0; note "pssh_true|16" "$OVER_NOTE"; fi
if [ $SSH_OK = 1 ]; then
    say "anchor: private sshd and parallel-ssh ($(elapsed_s)s elapsed)"
    S=$W/ssh
    SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 22522)
    maxn=${SSH_SIZES##* }
    bench_ssh_setup "$S" 127.0.0.1 "$SSH_PORT" "$maxn" "b*"
    echo "    ConnectTimeout 30" >>"$S/ssh_config"
    if [ ! -d /run/sshd ]; then mkdir -p /run/sshd && MADE_RUN_SSHD=1; fi
    WRP_BENCH_TAG=$TAG /usr/sbin/sshd -D -f "$S/sshd_config" -E "$S/sshd.log" &
    if ! wait_until 10 ssh -F "$S/ssh_config" b001 true; then
        say "  sshd did not accept a session; anchor skipped"
        cat "$S/sshd.log" >&2
        SSH_OK=0
    fi
fi
if [ $SSH_OK = 1 ]; then
    # The runtime's config as wrp generates it, its hostfile pointing at the
    # anchor's own list (each stand-in binds the first address it can).
    for ((i = 1; i <= maxn; i++)); do echo "127.0.20.$i"; done >"$S/rt-hosts"
    if [ $WRP_OK = 1 ] && "$CTL" -H "$S/rt-hosts" -p "$PIPELINE" config >"$S/conf.tmp" 2>>"$LOG"; then
        sed "s|^  hostfile: .*|  hostfile: $S/rt-hosts|" "$S/conf.tmp" >"$S/chimaera_config.yaml"
    else
        printf 'networking:\n  port: %d\n  hostfile: %s\nnetwork:\n  port: %d\n' \
            $RT_PORT "$S/rt-hosts" $RT_PORT >"$S/chimaera_config.yaml"
    fi
    # What the Jarvis package ran on every host: the runtime started in the
    # background with its environment inlined, then (later) the stop binary.
    remote_addr='a=127.0.20.$((PSSH_NODENUM + 1));'
    remote_start="$remote_addr WRP_BENCH_TAG=$TAG CHI_SERVER_CONF=$S/chimaera_config.yaml FAKE_CHI_NO_SHM=1 FAKE_CHI_LOCAL_ADDR=\$a USER=root nohup $RT_START >$S/rt-\$a.log 2>&1 </dev/null &"
    remote_stop="$remote_addr WRP_BENCH_TAG=$TAG CHI_SERVER_CONF=$S/chimaera_config.yaml FAKE_CHI_NO_SHM=1 FAKE_CHI_LOCAL_ADDR=\$a USER=root $RT_STOP"
    rt_all_ready () { # every stand-in of the anchor accepts on ADDR:port+1
        local k
        for ((k = 1; k <= $1; k++)); do
            (exec 3<>"/dev/tcp/127.0.20.$k/$((RT_PORT + 1))") 2>/dev/null || return 1
        done
    }
    rt_none_left () {
        local p
        for p in $(tagged_pids); do
            [ "$(readlink /proc/$p/exe 2>/dev/null)" = "$RT_START" ] && return 1
        done
        return 0
    }
    for n in $SSH_SIZES; do
        : >"$S/hosts"
        for ((i = 1; i <= n; i++)); do printf 'b%03d\n' $i >>"$S/hosts"; done
        pssh=(parallel-ssh -h "$S/hosts" -p "$n" -t 120 -x "-F $S/ssh_config")
        say "anchor: parallel-ssh on $n hosts, $SSH_RUNS runs ($(elapsed_s)s elapsed)"
        st=() sa=() so=() ft=0 fa=0 fo=0
        for ((r = 1; r <= SSH_RUNS; r++)); do
            t=
            if timed t "${pssh[@]}" true; then st+=("$t"); else ft=$((ft + 1)); fi
            if [ $WRP_OK = 1 ]; then
                if timed t "${pssh[@]}" "$remote_start"; then sa+=("$t"); else fa=$((fa + 1)); fi
                # not timed: Jarvis sleeps here instead, we wait until they serve
                wait_until 30 rt_all_ready "$n" || say "  not every stand-in came up over ssh"
                if timed t "${pssh[@]}" "$remote_stop"; then so+=("$t"); else fo=$((fo + 1)); fi
                wait_until 10 rt_none_left || kill_tagged_runtimes
            fi
        done
        record "pssh_true|$n" ms "$ft" "${st[@]}"
        [ $WRP_OK = 1 ] && record "pssh_start|$n" ms "$fa" "${sa[@]}"
        [ $WRP_OK = 1 ] && record "pssh_stop|$n" ms "$fo" "${so[@]}"
    done
    kill -TERM "$(cat "$S/sshd.pid" 2>/dev/null)" 2>/dev/null
fi

# ---------------------------------------------------------------- truth
# Crash: the probe kills the runtime with SIGSEGV and asks STATUS back to
# back until the agent says failed. Agent loss: `monitor` runs with its
# output time-stamped line by line; the agent is SIGKILLed, and the first
# line monitor prints after that is taken as its report.
declare -A TRUTH_ADDR
TRUTH_ADDR[curve]=127.0.9.2
TRUTH_ADDR[insecure]=127.0.9.3
for mode in $MODES; do
    [ $WRP_OK = 1 ] && part_on truth || break
    if over; then
        note "crash|1|$mode" "$OVER_NOTE"
        note "agentloss|1|$mode" "$OVER_NOTE"
        continue
    fi
    a=${TRUTH_ADDR[$mode]}
    h=$W/hosts-truth-$mode
    echo "$a" >"$h"
    agent_config "truth-$mode" "$a"
    agent_spawn "truth-$mode" "$a" "$mode"
    tpid=$SPAWNED
    say "truth: runtime crash and agent loss, $mode ($(elapsed_s)s elapsed)"
    if ! wait_until 20 ctl "$mode" "$h" status --timeout 2000; then
        note "crash|1|$mode" "agent did not answer"
        kill -KILL "$tpid"
        continue
    fi
    if [ -n "$PROBE" ]; then
        cs=() cf=0
        for ((r = 1; r <= TRUTH_RUNS; r++)); do
            if ctl "$mode" "$h" start --timeout 20000 >>"$LOG" 2>&1 \
                    && out=$("$PROBE" crash ${PSEC[$mode]} --timeout 5000 "tcp://$a:$AGENT_PORT" 2>>"$LOG"); then
                cs+=("${out#crash_ms=}")
            else
                cf=$((cf + 1))
            fi
        done
        record "crash|1|$mode" ms "$cf" "${cs[@]}"
    else
        note "crash|1|$mode" "needs bench/wrpprobe"
    fi
    # Agent loss as monitor sees it.
    ctl "$mode" "$h" start --timeout 20000 >>"$LOG" 2>&1
    mon=$W/monitor-$mode.txt
    : >"$mon"
    (WRP_BENCH_TAG=$TAG "$CTL" -H "$h" -p "$PIPELINE" ${CSEC[$mode]} --timeout 2000 monitor 2>&1 \
        | while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done >"$mon") &
    monsub=$!
    lines_gt () { [ "$(wc -l <"$mon")" -gt "$1" ]; }
    ks=() kf=0
    if ! wait_until 10 lines_gt 0; then
        note "agentloss|1|$mode" "monitor printed nothing"
    else
        sleep 0.5 # monitor's first sweep settles (it prints only changes after it)
        for ((r = 1; r <= TRUTH_RUNS; r++)); do
            l0=$(wc -l <"$mon")
            now_us k0
            kill -KILL "$tpid"
            wait "$tpid" 2>/dev/null
            if wait_until 30 lines_gt "$l0"; then
                k1=$(sed -n "$((l0 + 1))p" "$mon" | cut -d' ' -f1)
                ks+=("$(awk -v a="$k1" -v b="$k0" 'BEGIN {printf "%.3f", a * 1000 - b / 1000}')")
            else
                kf=$((kf + 1))
            fi
            l0=$(wc -l <"$mon")
            agent_spawn "truth-$mode" "$a" "$mode"
            tpid=$SPAWNED
            wait_until 30 lines_gt "$l0" # monitor sees it come back
            sleep 0.2
        done
        record "agentloss|1|$mode" ms "$kf" "${ks[@]}"
        cp "$mon" "$OUT/monitor-$mode.txt"
    fi
    kill -TERM $(tagged_pids | while read -r p; do
        [ "$(readlink /proc/$p/exe 2>/dev/null)" = "$CTL" ] && echo "$p"; done) 2>/dev/null
    wait "$monsub" 2>/dev/null
    ctl "$mode" "$h" kill --timeout 5000 >>"$LOG" 2>&1
    kill -TERM "$tpid" 2>/dev/null
    wait "$tpid" 2>/dev/null
done

# ---------------------------------------------------------------- sim
# wrp-controller against simulated agents: bench/simagent processes serve
# the endpoints (SIM_CHUNK each, so a process stays within the descriptor
# limit: a listener and a connection per endpoint) with the product's own
# transport and codec, one ROUTER per process. The controller starts with a
# soft descriptor limit of 1024 and raises its own; its peak descriptors
# are sampled every 20 ms. One run per verb. The floor beside it: bench/echo
# serving the same endpoints the same way, bench/floor's cold round.
# Descriptors: the client side (the controller, the floor: one ROUTER)
# holds one per node plus a fixed few (SIM_FD_MARGIN covers sockets,
# mailboxes, epoll, files); a server holds two per endpoint.
HARD_FDS=$(ulimit -Hn)
SIM_FD_MARGIN=256
SIM_CHUNK=$(((HARD_FDS - SIM_FD_MARGIN) / 2))
[ "$SIM_CHUNK" -gt 4000 ] && SIM_CHUNK=4000
# sim_hosts N FORMAT: the N simulated addresses through printf FORMAT (one
# %s), without a fork per line.
sim_hosts () {
    local i
    for ((i = 0; i < $1; i++)); do
        printf "$2" "127.2.$((i / 250)).$((1 + i % 250))"
    done
}

# sim_serve N PORT PREFIX AT CMD...: N endpoints into PREFIX.all, one server
# (CMD ... AT+chunkfile) per SIM_CHUNK of them; pids in SIM_PIDS, stderr of
# each in chunkfile.err.
sim_serve () {
    local n=$1 port=$2 prefix=$3 at=$4 i f
    shift 4
    sim_hosts "$n" "tcp://%s:$port\n" >"$prefix.all"
    rm -f "$prefix".part*
    split -l "$SIM_CHUNK" -d -a 3 "$prefix.all" "$prefix.part"
    SIM_PIDS=()
    for f in "$prefix".part[0-9][0-9][0-9]; do
        WRP_BENCH_TAG=$TAG "$@" "$at$f" 2>"$f.err" &
        SIM_PIDS+=($!)
    done
}
sim_down () {
    [ ${#SIM_PIDS[@]} -gt 0 ] || return 0
    kill -TERM "${SIM_PIDS[@]}" 2>/dev/null
    local i
    for ((i = 0; i < 40; i++)); do
        kill -0 "${SIM_PIDS[@]}" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "${SIM_PIDS[@]}" 2>/dev/null
    wait "${SIM_PIDS[@]}" 2>/dev/null
    SIM_PIDS=()
}
sim_ready () { # sim_ready PREFIX: every server of sim_serve PREFIX has bound all its endpoints
    local f
    for f in "$1".part[0-9][0-9][0-9]; do grep -q endpoints "$f.err" || return 1; done
}

# sim_run KEY MODE N CMD...: one run of CMD (the controller or the floor),
# recorded under KEY: wall time, peak RSS, CPU, peak descriptors.
sim_run () {
    local key=$1 mode=$2 n=$3 s e tpid cpid=
    local max=0 c rc=0
    shift 3
    echo "+ sim ($n, $mode): $*" >>"$LOG"
    now_us s
    (ulimit -Sn 1024; exec /usr/bin/time -f '%M %U %S' -o "$W/sim-time" "$@" >"$W/sim-out" 2>>"$LOG") &
    tpid=$!
    while kill -0 "$tpid" 2>/dev/null; do
        [ -n "$cpid" ] || cpid=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null | awk '{print $1}')
        if [ -n "$cpid" ]; then
            c=$(ls "/proc/$cpid/fd" 2>/dev/null | wc -l)
            [ "$c" -gt "$max" ] && max=$c
        fi
        sleep 0.02
    done
    wait "$tpid" || rc=$?
    now_us e
    tail -n 1 "$W/sim-out" >>"$LOG"
    local kb us ss
    read -r kb us ss < <(tail -n 1 "$W/sim-time")
    record "$key|$n|$mode" ms "$([ $rc -eq 0 ] && echo 0 || echo 1)" \
        "$(printf '%d.%03d' $(((e - s) / 1000)) $(((e - s) % 1000)))"
    RSS["$key|$n|$mode"]=$kb
    CPU["$key|$n|$mode"]=$(awk -v u="$us" -v s="$ss" 'BEGIN {printf "%.2f", u + s}')
    FDS["$key|$n|$mode"]=$max
    [ $rc -eq 0 ] || note "${key}_why|$n|$mode" "exit $rc: $(tail -n 1 "$W/sim-out")"
}
# sim_ctl KEY MODE N VERB: one controller run.
sim_ctl () {
    sim_run "$1" "$2" "$3" "$CTL" -H "$W/sim.hosts" -p "$PIPELINE" ${CSEC[$2]} \
        --timeout $((120000 * SLOW)) "$4"
}

declare -A FDS
SIM_DONE=""
sims=""
[ -n "$SIM" ] && [ $WRP_OK = 1 ] && part_on sim && sims=$SIM_SIZES
for n in $sims; do
    need=$((n + SIM_FD_MARGIN))
    if [ "$need" -gt "$HARD_FDS" ]; then
        fit=$(((HARD_FDS - SIM_FD_MARGIN) / 100 * 100))
        for mode in $MODES; do
            note "sim_status|$n|$mode" "needs ~$need descriptors; the hard limit here is $HARD_FDS (measured at $fit)"
        done
        SIM_DONE="$SIM_DONE $n"
        n=$fit
    fi
    SIM_DONE="$SIM_DONE $n"
    for mode in $MODES; do
        if over; then
            note "sim_status|$n|$mode" "$OVER_NOTE"
            continue
        fi
        say "sim: $n simulated agents, $mode ($(elapsed_s)s elapsed)"
        sim_hosts "$n" "%s:$SIM_PORT\n" >"$W/sim.hosts"
        if [ "$mode" = curve ]; then
            sim_serve "$n" "$SIM_PORT" "$W/sim" "" "$SIM" --key "$K/agent.key" --authorized-keys "$K/authorized"
        else
            sim_serve "$n" "$SIM_PORT" "$W/sim" "" "$SIM" --insecure
        fi
        if ! wait_until $((30 * SLOW)) sim_ready "$W/sim"; then
            note "sim_status|$n|$mode" "simulated agents did not come up"
            sim_down
            continue
        fi
        for v in status start stop; do
            over || sim_ctl "sim_$v" "$mode" "$n" "$v"
        done
        sim_down
        over && continue
        fsec=()
        [ "$mode" = curve ] && fsec=(--curve "$K/echo.key")
        sim_serve "$n" "$SIM_ECHO_PORT" "$W/simecho" "@" "$OUT/echo" "${fsec[@]}"
        if wait_until $((30 * SLOW)) sim_ready "$W/simecho"; then
            sim_run simfloor "$mode" "$n" "$OUT/floor" "${fsec[@]}" --rounds 0 \
                --timeout $((60000 * SLOW)) "$W/simecho.all"
        else
            note "simfloor|$n|$mode" "echo servers did not answer"
        fi
        sim_down
    done
done

# ---------------------------------------------------------------- footprint (end)
TCK=$(getconf CLK_TCK)
for mode in $MODES; do
    pid=${FP_PID[$mode]:-}
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || continue
    now_us t1
    left=$((IDLE_SECS - (t1 - FP_T0[$mode]) / 1000000))
    if [ "$left" -gt 0 ]; then
        say "footprint: $left s more of idle time ($mode)"
        sleep "$left"
    fi
    read -r -a st <"/proc/$pid/stat"
    now_us t1
    cpu=$((st[13] + st[14] - FP_CPU0[$mode]))
    secs=$(awk -v d=$((t1 - FP_T0[$mode])) 'BEGIN {printf "%.1f", d / 1e6}')
    R["fp_cpu|1|$mode"]="$(awk -v c=$cpu -v t=$TCK -v d=$((t1 - FP_T0[$mode])) \
        'BEGIN {printf "%.4f", 100 * c / t / (d / 1e6)}') - - 1 0 %"
    note "fp_cpu_note|$mode" "$cpu ticks in ${secs}s"
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    thr=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
    pd=$(awk '/^Private_Dirty/ {print $2}' "/proc/$pid/smaps_rollup")
    R["fp_rss|1|$mode"]="$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}') - - 1 0 MiB"
    R["fp_priv|1|$mode"]="$(awk -v k="$pd" 'BEGIN {printf "%.2f", k / 1024}') - - 1 0 MiB"
    note "fp_threads|$mode" "$thr"
    if command -v perf >/dev/null; then
        cs=$(timeout $((TRACE_SECS + 10)) perf stat -x, -e context-switches -p "$pid" \
            -- sleep "$TRACE_SECS" 2>&1 >/dev/null | awk -F, '/context-switches/ {print $1}')
        [ -n "$cs" ] && R["fp_wake|1|$mode"]="$(awk -v c="$cs" -v s=$TRACE_SECS \
            'BEGIN {printf "%.1f", c / s}') - - 1 0 /s"
    fi
    if command -v strace >/dev/null; then
        timeout -s INT $TRACE_SECS strace -f -c -o "$W/strace-$mode" -p "$pid" >/dev/null 2>&1
        calls=$(awk '/total$/ {print $4}' "$W/strace-$mode")
        [ -n "$calls" ] || calls=0
        R["fp_sys|1|$mode"]="$(awk -v c="$calls" -v s=$TRACE_SECS \
            'BEGIN {printf "%.1f", c / s}') - - 1 0 /s"
        cp "$W/strace-$mode" "$OUT/strace-idle-agent-$mode.txt"
    fi
    ctl "$mode" "$W/hosts-fp-$mode" kill --timeout 5000 >>"$LOG" 2>&1
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done

# ---------------------------------------------------------------- the table
# cell KEY: "median (min–max)", a note, or "—".
cell () {
    local v=${R[$1]:-} med min max runs failed unit
    if [ -z "$v" ]; then
        printf '%s' "${NOTE[$1]:-—}"
        return
    fi
    read -r med min max runs failed unit <<<"$v"
    if [ "$med" = - ]; then
        printf 'all %s runs failed' "$failed"
        return
    fi
    if [ "$min" = - ] || [ "$runs" -le 1 ]; then
        printf '%s' "$(num "$med")"
    else
        printf '%s (%s–%s)' "$(num "$med")" "$(num "$min")" "$(num "$max")"
    fi
    [ "$failed" -gt 0 ] && printf ' [%s failed]' "$failed"
    return 0
}
num () { awk -v x="$1" 'BEGIN {if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x}'; }
# ratio A B: median(A) / median(B), or "—"
ratio () {
    local a b
    a=$(med_of "$1") b=$(med_of "$2")
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" = - ] || [ "$b" = - ]; then printf '—'; return; fi
    awk -v a="$a" -v b="$b" 'BEGIN {if (b == 0) {printf "—"; exit}
        r = a / b; if (r >= 10) printf "%.0f×", r; else printf "%.2f×", r}'
}
mib () { if [ -n "$1" ]; then awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; else printf '—'; fi; }
row () { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }

{
    echo "## wrp benchmarks ($([ "$QUICK" = 1 ] && echo "quick run" || echo "full run"), $(date -u +%Y-%m-%d))"
    echo
    echo "Machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
        "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)." \
        "Load average before the run: $LOAD_BEFORE (anything else running shares the 2 cores)." \
        "Times in ms, median (min–max) over the runs; N agents each on its own loopback address." \
        "Ratios compare medians: CURVE / --insecure."
    echo
    row "measure" "N" "wrp CURVE" "wrp --insecure" "compared with (CURVE / plain)" "ratio"
    row "---" "--:" "---" "---" "---" "---"
    for v in status start stop clean; do
        for n in $SIZES_DONE; do
            cmp="" rat=""
            if [ "$v" = status ]; then
                cmp="floor cold, as a process: $(cell "floorcold|$n|curve") / $(cell "floorcold|$n|insecure")"
                rat="wrp/floor $(ratio "status|$n|curve" "floorcold|$n|curve") / $(ratio "status|$n|insecure" "floorcold|$n|insecure")"
            fi
            row "\`wrp-controller $v\`, end to end" "$n" "$(cell "$v|$n|curve")" \
                "$(cell "$v|$n|insecure")" "$cmp" "$rat"
        done
    done
    for n in $SSH_SIZES; do
        [ -n "${R[pssh_true|$n]:-}" ] || continue
        row "parallel-ssh \`true\` vs \`status\`" "$n" "$(cell "status|$n|curve")" "$(cell "status|$n|insecure")" \
            "parallel-ssh: $(cell "pssh_true|$n")" \
            "pssh/wrp $(ratio "pssh_true|$n" "status|$n|curve") / $(ratio "pssh_true|$n" "status|$n|insecure")"
        row "parallel-ssh start (Jarvis) vs \`start\`" "$n" "$(cell "start|$n|curve")" "$(cell "start|$n|insecure")" \
            "parallel-ssh: $(cell "pssh_start|$n")" \
            "pssh/wrp $(ratio "pssh_start|$n" "start|$n|curve") / $(ratio "pssh_start|$n" "start|$n|insecure")"
        row "parallel-ssh stop (Jarvis) vs \`stop\`" "$n" "$(cell "stop|$n|curve")" "$(cell "stop|$n|insecure")" \
            "parallel-ssh: $(cell "pssh_stop|$n")" \
            "pssh/wrp $(ratio "pssh_stop|$n" "stop|$n|curve") / $(ratio "pssh_stop|$n" "stop|$n|insecure")"
    done
    for n in $SIZES_DONE; do
        row "warm STATUS sweep (monitor's poll)" "$n" "$(cell "poll|$n|curve")" "$(cell "poll|$n|insecure")" \
            "floor warm round: $(cell "floorwarm|$n|curve") / $(cell "floorwarm|$n|insecure")" \
            "wrp/floor $(ratio "poll|$n|curve" "floorwarm|$n|curve") / $(ratio "poll|$n|insecure" "floorwarm|$n|insecure")"
    done
    for n in $FLOOR_SIZES; do
        row "floor cold round inside the process" "$n" "$(cell "floorin|$n|curve")" \
            "$(cell "floorin|$n|insecure")" "(connects and handshakes included)" ""
    done
    row "idle agent RSS (MiB)" 1 "$(cell "fp_rss|1|curve")" "$(cell "fp_rss|1|insecure")" \
        "threads: ${NOTE[fp_threads|curve]:-—} / ${NOTE[fp_threads|insecure]:-—}" ""
    row "idle agent Private_Dirty (MiB)" 1 "$(cell "fp_priv|1|curve")" "$(cell "fp_priv|1|insecure")" "target < 2 MiB" ""
    row "idle agent CPU (%), runtime running" 1 "$(cell "fp_cpu|1|curve")" "$(cell "fp_cpu|1|insecure")" \
        "target < 0.1 %; ${NOTE[fp_cpu_note|curve]:-} / ${NOTE[fp_cpu_note|insecure]:-}" ""
    row "idle agent context switches per s (perf, all threads)" 1 "$(cell "fp_wake|1|curve")" \
        "$(cell "fp_wake|1|insecure")" "over ${TRACE_SECS}s" ""
    row "idle agent syscalls per s (strace -f -c)" 1 "$(cell "fp_sys|1|curve")" \
        "$(cell "fp_sys|1|insecure")" "over ${TRACE_SECS}s" ""
    big=${SIZES_DONE##* }
    for v in status start stop clean; do
        c=${RSS[$v|curve]:-} p=${RSS[$v|insecure]:-}
        [ -n "$c$p" ] || continue
        row "controller peak RSS, \`$v\` (MiB)" "$big" "$(mib "$c")" "$(mib "$p")" \
            "target < 64 MiB; CPU (user+sys) of the controller: ${CPU[$v|curve]:-—} s / ${CPU[$v|insecure]:-—} s, of all agents: ${ACPU[$v|curve]:-—} s / ${ACPU[$v|insecure]:-—} s" ""
    done
    for n in $SIM_DONE; do
        for v in status start stop; do
            cmp="" rat=""
            if [ "$v" = status ]; then
                cmp="floor against echo serving the same way: $(cell "simfloor|$n|curve") / $(cell "simfloor|$n|insecure")"
                rat="wrp/floor $(ratio "sim_status|$n|curve" "simfloor|$n|curve") / $(ratio "sim_status|$n|insecure" "simfloor|$n|insecure")"
            fi
            row "\`wrp-controller $v\`, simulated agents" "$n" "$(cell "sim_$v|$n|curve")" \
                "$(cell "sim_$v|$n|insecure")" "$cmp" "$rat"
        done
        for k in sim_status sim_start sim_stop simfloor; do
            [ -n "${RSS[$k|$n|curve]:-}${RSS[$k|$n|insecure]:-}" ] || continue
            what="controller peak RSS (MiB) / CPU (s) / descriptors, \`${k#sim_}\`, simulated"
            cmt="target RSS < 256 MiB at 10000; started with a soft limit of 1024 descriptors"
            if [ $k = simfloor ]; then
                what="floor peak RSS (MiB) / CPU (s) / descriptors, same endpoints"
                cmt="one ROUTER, one connection per node; started with a soft limit of 1024 descriptors"
            fi
            row "$what" "$n" \
                "$(mib "${RSS[$k|$n|curve]:-}") / ${CPU[$k|$n|curve]:-—} / ${FDS[$k|$n|curve]:-—}" \
                "$(mib "${RSS[$k|$n|insecure]:-}") / ${CPU[$k|$n|insecure]:-—} / ${FDS[$k|$n|insecure]:-—}" \
                "$cmt" ""
        done
    done
    row "runtime SIGSEGV → agent says \`failed\` (ms)" 1 "$(cell "crash|1|curve")" \
        "$(cell "crash|1|insecure")" "target ≤ 50 ms; STATUS back to back" ""
    row "agent SIGKILL → \`monitor\` prints it (ms)" 1 "$(cell "agentloss|1|curve")" \
        "$(cell "agentloss|1|insecure")" "first line monitor prints after the kill" ""
    if [ $WRP_OK != 1 ]; then echo; echo "wrp figures skipped: $WRP_WHY."; fi
    if [ $SSH_OK != 1 ] && part_on anchor; then
        echo; echo "parallel-ssh anchor skipped (needs root, pssh and openssh-server)."
    fi
} >"$OUT/results.md"
over && echo "The run went over its ${MAX_SECS} s bound: the rows saying so were not measured." >>"$OUT/results.md"
say "done in $(elapsed_s)s; table in ${OUT#$TOP/}/results.md, log in ${LOG#$TOP/}"
echo
cat "$OUT/results.md"
