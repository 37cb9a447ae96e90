#!/usr/bin/env bash
# Bad messages: random bytes on the port, an oversized message, a frame
# sequence that is not our protocol, another protocol version. The agent
# drops (and logs, rate-limited) or answers the codec's ERROR (VERSION with
# the version spoken, BAD_REQUEST), and keeps serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

start_agent "$T/a"

note "random bytes over raw TCP"
python3 - "$AGENT_PORT" <<'PY'
import os, socket, sys
for size in (1, 10, 64, 4096, 100000):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    try:
        s.sendall(os.urandom(size))
    except OSError:
        pass
    s.close()
# A valid ZMTP greeting then garbage.
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\xff" + b"\x00" * 8 + b"\x7f\x03\x00NULL" + b"\x00" * 16 + b"\x00" * 32 + os.urandom(512))
s.close()
PY
send STATUS s1
assert_eq OK "$(field command)" "still serving after random bytes"

note "oversized message"
head -c $((9 * 1024 * 1024)) /dev/zero > "$T/big"
"$TBIN/wrp-send" --frames -t 1000 "$AGENT_EP" WRP/1 START big1 config @"$T/big" >/dev/null 2>&1 || true
send STATUS s2
assert_eq OK "$(field command)" "still serving after an oversized message"

note "frames that are not our protocol, and malformed ones"
for i in $(seq 1 7); do
    "$TBIN/wrp-send" --frames -t 100 "$AGENT_EP" "GET / HTTP/1.0" >/dev/null 2>&1 || true
done
"$TBIN/wrp-send" --frames -t 300 "$AGENT_EP" WRP/1 START "bad id!" >/dev/null 2>&1 || true
"$TBIN/wrp-send" --frames -t 300 "$AGENT_EP" WRP/1 START ok1 lonely-key >/dev/null 2>&1 || true
send STATUS s3
assert_eq OK "$(field command)" "still serving after noise"
drops=$(grep -c "dropped a message" "$T/a/agent.log" || true)
[ "$drops" -ge 1 ] && [ "$drops" -le 5 ] || fail "drop log lines not rate-limited: $drops"

note "another protocol version -> ERROR VERSION"
R=$("$TBIN/wrp-send" --frames -t 3000 "$AGENT_EP" WRP/2 STATUS v2)
assert_contains "$R" "frame1=ERROR" "version reply"
assert_contains "$R" "frame2=v2" "version reply id"
assert_contains "$R" "VERSION" "version code"
printf '%s\n' "$R" | grep -A1 -x 'frame[0-9]*=version' | grep -qx 'frame[0-9]*=1' ||
    fail "ERROR VERSION lacks the field version=1: $R"

note "a malformed request with a usable id -> the codec's BAD_REQUEST"
R=$("$TBIN/wrp-send" --frames -t 3000 "$AGENT_EP" WRP/1 START m1 lonely-key)
assert_contains "$R" "frame1=ERROR" "malformed request reply"
assert_contains "$R" "frame2=m1" "malformed request reply id"
assert_contains "$R" "BAD_REQUEST" "malformed request code"

note "a reply sent as a request: dropped, never answered (two peers cannot loop)"
if R=$("$TBIN/wrp-send" -t 1000 "$AGENT_EP" OK o1 2>&1); then
    fail "OK was answered: $R"
fi
send STATUS s4
assert_eq stopped "$(field state)" "nothing happened"
echo "garbage ok"
