#!/usr/bin/env bash
# GET latency at 1000 nodes: in a network namespace of its own, one agent
# answers on every 127.0.x.y (the namespace's loopback), the monitor polls
# 1000 of those addresses every second and serves them; /metrics,
# /status.json and / are fetched 100 times each over one keep-alive
# connection while polls go on. Reports median and p99; fails when a
# median exceeds 10 ms (the goal) or a p99 exceeds 100 ms (a busy machine).
# Last, a monitor bound to every address (of that isolated namespace) warns.
. "$(dirname "$0")/lib.sh"
need_root
N=${WRP_SCALE_NODES:-1000}
NS=wrpt-$$-scale
ip netns add "$NS" || fail "cannot create namespace $NS"
at_exit "ip netns pids $NS 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del $NS 2>/dev/null"
ip -n "$NS" link set lo up
# (Not for processes started with &: the function's subshell would get their pid.)
inns () { ip netns exec "$NS" "$@"; }

aport=5560
mkdir -p "$T/agent"
ip netns exec "$NS" env PATH="$TBIN:$PATH" "$BIN/wrp-agentd" --insecure --endpoint "tcp://*:$aport" \
    --state-dir "$T/agent/state" --node-name scale >"$T/agent/log" 2>&1 &
at_exit "kill -9 $! 2>/dev/null"
wait_for 10 inns "$TBIN/wrp-send" -t 500 "tcp://127.0.0.1:$aport" STATUS -
for ((i = 0; i < N; i++)); do
    printf '127.0.%d.%d\n' $((10 + i / 250)) $((1 + i % 250))
done >"$T/hosts"

ip netns exec "$NS" sh -c 'ulimit -n 65536 2>/dev/null; exec "$@"' sh "$BIN/wrp-controller" -H "$T/hosts" \
    --port "$aport" --insecure monitor --interval 1s --listen 127.0.0.1:9464 \
    >"$T/monitor.out" 2>"$T/monitor.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"
at_exit '[ "${rc:-0}" = 0 ] || { echo "--- monitor:"; tail -n 5 "$T/monitor.out" "$T/monitor.err"; }'
wait_for 60 grep -q "monitoring $N nodes" "$T/monitor.out"
assert_contains "$(head -n 1 "$T/monitor.out")" "$N up" "initial view"

inns python3 - "$N" <<'PY' || fail "GET latency"
import http.client, json, sys, time
n = int(sys.argv[1])
c = http.client.HTTPConnection("127.0.0.1", 9464, timeout=10)
def get(path):
    c.request("GET", path); r = c.getresponse(); body = r.read()
    assert r.status == 200, (path, r.status)
    return body
doc = json.loads(get("/status.json"))
assert doc["summary"]["total"] == n and doc["summary"]["reachable"] == n, doc["summary"]
bad = []
for path in ("/metrics", "/status.json", "/"):
    t = []
    for i in range(100):
        t0 = time.perf_counter(); body = get(path)
        t.append((time.perf_counter() - t0) * 1000)
    t.sort()
    print(f"-- GET {path} at {n} nodes ({len(body) // 1024} KiB): median {t[50]:.2f} ms, p99 {t[98]:.2f} ms")
    if t[50] > 10 or t[98] > 100:
        bad.append(path)
# The slowest reply to a whole poll of the 1000 agents (once one finished).
deadline = time.time() + 20
while True:
    polls = [l for l in get("/metrics").decode().splitlines()
             if l.startswith("wrp_monitor_poll_duration_seconds ")]
    if float(polls[0].split()[1]) > 0:
        break
    if time.time() > deadline:
        sys.exit("no poll duration after 20 s")
    time.sleep(0.1)
print(f"-- {polls[0]}")
sys.exit(f"too slow: {bad}" if bad else 0)
PY
note "bound beyond loopback: a warning"
ip netns exec "$NS" "$BIN/wrp-controller" -H "$T/hosts" --port "$aport" --insecure monitor \
    --interval 1s --listen :9465 >"$T/monitor2.out" 2>"$T/monitor2.err" &
mon2=$!
at_exit "kill -9 $mon2 2>/dev/null"
wait_for 20 grep -q "reachable from other hosts by anyone" "$T/monitor2.err"
wait_for 60 grep -q "monitoring $N nodes" "$T/monitor2.out"    # signal handlers in place
kill -TERM $mon2
wait $mon2 || fail "monitor --listen :9465: exit $?"
exit 0
