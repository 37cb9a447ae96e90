#!/usr/bin/env bash
# A runtime that fails at start on one node (no modules: the stand-in
# listens, then exits 1 with the real one's error lines): start exits 2,
# that node shows state failed, its exit code and its error line; the
# other nodes run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

cat >"$T/fail.yaml" <<'YAML'
name: failtest
pkgs:
  - pkg_type: wrp_runtime
    pkg_name: runtime
    main_segment_size: 16M
    client_data_segment_size: 4M
    runtime_data_segment_size: 4M
YAML

NETNS_ENV_2="FAKE_CHI_FAIL_AT_START=1"
netns_up 3
run_cmd out rc ctl ppl load "$T/fail.yaml"
assert_eq 0 "$rc" "ppl load: $out"

run_cmd out rc ctl --timeout 10000 start
echo "$out"
assert_eq 2 "$rc" "start exit code with one failing runtime"
row=$(grep "^${NETNS_IP[2]} " <<<"$out") || fail "no row for node 2"
assert_contains "$row" "failed" "node 2 state"
assert_contains "$row" "code 1" "node 2 shows the exit code"
assert_contains "$row" "not found" "node 2 shows the runtime's error line"
assert_contains "$out" "3 nodes: 3 reachable, 2 running, 1 failed" "summary"
for i in 1 3; do
    assert_contains "$(grep "^${NETNS_IP[$i]} " <<<"$out")" "running" "node $i runs"
done

ctl status --json >"$T/s.json" && fail "status should exit 2 while a runtime is failed"
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/s.json" \
    || fail "schema: $(cat "$T/s.json")"
python3 - "$T/s.json" "${NETNS_IP[2]}" <<'PY' || fail "json: $(cat "$T/s.json")"
import json, sys
d = json.load(open(sys.argv[1]))
n = [n for n in d["nodes"] if n["host"] == sys.argv[2]][0]
assert n["runtime"]["state"] == "failed", n
assert n["runtime"]["exit_code"] == 1, n
assert n["runtime"]["signal"] is None, n
assert "not found" in n["error"], n
assert any("not found" in l for l in n["output"]), n
assert d["summary"]["running"] == 2 and d["summary"]["failed"] == 1, d["summary"]
PY

ctl start --json >"$T/start.json" && fail "start --json should exit 2"
/usr/bin/python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/start.json" \
    || fail "schema: $(cat "$T/start.json")"
python3 - "$T/start.json" "${NETNS_IP[2]}" <<'PY' || fail "start json: $(cat "$T/start.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "start"
for n in d["nodes"]:
    assert n["result"] == ("error" if n["host"] == sys.argv[2] else "ok"), n
PY
