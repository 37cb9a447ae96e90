#!/usr/bin/env bash
# Agent configuration: --check-config on good and bad files (exit code,
# file:line), a missing -c file, bad flags. (The systemd unit:
# t_systemd_unit.sh, t_systemd_boot.sh.)
. "$(dirname "$0")/lib.sh"
A=$BIN/wrp-agentd
[ -x "$A" ] || fail "no $A"

cat > "$T/good.yaml" <<'Y'
# a full config
endpoint: tcp://127.0.0.1:5999
state_dir: /tmp/x
shm_dir: /dev/shm
node_name: n01
insecure: true
log_level: debug
start_binary: /opt/chi/bin/chimaera_start_runtime
stop_binary: chimaera_stop_runtime
start_timeout_ms: 1000
stop_timeout_ms: 500
runtime_address: 127.0.0.1
user: wrp
Y
run_cmd out rc "$A" --check-config -c "$T/good.yaml"
assert_eq 0 "$rc" "good config: $out"
assert_contains "$out" "config is valid" "good config message"

run_cmd out rc "$A" --check-config -c "$WRP_TOP/systemd/agentd.yaml"
assert_eq 0 "$rc" "shipped example config: $out"

printf 'endpoint: tcp://*:1\nendpont: x\n' > "$T/typo.yaml"
run_cmd out rc "$A" --check-config -c "$T/typo.yaml"
assert_eq 1 "$rc" "unknown key exit code"
assert_contains "$out" "$T/typo.yaml:2: unknown key 'endpont'" "unknown key message"

printf 'stop_timeout_ms: 5s\n' > "$T/type.yaml"
run_cmd out rc "$A" --check-config -c "$T/type.yaml"
assert_eq 1 "$rc" "bad type exit code"
assert_contains "$out" "$T/type.yaml:1: 'stop_timeout_ms'" "bad type message"

printf 'insecure: [true\n' > "$T/syntax.yaml"
run_cmd out rc "$A" --check-config -c "$T/syntax.yaml"
assert_eq 1 "$rc" "syntax error exit code"
assert_contains "$out" "$T/syntax.yaml:" "syntax error names the file"

run_cmd out rc "$A" --check-config -c "$T/missing.yaml"
assert_eq 1 "$rc" "missing -c file"
assert_contains "$out" "$T/missing.yaml: No such file" "missing file message"

run_cmd out rc "$A" --check-config -c "$T/good.yaml" --bogus
assert_eq 1 "$rc" "unknown flag"
assert_contains "$out" "unknown option '--bogus'" "unknown flag message"

run_cmd out rc "$A" --check-config -c "$T/good.yaml" --endpoint
assert_eq 1 "$rc" "flag without value"

run_cmd out rc "$A" -h
assert_eq 0 "$rc" "help"
assert_contains "$out" "--check-config" "help text"

note "neither keys nor --insecure: refuses to start, says how to make keys"
: > "$T/empty.yaml"
run_cmd out rc timeout 10 "$A" -c "$T/empty.yaml" --endpoint tcp://127.0.0.1:$(free_port) \
    --state-dir "$T/state" --key "$T/nokey" --authorized-keys "$T/nodir"
assert_eq 1 "$rc" "no keys: $out"
assert_contains "$out" "$T/nokey" "message names the key file"

echo "config ok"
