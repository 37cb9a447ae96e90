#!/usr/bin/env bash
# Real runtimes under overload: as many namespaced nodes as fit the suite's
# time (REAL_OVERLOAD_NODES, default 32), four CPU-bound processes beside
# them, then start, stop, start, kill. For every node and every verb the
# reported state matches the processes in that node's namespace, and the
# exit code is 0 exactly when every node did it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns.sh"
. "$(dirname "$0")/real_lib.sh"

N=${REAL_OVERLOAD_NODES:-32}
real_pipeline "$T/real.yaml" "timeout: 240"
netns_up "$N"
run_cmd out rc rctl ppl load "$T/real.yaml"
assert_eq 0 "$rc" "ppl load: $out"

for k in 1 2 3 4; do
    bash -c 'while :; do :; done' &
    at_exit "kill -9 $! 2>/dev/null"
done
note "$N nodes, 4 CPU-bound processes beside them"

# check VERB JSON RC: every node's reported state against its namespace.
check () {
    local verb=$1 json=$2 rc=$3 i pid facts=""
    for ((i = 1; i <= N; i++)); do
        pid=$(netns_runtime_pid "$i")
        if [ -n "$pid" ] && ! real_gone "$pid" && real_is_real "$pid"; then facts="$facts ${NETNS_IP[$i]}=$pid"
        else facts="$facts ${NETNS_IP[$i]}=none"; fi
    done
    python3 - "$verb" "$json" "$rc" $facts <<'PY'
import json, sys
verb, path, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
facts = dict(a.split("=") for a in sys.argv[4:])
d = json.load(open(path))
assert len(d["nodes"]) == len(facts), (len(d["nodes"]), len(facts))
want = "running" if verb == "start" else "stopped"
all_did = True
bad = []
for n in d["nodes"]:
    pid = facts[n["host"]]
    state = n["runtime"]["state"] if n.get("runtime") else None
    if state == "running" and (pid == "none" or str(n["runtime"]["pid"]) != pid):
        bad.append("%s reported running (pid %s), namespace has %s" % (n["host"], n["runtime"]["pid"], pid))
    if state in ("stopped", "failed") and pid != "none":
        bad.append("%s reported %s, namespace runs pid %s" % (n["host"], state, pid))
    if not n["reachable"]:
        bad.append("%s reported unreachable: %s" % (n["host"], n.get("error")))
    if state != want or n.get("result") not in (None, "ok"):
        all_did = False
assert not bad, "\n".join(bad)
assert (rc == 0) == all_did, "exit %d, every node did %s: %s" % (rc, verb, all_did)
print("%s: %d nodes, exit %d, every node did it: %s" % (verb, len(facts), rc, all_did))
PY
}

for verb in start stop start kill; do
    t0=$(date +%s%N)
    rc=0
    rctl "$verb" --json >"$T/$verb.json" 2>"$T/$verb.err" || rc=$?
    note "$verb on $N nodes: exit $rc in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    check "$verb" "$T/$verb.json" "$rc" || fail "$verb: $(cat "$T/$verb.err")"
    [ "$rc" -eq 0 ] || fail "$verb: exit $rc: $(cat "$T/$verb.json")"
done
echo "overload ok on $N nodes"
