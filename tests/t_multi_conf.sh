#!/usr/bin/env bash
# `pkg conf` between two starts reaches every node; starting again while
# the same config runs is a no-op success; starting with a newer config
# while the old one runs is refused per node with the way out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

small_pipeline "$T/conf.yaml" conftest

# The config file each node's runtime was started with (CHI_SERVER_CONF).
runtime_conf () {
    local pid
    pid=$(netns_runtime_pid "$1")
    [ -n "$pid" ] || fail "node $1: no runtime"
    tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^CHI_SERVER_CONF=//p'
}

json_field () {  # json_field FILE PYTHON-EXPR-ON-d
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

netns_up 3
run_cmd out rc ctl ppl load "$T/conf.yaml"
assert_eq 0 "$rc" "ppl load: $out"

run_cmd out rc ctl start
assert_eq 0 "$rc" "first start: $out"
ctl status --json >"$T/s1.json"
gen1=$(json_field "$T/s1.json" 'd["generation"]')
for i in 1 2 3; do
    v=$(/usr/bin/python3 -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["runtime"]["sched_threads"])' "$(runtime_conf $i)")
    assert_eq 4 "$v" "node $i: default low_latency_workers"
done

note "start again, same config: no-op"
pid_before=$(netns_runtime_pid 1)
run_cmd out rc ctl start
echo "$out"
assert_eq 0 "$rc" "second start is a no-op success"
assert_contains "$out" "already running" "second start says so"
assert_eq "$pid_before" "$(netns_runtime_pid 1)" "the runtime was not restarted"

note "pkg conf while running, then start: refused per node"
run_cmd out rc ctl pkg conf runtime low_latency_workers=7
assert_eq 0 "$rc" "pkg conf: $out"
run_cmd out rc ctl start
echo "$out"
assert_eq 2 "$rc" "start with a newer config while the old one runs"
assert_contains "$out" "stop first" "the row says what to do"
assert_contains "$out" "pushed" "the row names the generations"

note "stop, start: the new value reaches every node"
run_cmd out rc ctl stop
assert_eq 0 "$rc" "stop: $out"
run_cmd out rc ctl start
echo "$out"
assert_eq 0 "$rc" "start with the new config"
for i in 1 2 3; do
    v=$(/usr/bin/python3 -c 'import yaml,sys; c=yaml.safe_load(open(sys.argv[1])); print(c["runtime"]["sched_threads"], c["workers"]["low_latency_threads"])' "$(runtime_conf $i)")
    assert_eq "7 7" "$v" "node $i: low_latency_workers=7 in the pushed config"
done
ctl status --json >"$T/s2.json"
gen2=$(json_field "$T/s2.json" 'd["generation"]')
[ "$gen2" -gt "$gen1" ] || fail "generation did not move: $gen1 -> $gen2"
assert_eq "$gen2 $gen2 $gen2" "$(json_field "$T/s2.json" '" ".join(str(n["config"]["generation"]) for n in d["nodes"])')" \
    "every node runs the new generation"
