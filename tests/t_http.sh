#!/usr/bin/env bash
# monitor --listen over two namespaced nodes: /metrics passes promtool check
# metrics and shows both runtimes up; /status.json is the schema's document
# with its age; / has one row per node; /healthz is 200 while polls are
# fresh. Bad requests get their codes (unknown path 404, POST/PUT 405 with
# Allow, a 1 MiB header 431 or a closed connection, 500 idle connections
# refused beyond the limit) and the monitor keeps polling through them.
# GET latency is measured and reported; --interval wins over the pipeline's
# heartbeat_interval; then basic authentication over TLS; bad --listen and
# auth files exit 1 with a message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
command -v curl >/dev/null || skip "needs curl"
command -v promtool >/dev/null || skip "needs promtool (Debian package prometheus)"

cat >"$T/p.yaml" <<YAML
name: httptest
pkgs:
  - pkg_type: wrp_runtime
    pkg_name: runtime
    heartbeat_interval: 5000
    main_segment_size: 16M
    client_data_segment_size: 4M
    runtime_data_segment_size: 4M
YAML
netns_start 2 "$T/p.yaml"

port=$(free_port)
URL=http://127.0.0.1:$port
# --interval 200ms, while heartbeat_interval says 5 s.
"$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --port "$NETNS_PORT" --insecure monitor \
    --interval 200ms --listen "127.0.0.1:$port" --write-json "$T/view.json" \
    >"$T/monitor.out" 2>"$T/monitor.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"
at_exit '[ "${rc:-0}" = 0 ] || { echo "--- monitor stdout:"; cat "$T/monitor.out"; echo "--- monitor stderr:"; cat "$T/monitor.err"; }'

code () { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# is_code CODE ARGS...: curl ARGS gets CODE (for wait_for).
is_code () { local want=$1; shift; [ "$(code "$@")" = "$want" ]; }
wait_for 10 is_code 200 "$URL/healthz"
assert_contains "$(head -n 1 "$T/monitor.out")" "every 0.2 s" "--interval wins over heartbeat_interval"
assert_not_contains "$(cat "$T/monitor.err")" "other hosts" "no warning on loopback"

note "/metrics"
curl -sf "$URL/metrics" >"$T/metrics" || fail "GET /metrics"
promtool check metrics <"$T/metrics" || fail "promtool check metrics: $(promtool check metrics <"$T/metrics" 2>&1)"
for i in 1 2; do
    assert_contains "$(cat "$T/metrics")" "wrp_runtime_up{host=\"${NETNS_IP[$i]}\"} 1" "/metrics node $i"
    grep -q "^wrp_runtime_pid{host=\"${NETNS_IP[$i]}\"} $(netns_runtime_pid "$i")\$" "$T/metrics" \
        || fail "/metrics: wrp_runtime_pid of node $i"
done
for m in wrp_monitor_polls_total wrp_monitor_poll_duration_seconds wrp_last_poll_timestamp_seconds \
         'wrp_monitor_nodes{state="running"} 2' wrp_config_generation_wanted; do
    assert_contains "$(cat "$T/metrics")" "$m" "/metrics"
done
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")
assert_contains "$ctype" "text/plain; version=0.0.4" "/metrics content type"

note "/status.json"
curl -sf "$URL/status.json" >"$T/status.json" || fail "GET /status.json"
python3 "$WRP_TOP/tests/check_status_json.py" "$WRP_TOP/docs/status.schema.json" "$T/status.json" \
    || fail "/status.json against the schema: $(cat "$T/status.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert 0 <= d["age_s"] < 5 and d["summary"]["running"] == 2 and d["command"] == "monitor", d' \
    "$T/status.json" || fail "/status.json: age_s and summary"

note "/ (the page)"
curl -sf "$URL/" >"$T/page.html" || fail "GET /"
assert_eq 2 "$(grep -c '<tr class="node s-running"' "$T/page.html")" "rows in state running"
grep -qE 'src=|href="?https?:' "$T/page.html" && fail "the page loads something from elsewhere"
heads=$(curl -sI "$URL/")
assert_contains "$heads" "200" "HEAD /"
assert_eq 0 "$(curl -s -X HEAD "$URL/" --max-time 3 | wc -c)" "HEAD has no body"

note "bad requests"
assert_eq 404 "$(code "$URL/nope")" "unknown path"
assert_eq 404 "$(code "$URL/../etc/passwd")" "path outside"
assert_eq 405 "$(code -X POST -d x=1 "$URL/metrics")" "POST"
assert_eq 405 "$(code -X PUT "$URL/")" "PUT"
assert_contains "$(curl -s -D - -o /dev/null -X DELETE "$URL/")" "Allow: GET, HEAD" "405 names the allowed methods"
big=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
try:
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
except OSError:
    pass
try:
    print(s.recv(100).split(b"\r\n")[0].decode() or "closed")
except OSError:
    print("closed")
PY
)
note "1 MiB header: $big"
case $big in *431*|*413*|*400*|closed) ;; *) fail "1 MiB header answered: $big" ;; esac

note "500 idle connections"
polls_before=$(curl -sf "$URL/metrics" | awk '/^wrp_monitor_polls_total/ {print $2}')
python3 - "$port" "$T/view.json" <<'PY' || fail "500 idle connections"
import json, socket, sys, time
port, view = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(500):
    try:
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        pass
# Those beyond the limit are closed by the server: a read sees EOF or a
# reset (given up to 5 s to happen).
import select
closed, open_ = 0, list(socks)
deadline = time.time() + 5
while open_ and time.time() < deadline and closed < 500 - 16:
    ready, _, _ = select.select(open_, [], [], 0.2)
    for s in ready:
        try:
            gone = s.recv(1) == b""
        except OSError:
            gone = True
        if gone:
            closed += 1
            open_.remove(s)
before = json.load(open(view))["updated_at"]
deadline = time.time() + 10
while json.load(open(view))["updated_at"] == before:
    if time.time() > deadline:
        sys.exit("the monitor stopped polling while 500 connections were held")
    time.sleep(0.05)
print(f"-- {len(socks)} connected, {closed} closed by the server at once; polling went on")
if closed < 500 - 16:
    sys.exit(f"only {closed} of 500 idle connections refused: no connection limit?")
# The rest are closed by the server's idle timeout (10 s).
t0 = time.time()
while open_ and time.time() < t0 + 20:
    for s in select.select(open_, [], [], 0.5)[0]:
        try:
            s.recv(1)
        except OSError:
            pass
        open_.remove(s)
if open_:
    sys.exit(f"{len(open_)} idle connections still open after 20 s")
print(f"-- the idle ones closed by the server after {time.time() - t0:.1f} s")
for s in socks:
    s.close()
PY
wait_for 15 is_code 200 "$URL/healthz"
polls_after=$(curl -sf "$URL/metrics" | awk '/^wrp_monitor_polls_total/ {print $2}')
[ "$polls_after" -gt "$polls_before" ] || fail "polls_total did not grow: $polls_before -> $polls_after"

note "GET latency (2 nodes), 200 requests"
python3 - "$port" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
for path in ("/metrics", "/status.json", "/"):
    t = []
    for i in range(200):
        t0 = time.perf_counter(); c.request("GET", path); r = c.getresponse(); r.read()
        t.append((time.perf_counter() - t0) * 1000)
        assert r.status == 200
    t.sort()
    print(f"-- GET {path}: median {t[100]:.2f} ms, p99 {t[198]:.2f} ms")
PY

note "node 2's agent killed: the page and the metrics follow"
netns_kill_agent 2
wait_for 5 grep -q "${NETNS_IP[2]} agent down" "$T/monitor.out"
wait_for 3 sh -c "curl -s '$URL/metrics' | grep -q 'wrp_agent_up{host=\"${NETNS_IP[2]}\"} 0'"
wait_for 3 sh -c "curl -s '$URL/' | grep -q 'data-host=\"${NETNS_IP[2]}\" data-state=\"down\"'"

note "SIGTERM"
kill -TERM $mon
rc=0
wait $mon || rc=$?
assert_eq 0 "$rc" "monitor exit code on SIGTERM"

note "basic authentication and TLS"
printf 'prom:s3cret\n' >"$T/auth"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 \
    || skip "openssl cannot make a test certificate"
"$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --port "$NETNS_PORT" --insecure monitor \
    --interval 200ms --listen "127.0.0.1:$port" --http-auth "$T/auth" \
    --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" >"$T/monitor2.out" 2>"$T/monitor2.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"
S=https://127.0.0.1:$port
wait_for 10 is_code 200 --cacert "$T/cert.pem" -u prom:s3cret "$S/healthz"
assert_eq 401 "$(code --cacert "$T/cert.pem" "$S/metrics")" "no credentials"
assert_eq 401 "$(code --cacert "$T/cert.pem" -u prom:wrong "$S/metrics")" "wrong password"
assert_eq 200 "$(code --cacert "$T/cert.pem" -u prom:s3cret "$S/metrics")" "right password"
assert_eq 000 "$(code --max-time 3 "http://127.0.0.1:$port/metrics")" "plain HTTP to the TLS port"
kill -TERM $mon
wait $mon || fail "monitor with TLS: exit $?"
grep -q s3cret "$T/monitor2.out" "$T/monitor2.err" && fail "the password shows in the monitor's output"

note "bad --listen / files: exit 1 with a message"
run_cmd out rc "$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --insecure monitor --listen 127.0.0.1
assert_eq 1 "$rc" "--listen without a port: $out"
assert_contains "$out" "--listen '127.0.0.1'" "message"
run_cmd out rc "$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --insecure monitor --listen "127.0.0.1:$port" --http-auth "$T/none"
assert_eq 1 "$rc" "missing auth file: $out"
assert_contains "$out" "$T/none" "message names the file"
exit 0
