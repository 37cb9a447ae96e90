#!/usr/bin/env bash
# docs/dashboards without a server: the scrape config and the alert rules
# pass promtool's checks, the rules' unit tests pass (promtool test rules),
# every query of the Grafana dashboard parses as PromQL (each becomes a
# recording rule that promtool check rules reads).
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || skip "needs promtool (Debian package prometheus)"
D=$WRP_TOP/docs/dashboards

(cd "$D" && promtool check config prometheus.yml) || fail "promtool check config prometheus.yml"
promtool check rules "$D/wrp-alerts.yml" || fail "promtool check rules"
(cd "$D" && promtool test rules wrp-alerts.test.yml) || fail "promtool test rules"
for a in WrpAgentDown WrpRuntimeFailed WrpRuntimeRestarting WrpConfigStale WrpMonitorStale; do
    grep -q "alert: $a\$" "$D/wrp-alerts.yml" || fail "alert $a missing"
    grep -q "alertname: $a\$" "$D/wrp-alerts.test.yml" || fail "alert $a has no unit test"
done

note "Grafana dashboard queries"
python3 - "$D/grafana-wrp.json" "$T/dashboard-rules.yml" <<'PY' || fail "dashboard JSON"
import json, sys
d = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
assert len(exprs) >= 8, exprs
for v in d["templating"]["list"]:
    if v["type"] == "query":
        exprs.append(v["definition"].replace("label_values(", "group by (host) (").replace(", host)", ")"))
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        # Grafana's variables, as Grafana would fill them in.
        e = e.replace("$__rate_interval", "1m").replace("$host", ".*")
        f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(e)}\n")
print(f"-- {len(exprs)} queries")
PY
promtool check rules "$T/dashboard-rules.yml" || fail "a dashboard query does not parse: $(cat "$T/dashboard-rules.yml")"
# A broken query is caught (the check can fail).
printf 'groups:\n  - name: x\n    rules:\n      - record: x\n        expr: "sum(wrp_agent_up"\n' >"$T/bad.yml"
promtool check rules "$T/bad.yml" >/dev/null 2>&1 && fail "promtool accepted a broken query"

exit 0
