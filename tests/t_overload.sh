#!/usr/bin/env bash
# Truth under overload: 200 nodes (network namespaces, private /dev/shm,
# an agent each) with CPU-bound processes running beside them, through
# start, stop, start, kill. After every verb, for every node, what the
# controller reports (result, runtime state and pid) must match the
# processes in that node's namespace, and the exit code is 0 exactly when
# every node did it: before the second start one agent is SIGKILLed, so
# the last two verbs must say so for that node (and only that node) and
# exit 2. WRP_OVERLOAD_NODES and WRP_OVERLOAD_HOGS change the size.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

N=${WRP_OVERLOAD_NODES:-200}
HOGS=${WRP_OVERLOAD_HOGS:-4}
TIMEOUT_MS=120000

cat >"$T/over.yaml" <<'YAML'
name: overload
pkgs:
  - pkg_type: wrp_runtime
    pkg_name: runtime
    main_segment_size: 1M
    client_data_segment_size: 1M
    runtime_data_segment_size: 1M
YAML

t0=$(date +%s%N)
netns_up "$N"
note "$N nodes up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# The load: CPU-bound processes beside the agents, for the whole test.
for ((k = 0; k < HOGS; k++)); do
    sh -c 'while :; do :; done' &
    hog=$!; disown $hog; at_exit "kill -9 $hog 2>/dev/null"
done

run_cmd out rc ctl ppl load "$T/over.yaml"
assert_eq 0 "$rc" "ppl load: $out"

# actual: "NS PID" for every stand-in runtime process, by namespace.
actual () {
    python3 - "wrpt-$NETNS_TAG-" <<'PY'
import os, sys
prefix = sys.argv[1]
inode = {}
for name in os.listdir("/run/netns"):
    if name.startswith(prefix):
        inode[os.stat("/run/netns/" + name).st_ino] = name
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        if open("/proc/%s/comm" % pid).read().strip() != "chimaera_start_":
            continue
        ns = inode.get(os.stat("/proc/%s/ns/net" % pid).st_ino)
        state = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0]
    except OSError:
        continue
    if ns and state != "Z":
        print(ns, pid)
PY
}

# verb VERB WANT_STATE DEAD: runs the verb, then checks every node. DEAD is
# the node whose agent is gone (0: none): it must be reported unreachable,
# every other node must report WANT_STATE and result ok.
verb () {
    local v=$1 want=$2 dead=$3 t0 ms
    t0=$(date +%s%N)
    rc=0
    ctl --timeout "$TIMEOUT_MS" "$v" --json >"$T/$v.json" 2>"$T/$v.err" || rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    note "$v on $N nodes ($HOGS CPU hogs): exit $rc in $ms ms"
    actual >"$T/actual"
    local i map=""
    for ((i = 1; i <= N; i++)); do map="$map ${NETNS_IP[$i]}=wrpt-$NETNS_TAG-$i"; done
    python3 - "$T/$v.json" "$T/actual" "$want" "$dead" "$rc" "$v" $map <<'PY' \
        || fail "$v: the report contradicts the nodes (stderr: $(head -c 400 "$T/$v.err"))"
import json, sys
doc, actual_file, want, dead, rc, verb = sys.argv[1:7]
ns_of = dict(a.split("=") for a in sys.argv[7:])
dead_ns = "wrpt-%s" % dead if dead != "0" else None
running = {}
for line in open(actual_file):
    ns, pid = line.split()
    running.setdefault(ns, []).append(int(pid))
d = json.load(open(doc))
assert len(d["nodes"]) == len(ns_of), ("rows", len(d["nodes"]))
wrong = []
all_ok = True
for n in d["nodes"]:
    ns = ns_of[n["host"]]
    pids = running.get(ns, [])
    rt = n["runtime"] or {}
    ok = n.get("result") == "ok"
    all_ok = all_ok and ok
    if dead_ns and ns.endswith("-" + dead.split("-")[-1]) and ns == dead_ns:
        if n["reachable"] or ok or "unreachable" not in (n["error"] or ""):
            wrong.append((n["host"], "dead agent reported", n["reachable"], n["error"]))
        if pids:
            wrong.append((n["host"], "dead node runs", pids))
        continue
    if not ok:
        wrong.append((n["host"], "not ok", n["error"]))
    if rt.get("state") != want:
        wrong.append((n["host"], "reported", rt.get("state"), "want", want, n["error"]))
    if want == "running" and (len(pids) != 1 or rt.get("pid") != pids[0]):
        wrong.append((n["host"], "reported pid", rt.get("pid"), "actual", pids))
    if want != "running" and pids:
        wrong.append((n["host"], "reported", rt.get("state"), "but runs", pids))
if (rc == "0") != all_ok:
    wrong.append(("exit code", rc, "every node ok", all_ok))
if wrong:
    print("%d wrong, first: %s" % (len(wrong), wrong[:5]), file=sys.stderr)
    sys.exit(1)
PY
}

verb start running 0
assert_eq 0 "$rc" "first start exit code"
verb stop stopped 0
assert_eq 0 "$rc" "stop exit code"
netns_kill_agent "$N"
dead="$NETNS_TAG-$N"
verb start running "$dead"
assert_eq 2 "$rc" "second start, one agent dead: exit code"
verb kill stopped "$dead"
assert_eq 2 "$rc" "kill, one agent dead: exit code"
