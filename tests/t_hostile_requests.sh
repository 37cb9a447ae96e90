#!/usr/bin/env bash
# Malformed requests that carry a usable id are answered ERROR BAD_REQUEST
# (PROTOCOL.md section 7), not left to the controller's timeout; a received
# OK or ERROR is dropped unanswered (section 2: two peers cannot loop).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

start_agent "$T/a"

# bad_request WHAT FRAMES...: raw frames must get ERROR BAD_REQUEST.
bad_request () {
    local what=$1
    shift
    R=$("$TBIN/wrp-send" --frames -t 5000 "$AGENT_EP" "$@" 2>&1) \
        || fail "$what: no reply (${R:0:200})"
    assert_contains "$R" "frame1=ERROR" "$what"
    assert_contains "$R" "BAD_REQUEST" "$what"
}

head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' x > "$T/value41"
bad_request "value of 4 MiB + 1" WRP/1 START big1 config @"$T/value41"
bad_request "65-byte key" WRP/1 START k1 "$(printf 'k%.0s' $(seq 65))" v
bad_request "env.A=B key" WRP/1 START e1 env.A=B v
args=()
for i in $(seq 1 513); do args+=("f$i" v); done
bad_request "513 fields" WRP/1 STATUS f513 "${args[@]}"
head -c $((3 * 1024 * 1024)) /dev/zero > "$T/v3"
bad_request "more than 8 MiB in all" WRP/1 START t1 a @"$T/v3" b @"$T/v3" c @"$T/v3"

note "OK and ERROR received: dropped, not answered"
for c in OK ERROR; do
    if R=$("$TBIN/wrp-send" --frames -t 1500 "$AGENT_EP" WRP/1 "$c" r1 code X 2>&1); then
        fail "$c was answered: $R"
    fi
done
send STATUS s1
assert_eq OK "$(field command)" "still serving"
echo "requests ok"
