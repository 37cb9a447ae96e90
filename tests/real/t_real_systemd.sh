#!/usr/bin/env bash
# The real runtime started through the packaged unit under a booted systemd
# (tests/systemd_ct.sh) and its sandbox: installed in /opt/chi, found
# through agentd.yaml's env (CHI_REPO_PATH, LD_LIBRARY_PATH), it serves on
# the node's address, makes its segments in the container's /dev/shm, is
# stopped through the real abort path and cleaned.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../systemd_ct.sh"
. "$(dirname "$0")/real_lib.sh"

command -v dpkg-buildpackage >/dev/null || skip "no dpkg-buildpackage to build the package (apt-get install debhelper)"
why=$(ct_skip_reason)
[ -z "$why" ] || skip "systemd cannot boot here: $why"
DEB=$WRP_TOP/build/deb
agent_deb=$(find "$DEB" -maxdepth 1 -name 'wrp-agent_*.deb' 2>/dev/null | head -n 1)
if [ -z "$agent_deb" ] || [ -n "$(find "$WRP_TOP"/{agent,common,controller,proto,systemd,debian,man} \
    "$WRP_TOP/Makefile" -newer "$agent_deb" -type f | head -n 1)" ]; then
    make -s -C "$WRP_TOP" deb >"$T/deb.log" 2>&1 || { tail -20 "$T/deb.log"; fail "make deb"; }
    agent_deb=$(find "$DEB" -maxdepth 1 -name 'wrp-agent_*.deb' | head -n 1)
fi
ctl_deb=$(find "$DEB" -maxdepth 1 -name 'wrp-controller_*.deb' | head -n 1)

ct_boot
at_exit '[ -z "$CT_PID" ] || ct journalctl -u wrp-agentd --no-pager -n 40 2>/dev/null | tail -n 40'
ct rm -f /usr/sbin/policy-rc.d /var/lib/man-db/auto-update
run_cmd out rc ct apt-get install -y --no-install-recommends "$agent_deb" "$ctl_deb"
[ "$rc" = 0 ] || fail "apt-get install: $out"
ct wrp-controller keygen /etc/wrp/agent.key >/dev/null
ct wrp-controller keygen /root/.wrp/controller.key >/dev/null
ct cp /root/.wrp/controller.key /etc/wrp/authorized_keys/root.key

note "the real runtime installed in /opt/chi, named by agentd.yaml"
ct install -d -m 0755 /opt/chi
ct cp -a "$REAL/bin" "$REAL/lib" /opt/chi/
ct sh -c 'cat >>/etc/wrp/agentd.yaml' <<'YAML'
endpoint: tcp://127.0.1.1:5560
start_binary: /opt/chi/bin/chimaera_start_runtime
stop_binary: /opt/chi/bin/chimaera_stop_runtime
YAML
ct sed -i 's|^  PATH: .*|  PATH: /usr/bin:/bin\n  CHI_REPO_PATH: /opt/chi/lib\n  LD_LIBRARY_PATH: /opt/chi/lib|' /etc/wrp/agentd.yaml
ct wrp-agentd --check-config >/dev/null || fail "agentd.yaml: $(ct wrp-agentd --check-config 2>&1)"
echo 127.0.1.1 | ct sh -c 'cat >/root/hosts'
ct systemctl start wrp-agentd || fail "systemctl start wrp-agentd"

real_pipeline "$T/real.yaml"
ct sh -c "cat >/root/real.yaml" <"$T/real.yaml"
CTL=(wrp-controller -H /root/hosts)
run_cmd out rc ct "${CTL[@]}" ppl load /root/real.yaml
assert_eq 0 "$rc" "ppl load: $out"

note "start through the unit"
run_cmd out rc ct "${CTL[@]}" start
echo "$out"
assert_eq 0 "$rc" "start"
st=$(ct "${CTL[@]}" status --json)
pid=$(python3 -c 'import json,sys; n=json.load(sys.stdin)["nodes"][0]; assert n["runtime"]["state"]=="running", n; print(n["runtime"]["pid"])' <<<"$st") ||
    fail "status: $st"
assert_eq /opt/chi/bin/chimaera_start_runtime "$(ct readlink /proc/$pid/exe)" "the real runtime runs"
env=$(ct tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null || ct sh -c "tr '\0' '\n' </proc/$pid/environ")
assert_contains "$env" "CHI_REPO_PATH=/opt/chi/lib" "agentd.yaml's env"
grep -q '^NoNewPrivs:[[:space:]]*1' <(ct cat /proc/$pid/status) || fail "the unit's sandbox does not apply to the runtime"
log=$(ct cat /var/lib/wrp/pipelines/real/runtime.log)
assert_contains "$log" "SUCCESS: Main server started on 127.0.1.1 (node=0)" "the real runtime's node"
assert_contains "$(ct ss -Hltn "sport = :$REAL_PORT")" "127.0.1.1:$REAL_PORT" "main server on the node address"
assert_eq "$(( (32 << 20) + 16384 ))" "$(ct stat -c %s "/dev/shm/chi_main_segment_$REAL_USER" 2>/dev/null || ct stat -c %s /dev/shm/chi_main_segment_root)" \
    "main segment size"

note "stop: the real stop binary, SIGABRT, reported stopped"
run_cmd out rc ct "${CTL[@]}" stop
echo "$out"
assert_eq 0 "$rc" "stop"
ct test ! -d "/proc/$pid" || [ "$(ct awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] || fail "runtime alive after stop"
grep -q "stop binary (pid [0-9]*) exited with code 0" <(ct journalctl -u wrp-agentd --no-pager) || fail "the real stop binary did not exit 0"
run_cmd out rc ct "${CTL[@]}" clean
assert_eq 0 "$rc" "clean: $out"
[ -z "$(ct sh -c 'ls /dev/shm | grep ^chi_')" ] || fail "segments left after clean"
echo "systemd ok"
