#!/usr/bin/env bash
# Every bad input to wrp-controller: exit code 1, one message naming the
# file:line and the key or value, and $WRP_HOME left byte-identical.
. "$(dirname "$0")/lib.sh"
export WRP_PIPELINE_PATH=$WRP_TOP/pipelines
C=$BIN/wrp-controller

$C ppl load basic_runtime >/dev/null || fail "ppl load basic_runtime"
$C pkg conf runtime low_latency_workers=6 >/dev/null || fail "pkg conf"

# Fingerprint of everything under $WRP_HOME: names, modes and contents.
fingerprint () {
    (cd "$WRP_HOME" && find . -printf '%p %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort)
}
before=$(fingerprint)

# expect_fail WHAT NEEDLE... -- CMD...: CMD exits 1, its output holds every
# NEEDLE, and the state is unchanged.
expect_fail () {
    local what=$1
    shift
    local needles=()
    while [ "$1" != "--" ]; do needles+=("$1"); shift; done
    shift
    local out rc
    run_cmd out rc "$@"
    assert_eq 1 "$rc" "$what: exit code (output: $out)"
    local n
    for n in "${needles[@]}"; do assert_contains "$out" "$n" "$what"; done
    [ "$(grep -c 'error:' <<<"$out")" -eq 1 ] || fail "$what: not exactly one error line: $out"
    assert_eq "$before" "$(fingerprint)" "$what: \$WRP_HOME changed"
}

# pipeline FILE LINE...: a pipeline whose runtime package has the given lines.
pipeline () {
    local file=$T/$1
    shift
    { echo "name: bad"; echo "pkgs:"; echo "  - pkg_type: jarvis_wrp_runtime.wrp_runtime"
      echo "    pkg_name: runtime"; for l in "$@"; do echo "    $l"; done; } > "$file"
}

note "pipeline YAML: each bad value names file:line and key"
pipeline unknown.yaml "sleep: 1" "low_latency_worker: 8"
expect_fail "unknown key" "$T/unknown.yaml:6:" "unknown parameter 'low_latency_worker'" \
    "did you mean 'low_latency_workers'?" -- $C ppl load "$T/unknown.yaml"
pipeline type.yaml "low_latency_workers: eight"
expect_fail "wrong type" "$T/type.yaml:5:" "'low_latency_workers'" "'eight' is not an integer" \
    -- $C ppl load "$T/type.yaml"
pipeline list.yaml "port: [1, 2]"
expect_fail "list for a scalar" "$T/list.yaml:5:" "key 'port'" -- $C ppl load "$T/list.yaml"
pipeline neg.yaml 'main_segment_size: "-1G"'
expect_fail "negative size" "$T/neg.yaml:5:" "'main_segment_size'" "'-1G'" "negative" \
    -- $C ppl load "$T/neg.yaml"
pipeline zero.yaml "client_data_segment_size: 0"
expect_fail "zero size" "$T/zero.yaml:5:" "'client_data_segment_size'" "'0'" "greater than zero" \
    -- $C ppl load "$T/zero.yaml"
pipeline overflow.yaml "main_segment_size: 16384P"
expect_fail "overflowing size" "$T/overflow.yaml:5:" "'main_segment_size'" "'16384P'" "too large" \
    -- $C ppl load "$T/overflow.yaml"
pipeline overflow2.yaml "main_segment_size: 99999999999999999999999"
expect_fail "overflowing size (digits)" "$T/overflow2.yaml:5:" "too large" \
    -- $C ppl load "$T/overflow2.yaml"
pipeline garbage.yaml "runtime_data_segment_size: 12Q"
expect_fail "suffix garbage" "$T/garbage.yaml:5:" "'runtime_data_segment_size'" "'12Q'" "unexpected 'Q'" \
    -- $C ppl load "$T/garbage.yaml"
pipeline garbage2.yaml "main_segment_size: 1GiB"
expect_fail "suffix garbage (GiB)" "$T/garbage2.yaml:5:" "'1GiB'" -- $C ppl load "$T/garbage2.yaml"
pipeline level.yaml "log_level: loud"
expect_fail "log level outside choices" "$T/level.yaml:5:" "'log_level'" "'loud'" \
    "debug, info, warning, error" -- $C ppl load "$T/level.yaml"
pipeline lane.yaml "lane_map_policy: fifo"
expect_fail "lane policy outside choices" "$T/lane.yaml:5:" "'lane_map_policy'" "'fifo'" \
    "map_by_pid_tid, round_robin, random" -- $C ppl load "$T/lane.yaml"
pipeline port0.yaml "port: 0"
expect_fail "port 0" "$T/port0.yaml:5:" "'port'" "0 is out of range (1..65534)" \
    -- $C ppl load "$T/port0.yaml"
pipeline port.yaml "port: 65535"
expect_fail "port 65535" "$T/port.yaml:5:" "'port'" "65535 is out of range (1..65534)" \
    -- $C ppl load "$T/port.yaml"
pipeline workers.yaml "low_latency_workers: 0"
expect_fail "workers below 1" "$T/workers.yaml:5:" "'low_latency_workers'" "out of range (1..1024)" \
    -- $C ppl load "$T/workers.yaml"
pipeline empty.yaml "sleep:"
expect_fail "no value" "$T/empty.yaml:5:" "key 'sleep': no value" -- $C ppl load "$T/empty.yaml"

printf 'pkgs:\n  - pkg_type: jarvis_wrp_runtime.orangefs\n    pkg_name: pfs\n' > "$T/pkgtype.yaml"
expect_fail "unknown pkg_type" "$T/pkgtype.yaml:2:" "key 'pkg_type'" \
    "unknown package type 'jarvis_wrp_runtime.orangefs'" -- $C ppl load "$T/pkgtype.yaml"
printf 'name: nopkgs\nhostfile: /etc/hosts\n' > "$T/nopkgs.yaml"
expect_fail "missing pkgs" "$T/nopkgs.yaml:1:" "missing required key 'pkgs'" \
    -- $C ppl load "$T/nopkgs.yaml"
printf 'name: x\nlow_latency_workers: 8\npkgs: []\n' > "$T/toplevel.yaml"
expect_fail "parameter at top level" "$T/toplevel.yaml:2:" "unknown key 'low_latency_workers'" \
    -- $C ppl load "$T/toplevel.yaml"
printf 'name: x\npkgs:\n  - pkg_type: wrp_runtime\n     port: 1\n' > "$T/syntax.yaml"
expect_fail "YAML syntax error" "$T/syntax.yaml:4:" "YAML syntax error" -- $C ppl load "$T/syntax.yaml"
printf 'name: x\npkgs: [\n' > "$T/syntax2.yaml"
expect_fail "YAML syntax error (unclosed)" "$T/syntax2.yaml:3:" "YAML syntax error" \
    -- $C ppl load "$T/syntax2.yaml"
printf 'env: [LD_PRELOAD]\npkgs:\n  - pkg_type: wrp_runtime\n' > "$T/preload.yaml"
expect_fail "LD_PRELOAD in env" "$T/preload.yaml:1:" "'LD_PRELOAD'" -- $C ppl load "$T/preload.yaml"
printf 'env: [LD_AUDIT]\npkgs:\n  - pkg_type: wrp_runtime\n' > "$T/audit.yaml"
expect_fail "LD_AUDIT in env" "$T/audit.yaml:1:" "'LD_AUDIT'" -- $C ppl load "$T/audit.yaml"

note "missing or unreadable pipeline files"
expect_fail "missing file" "$T/absent.yaml" "No such file" -- $C ppl load "$T/absent.yaml"
expect_fail "missing name" "pipeline 'no_such_pipeline' not found" "$WRP_TOP/pipelines" \
    -- $C ppl load no_such_pipeline
mkdir "$T/dir.yaml"
expect_fail "a directory" "$T/dir.yaml" "not a regular file" -- $C ppl load "$T/dir.yaml"
if [ "$(id -u)" -ne 0 ]; then
    cp "$WRP_TOP/pipelines/basic_runtime.yaml" "$T/secret.yaml"
    chmod 000 "$T/secret.yaml"
    expect_fail "unreadable file" "$T/secret.yaml" "Permission denied" -- $C ppl load "$T/secret.yaml"
fi
expect_fail "-p missing file" "$T/absent.yaml" "No such file" -- $C -p "$T/absent.yaml" config

note "hostfiles: bad line, too many hosts (file:line)"
printf 'node1\nnode[3-1]\n' > "$T/badhosts"
expect_fail "bad hostfile line (-H)" "$T/badhosts:2:" "descending range '3-1'" \
    -- $C -H "$T/badhosts" config
printf 'node1\nno de\n' > "$T/spacehosts"
expect_fail "bad hostfile line (space)" "$T/spacehosts:2:" "one host per line" \
    -- $C -H "$T/spacehosts" ppl show
printf 'hostfile: badhosts\npkgs:\n  - pkg_type: wrp_runtime\n' > "$T/withhosts.yaml"
expect_fail "bad hostfile of a pipeline" "$T/badhosts:2:" -- $C ppl load "$T/withhosts.yaml"
printf '# big\nn[1-100001]\n' > "$T/bighosts"
expect_fail "hostfile over 100000 hosts" "$T/bighosts:2:" "more than 100000" \
    -- $C -H "$T/bighosts" config
printf 'a[1-60000]\nb[1-50000]\n' > "$T/bighosts2"
expect_fail "hostfile over 100000 hosts (sum)" "$T/bighosts2:2:" "more than 100000 hosts" \
    -- $C -H "$T/bighosts2" config
expect_fail "missing hostfile" "$T/nohosts" "No such file" -- $C -H "$T/nohosts" config

note "pkg conf: each bad pair names key and value, changes nothing"
expect_fail "conf unknown key" "unknown parameter 'low_latency_worker'" \
    "did you mean 'low_latency_workers'?" -- $C pkg conf runtime low_latency_worker=8
expect_fail "conf wrong type" "'queue_depth'" "'deep' is not an integer" \
    -- $C pkg conf runtime queue_depth=deep
expect_fail "conf negative size" "'main_segment_size'" "'-2G'" -- $C pkg conf runtime main_segment_size=-2G
expect_fail "conf zero size" "'main_segment_size'" "greater than zero" -- $C pkg conf runtime main_segment_size=0
expect_fail "conf overflowing size" "'main_segment_size'" "too large" \
    -- $C pkg conf runtime main_segment_size=9223372036854775808
expect_fail "conf suffix garbage" "'main_segment_size'" "'2X'" -- $C pkg conf runtime main_segment_size=2X
expect_fail "conf log level" "'log_level'" "'verbose'" "debug, info, warning, error" \
    -- $C pkg conf runtime log_level=verbose
expect_fail "conf lane policy" "'lane_map_policy'" "'lifo'" -- $C pkg conf runtime lane_map_policy=lifo
expect_fail "conf port 0" "'port'" "out of range (1..65534)" -- $C pkg conf runtime port=0
expect_fail "conf port 65535" "'port'" "65535" -- $C pkg conf runtime port=65535
expect_fail "conf good then bad: nothing stored" "'port'" "70000" \
    -- $C pkg conf runtime low_latency_workers=9 port=70000
expect_fail "conf not K=V" "'port5555' is not KEY=VALUE" -- $C pkg conf runtime port5555
expect_fail "conf wrong package" "has no package 'database'" -- $C pkg conf database port=1
expect_fail "conf bad hostfile" "$T/badhosts:2:" -- $C conf hostfile="$T/badhosts"
expect_fail "conf missing hostfile" "No such file" -- $C conf hostfile=/nonexistent/hosts

note "usage errors"
expect_fail "unknown verb" "unknown verb 'launch'" -- $C launch
expect_fail "unknown option" "unknown option '--bogus'" -- $C --bogus status
expect_fail "bad --port" "--port '0'" -- $C --port 0 status
expect_fail "bad --timeout" "--timeout 'soon'" -- $C --timeout soon status
expect_fail "bad --format" "--format 'xml'" -- $C --format xml status
expect_fail "extra operand" "unexpected 'now'" -- $C start now

note "a failed load keeps the current pipeline and its conf"
json=$($C ppl show)
assert_contains "$json" "pipeline    basic_runtime (current)" "current pipeline kept"
assert_contains "$(grep '^low_latency_workers ' <<<"$json")" "conf" "conf kept"
echo PASS
