#!/usr/bin/env bash
# wrp-controller ppl index list / ppl load / ppl show / pkg conf / conf:
# the index path, the current pipeline, every parameter with its source
# (default, pipeline, conf) and the config generation.
. "$(dirname "$0")/lib.sh"
export WRP_PIPELINE_PATH=$T/mine:$WRP_TOP/pipelines
C=$BIN/wrp-controller

# show [ARGS...]: `ppl show --json` flattened to lines a test can grep:
#   param NAME VALUE SOURCE | hosts H:P H:P... | gen N | pipeline NAME |
#   file PATH | current True | env NAME...
show () {
    "$C" "$@" ppl show --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["params"]:
    print("param %s %s %s" % (p["name"], p["value"], p["source"]))
    if "number" in p:
        print("number %s %d" % (p["name"], p["number"]))
print("hosts " + " ".join("%s:%d" % (h["host"], h["port"]) for h in d["hosts"]))
print("gen %d" % d["generation"])
print("pipeline %s" % d["pipeline"])
print("file %s" % d["file"])
print("current %s" % d["current"])
print("env " + " ".join(d["forward_env"]))'
}
# get SNAPSHOT KEY [NAME]: the rest of the line "KEY [NAME] ..." of a snapshot.
get () {
    local prefix="$2 "
    [ $# -lt 3 ] || prefix="$2 $3 "
    local line
    line=$(grep -m1 "^$prefix" <<<"$1") || { echo "(missing $prefix)"; return; }
    echo "${line#"$prefix"}"
}

note "index list: the shipped pipelines and a shadowing one"
mkdir -p "$T/mine"
cat > "$T/mine/basic_runtime.yaml" <<'Y'
pkgs:
  - pkg_type: wrp_runtime
    port: 6001
Y
run_cmd out rc $C ppl index list
assert_eq 0 "$rc" "ppl index list"
assert_contains "$out" "my_iowarp_deployment" "index list"
assert_contains "$out" "$T/mine/basic_runtime.yaml" "index list: own dir first"
assert_contains "$out" "$WRP_TOP/pipelines/basic_runtime.yaml  (shadowed)" "index list: shadowed"

note "nothing loaded: show is a usage error"
run_cmd out rc $C ppl show
assert_eq 1 "$rc" "ppl show without a pipeline"
assert_contains "$out" "no pipeline loaded" "ppl show without a pipeline"

note "ppl load by name takes the first on the path"
run_cmd out rc $C ppl load basic_runtime
assert_eq 0 "$rc" "ppl load: $out"
assert_contains "$out" "loaded pipeline 'basic_runtime' from $T/mine/basic_runtime.yaml" "ppl load"
assert_contains "$out" "generation 1" "ppl load generation"
json=$(show)
assert_eq "6001 pipeline" "$(get "$json" param port)" "port from the pipeline"
assert_eq "4 default" "$(get "$json" param low_latency_workers)" "default value"

note "ppl load by file path (Jarvis REPO.NAME works too)"
run_cmd out rc $C ppl load jarvis_wrp_runtime.my_iowarp_deployment
assert_eq 0 "$rc" "ppl load REPO.NAME: $out"
run_cmd out rc $C ppl load "$WRP_TOP/pipelines/basic_runtime.yaml"
assert_eq 0 "$rc" "ppl load FILE: $out"
json=$(show)
assert_eq "basic_runtime" "$(get "$json" pipeline)" "pipeline name"
assert_eq "$WRP_TOP/pipelines/basic_runtime.yaml" "$(get "$json" file)" "pipeline file"
assert_eq "True" "$(get "$json" current)" "current"
assert_eq "1 pipeline" "$(get "$json" param sleep)" "sleep from basic_runtime.yaml"
assert_eq "5555 default" "$(get "$json" param port)" "port default"
assert_eq "1G default" "$(get "$json" param main_segment_size)" "main_segment_size default"
assert_eq "localhost:5560" "$(get "$json" hosts)" "localhost, agent port default"
gen0=$(get "$json" gen)

note "table form names value and source"
run_cmd out rc $C ppl show
assert_eq 0 "$rc" "ppl show"
assert_contains "$out" "pipeline    basic_runtime (current)" "show header"
line=$(grep '^sleep ' <<<"$out")
assert_contains "$line" "pipeline" "show: sleep source"
line=$(grep '^main_segment_size ' <<<"$out")
assert_contains "$line" "1073741824 bytes" "show: size in bytes"

note "pkg conf: value, source conf, generation + 1"
run_cmd out rc $C pkg conf runtime low_latency_workers=8 main_segment_size=2g log_level=debug
assert_eq 0 "$rc" "pkg conf: $out"
assert_contains "$out" "runtime: main_segment_size=2G" "pkg conf echo"
json=$(show)
assert_eq "8 conf" "$(get "$json" param low_latency_workers)" "conf value"
assert_eq "2G conf" "$(get "$json" param main_segment_size)" "conf size"
assert_eq "2147483648" "$(get "$json" number main_segment_size)" "size bytes"
assert_eq "debug conf" "$(get "$json" param log_level)" "conf choice"
assert_eq "1 pipeline" "$(get "$json" param sleep)" "untouched pipeline value"
assert_eq $((gen0 + 1)) "$(get "$json" gen)" "generation after pkg conf"

note "conf K=V: the same for the runtime package; later conf wins"
run_cmd out rc $C conf low_latency_workers=16 sleep=0
assert_eq 0 "$rc" "conf: $out"
json=$(show)
assert_eq "16 conf" "$(get "$json" param low_latency_workers)" "conf alias"
assert_eq "0 conf" "$(get "$json" param sleep)" "conf over pipeline"
assert_eq "2G conf" "$(get "$json" param main_segment_size)" "earlier conf kept"
assert_eq $((gen0 + 2)) "$(get "$json" gen)" "generation after conf"

note "pkg conf hostfile: relative to the current directory, expanded in show"
printf 'node[01-03]\n' > "$T/hosts"
(cd "$T" && $C pkg conf runtime hostfile=hosts) >/dev/null || fail "pkg conf hostfile"
json=$(show)
assert_eq "$T/hosts conf" "$(get "$json" param hostfile)" "hostfile made absolute"
assert_eq "node01:5560 node02:5560 node03:5560" "$(get "$json" hosts)" "hosts"

note "ppl load again: overrides cleared, generation still grows"
$C ppl load basic_runtime >/dev/null
run_cmd out rc $C ppl load "$WRP_TOP/pipelines/basic_runtime.yaml"
json=$(show)
assert_eq "4 default" "$(get "$json" param low_latency_workers)" "overrides cleared"
assert_eq "1 pipeline" "$(get "$json" param sleep)" "pipeline value back"
gen=$(get "$json" gen)
[ "$gen" -gt $((gen0 + 2)) ] || fail "generation went back: $gen"

note "pipeline hostfile relative to the pipeline's directory; -H wins"
mkdir -p "$T/site"
printf 'compute[1-2]\n' > "$T/site/nodes"
printf 'hostfile: nodes\nenv: [WRP_TEST_EXTRA]\npkgs:\n  - pkg_type: wrp_runtime\n' > "$T/site/site.yaml"
run_cmd out rc $C ppl load "$T/site/site.yaml"
assert_eq 0 "$rc" "ppl load site: $out"
assert_contains "$out" "2 hosts" "ppl load counts hosts"
json=$(cd / && WRP_TEST_EXTRA=1 show)
assert_eq "compute1:5560 compute2:5560" "$(get "$json" hosts)" "pipeline hostfile"
assert_eq "$T/site/nodes pipeline" "$(get "$json" param hostfile)" "hostfile source"
assert_contains "$(get "$json" env)" "WRP_TEST_EXTRA" "pipeline env forwarded"
json=$(show -H "$T/hosts" --port 6100)
assert_eq "node01:6100 node02:6100 node03:6100" "$(get "$json" hosts)" "-H and --port"

note "docs/PIPELINES.md carries the parameter table as \`params\` prints it"
while IFS= read -r line; do
    grep -qxF -- "$line" "$WRP_TOP/docs/PIPELINES.md" || fail "docs/PIPELINES.md lacks: $line"
done < <($C params)
[ "$($C params | wc -l)" -eq 25 ] || fail "params: expected 23 parameters and 2 header lines"

note "keygen writes a key pair and refuses to overwrite it"
run_cmd out rc $C keygen "$T/keys/ctl.key"
assert_eq 0 "$rc" "keygen: $out"
[ -s "$T/keys/ctl.key" ] && [ -s "$T/keys/ctl.key_secret" ] || fail "keygen files missing"
run_cmd out rc $C keygen "$T/keys/ctl.key"
assert_eq 1 "$rc" "keygen over an existing key: $out"

note "help for every verb"
for verb in "ppl load" "ppl index list" "ppl show" "pkg conf" conf config start stop kill clean status monitor keygen params; do
    run_cmd out rc $C $verb --help
    assert_eq 0 "$rc" "$verb --help"
    assert_contains "$out" "usage: wrp-controller $verb" "$verb --help"
done
echo PASS
