#!/usr/bin/env bash
# glibc's unsafe environment variables (UNSECURE_ENVVARS) are the floor of
# what START refuses, as PROTOCOL.md lists them: GLIBC_TUNABLES and TZDIR
# among them; the controller refuses them at ppl load.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

start_agent "$T/a"
port=$(runtime_port)
for v in GLIBC_TUNABLES TZDIR LD_PRELOAD GCONV_PATH LOCPATH MALLOC_TRACE NLSPATH \
         RESOLV_HOST_CONF HOSTALIASES LOCALDOMAIN RES_OPTIONS TMPDIR GETCONF_DIR NIS_PATH; do
    send START "e-$v" pipeline=testpipe config=@"$(runtime_conf "$port")" port="$port" \
        "env.$v=x"
    assert_eq REFUSED "$(field code)" "env.$v"
    grep -q "\`$v\`" "$WRP_TOP/proto/PROTOCOL.md" || grep -q "$v" "$WRP_TOP/proto/PROTOCOL.md" \
        || fail "$v not in PROTOCOL.md"
done
send STATUS s1
assert_eq stopped "$(field state)" "nothing started"

printf 'name: tun\npkgs:\n  - pkg_type: wrp_runtime\nenv:\n  - GLIBC_TUNABLES\n' > "$T/tun.yaml"
run_cmd out rc "$BIN/wrp-controller" ppl load "$T/tun.yaml"
[ "$rc" != 0 ] || fail "ppl load accepted GLIBC_TUNABLES: $out"
assert_contains "$out" "GLIBC_TUNABLES" "ppl load names the variable"
echo "env ok"
