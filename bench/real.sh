#!/usr/bin/env bash
# bench/real.sh — the real-runtime row (`make bench-real`): wrp-controller
# `start` and `stop` of the real Chimaera runtime at 16 and 64 namespaced
# nodes (tests/netns.sh: each node its own network and /dev/shm), against
# the Jarvis way on the same nodes in the same run: parallel-ssh running the
# real chimaera_start_runtime (in the background, nohup) and then the real
# chimaera_stop_runtime on every host, through a private sshd on the bridge
# whose remote command enters the node's namespaces (nsenter, ~1 ms).
#
# wrp's start returns once every runtime serves (and has settled), its stop
# once every runtime is gone; the Jarvis start returns once every ssh
# session has launched its runtime (Jarvis then sleeps), its stop once every
# stop binary has exited (the runtimes abort up to seconds later). Needs
# root, pssh and openssh-server, and the real runtime built by
# `make check-real` (build/real); prints why and exits 0 otherwise.
#
#   BENCH_REAL_SIZES="16 64"   node counts      BENCH_REAL_RUNS=3   runs each
# Writes the table to $BUILD/bench/real.md.
cd "$(dirname "$0")/.."
. tests/lib.sh
set +e
. tests/netns.sh
SIZES=${BENCH_REAL_SIZES:-"16 64"}
RUNS=${BENCH_REAL_RUNS:-3}
REAL=${WRP_REAL_PREFIX:-$WRP_TOP/build/real/prefix}
out=$BUILD/bench/real.md
mkdir -p "$(dirname "$out")"
no () { echo "bench/real.sh: skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || no "needs root (namespaces)"
[ -x "$REAL/bin/chimaera_start_runtime" ] || no "no real runtime in $REAL (make check-real builds it)"
command -v parallel-ssh >/dev/null && [ -x /usr/sbin/sshd ] || no "needs pssh and openssh-server"
skip () { no "$*"; }    # what netns.sh calls when it cannot run
. tests/real/real_lib.sh

maxn=0
for n in $SIZES; do [ "$n" -gt "$maxn" ] && maxn=$n; done
real_pipeline "$T/real.yaml"
echo "bringing up $maxn nodes"
netns_up "$maxn"
rctl ppl load "$T/real.yaml" >/dev/null || fail "ppl load"

# The sshd, on the bridge address; hosts h1..hN all reach it.
S=$T/ssh
mkdir -p "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$S/client_key"
cp "$S/client_key.pub" "$S/authorized_keys"
port=$(free_port)
cat >"$S/sshd_config" <<EOF
ListenAddress $NETNS_NET.254:$port
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
MaxStartups $((maxn * 2)):30:$((maxn * 4))
MaxSessions $((maxn * 2))
AcceptEnv PSSH_NODENUM PSSH_HOST
LogLevel ERROR
EOF
cat >"$S/ssh_config" <<EOF
Host h*
    HostName $NETNS_NET.254
    Port $port
    User root
    IdentityFile $S/client_key
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
    BatchMode yes
EOF
[ -d /run/sshd ] || { mkdir -p /run/sshd && at_exit "rmdir /run/sshd 2>/dev/null"; }
/usr/sbin/sshd -D -f "$S/sshd_config" -E "$S/sshd.log" &
sshd=$!
at_exit "kill $sshd 2>/dev/null"
wait_for 10 ssh -F "$S/ssh_config" h1 true

# The remote side: node PSSH_NODENUM+1 is entered through its agent's
# namespaces; the runtime gets what the Jarvis package gives it.
for ((i = 1; i <= maxn; i++)); do
    echo "${NETNS_AGENT_PID[$i]} ${NETNS_NS[$i]} ${NETNS_STATE[$i]}/pipelines/real/chimaera_config.yaml" >"$S/node$i"
done
enter='read a ns conf < '"$S"'/node$((PSSH_NODENUM + 1)); nsenter --mount=/proc/$a/ns/mnt --net=/var/run/netns/$ns env USER='"$REAL_USER"' CHI_REPO_PATH='"$REAL_LIB"' CHI_SERVER_CONF=$conf'
remote_start="$enter nohup $REAL/bin/chimaera_start_runtime >/dev/null 2>&1 </dev/null &"
remote_stop="$enter $REAL/bin/chimaera_stop_runtime >/dev/null 2>&1"

# ms CMD...: run CMD, print its wall time in ms (empty when it failed).
ms () {
    local t0=$(date +%s%N)
    "$@" >>"$T/cmd.log" 2>&1 || return 1
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
# runtimes N: how many of nodes 1..N run a live real runtime.
runtimes () {
    local i c=0 p
    for ((i = 1; i <= $1; i++)); do
        p=$(netns_runtime_pid "$i")
        [ -n "$p" ] && ! real_gone "$p" && c=$((c + 1))
    done
    echo "$c"
}
serving () { # every node of 1..N listens on 127.0.0.1:port+1
    local i
    for ((i = 1; i <= $1; i++)); do
        ip netns exec "${NETNS_NS[$i]}" ss -Htln "src 127.0.0.1:$((REAL_PORT + 1))" | grep -q LISTEN || return 1
    done
}
none_left () { [ "$(runtimes "$1")" -eq 0 ]; }
median () { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR + 1) / 2)]; else print "-"}'; }

{
    echo "| real runtime, nodes | wrp \`start\` (ms) | Jarvis start: parallel-ssh (ms) | wrp \`stop\` (ms) | Jarvis stop: parallel-ssh (ms) |"
    echo "|---|---|---|---|---|"
} >"$out"
for n in $SIZES; do
    head -n "$n" "$NETNS_HOSTFILE" >"$T/hosts$n"
    for ((i = 1; i <= n; i++)); do echo "h$i"; done >"$S/hosts$n"
    pssh=(parallel-ssh -h "$S/hosts$n" -p "$n" -t 120 -x "-F $S/ssh_config")
    ws=() wo=() js=() jo=()
    for ((r = 1; r <= RUNS; r++)); do
        t=$(REAL_HOSTS=$T/hosts$n ms rctl start) && ws+=("$t")
        [ "$(runtimes "$n")" -eq "$n" ] || echo "  run $r: wrp start: only $(runtimes "$n") of $n running"
        t=$(REAL_HOSTS=$T/hosts$n ms rctl stop) && wo+=("$t")
        none_left "$n" || echo "  run $r: wrp stop left $(runtimes "$n") runtimes"
        t=$(ms "${pssh[@]}" "$remote_start") && js+=("$t")
        wait_for 60 serving "$n"
        t=$(ms "${pssh[@]}" "$remote_stop") && jo+=("$t")
        wait_for 60 none_left "$n"
        REAL_HOSTS=$T/hosts$n rctl clean >/dev/null 2>&1
    done
    echo "  $n nodes: wrp start ${ws[*]}, stop ${wo[*]}; parallel-ssh start ${js[*]}, stop ${jo[*]} (ms)"
    echo "| $n | $(median "${ws[@]}") | $(median "${js[@]}") | $(median "${wo[@]}") | $(median "${jo[@]}") |" >>"$out"
done
echo
echo "Medians of $RUNS runs, $(nproc) cores:"
cat "$out"
