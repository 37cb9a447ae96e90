#!/usr/bin/env bash
# Keys: `wrp-controller keygen FILE` makes FILE (public) and FILE_secret
# (0600) in czmq's zcert format, creates a missing parent directory 0700,
# and refuses to overwrite. An agent with neither keys nor --insecure
# refuses to start and says how to make keys; bad key setups (a secret
# readable by others, no authorized-keys directory) are refused with the
# file named; --insecure is said loudly in the log.
. "$(dirname "$0")/lib.sh"

[ -x "$BIN/wrp-controller" ] || fail "no $BIN/wrp-controller (make first)"
[ -x "$BIN/wrp-agentd" ] || fail "no $BIN/wrp-agentd (make first)"

note "keygen makes FILE and FILE_secret"
key=$T/keys/sub/agent.key
run_cmd out rc "$BIN/wrp-controller" keygen "$key"
assert_eq 0 "$rc" "keygen exit: $out"
[ -f "$key" ] || fail "keygen made no $key"
[ -f "${key}_secret" ] || fail "keygen made no ${key}_secret"
assert_eq 600 "$(stat -c %a "${key}_secret")" "mode of the secret file"
assert_eq 700 "$(stat -c %a "$T/keys/sub")" "mode of the created parent directory"
# zcert format: a curve section with a 40-character Z85 public key; the
# secret file also holds the secret key; the public file must not.
grep -Eq '^ +public-key = "[^"]{40}"$' "$key" || fail "no zcert public-key line in $key: $(cat "$key")"
grep -Eq '^ +secret-key = "[^"]{40}"$' "${key}_secret" || fail "no secret-key line in ${key}_secret"
if grep -q secret-key "$key"; then fail "the public file $key holds the secret key"; fi
pub=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$key")
assert_eq "$pub" "$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "${key}_secret")" "public key in both files"

note "keygen refuses to overwrite"
sum=$(cat "$key" "${key}_secret" | sha256sum)
run_cmd out rc "$BIN/wrp-controller" keygen "$key"
[ "$rc" -ne 0 ] || fail "keygen over an existing key succeeded"
assert_contains "$out" "$key" "overwrite message names the file"
assert_contains "$out" "overwrite" "overwrite message says why"
assert_eq "$sum" "$(cat "$key" "${key}_secret" | sha256sum)" "existing key unchanged"
# Only the secret half present: still refused, still unchanged.
mv "$key" "$T/saved.pub"
run_cmd out rc "$BIN/wrp-controller" keygen "$key"
[ "$rc" -ne 0 ] || fail "keygen over an existing FILE_secret succeeded"
[ ! -e "$key" ] || fail "a refused keygen left $key behind"
mv "$T/saved.pub" "$key"
run_cmd out rc "$BIN/wrp-controller" keygen
[ "$rc" -ne 0 ] || fail "keygen without FILE succeeded"

port=$(free_port)
agent=("$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$port" --state-dir "$T/state"
       --shm-dir "$T/shm" --node-name sec)
mkdir -p "$T/shm"

note "no keys, no --insecure: refuses to start, says how to make keys"
run_cmd out rc timeout 10 "$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$port" \
    --state-dir "$T/state" --shm-dir "$T/shm" --key "$T/nonexistent/agent.key"
echo "$out"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "agent without keys: exit $rc (want a refusal)"
assert_contains "$out" "wrp-controller keygen" "no-keys message tells how to make keys"
assert_contains "$out" "--insecure" "no-keys message names the alternative"
assert_contains "$out" "$T/nonexistent/agent.key" "no-keys message names the file"

if [ ! -e /etc/wrp/agent.key ]; then
    note "no --key and no default key: the same refusal"
    run_cmd out rc timeout 10 "$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$port" \
        --state-dir "$T/state" --shm-dir "$T/shm"
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "agent without any key: exit $rc"
    assert_contains "$out" "wrp-controller keygen" "default-key message tells how to make keys"
fi

note "no authorized-keys directory: refused, directory named"
run_cmd out rc timeout 10 "${agent[@]}" --key "$key" --authorized-keys "$T/no-such-dir"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "agent without authorized keys dir: exit $rc"
assert_contains "$out" "$T/no-such-dir" "message names the authorized keys directory"

note "secret readable by others: refused like ssh"
mkdir -p "$T/authorized"
chmod 0644 "${key}_secret"
run_cmd out rc timeout 10 "${agent[@]}" --key "$key" --authorized-keys "$T/authorized"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "agent with a readable secret: exit $rc"
assert_contains "$out" "chmod 600" "readable-secret message says the fix"
chmod 0600 "${key}_secret"

note "--insecure is said loudly"
"${agent[@]}" --insecure >"$T/agent.log" 2>&1 &
apid=$!
at_exit "kill $apid 2>/dev/null; wait $apid 2>/dev/null"
wait_for 10 grep -qi "insecure" "$T/agent.log"
kill -0 "$apid" || fail "insecure agent exited: $(cat "$T/agent.log")"
grep -i "insecure" "$T/agent.log" | grep -qiE "warning|error" \
    || fail "--insecure not logged as a warning: $(cat "$T/agent.log")"
