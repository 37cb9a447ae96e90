#!/usr/bin/env bash
# FIFOs where the agent reads files: in the authorized-keys directory (the
# ZAP thread must not block in open(): every controller would then see the
# node unreachable), as agent.state and as commands in the state dir (the
# agent must start, say why it skipped them, and serve), as the config.
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$BIN/wrp-controller" ] || fail "no $BIN/wrp-controller (make first)"

k=$T/keys
for name in agent controller; do
    "$BIN/wrp-controller" keygen "$k/$name.key" >/dev/null || fail "keygen $name"
done
mkdir -p "$T/authorized" "$T/shm"
chmod 755 "$T" "$T/authorized"
cp "$k/controller.key" "$T/authorized/controller.pub"
echo 127.0.0.1 > "$T/hosts"

# agent NAME ARGS...: an agent on a free port, log $T/NAME.log; sets port, apid.
agent () {
    local name=$1
    shift
    port=$(free_port)
    "$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$port" --shm-dir "$T/shm" \
        --node-name fifo "$@" >"$T/$name.log" 2>&1 &
    apid=$!
    at_exit "kill -9 $apid 2>/dev/null"
}
listening () { ss -Htln "sport = :$port" | grep -q LISTEN; }
status_ok () {
    "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --timeout 3000 "$@" status
}

note "a FIFO in the authorized-keys directory"
agent keys --state-dir "$T/state1" --key "$k/agent.key" --authorized-keys "$T/authorized"
wait_for 10 listening
mkfifo "$T/authorized/zz-fifo.key"
run_cmd out rc status_ok --key "$k/controller.key" --agent-key "$k/agent.key"
assert_eq 0 "$rc" "status with a FIFO among the keys: $out"
rm "$T/authorized/zz-fifo.key"
run_cmd out rc status_ok --key "$k/controller.key" --agent-key "$k/agent.key"
assert_eq 0 "$rc" "status after the FIFO went: $out"
kill -9 $apid

for f in agent.state commands; do
    note "$f is a FIFO"
    mkdir -p "$T/st-$f"
    chmod 700 "$T/st-$f"
    mkfifo "$T/st-$f/$f"
    agent "st-$f" --state-dir "$T/st-$f" --insecure
    wait_for 10 listening
    run_cmd out rc status_ok --insecure
    assert_eq 0 "$rc" "status with $f a FIFO: $out"
    grep -q "$f" "$T/st-$f.log" || fail "no log line naming $f: $(cat "$T/st-$f.log")"
    kill -9 $apid
done

note "the config is a FIFO"
mkfifo "$T/agentd.yaml"
run_cmd out rc timeout 10 "$BIN/wrp-agentd" -c "$T/agentd.yaml" --insecure \
    --endpoint "tcp://127.0.0.1:$(free_port)" --state-dir "$T/state3"
[ "$rc" != 124 ] || fail "agent hung on a FIFO config"
[ "$rc" != 0 ] || fail "agent accepted a FIFO config"
assert_contains "$out" "agentd.yaml" "config error names the file"
echo "fifo ok"
