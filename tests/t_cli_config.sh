#!/usr/bin/env bash
# wrp-controller config: the generated chimaera_config.yaml read back by
# PyYAML holds exactly the CONTRACT §2/§3 defaults (sizes in bytes) for the
# basic pipeline and the custom pipeline's values; it is deterministic;
# -H puts the pushed hostfile's path in networking.hostfile; -p acts on a
# pipeline without loading it.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
$PY -c 'import yaml' 2>/dev/null || skip "needs Debian's python3-yaml (/usr/bin/python3 -c 'import yaml')"
export WRP_PIPELINE_PATH=$WRP_TOP/pipelines
C=$BIN/wrp-controller

# check_config FILE PIPELINE HOSTFILE_PATH(or -) KEY=VALUE... : the config
# equals the defaults with KEY=VALUE (section.key=int) overrides applied.
check_config () {
    local file=$1 name=$2 hostfile=$3
    shift 3
    $PY - "$file" "$name" "$hostfile" "$@" <<'PY'
import sys, yaml
path, name, hostfile, overrides = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
doc = yaml.safe_load(open(path))
want = {
    "workers": {"low_latency_threads": 4, "high_latency_threads": 2,
                "reinforcement_threads": 1, "process_reaper_threads": 1},
    "memory": {"main_segment_size": 1073741824, "client_data_segment_size": 536870912,
               "runtime_data_segment_size": 536870912},
    "network": {"port": 5555},
    "networking": {"port": 5555, "neighborhood_size": 32, "wait_for_restart": 30,
                   "wait_for_restart_poll_period": 1},
    "logging": {"level": "info",
                "file": "/var/lib/wrp/pipelines/%s/runtime.log" % name},
    "performance": {"stack_size": 65536, "queue_depth": 10000,
                    "heartbeat_interval": 1000, "task_timeout": 30000},
    "runtime": {"sched_threads": 4, "slow_threads": 2, "process_reaper_threads": 1,
                "stack_size": 65536, "queue_depth": 10000, "lane_map_policy": "round_robin",
                "heartbeat_interval": 1000, "first_busy_wait": 50, "sleep_increment": 1000,
                "max_sleep": 50000},
}
if hostfile != "-":
    want["networking"]["hostfile"] = hostfile
for o in overrides:
    key, value = o.split("=", 1)
    section, k = key.split(".")
    want[section][k] = int(value) if value.isdigit() else value
if doc != want:
    for s in sorted(set(want) | set(doc)):
        if doc.get(s) != want.get(s):
            print("section %s: got %r, want %r" % (s, doc.get(s), want.get(s)))
    sys.exit(1)
# Integers are ints, not strings or floats.
for s, kv in doc.items():
    for k, v in kv.items():
        assert type(v) in (int, str), (s, k, type(v))
PY
}

note "basic pipeline: exactly the defaults"
run_cmd out rc $C ppl load basic_runtime
assert_eq 0 "$rc" "ppl load basic_runtime: $out"
$C config > "$T/basic1.yaml"
check_config "$T/basic1.yaml" basic_runtime - || fail "basic config differs from the defaults"
assert_not_contains "$(cat "$T/basic1.yaml")" "hostfile" "no hostfile without hosts"

note "deterministic: same bytes twice"
$C config > "$T/basic2.yaml"
cmp "$T/basic1.yaml" "$T/basic2.yaml" || fail "config is not deterministic"

note "custom pipeline: the seed's values"
run_cmd out rc $C ppl load my_iowarp_deployment
assert_eq 0 "$rc" "ppl load my_iowarp_deployment: $out"
$C config > "$T/custom.yaml"
check_config "$T/custom.yaml" my_iowarp_deployment - \
    workers.low_latency_threads=8 workers.high_latency_threads=4 \
    runtime.sched_threads=8 runtime.slow_threads=4 \
    memory.main_segment_size=2147483648 memory.client_data_segment_size=1073741824 \
    memory.runtime_data_segment_size=1073741824 logging.level=debug \
    || fail "custom config differs"

note "pkg conf overrides reach the config"
run_cmd out rc $C pkg conf runtime port=7000 lane_map_policy=random max_sleep=0 stack_size=16384
assert_eq 0 "$rc" "pkg conf: $out"
$C config > "$T/conf.yaml"
check_config "$T/conf.yaml" my_iowarp_deployment - \
    workers.low_latency_threads=8 workers.high_latency_threads=4 \
    runtime.sched_threads=8 runtime.slow_threads=4 \
    memory.main_segment_size=2147483648 memory.client_data_segment_size=1073741824 \
    memory.runtime_data_segment_size=1073741824 logging.level=debug \
    network.port=7000 networking.port=7000 runtime.lane_map_policy=random \
    runtime.max_sleep=0 runtime.stack_size=16384 performance.stack_size=16384 \
    || fail "conf overrides missing from the config"

note "-H: networking.hostfile is the pushed copy's path"
printf 'node[1-3]\n' > "$T/hosts"
$C -H "$T/hosts" config > "$T/hosts.yaml"
check_config "$T/hosts.yaml" my_iowarp_deployment /var/lib/wrp/pipelines/my_iowarp_deployment/hostfile \
    workers.low_latency_threads=8 workers.high_latency_threads=4 \
    runtime.sched_threads=8 runtime.slow_threads=4 \
    memory.main_segment_size=2147483648 memory.client_data_segment_size=1073741824 \
    memory.runtime_data_segment_size=1073741824 logging.level=debug \
    network.port=7000 networking.port=7000 runtime.lane_map_policy=random \
    runtime.max_sleep=0 runtime.stack_size=16384 performance.stack_size=16384 \
    || fail "-H config differs"

note "-p FILE: that pipeline, current one untouched"
$C -p "$WRP_TOP/pipelines/basic_runtime.yaml" config > "$T/p.yaml"
check_config "$T/p.yaml" basic_runtime - || fail "-p config differs from the defaults"
run_cmd out rc $C ppl show
assert_contains "$out" "my_iowarp_deployment (current)" "-p did not change the current pipeline"

note "config without any pipeline is a usage error"
export WRP_HOME=$T/empty-home
run_cmd out rc $C config
assert_eq 1 "$rc" "config without a pipeline"
assert_contains "$out" "no pipeline loaded" "config without a pipeline"
[ ! -e "$WRP_HOME" ] || fail "a failed config created $WRP_HOME"
echo PASS
