#!/usr/bin/env bash
# The units as `make install` writes them pass systemd-analyze verify; the
# agent's unit and docs/SECURITY.md §6 say the same thing: every directive
# the unit sets is in the doc's table with the same value, and every
# directive the table lists is in the unit; the unit carries what the
# agent's contract needs (Type=notify, KillMode=process, the watchdog,
# AF_NETLINK for an endpoint naming an address, the key condition).
. "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null || skip "no systemd-analyze (apt-get install systemd)"
D=$T/dest
make -s -C "$WRP_TOP" install DESTDIR="$D" PREFIX=/usr SYSTEMD_UNIT_DIR=/lib/systemd/system >/dev/null
U=$D/lib/systemd/system
for unit in wrp-agentd wrp-monitor; do
    # The programs as installed in DESTDIR, man pages not looked up.
    sed -e "s|/usr/sbin/|$D/usr/sbin/|; s|/usr/bin/|$D/usr/bin/|" "$U/$unit.service" >"$T/$unit.service"
    run_cmd out rc systemd-analyze verify --man=no "$T/$unit.service"
    assert_eq 0 "$rc" "systemd-analyze verify $unit: $out"
done
unit=$U/wrp-agentd.service
for line in Type=notify NotifyAccess=main KillMode=process WatchdogSec=30s \
    'ConditionPathExists=/etc/wrp/agent.key_secret' 'ExecStart=/usr/sbin/wrp-agentd'; do
    grep -qx "$line" "$unit" || fail "the unit lacks $line"
done
grep -q '^RestrictAddressFamilies=.*AF_NETLINK' "$unit" || fail "RestrictAddressFamilies lacks AF_NETLINK"

note "the unit and docs/SECURITY.md §6 agree"
doc=$WRP_TOP/docs/SECURITY.md
# The table rows of §6: | `Key=value`, `Key=value` | why |
sed -n '/^## 6\./,/^## 7\./p' "$doc" | grep '^| `' | cut -d'|' -f2 | grep -o '`[A-Za-z]*=[^`]*`' |
    tr -d '`' | sort -u >"$T/doc"
grep -E '^[A-Za-z]+=' "$unit" | grep -vE '^(Description|Documentation|After|Wants|WantedBy|ExecStart|RestartSec)=' |
    sort -u >"$T/unit"
if ! diff -u "$T/unit" "$T/doc" >"$T/diff"; then
    cat "$T/diff"
    fail "docs/SECURITY.md §6 and the unit differ (- only in the unit, + only in the doc)"
fi
assert_contains "$(cat "$doc")" "systemd-analyze security wrp-agentd.service" "the doc reports the security score"
echo "unit ok"
