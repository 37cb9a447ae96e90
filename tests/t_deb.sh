#!/usr/bin/env bash
# The Debian packages: `make deb` builds wrp-agent and wrp-controller with
# debhelper; lintian reports no error and no warning; the changelog's
# version is the one in common/wrp_version.h and both programs print it;
# the packages hold what an operator needs (the unit, the conffile
# /etc/wrp/agentd.yaml, man pages, completion, the monitor unit); every man
# page renders without a groff warning and `man wrp-controller` works in a
# root the package was unpacked into; `make install DESTDIR=` installs the
# same files and never overwrites an edited /etc/wrp/agentd.yaml; the bash
# completion offers verbs, pipeline names and parameter names.
# (Installing, upgrading and purging under a booted systemd: t_systemd_boot.)
. "$(dirname "$0")/lib.sh"
for tool in dpkg-buildpackage dh lintian groff man; do
    command -v $tool >/dev/null || skip "no $tool: apt-get install debhelper lintian groff man-db (make deps)"
done
[ -f /usr/share/bash-completion/bash_completion ] || skip "no bash-completion: apt-get install bash-completion"

version=$(sed -n 's/^#define WRP_VERSION "\(.*\)"/\1/p' "$WRP_TOP/common/wrp_version.h")
[ -n "$version" ] || fail "no WRP_VERSION in common/wrp_version.h"
note "changelog agrees with common/wrp_version.h ($version)"
changelog=$(sed -n '1s/^wrp (\([^)]*\)).*/\1/p' "$WRP_TOP/debian/changelog")
assert_eq "$version" "${changelog%-*}" "debian/changelog's upstream version"

note "make deb"
make -s -C "$WRP_TOP" deb >"$T/deb.log" 2>&1 || { tail -30 "$T/deb.log"; fail "make deb"; }
DEB=$WRP_TOP/build/deb
agent=$DEB/wrp-agent_${changelog}_$(dpkg --print-architecture).deb
ctl=$DEB/wrp-controller_${changelog}_$(dpkg --print-architecture).deb
[ -f "$agent" ] && [ -f "$ctl" ] || fail "make deb made no $agent / $ctl: $(ls "$DEB")"

note "lintian: no errors, no warnings"
lint_rc=0
lintian --tag-display-limit 0 "$DEB"/wrp_*.changes >"$T/lintian" 2>&1 || lint_rc=$?
cat "$T/lintian"
if grep -E '^[EW]: ' "$T/lintian"; then fail "lintian reports errors or warnings"; fi
# Without a tag, a non-zero exit means lintian checked nothing (no .changes, a crash).
[ "$lint_rc" = 0 ] || fail "lintian exit $lint_rc without a tag: it did not check the packages"

note "contents"
dpkg-deb -c "$agent" >"$T/agent.list"
dpkg-deb -c "$ctl" >"$T/ctl.list"
for f in ./usr/sbin/wrp-agentd ./lib/systemd/system/wrp-agentd.service ./etc/wrp/agentd.yaml \
    ./etc/wrp/authorized_keys/ ./usr/share/man/man8/wrp-agentd.8.gz \
    ./usr/share/man/man5/wrp-agentd.yaml.5.gz; do
    grep -q " $f\$" "$T/agent.list" || fail "wrp-agent lacks $f"
done
for f in ./usr/bin/wrp-controller ./lib/systemd/system/wrp-monitor.service \
    ./usr/share/wrp/pipelines/basic_runtime.yaml ./usr/share/man/man1/wrp-controller.1.gz \
    ./usr/share/man/man5/wrp-pipeline.5.gz ./usr/share/bash-completion/completions/wrp-controller; do
    grep -q " $f\$" "$T/ctl.list" || fail "wrp-controller lacks $f"
done
mkdir "$T/ctrl"
dpkg-deb -e "$agent" "$T/ctrl"
assert_eq "/etc/wrp/agentd.yaml" "$(cat "$T/ctrl/conffiles")" "wrp-agent's conffiles"
grep -q 'ConditionPathExists=/etc/wrp/agent.key_secret' \
    <(dpkg-deb --fsys-tarfile "$agent" | tar -xO ./lib/systemd/system/wrp-agentd.service) ||
    fail "the packaged unit does not wait for the agent's key"

note "unpacked root: versions, config, man pages"
R=$T/root
dpkg-deb -x "$agent" "$R"
dpkg-deb -x "$ctl" "$R"
assert_eq "wrp-agentd $version" "$("$R/usr/sbin/wrp-agentd" --version)" "wrp-agentd --version"
assert_eq "wrp-controller $version" "$("$R/usr/bin/wrp-controller" --version)" "wrp-controller --version"
"$R/usr/sbin/wrp-agentd" --check-config -c "$R/etc/wrp/agentd.yaml" >/dev/null ||
    fail "the shipped agentd.yaml does not pass --check-config"
grep -q '^env:' "$R/etc/wrp/agentd.yaml" || fail "the shipped agentd.yaml sets no env"
grep -q 'start_binary' "$R/etc/wrp/agentd.yaml" || fail "agentd.yaml does not document start_binary"
for page in "$R"/usr/share/man/man*/*.gz; do
    warnings=$(zcat "$page" | groff -ww -z -man -t 2>&1)
    [ -z "$warnings" ] || fail "$(basename "$page"): $warnings"
    zgrep -q "wrp $version" "$page" || fail "$(basename "$page") does not carry version $version"
    warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "man -l $(basename "$page"): $warnings"
done
page=$(MANWIDTH=80 MANPATH=$R/usr/share/man man wrp-controller 2>&1) || fail "man wrp-controller: $page"
assert_contains "$page" "deploy and run the IOWarp" "man wrp-controller"
assert_contains "$(MANWIDTH=80 MANPATH=$R/usr/share/man man 5 wrp-agentd.yaml 2>&1)" "env:" "man 5 wrp-agentd.yaml"
assert_contains "$(MANWIDTH=80 MANPATH=$R/usr/share/man man 8 wrp-agentd 2>&1)" "ConditionPathExists" "man 8 wrp-agentd"

note "make install DESTDIR: same files; an edited agentd.yaml is kept"
D=$T/dest
make -s -C "$WRP_TOP" install DESTDIR="$D" PREFIX=/usr/local >/dev/null
for f in usr/local/sbin/wrp-agentd usr/local/bin/wrp-controller etc/wrp/agentd.yaml \
    usr/local/share/man/man1/wrp-controller.1 usr/local/share/man/man5/wrp-pipeline.5 \
    usr/local/share/man/man5/wrp-agentd.yaml.5 usr/local/share/man/man8/wrp-agentd.8 \
    usr/local/share/bash-completion/completions/wrp-controller; do
    [ -e "$D/$f" ] || fail "make install did not install $f"
done
unit=$(find "$D" -path '*/systemd/system/wrp-agentd.service' | head -n 1)
[ -n "$unit" ] || fail "make install did not install the unit"
grep -q '^ExecStart=/usr/local/sbin/wrp-agentd$' "$unit" || fail "unit's ExecStart: $(grep ExecStart "$unit")"
echo "# mine" >>"$D/etc/wrp/agentd.yaml"
make -s -C "$WRP_TOP" install DESTDIR="$D" PREFIX=/usr/local >/dev/null
grep -q '^# mine$' "$D/etc/wrp/agentd.yaml" || fail "make install overwrote an edited agentd.yaml"
[ -f "$D/etc/wrp/agentd.yaml.dist" ] || fail "no agentd.yaml.dist next to the kept file"

note "bash completion"
complete_words () {
    PATH=$R/usr/bin:$PATH WRP_PIPELINE_PATH=$WRP_TOP/pipelines bash -c '
        . /usr/share/bash-completion/bash_completion
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _wrp_controller wrp-controller "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$R/usr/share/bash-completion/completions/wrp-controller" "$@"
}
assert_contains "$(complete_words wrp-controller st)" "status" "verbs"
assert_contains "$(complete_words wrp-controller --js)" "--json" "options"
assert_contains "$(complete_words wrp-controller ppl load basic)" "basic_runtime" "pipeline names"
assert_contains "$(complete_words wrp-controller pkg conf runtime low_lat)" "low_latency_workers=" "parameter names"
assert_contains "$(complete_words wrp-controller --format '')" "prometheus" "--format values"
echo "deb ok"
