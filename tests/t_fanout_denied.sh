#!/usr/bin/env bash
# A controller whose key the agent does not authorize (and one running
# --insecure against a CURVE agent) gets a "denied" row saying why and what
# to do, at once (not after the timeout), exit 2; the authorized key works.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/authz" "$T/state" "$T/shm"
for k in agent ctl other; do "$BIN/wrp-controller" keygen "$T/$k.key" >/dev/null; done
cp "$T/ctl.key" "$T/authz/"
port=$(free_port)
PATH="$TBIN:$PATH" "$BIN/wrp-agentd" --endpoint "tcp://127.0.0.1:$port" --state-dir "$T/state" \
    --shm-dir "$T/shm" --key "$T/agent.key" --authorized-keys "$T/authz" 2>"$T/agent.log" &
agent=$!
disown $agent
at_exit "kill -9 $agent 2>/dev/null"
echo 127.0.0.1 >"$T/hosts"
CTL=("$BIN/wrp-controller" -H "$T/hosts" --port "$port" --agent-key "$T/agent.key")
wait_for 5 "${CTL[@]}" --key "$T/ctl.key" --timeout 300 status

t0=$(date +%s%N)
run_cmd out rc "${CTL[@]}" --key "$T/other.key" --timeout 5000 status
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out"
note "refused key reported after $ms ms"
assert_eq 2 "$rc" "exit code with a refused key"
assert_contains "$out" "denied" "AGENT column"
assert_contains "$out" "not authorized" "DETAIL"
assert_contains "$out" "other.key" "DETAIL names the key file"
[ "$ms" -lt 2000 ] || fail "a refused key took $ms ms to report (timeout 5000)"

run_cmd out rc "$BIN/wrp-controller" -H "$T/hosts" --port "$port" --insecure --timeout 5000 status
echo "$out"
assert_eq 2 "$rc" "exit code with --insecure against CURVE"
assert_contains "$out" "security mismatch" "DETAIL"

"${CTL[@]}" --key "$T/other.key" --timeout 5000 status --json >"$T/s.json" || true
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/s.json" || fail "schema"
python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["nodes"][0]; assert not n["reachable"] and "not authorized" in n["error"], n' "$T/s.json" \
    || fail "json: $(cat "$T/s.json")"
