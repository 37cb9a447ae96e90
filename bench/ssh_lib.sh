# bench/ssh_lib.sh — the private sshd that bench/run.sh and bench/real.sh
# run parallel-ssh against (sourced, not run).
#
# bench_ssh_setup DIR ADDR PORT MAXN HOSTS: in DIR, a host key and a client
# key (authorized), DIR/sshd_config listening on ADDR:PORT with room for
# MAXN sessions at once, and DIR/ssh_config sending every host matching
# HOSTS (e.g. h*) to it as root with the client key.
bench_ssh_setup () {
    local S=$1 addr=$2 port=$3 maxn=$4 hosts=$5
    mkdir -p "$S"
    ssh-keygen -q -t ed25519 -N '' -f "$S/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$S/client_key"
    cp "$S/client_key.pub" "$S/authorized_keys"
    cat >"$S/sshd_config" <<EOF
ListenAddress $addr:$port
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
Host $hosts
    HostName $addr
    Port $port
    User root
    IdentityFile $S/client_key
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
    BatchMode yes
EOF
}
