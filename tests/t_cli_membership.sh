#!/usr/bin/env bash
# Membership apart from targeting, over namespaced nodes: `hostfile set`
# is remembered; -w/-x act on some members and never change the hostfile
# pushed to any node; a node told another membership, or running an older
# generation, is stale (table, JSON, Prometheus, summary), and
# `status --expect running` exits 3 then; --summary folds hosts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

small_pipeline "$T/p.yaml" members
c () { "$BIN/wrp-controller" --port "$NETNS_PORT" --insecure "$@"; }
c_local () { "$BIN/wrp-controller" "$@"; }
json_field () { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

netns_up 3
ip1=${NETNS_IP[1]} ip3=${NETNS_IP[3]}
run_cmd out rc c_local ppl load "$T/p.yaml"
assert_eq 0 "$rc" "ppl load: $out"
run_cmd out rc c_local hostfile set "$NETNS_HOSTFILE"
assert_eq 0 "$rc" "hostfile set: $out"
assert_contains "$out" "3 hosts" "hostfile set names the count"

# every_hostfile_full: each node's pushed hostfile lists the three nodes.
every_hostfile_full () {
    local i
    for i in 1 2 3; do
        f=${NETNS_STATE[$i]}/pipelines/members/hostfile
        [ -f "$f" ] || fail "node $i: no pushed hostfile"
        assert_eq "$(cat "$NETNS_HOSTFILE")" "$(cat "$f")" "node $i: pushed hostfile is the whole cluster ($1)"
    done
}

note "start without -H: the remembered cluster"
run_cmd out rc c start
assert_eq 0 "$rc" "start: $out"
every_hostfile_full "after start"

note "kill and start one member with -w: the membership stays the cluster"
run_cmd out rc c -w "$ip1" kill
assert_eq 0 "$rc" "kill -w: $out"
assert_contains "$out" "1 node:" "-w acted on one node"
[ -n "$(netns_runtime_pid 2)" ] || fail "node 2 was killed by -w $ip1"
run_cmd out rc c -w "$ip1" start
assert_eq 0 "$rc" "start -w: $out"
every_hostfile_full "after -w start"
run_cmd out rc c status --expect running
assert_eq 0 "$rc" "every node running the wanted config: $out"
c status --json >"$T/s.json" 2>/dev/null
assert_eq "0 False False False" "$(json_field '" ".join([str(d["summary"]["stale"])] + [str(n["config"]["stale"]) for n in d["nodes"]])' <"$T/s.json")" "no node stale"

note "-w with a host outside the cluster is refused, nothing sent"
run_cmd out rc c -w 10.99.99.99 stop
assert_eq 1 "$rc" "-w non-member: $out"
assert_contains "$out" "not a member of the cluster" "-w non-member"

note "-x: every member but one"
run_cmd out rc c -x "$ip3" stop
assert_eq 0 "$rc" "stop -x: $out"
[ -n "$(netns_runtime_pid 3)" ] || fail "node 3 stopped despite -x"
[ -z "$(netns_runtime_pid 1)" ] || fail "node 1 still runs after stop -x"
run_cmd out rc c status --expect running
assert_eq 3 "$rc" "--expect running with two nodes stopped: $out"
run_cmd out rc c --summary status
assert_contains "$out" "stopped             2  " "summary folds the stopped nodes"
run_cmd out rc c -q --no-header status
assert_not_contains "$out" "HOST" "--no-header"
run_cmd out rc c start
assert_eq 0 "$rc" "start again: $out"
every_hostfile_full "after the second start"

note "another membership for one command (-H host list) shows stale"
out=$(c -H "$ip1,${NETNS_IP[2]}" status --json 2>/dev/null)
assert_eq "2" "$(echo "$out" | json_field 'd["summary"]["stale"]')" "a two-node membership: both stale"
run_cmd out rc c -H "$ip1,${NETNS_IP[2]}" status --expect running
assert_eq 3 "$rc" "--expect running with stale nodes: $out"

note "another operator's state at the same generation with other settings: stale"
gen=$(c status --json 2>/dev/null | json_field 'd["nodes"][0]["config"]["generation"]')
other=$T/other-home
WRP_HOME=$other c_local ppl load "$T/p.yaml" >/dev/null
for _ in $(seq "$gen"); do
    [ "$(WRP_HOME=$other c_local ppl show --json | json_field 'd["generation"]')" -lt "$gen" ] || break
    WRP_HOME=$other c_local pkg conf runtime low_latency_workers=3 >/dev/null
done
assert_eq "$gen" "$(WRP_HOME=$other c_local ppl show --json | json_field 'd["generation"]')" \
    "each pkg conf raises the other operator's generation by one"
out=$(WRP_HOME=$other c -H "$NETNS_HOSTFILE" status --json 2>/dev/null)
assert_eq "$gen 3" "$(echo "$out" | json_field 'str(d["generation"]) + " " + str(d["summary"]["stale"])')" \
    "same generation number, other settings: every node stale"

note "the issue's split cluster: -H one-node kill + start is visible"
run_cmd out rc c -H "$ip1," kill
assert_eq 0 "$rc" "-H one node kill: $out"
run_cmd out rc c -H "$ip1," start
assert_eq 0 "$rc" "-H one node start: $out"
assert_eq "$ip1" "$(cat "${NETNS_STATE[1]}/pipelines/members/hostfile")" "-H is the membership for that command"
out=$(c status --json 2>/dev/null)
assert_eq "True False False" "$(echo "$out" | json_field '" ".join(str(n["config"]["stale"]) for n in d["nodes"])')" \
    "node 1 runs another membership: stale, the others not"
run_cmd out rc c status --expect running
assert_eq 3 "$rc" "--expect running with a split cluster: $out"
c -w "$ip1" stop >/dev/null 2>&1
run_cmd out rc c -w "$ip1" start
assert_eq 0 "$rc" "restart node 1 in the cluster: $out"
every_hostfile_full "after healing the split"

note "pkg conf: every node runs an older generation, and says so"
run_cmd out rc c_local pkg conf runtime heartbeat_interval=200ms
assert_eq 0 "$rc" "pkg conf with a unit: $out"
assert_contains "$out" "heartbeat_interval=200" "stored in ms"
run_cmd out rc c status
assert_eq 0 "$rc" "plain status still 0: $out"
assert_contains "$out" "3 stale" "summary counts stale nodes"
assert_contains "$out" " stale" "GEN column marks stale"
run_cmd out rc c status --expect running
assert_eq 3 "$rc" "--expect running with an older generation: $out"
run_cmd out rc c status --format prometheus
assert_contains "$out" "wrp_config_stale{host=\"$ip1\"} 1" "Prometheus wrp_config_stale"
run_cmd out rc c status --summary
assert_contains "$out" "running stale       3  ${NETNS_NET}.[1-3]" "sinfo-style folding"
run_cmd out rc c -q status
assert_contains "$out" "$ip3" "-q shows stale nodes"
c stop >/dev/null
echo PASS
