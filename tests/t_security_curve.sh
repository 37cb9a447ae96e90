#!/usr/bin/env bash
# CURVE between a real agent and real controllers on loopback:
# - an authorized controller gets status;
# - a controller whose key is not authorized gets a clear "not authorized"
#   for that node (fast, not a timeout), the agent log names the refused
#   key, and the agent keeps serving the authorized controller during and
#   after;
# - a controller in --insecure mode against the CURVE agent gets a clear
#   mismatch error; a wrong --agent-key is reported as such;
# - raw TCP clients sending random bytes do not disturb the agent;
# - a key added to / removed from the authorized-keys directory takes
#   effect without a restart.
. "$(dirname "$0")/lib.sh"

[ -x "$BIN/wrp-controller" ] || fail "no $BIN/wrp-controller (make first)"
[ -x "$BIN/wrp-agentd" ] || fail "no $BIN/wrp-agentd (make first)"

k=$T/keys
for name in agent controller stranger; do
    "$BIN/wrp-controller" keygen "$k/$name.key" >/dev/null || fail "keygen $name"
done
mkdir -p "$T/authorized" "$T/shm"
cp "$k/controller.key" "$T/authorized/controller.pub"
stranger=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$k/stranger.key")

curve_agent sec "$k"
alive () { kill -0 "$apid" 2>/dev/null || fail "agent died: $(tail -n 20 "$T/agent.log")"; }
authorized_status () {
    run_cmd out rc ctl "$k/controller.key" status
    assert_eq 0 "$rc" "authorized status ($1): $out"
    assert_contains "$out" "1 reachable" "authorized status ($1)"
}

note "authorized controller"
authorized_status "first"

note "unknown controller key"
t0=$(date +%s%N)
run_cmd out rc ctl "$k/stranger.key" status
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out"
assert_eq 2 "$rc" "status with an unknown key: exit code"
assert_contains "$out" "not authorized" "controller says why"
[ "$ms" -lt 2500 ] || fail "refusal took $ms ms: reported as a timeout, not as a refusal"
wait_for 5 grep -qF "$stranger" "$T/agent.log"
grep -F "$stranger" "$T/agent.log" | grep -q "refused" || fail "agent log: no refusal naming the key"

note "refused controllers hammering while the authorized one works"
( for _ in $(seq 20); do ctl "$k/stranger.key" status >/dev/null 2>&1 || true; done ) &
hammer=$!
at_exit "kill $hammer 2>/dev/null"
for i in 1 2 3; do authorized_status "during $i"; done
wait "$hammer" || true
alive
authorized_status "after"
# Repeats of the same key are rate-limited in the log, not one line each.
lines=$(grep -cF "$stranger" "$T/agent.log" || true)
[ "$lines" -le 3 ] || fail "refusals of one key flood the log: $lines lines"

note "plain controller against the CURVE agent"
run_cmd out rc "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --timeout 3000 --insecure status
echo "$out"
assert_eq 2 "$rc" "plain controller: exit code"
assert_contains "$out" "CURVE" "plain controller is told the agent requires CURVE"
alive
authorized_status "after plain"

note "wrong agent public key"
run_cmd out rc "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --timeout 3000 \
    --key "$k/controller.key" --agent-key "$k/stranger.key" status
echo "$out"
assert_eq 2 "$rc" "wrong agent key: exit code"
assert_contains "$out" "agent-key" "wrong agent key is pointed at"

note "raw TCP clients sending random bytes"
python3 - "$port" <<'PY' || fail "raw client script failed"
import os, socket, sys
port = int(sys.argv[1])
payloads = [os.urandom(n) for n in (1, 10, 64, 4096, 65536)]
# A ZMTP greeting claiming CURVE, then garbage; and one claiming NULL.
greet = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x01"
payloads.append(greet + b"CURVE".ljust(20, b"\0") + b"\0" * 32 + os.urandom(500))
payloads.append(greet + b"NULL".ljust(20, b"\0") + b"\0" * 32 + os.urandom(500))
payloads.append(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
for data in payloads:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(data)
        s.settimeout(0.3)
        try:
            s.recv(4096)
        except OSError:
            pass
    finally:
        s.close()
PY
alive
authorized_status "after random bytes"

note "authorizing and revoking without a restart"
cp "$k/stranger.key" "$T/authorized/stranger.pub"
run_cmd out rc ctl "$k/stranger.key" status
assert_eq 0 "$rc" "newly authorized key: $out"
rm "$T/authorized/stranger.pub"
run_cmd out rc ctl "$k/stranger.key" status
assert_eq 2 "$rc" "revoked key: $out"
assert_contains "$out" "not authorized" "revoked key refused"
alive
authorized_status "at the end"

note "per-host agent keys: --agent-key DIR holds HOST.key, else agent.key"
mkdir -p "$T/agentkeys"
cp "$k/agent.key" "$T/agentkeys/127.0.0.1.key"
cp "$k/stranger.key" "$T/agentkeys/agent.key"
run_cmd out rc "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --timeout 3000 \
    --key "$k/controller.key" --agent-key "$T/agentkeys" status
assert_eq 0 "$rc" "per-host key file chosen over the shared one: $out"
rm "$T/agentkeys/127.0.0.1.key"
run_cmd out rc "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --timeout 3000 \
    --key "$k/controller.key" --agent-key "$T/agentkeys" status
assert_eq 2 "$rc" "fallback DIR/agent.key (the wrong key here) is used: $out"
rm "$T/agentkeys/agent.key"
run_cmd out rc "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --timeout 3000 \
    --key "$k/controller.key" --agent-key "$T/agentkeys" status
assert_eq 2 "$rc" "no key for the host: $out"
assert_contains "$out" "no agent key for this host" "missing per-host key is named"
