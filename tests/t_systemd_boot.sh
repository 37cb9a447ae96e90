#!/usr/bin/env bash
# The packaged unit under a real systemd (PID 1 of a container whose root is
# its own, tests/systemd_ct.sh), with the stand-in runtime:
# - `apt-get install ./wrp-agent_*.deb` enables the agent but does not start
#   it before its key exists, and says what to do;
# - with keys and an endpoint naming an address (libzmq's interface lookup
#   needs AF_NETLINK), the service is active once start returns, and then
#   the port is already bound (READY=1 comes after the bind); systemctl
#   shows the agent's STATUS= line;
# - the controller starts the runtime through it; under the unit's sandbox
#   the runtime runs from a home directory, /opt and /usr/local, creates its
#   /dev/shm segments, writes a storage path, cannot write /usr or /home,
#   resolves its node address, and its environment is agentd.yaml's env
#   (nothing of the agent's own);
# - `systemctl restart` and a package upgrade restart the agent and keep
#   the runtime (the same pid, re-adopted); an agent stopped with SIGSTOP is
#   killed by the watchdog and restarted, and re-adopts it;
# - `systemctl stop` leaves the runtime running; purge removes the state;
# - wrp-monitor.service (installed disabled) runs `monitor` and writes the
#   status document;
# - nothing reaches the machine's files: a marker in the machine's /tmp
#   survives the boot.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/systemd_ct.sh"
started=$(date +%s)

[ -x "$TBIN/chimaera_start_runtime" ] || fail "no $TBIN/chimaera_start_runtime: make $TBIN/chimaera_start_runtime"
command -v dpkg-buildpackage >/dev/null || skip "no dpkg-buildpackage to build the package (apt-get install debhelper)"
why=$(ct_skip_reason)
[ -z "$why" ] || skip "systemd cannot boot here: $why"

# The package, built when missing or older than the sources.
DEB=$WRP_TOP/build/deb
agent_deb=$(find "$DEB" -maxdepth 1 -name 'wrp-agent_*.deb' 2>/dev/null | head -n 1)
if [ -z "$agent_deb" ] || [ -n "$(find "$WRP_TOP"/{agent,common,controller,proto,systemd,debian,man} \
    "$WRP_TOP/Makefile" -newer "$agent_deb" -type f | head -n 1)" ]; then
    note "make deb"
    make -s -C "$WRP_TOP" deb >"$T/deb.log" 2>&1 || { tail -20 "$T/deb.log"; fail "make deb"; }
    agent_deb=$(find "$DEB" -maxdepth 1 -name 'wrp-agent_*.deb' | head -n 1)
fi
ctl_deb=$(find "$DEB" -maxdepth 1 -name 'wrp-controller_*.deb' | head -n 1)
version=$(sed -n 's/^#define WRP_VERSION "\(.*\)"/\1/p' "$WRP_TOP/common/wrp_version.h")

marker=$(mktemp /tmp/wrp-systemd-marker.XXXXXX)
at_exit "rm -f '$marker'"
echo "the booted system must not touch this" >"$marker"

note "boot"
ct_boot
# journal of the agent, shown when the test fails.
at_exit '[ -z "$CT_PID" ] || ct journalctl -u wrp-agentd --no-pager -n 60 2>/dev/null | tail -n 60'

show () { ct systemctl show -P "$1" wrp-agentd; }

# This machine's image may forbid service starts from package scripts (a
# policy-rc.d exiting 101, as container images do); a node has none.
ct rm -f /usr/sbin/policy-rc.d
# Rebuilding the whole manual index on every package operation takes most of
# apt's time here and is not what is tested (man finds the pages without it).
ct rm -f /var/lib/man-db/auto-update

note "install the packages: enabled, not started before the key exists"
run_cmd out rc ct apt-get install -y --no-install-recommends "$agent_deb" "$ctl_deb"
[ "$rc" = 0 ] || fail "apt-get install: $out"
assert_contains "$out" "will not start until this node has its key pair" "postinst message"
assert_eq enabled "$(ct systemctl is-enabled wrp-agentd)" "enabled after install"
assert_eq inactive "$(show ActiveState)" "not started without a key"
assert_eq no "$(show ConditionResult)" "the key condition failed"
assert_eq "wrp-agentd $version" "$(ct wrp-agentd --version)" "installed wrp-agentd --version"
page=$(ct env MANWIDTH=80 man wrp-controller 2>&1) || fail "man wrp-controller: $page"
assert_contains "$page" "deploy and run the IOWarp" "man wrp-controller in the container"

note "keys, the runtime's files, the config"
ct wrp-controller keygen /etc/wrp/agent.key >/dev/null
ct wrp-controller keygen /root/.wrp/controller.key >/dev/null
ct cp /root/.wrp/controller.key /etc/wrp/authorized_keys/root.key
# The runtime: a start program in a home directory that probes its
# sandbox, then runs a launcher in /opt, which runs the stand-in runtime
# installed in /usr/local.
ct install -d -m 0755 /home/chi/bin /opt/chi/bin /usr/local/libexec/chi /srv/wrp-storage
ct install -m 0755 "$TBIN/chimaera_start_runtime" "$TBIN/chimaera_stop_runtime" /usr/local/libexec/chi/
ct sh -c 'cat >/home/chi/bin/chimaera_start_runtime && chmod 0755 /home/chi/bin/chimaera_start_runtime' <<'EOF'
#!/bin/sh
echo "probe: ran $0"
echo x >/srv/wrp-storage/probe.$$ && echo "probe: storage writable"
touch /usr/local/probe 2>/dev/null && echo "probe: /usr/local WRITABLE" || echo "probe: /usr/local read-only"
touch /home/chi/probe 2>/dev/null && echo "probe: /home WRITABLE" || echo "probe: /home read-only"
echo "probe: node address $(getent hosts wrp-ct | cut -d' ' -f1)"
echo "probe: PATH=$PATH INVOCATION_ID=${INVOCATION_ID:-unset} CHI_REPO_PATH=${CHI_REPO_PATH:-unset}"
grep '^NoNewPrivs' /proc/self/status | tr -s '\t' ' ' | sed 's/^/probe: /'
exec /opt/chi/bin/chi-launch
EOF
ct sh -c 'cat >/opt/chi/bin/chi-launch && chmod 0755 /opt/chi/bin/chi-launch' <<'EOF'
#!/bin/sh
exec /usr/local/libexec/chi/chimaera_start_runtime
EOF
# The endpoint names an address (the node's): libzmq looks the interface
# up over netlink.
ct sh -c 'cat >>/etc/wrp/agentd.yaml' <<'EOF'
endpoint: tcp://127.0.1.1:5560
start_binary: /home/chi/bin/chimaera_start_runtime
stop_binary: /usr/local/libexec/chi/chimaera_stop_runtime
EOF
ct sed -i 's|^  PATH: .*|  PATH: /opt/chi/bin:/usr/bin:/bin\n  CHI_REPO_PATH: /opt/chi/lib|' /etc/wrp/agentd.yaml
ct wrp-agentd --check-config >/dev/null || fail "the edited agentd.yaml: $(ct wrp-agentd --check-config 2>&1)"
echo wrp-ct | ct sh -c 'cat >/root/hosts'

note "systemctl start: active only after READY=1 (the port is bound by then)"
ct systemctl start wrp-agentd || fail "systemctl start wrp-agentd failed"
assert_eq active "$(show ActiveState)" "active after start"
listening=$(ct ss -Hltn 'sport = :5560')
assert_contains "$listening" "127.0.1.1:5560" "bound when start returned"
status_text=$(show StatusText)
[ -n "$status_text" ] || fail "no STATUS= line"
assert_contains "$(ct systemctl status --no-pager wrp-agentd)" "Status: \"$status_text\"" "systemctl status shows STATUS="
agent1=$(show MainPID)

CTL=(wrp-controller -H /root/hosts)
json_field () { python3 -c "import json,sys; d=json.load(sys.stdin); n=d['nodes'][0]; print($1)"; }

note "the controller starts the runtime through the agent"
run_cmd out rc ct "${CTL[@]}" ppl load basic_runtime
[ "$rc" = 0 ] || fail "ppl load: $out"
run_cmd out rc ct "${CTL[@]}" start
[ "$rc" = 0 ] || fail "start: $out"
assert_contains "$out" "running" "start"
st=$(ct "${CTL[@]}" status --json)
rt_pid=$(json_field "n['runtime']['pid']" <<<"$st")
assert_eq running "$(json_field "n['runtime']['state']" <<<"$st")" "runtime state"
assert_eq "$version" "$(json_field "n['agent_version']" <<<"$st")" "agent_version in the JSON"
wait_for 10 ct sh -c "systemctl show -P StatusText wrp-agentd | grep -q running"

note "the runtime under the unit's sandbox"
log=$(ct cat /var/lib/wrp/pipelines/basic_runtime/runtime.log)
echo "$log" | grep '^probe:'
assert_contains "$log" "probe: ran /home/chi/bin/chimaera_start_runtime" "runs from a home directory"
assert_eq /usr/local/libexec/chi/chimaera_start_runtime "$(ct readlink /proc/$rt_pid/exe)" "runs from /opt's launcher into /usr/local"
assert_contains "$log" "probe: storage writable" "writes its storage path"
assert_contains "$log" "probe: /usr/local read-only" "cannot write /usr"
assert_contains "$log" "probe: /home read-only" "cannot write /home"
assert_contains "$log" "probe: node address 127.0.1.1" "resolves its node address"
assert_contains "$log" "SUCCESS: Main server started on wrp-ct" "serves on its node"
assert_contains "$(ct ss -Hltn 'sport = :5555')" "127.0.1.1:5555" "serves on its node address"
assert_contains "$log" "probe: NoNewPrivs: 1" "the sandbox applies to the runtime"
assert_contains "$log" "probe: PATH=/opt/chi/bin:/usr/bin:/bin INVOCATION_ID=unset CHI_REPO_PATH=/opt/chi/lib" \
    "the runtime's environment is agentd.yaml's env, not the agent's"
ct test -f /dev/shm/chi_main_segment_root || fail "no /dev/shm/chi_main_segment_root: $(ct ls /dev/shm)"
assert_contains "$(json_field "n['shm']" <<<"$st")" "chi_main_segment_root" "segments in the status"

note "wrp-monitor.service: installed disabled; with its key and hosts it reports the runtime"
assert_eq disabled "$(ct systemctl is-enabled wrp-monitor)" "the monitor is not enabled by the package"
ct wrp-controller keygen /etc/wrp/monitor.key >/dev/null
ct cp /etc/wrp/monitor.key /etc/wrp/authorized_keys/monitor.key
ct cp /root/hosts /etc/wrp/hosts
ct systemctl start wrp-monitor || fail "systemctl start wrp-monitor"
wait_for 20 ct grep -q '"state":"running"' /run/wrp-monitor/status.json
assert_contains "$(ct journalctl -u wrp-monitor --no-pager)" "1 running" "the monitor's log"
ct systemctl stop wrp-monitor

# readopted WHAT: the agent (a new pid) reports the same runtime running.
readopted () {
    local st
    st=$(ct "${CTL[@]}" status --json) || fail "$1: status: $st"
    assert_eq running "$(json_field "n['runtime']['state']" <<<"$st")" "$1: runtime state"
    assert_eq "$rt_pid" "$(json_field "n['runtime']['pid']" <<<"$st")" "$1: the same runtime pid"
}

note "systemctl restart: the runtime keeps running, the new agent re-adopts it"
ct systemctl restart wrp-agentd
agent2=$(show MainPID)
[ "$agent2" != "$agent1" ] || fail "restart did not restart the agent"
ct kill -0 "$rt_pid" || fail "restart killed the runtime"
readopted "after systemctl restart"

# (dpkg rather than apt from here: the same maintainer scripts, without
# apt's seconds of reading this machine's package lists.)
note "upgrade (install the package again): the agent restarts, the runtime stays"
run_cmd out rc ct dpkg -i "$agent_deb"
[ "$rc" = 0 ] || fail "dpkg -i (upgrade): $out"
agent3=$(show MainPID)
[ "$agent3" != "$agent2" ] || fail "the upgrade did not restart the agent"
assert_eq active "$(show ActiveState)" "active after the upgrade"
ct grep -q '^endpoint: tcp://127.0.1.1:5560' /etc/wrp/agentd.yaml || fail "the upgrade replaced the edited conffile"
readopted "after the upgrade"

note "a hung agent (SIGSTOP) is killed by the watchdog and restarted"
wd_start=$(date +%s)
ct systemctl kill --kill-whom=main -s SIGSTOP wrp-agentd
deadline=$((wd_start + 90))
while :; do
    pid=$(show MainPID)
    [ "$pid" != "$agent3" ] && [ "$pid" != 0 ] && [ "$(show ActiveState)" = active ] && break
    [ "$(date +%s)" -lt $deadline ] || fail "the watchdog did not restart the stopped agent in 90 s"
    sleep 0.5
done
echo "restarted by the watchdog after $(($(date +%s) - wd_start)) s"
assert_contains "$(ct journalctl -u wrp-agentd --no-pager)" "Watchdog timeout" "the watchdog fired"
readopted "after the watchdog"

note "systemctl stop leaves the runtime running"
ct systemctl stop wrp-agentd
assert_eq inactive "$(show ActiveState)" "stopped"
ct kill -0 "$rt_pid" || fail "systemctl stop killed the runtime"
ct systemctl start wrp-agentd
readopted "after stop and start"
run_cmd out rc ct "${CTL[@]}" stop
[ "$rc" = 0 ] || fail "stop: $out"
ct sh -c "! kill -0 $rt_pid 2>/dev/null" || fail "wrp-controller stop left the runtime running"
run_cmd out rc ct "${CTL[@]}" clean
[ "$rc" = 0 ] || fail "clean: $out"
ct sh -c '! ls /dev/shm/chi_* 2>/dev/null' || fail "clean left segments: $(ct ls /dev/shm)"

note "purge removes the state"
ct test -d /var/lib/wrp || fail "no /var/lib/wrp before the purge"
run_cmd out rc ct dpkg --purge wrp-agent
[ "$rc" = 0 ] || fail "dpkg --purge: $out"
ct sh -c '! test -e /var/lib/wrp' || fail "purge left /var/lib/wrp"
ct sh -c '! test -e /etc/wrp/agentd.yaml' || fail "purge left /etc/wrp/agentd.yaml"
ct test -f /etc/wrp/agent.key_secret || fail "purge removed the administrator's key"

note "the machine's files are untouched"
ct_shutdown
[ -f "$marker" ] && grep -q 'must not touch' "$marker" || fail "the marker in the machine's /tmp is gone"
echo "systemd boot ok in $(($(date +%s) - started)) s"
