#!/usr/bin/env bash
# A real Prometheus scrapes `monitor --listen` every second over three
# namespaced nodes, with docs/dashboards/wrp-alerts.yml (its `for:` cut to
# 2 s, evaluated every second). Through Prometheus' HTTP API: each node's
# runtime is up; after node 1's runtime is killed by SIGSEGV and node 2's
# agent is killed, Prometheus sees both changes and the alerts
# WrpRuntimeFailed (node 1) and WrpAgentDown (node 2) fire, and no other
# node alerts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
command -v prometheus >/dev/null || skip "needs prometheus (Debian package prometheus)"
command -v curl >/dev/null || skip "needs curl"

small_pipeline "$T/p.yaml" promtest
# A sanitizer build of the stand-in would catch the SIGSEGV itself.
NETNS_ENV_1="ASAN_OPTIONS=handle_segv=0"
netns_start 3 "$T/p.yaml"

mport=$(free_port)
"$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --port "$NETNS_PORT" --insecure monitor \
    --interval 250ms --listen "127.0.0.1:$mport" >"$T/monitor.out" 2>"$T/monitor.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"

pport=$(free_port)
mkdir -p "$T/prom"
sed -E 's/for: [0-9]+[smh]/for: 2s/' "$WRP_TOP/docs/dashboards/wrp-alerts.yml" >"$T/prom/wrp-alerts.yml"
cat >"$T/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files:
  - wrp-alerts.yml
scrape_configs:
  - job_name: wrp
    static_configs:
      - targets: ["127.0.0.1:$mport"]
EOF
prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
    --web.listen-address="127.0.0.1:$pport" >"$T/prom/log" 2>&1 &
prom=$!
at_exit "kill -9 $prom 2>/dev/null"
at_exit '[ "${rc:-0}" = 0 ] || { echo "--- monitor:"; cat "$T/monitor.out" "$T/monitor.err"; echo "--- prometheus:"; tail -n 20 "$T/prom/log"; }'
API=http://127.0.0.1:$pport/api/v1

# promq EXPR: "host value" per sample of an instant query, sorted.
promq () {
    curl -sf --get "$API/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "success", d
for r in sorted(d["data"]["result"], key=lambda r: r["metric"].get("host", "")):
    print(r["metric"].get("host", "-"), r["value"][1])'
}
# firing: "alertname host" per firing alert, sorted.
firing () {
    curl -sf "$API/alerts" | python3 -c '
import json, sys
for a in sorted(json.load(sys.stdin)["data"]["alerts"], key=lambda a: (a["labels"]["alertname"], a["labels"].get("host", ""))):
    if a["state"] == "firing":
        print(a["labels"]["alertname"], a["labels"].get("host", "-"))'
}
# is_q EXPR EXPECTED: promq EXPR prints EXPECTED (for wait_for).
is_q () { [ "$(promq "$1" 2>/dev/null)" = "$2" ]; }
has_alert () { firing 2>/dev/null | grep -qx "$1"; }

t0=$(date +%s%N)
up_all=$(printf '%s 1\n' "${NETNS_IP[1]}" "${NETNS_IP[2]}" "${NETNS_IP[3]}")
wait_for 60 is_q 'wrp_runtime_up' "$up_all"
note "Prometheus sees 3 runtimes up after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
is_q 'up{job="wrp"}' "- 1" || fail "the scrape target is not up: $(promq 'up')"
[ -z "$(firing)" ] || fail "alerts firing with everything up: $(firing)"

note "node 1: runtime killed by SIGSEGV; node 2: agent killed"
kill -SEGV "$(netns_runtime_pid 1)"
netns_kill_agent 2
t0=$(date +%s%N)
wait_for 30 is_q 'wrp_runtime_state{state="failed"} == 1' "${NETNS_IP[1]} 1"
wait_for 30 is_q 'wrp_agent_up == 0' "${NETNS_IP[2]} 0"
note "Prometheus saw both after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
is_q 'wrp_runtime_signal' "${NETNS_IP[1]} 11" || fail "wrp_runtime_signal: $(promq wrp_runtime_signal)"
is_q 'wrp_runtime_up' "${NETNS_IP[1]} 0
${NETNS_IP[3]} 1" || fail "wrp_runtime_up after the kills: $(promq wrp_runtime_up)"
wait_for 30 has_alert "WrpRuntimeFailed ${NETNS_IP[1]}"
wait_for 30 has_alert "WrpAgentDown ${NETNS_IP[2]}"
note "alerts firing after $(( ($(date +%s%N) - t0) / 1000000 )) ms:"
firing | sed 's/^/   /'
assert_eq "WrpAgentDown ${NETNS_IP[2]}
WrpRuntimeFailed ${NETNS_IP[1]}" "$(firing)" "exactly the two alerts"
exit 0
