#!/usr/bin/env bash
# Headless Chromium against `monitor --listen` over three namespaced nodes,
# driven over the DevTools protocol on a pipe. Without JavaScript, the DOM
# of / has one row per node, each in state running. With JavaScript: the page loads, node 1's runtime is killed by SIGSEGV and node 2's
# agent is killed, and both rows change state (failed, down) without the
# page reloading; failing rows come first; a screenshot is taken
# (WRP_SCREENSHOT=FILE keeps it, e.g. for docs/).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "needs chromium (Debian package chromium)"

small_pipeline "$T/p.yaml" browsertest
NETNS_ENV_1="ASAN_OPTIONS=handle_segv=0"
netns_start 3 "$T/p.yaml"

port=$(free_port)
URL=http://127.0.0.1:$port/
"$BIN/wrp-controller" -H "$NETNS_HOSTFILE" --port "$NETNS_PORT" --insecure monitor \
    --interval 250ms --listen "127.0.0.1:$port" >"$T/monitor.out" 2>"$T/monitor.err" &
mon=$!
at_exit "kill -9 $mon 2>/dev/null"
at_exit '[ "${rc:-0}" = 0 ] || { echo "--- monitor:"; cat "$T/monitor.out" "$T/monitor.err"; }'
wait_for 10 curl -sf "${URL}healthz"

# Chromium wants a writable home and profile of its own.
export HOME=$T/home
mkdir -p "$HOME"
note "the page, without then with JavaScript (DevTools protocol on a pipe)"
python3 - "$CHROMIUM" "$URL" "$T" "$(netns_runtime_pid 1)" "${NETNS_AGENT_PID[2]}" \
    "${NETNS_IP[1]}" "${NETNS_IP[2]}" "${NETNS_IP[3]}" <<'PY' || fail "the page (chromium log: $(grep -v dbus "$T/chromium.log" | tail -n 5))"
import base64, html.parser, json, os, signal, subprocess, sys, time
chromium, url, tmp, runtime_pid, agent_pid = sys.argv[1:6]
hosts = sys.argv[6:9]
import fcntl
def high(fd):   # above 4, so the shell's 3<& and 4>& below cannot clobber it
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved
r3, w3 = map(high, os.pipe())   # to the browser (its fd 3)
r4, w4 = map(high, os.pipe())   # from the browser (its fd 4)
# The browser reads commands on its fd 3 and writes replies on its fd 4.
browser = subprocess.Popen(
    ["bash", "-c", f'exec "$@" 3<&{r3} 4>&{w4}', "bash", chromium,
     "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--remote-debugging-pipe", f"--user-data-dir={tmp}/profile", "about:blank"],
    pass_fds=(r3, w4), stdout=subprocess.DEVNULL,
    stderr=open(f"{tmp}/chromium.log", "a"))
os.close(r3); os.close(w4)
out, inp, buf, next_id = os.fdopen(w3, "wb"), os.fdopen(r4, "rb"), b"", 0
def call(method, session=None, **params):
    global buf, next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params}
    if session:
        msg["sessionId"] = session
    out.write(json.dumps(msg).encode() + b"\0"); out.flush()
    while True:
        while b"\0" not in buf:
            chunk = os.read(inp.fileno(), 65536)
            if not chunk:
                sys.exit("chromium closed the pipe")
            buf += chunk
        raw, buf = buf.split(b"\0", 1)
        reply = json.loads(raw)
        if reply.get("id") == next_id:
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply["result"]
def tab(scripts):
    target = call("Target.createTarget", url="about:blank")["targetId"]
    s = call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    call("Emulation.setDeviceMetricsOverride", s, width=1100, height=420,
         deviceScaleFactor=1, mobile=False)
    call("Emulation.setScriptExecutionDisabled", s, value=not scripts)
    call("Page.navigate", s, url=url)
    return s
def dom_rows(s):
    """(host, state) of each node row, in page order, read from the DOM."""
    try:   # the document may be replaced between the two calls while loading
        root = call("DOM.getDocument", s, depth=-1)["root"]["nodeId"]
        text = call("DOM.getOuterHTML", s, nodeId=root)["outerHTML"]
    except RuntimeError:
        return [], ""
    rows = []
    class P(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "tr" and "node" in (a.get("class") or "").split():
                rows.append([a["data-host"], a["data-state"]])
    P().feed(text)
    return rows, text
def wait(what, pred, seconds, s):
    deadline = time.time() + seconds
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            sys.exit(f"timed out waiting for {what}; rows: {dom_rows(s)[0]}")
        time.sleep(0.05)
try:
    # Without JavaScript: the server's page as it is.
    s = tab(scripts=False)
    running = [[h, "running"] for h in hosts]
    wait("the page without JavaScript", lambda: dom_rows(s)[0] == running, 20, s)
    text = dom_rows(s)[1]
    if 'running <b id="n-running">3</b>' not in text:
        sys.exit("summary bar: no 'running 3'")
    print("-- without JavaScript: 3 rows, running")

    # With JavaScript: the page follows a change without reloading.
    s = tab(scripts=True)
    def js(expr):
        return call("Runtime.evaluate", s, expression=expr, returnByValue=True)["result"].get("value")
    wait("the page", lambda: dom_rows(s)[0] == running, 20, s)
    wait("a refresh", lambda: int(js("document.body.dataset.refreshes || 0")) > 0, 10, s)
    js("window.wrpLoadMark = 42")
    t0 = time.time()
    os.kill(int(runtime_pid), signal.SIGSEGV)
    os.kill(int(agent_pid), signal.SIGKILL)
    want = [[hosts[0], "failed"], [hosts[1], "down"], [hosts[2], "running"]]
    wait("the new states", lambda: dom_rows(s)[0] == want, 15, s)
    print(f"-- with JavaScript: the page showed the changes after {(time.time() - t0) * 1000:.0f} ms")
    if js("window.wrpLoadMark") != 42:
        sys.exit("the page was reloaded")
    if "killed by SIGSEGV" not in js("document.getElementById('rows').innerText"):
        sys.exit("no 'killed by SIGSEGV' on the page")
    # Two animation frames: the new rows are painted.
    call("Runtime.evaluate", s, awaitPromise=True, expression=
         "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    png = call("Page.captureScreenshot", s, format="png")["data"]
    open(f"{tmp}/page.png", "wb").write(base64.b64decode(png))
finally:
    browser.kill()
    browser.wait()
PY
[ -s "$T/page.png" ] || fail "no screenshot"
[ "$(head -c 8 "$T/page.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
if [ -n "${WRP_SCREENSHOT:-}" ]; then
    cp "$T/page.png" "$WRP_SCREENSHOT"
    note "screenshot kept in $WRP_SCREENSHOT"
fi
exit 0
