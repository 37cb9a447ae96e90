#!/usr/bin/env bash
# 1000 hosts in one fan-out: a namespace of our own where every 127.x.y.z
# address is local, one wrp-agentd listening on all of them (so 1000 DEALERs
# each reach "their" agent over their own TCP connection), plus 50 hosts
# whose port nobody listens on. status must list all 1050, mark exactly the
# 50 unreachable, and return within its timeout.
. "$(dirname "$0")/lib.sh"
need_root

NS=wrpt-$$-scale
ip netns add "$NS" || fail "cannot create namespace"
at_exit "ip netns pids $NS 2>/dev/null | xargs -r kill -9 2>/dev/null; sleep 0.1; ip netns del $NS 2>/dev/null"
ip -n "$NS" link set lo up
mkdir -p "$T/state"
ip netns exec "$NS" env PATH="$TBIN:$PATH" "$BIN/wrp-agentd" --insecure --endpoint 'tcp://*:5560' \
    --state-dir "$T/state" --node-name scale 2>"$T/agent.log" &
agent=$!; disown $agent; at_exit "kill -9 $agent 2>/dev/null"
wait_for 5 sh -c "ip netns exec $NS ss -Htln 'sport = :5560' | grep -q LISTEN"

python3 - >"$T/hosts" <<'PY'
for i in range(1000):
    print("127.10.%d.%d" % (i // 250, i % 250 + 1))
for i in range(50):
    print("127.20.0.%d:5999" % (i + 1))     # nobody listens there
PY

t0=$(date +%s%N)
rc=0
ip netns exec "$NS" "$BIN/wrp-controller" -H "$T/hosts" --insecure --timeout 3000 status --json \
    >"$T/status.json" 2>"$T/ctl.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "status on 1050 hosts (50 dead): exit $rc in $ms ms"
assert_eq 2 "$rc" "exit code with 50 dead hosts"
[ "$ms" -lt 6000 ] || fail "status on 1050 hosts took $ms ms (timeout 3000 ms)"
python3 - "$T/status.json" <<'PY' || fail "status document: $(head -c 600 "$T/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s["total"] == 1050 and s["reachable"] == 1000, s
dead = [n for n in d["nodes"] if not n["reachable"]]
assert len(dead) == 50 and all(n["host"].startswith("127.20.0.") for n in dead), len(dead)
assert all("unreachable" in n["error"] for n in dead)
assert all(n["runtime"]["state"] == "stopped" for n in d["nodes"] if n["reachable"])
PY
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/status.json" \
    || fail "schema"

# All alive: the fan-out itself.
head -n 1000 "$T/hosts" >"$T/alive"
t0=$(date +%s%N)
ip netns exec "$NS" "$BIN/wrp-controller" -H "$T/alive" --insecure --timeout 10000 status >"$T/table" \
    || fail "status on 1000 live hosts: exit $?: $(tail -n 3 "$T/table")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "status on 1000 live hosts: $ms ms"
assert_contains "$(tail -n 1 "$T/table")" "1000 nodes: 1000 reachable, 0 running" "summary line"
[ "$ms" -lt 8000 ] || fail "status on 1000 hosts took $ms ms"

# Past 256 agents the controller watches handshakes only of agents that stay
# silent: a refused key must still come out as "not authorized" on every
# row, not as a timeout. A CURVE agent on port 5561 of every address, a
# controller whose key it does not know.
"$BIN/wrp-controller" keygen "$T/agent.key" >/dev/null
"$BIN/wrp-controller" keygen "$T/stranger.key" >/dev/null
mkdir -p "$T/authorized" "$T/state2"
ip netns exec "$NS" "$BIN/wrp-agentd" --endpoint 'tcp://*:5561' --state-dir "$T/state2" \
    --node-name curve --key "$T/agent.key" --authorized-keys "$T/authorized" \
    2>"$T/agent2.log" &
agent2=$!; disown $agent2; at_exit "kill -9 $agent2 2>/dev/null"
wait_for 5 sh -c "ip netns exec $NS ss -Htln 'sport = :5561' | grep -q LISTEN"
head -n 300 "$T/hosts" | sed 's/$/:5561/' >"$T/curve-hosts"
t0=$(date +%s%N)
rc=0
ip netns exec "$NS" "$BIN/wrp-controller" -H "$T/curve-hosts" --key "$T/stranger.key" \
    --agent-key "$T/agent.key" --timeout 20000 status --json >"$T/denied.json" \
    2>"$T/ctl2.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "status on 300 hosts with a refused key: exit $rc in $ms ms"
assert_eq 2 "$rc" "exit code with a refused key"
[ "$ms" -lt 10000 ] || fail "refusals on 300 hosts took $ms ms: reported as timeouts"
/usr/bin/python3 - "$T/denied.json" <<'PY' || fail "denied document: $(head -c 600 "$T/denied.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"]["total"] == 300 and d["summary"]["reachable"] == 0, d["summary"]
bad = [n for n in d["nodes"] if "not authorized" not in (n["error"] or "")]
assert not bad, bad[:3]
PY
