#!/usr/bin/env bash
# Hostfile expansion as wrp-controller sees it (-H FILE, `ppl show --json`):
# Jarvis brackets, padding, letters, comments, duplicates, host:port, IPv4.
. "$(dirname "$0")/lib.sh"
export WRP_PIPELINE_PATH=$WRP_TOP/pipelines
C=$BIN/wrp-controller
$C ppl load basic_runtime >/dev/null || fail "ppl load basic_runtime"

# hosts TEXT: the expanded "host:port" list of a hostfile holding TEXT.
hosts () {
    printf '%b' "$1" > "$T/hosts"
    $C -H "$T/hosts" ppl show --json | /usr/bin/python3 -c '
import json, sys
print(" ".join("%s:%d" % (h["host"], h["port"]) for h in json.load(sys.stdin)["hosts"]))'
}

assert_eq "node01:5560 node02:5560 node03:5560 node04:5560 node05:5560 node06:5560 node07:5560 node08:5560 node09:5560 node10:5560" \
    "$(hosts 'node[01-10]\n')" "node[01-10]"
assert_eq "n8:5560 n9:5560 n10:5560" "$(hosts 'n[8-10]')" "no padding without a leading zero"
assert_eq "n098:5560 n099:5560 n100:5560" "$(hosts 'n[098-100]')" "padding from the wider bound"
assert_eq "n1:5560 n3:5560 n7:5560 n8:5560 n9:5560" "$(hosts 'n[1,3,7-9]')" "n[1,3,7-9]"
assert_eq "racka-n1:5560 racka-n2:5560 rackb-n1:5560 rackb-n2:5560 rackc-n1:5560 rackc-n2:5560" \
    "$(hosts 'rack[a-c]-n[1-2]')" "rack[a-c]-n[1-2]"
assert_eq "a:5560 b:5560 c:5560" "$(hosts '# head\n\na\n  b  # tail comment\n\t\na\nc\nb\n')" \
    "comments, blanks, duplicates removed, order kept"
assert_eq "10.0.0.1:5560 node1:6001 node1:5560" "$(hosts '10.0.0.1\nnode1:6001\nnode1\n10.0.0.1\n')" \
    "IPv4 and host:port"
assert_eq "n1:7000 n2:7000" "$(hosts 'n[1-2]:7000')" "port after brackets"

note "--port sets the default agent port, host:port still wins"
printf 'a\nb:6001\n' > "$T/hosts"
out=$($C -H "$T/hosts" --port 6000 ppl show)
assert_contains "$out" "hosts       2: a:6000 b:6001" "--port"

note "no hostfile anywhere means localhost"
out=$($C ppl show)
assert_contains "$out" "hosts       1: localhost:5560" "localhost"

note "exactly 100000 hosts is fine; the table shows the first ten"
printf 'n[000001-100000]\n' > "$T/big"
out=$($C -H "$T/big" ppl show)
assert_contains "$out" "hosts       100000: n000001:5560" "100000 hosts"
assert_contains "$out" "... (99990 more)" "100000 hosts"
echo PASS
