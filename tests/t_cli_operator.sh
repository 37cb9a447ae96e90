#!/usr/bin/env bash
# The operator's habits without nodes: durations with units and refusal of
# too-short timeouts; the settings file; 20 concurrent `pkg conf` losing
# nothing; keygen's modes and a local key problem as one error before any
# node is contacted; the seed README's Jarvis commands verbatim;
# did-you-mean, Jarvis pointers, per-verb help, refused formats.
. "$(dirname "$0")/lib.sh"
C=$BIN/wrp-controller
export XDG_CONFIG_HOME=$T/xdg

note "durations"
run_cmd out rc $C --timeout 30 -H 'n[1-3]' stop
assert_eq 1 "$rc" "--timeout 30 stop: $out"
assert_contains "$out" "too short for stop" "stop below 1s refused"
run_cmd out rc $C --timeout 3 status
assert_eq 1 "$rc" "--timeout 3 status: $out"
assert_contains "$out" "too short for status" "status below 100ms refused"
run_cmd out rc $C --timeout 2x status
assert_contains "$out" "unknown unit 'x'" "bad unit"

note "the Jarvis forms of the seed README, verbatim (no WRP_PIPELINE_PATH)"
unset WRP_PIPELINE_PATH
run_cmd out rc $C ppl index load jarvis_wrp_runtime.basic_runtime
assert_eq 0 "$rc" "ppl index load REPO.NAME: $out"
run_cmd out rc $C ppl index list jarvis_wrp_runtime
assert_eq 0 "$rc" "ppl index list REPO: $out"
assert_contains "$out" "basic_runtime" "ppl index list REPO"
for kv in low_latency_workers=8 main_segment_size=2G log_level=debug; do
    run_cmd out rc $C pkg conf runtime "$kv"
    assert_eq 0 "$rc" "pkg conf runtime $kv: $out"
done
run_cmd out rc $C ppl index list nosuchrepo
assert_eq 1 "$rc" "unknown repo: $out"

note "20 concurrent pkg conf lose nothing"
keys=(low_latency_workers=5 high_latency_workers=3 reinforcement_workers=2 process_reaper_workers=2
      main_segment_size=64M client_data_segment_size=8M runtime_data_segment_size=8M port=6001
      log_level=warning stack_size=32768 queue_depth=77 heartbeat_interval=250ms task_timeout=9s
      lane_map_policy=random first_busy_wait=7 sleep_increment=9 max_sleep=99 neighborhood_size=5
      wait_for_restart=3 wait_for_restart_poll_period=2)
gen0=$($C ppl show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
pids=()
for kv in "${keys[@]}"; do $C pkg conf runtime "$kv" >"$T/conf.${kv%%=*}" 2>&1 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent pkg conf failed"; done
$C ppl show --json >"$T/show.json"
python3 - "$T/show.json" "$gen0" "${keys[@]}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); gen0 = int(sys.argv[2])
src = {p["name"]: p for p in d["params"]}
assert d["generation"] == gen0 + 20, (d["generation"], gen0)
for kv in sys.argv[3:]:
    k = kv.split("=")[0]
    assert src[k]["source"] == "conf", (k, src[k])
assert src["heartbeat_interval"]["number"] == 250 and src["task_timeout"]["number"] == 9000
PY

note "-H takes a hostfile, a host list or - (stdin); a mistyped file is an error"
assert_contains "$(printf 'a\nb\n' | $C -H - ppl show)" "hosts       2: a:5560 b:5560" "-H -"
assert_contains "$($C -H 'n[1-3],gpu1' ppl show)" "hosts       4: n1:5560 n2:5560 n3:5560 gpu1:5560" "-H host list"
run_cmd out rc $C -H hostz ppl show
assert_eq 1 "$rc" "-H missing file: $out"
assert_contains "$out" "no such file" "-H missing file"

note "settings file, flags override"
mkdir -p "$XDG_CONFIG_HOME/wrp"
printf 'port: 6123\n' >"$XDG_CONFIG_HOME/wrp/controller.yaml"
assert_contains "$($C -H a, ppl show)" "a:6123" "port from the settings file"
assert_contains "$($C -H a, --port 7000 ppl show)" "a:7000" "--port wins"
printf 'prot: 1\n' >"$XDG_CONFIG_HOME/wrp/controller.yaml"
run_cmd out rc $C ppl show
assert_eq 1 "$rc" "bad settings: $out"
assert_contains "$out" "controller.yaml:1: unknown setting 'prot'" "file:line"
rm "$XDG_CONFIG_HOME/wrp/controller.yaml"

note "keygen: public key world-readable whatever the umask"
(umask 077; $C keygen "$T/k/ctl.key" >/dev/null) || fail "keygen"
assert_eq 644 "$(stat -c %a "$T/k/ctl.key")" "public key mode"
assert_eq 600 "$(stat -c %a "$T/k/ctl.key_secret")" "secret key mode"

note "a local key problem: one error, exit 1, no node contacted"
start=$(date +%s%N)
run_cmd out rc $C -H 'n[1-3]' --key "$T/k/ctl.key" --agent-key "$T/k/none.key" status
assert_eq 1 "$rc" "unreadable agent key: $out"
assert_eq 1 "$(echo "$out" | grep -c .)" "one line: $out"
assert_not_contains "$out" "not answering" "no node rows"

note "did-you-mean, Jarvis pointers, per-verb help, refused formats"
run_cmd out rc $C stauts
assert_eq 1 "$rc" "stauts"
assert_contains "$out" "did you mean \`status\`" "stauts"
run_cmd out rc $C ppl laod x
assert_contains "$out" "did you mean \`ppl load\`" "ppl laod"
run_cmd out rc $C ppl run
assert_contains "$out" "wrp-controller start" "ppl run pointer"
run_cmd out rc $C ppl list
assert_contains "$out" "ppl index list" "ppl list pointer"
out=$($C stop --help)
assert_not_contains "$out" "--write-json" "stop --help lists only stop's options"
assert_contains "$out" "-w, --target HOSTLIST" "stop --help lists -w"
assert_contains "$($C monitor --help)" "--write-json" "monitor --help"
run_cmd out rc $C params --json
assert_eq 1 "$rc" "params --json refused: $out"
run_cmd out rc $C monitor --format prometheus
assert_eq 1 "$rc" "monitor --format prometheus refused: $out"
echo PASS
