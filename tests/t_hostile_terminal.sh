#!/usr/bin/env bash
# Terminal injection: what an agent (or the runtime through it) sends must
# never reach the operator's terminal as control sequences. A rogue agent
# sends escape sequences, CR, C1 controls and invalid UTF-8 in state, error,
# text and output; a real agent runs a runtime that prints the same. The
# table shows every control and invalid byte escaped, a state outside the
# protocol's list as unknown; the real agent sends valid UTF-8.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
[ -x "$BIN/wrp-controller" ] || fail "no $BIN/wrp-controller (make first)"

# clean_text FILE WHAT: no C0 control but newline, no DEL, valid UTF-8
# without C1 controls.
clean_text () {
    python3 - "$1" "$2" <<'PY' || fail "$2: control or invalid bytes reach the terminal"
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("invalid UTF-8: %s" % e)
bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
if bad:
    sys.exit("controls: %r" % bad[:10])
PY
}

note "two rogue agents"
cat > "$T/fields1" <<'EOF2'
node=rogue1
state=\x1b[1;32mrunning
pid=4242
EOF2
cat > "$T/fields2" <<'EOF2'
node=rogue2
state=failed
exit_code=1
error=\x1b]52;c;aGVsbG8=\x07clipboard
output=\x1b[2J\x1b]0;owned\x07title\rover\xff\xfe bad\xc2\x9b csi\nFATAL: \x1b[31mred
shm=chi_x\t100
EOF2
: > "$T/hosts"
for i in 1 2; do
    port=$(free_port)
    python3 "$WRP_TOP/tests/zmtp.py" rogue "$port" "$T/fields$i" &
    at_exit "kill $! 2>/dev/null"
    wait_for 10 eval "ss -Htln 'sport = :$port' | grep -q LISTEN"
    echo "127.0.0.1:$port" >> "$T/hosts"
done
rc=0
"$BIN/wrp-controller" -H "$T/hosts" --timeout 3000 --insecure status > "$T/table" 2>&1 || rc=$?
cat -v "$T/table"
assert_eq 2 "$rc" "status exit code with rogue agents (a node not running)"
clean_text "$T/table" "status table of rogue agents"
grep -q "unknown" "$T/table" || fail "a state outside the protocol's list not shown as unknown"
assert_contains "$(cat "$T/table")" "0 running" "summary"
assert_contains "$(cat "$T/table")" '\e[1;32mrunning' "the forged state is shown escaped"
assert_contains "$(cat "$T/table")" 'clipboard' "the error is shown"

note "a runtime printing control sequences and invalid UTF-8"
mkdir -p "$T/rt"
cat > "$T/rt/chimaera_start_runtime" <<'EOF2'
#!/bin/sh
printf 'hello \033]0;title\007 \377\376 half \342\202\n\033[2J\rFATAL: owned \033[31mred\n'
exit 3
EOF2
chmod 755 "$T/rt/chimaera_start_runtime"
AGENT_ENV="PATH=$T/rt:$TBIN:$PATH" start_agent "$T/a"
rport=$(runtime_port)
send START t1 pipeline=testpipe config=@"$(runtime_conf "$rport")" port="$rport"
assert_eq FAILED "$(field code)" "start of a failing runtime"
"$TBIN/wrp-send" -t 5000 "$AGENT_EP" STATUS s1 | sed -n 's/^output=//p' > "$T/output"
python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/output" \
    || fail "the agent sends output that is not UTF-8: $(cat -v "$T/output")"
grep -q "owned" "$T/output" || fail "output lost: $(cat -v "$T/output")"
echo "127.0.0.1:$AGENT_PORT" > "$T/hosts2"
rc=0
"$BIN/wrp-controller" -H "$T/hosts2" --timeout 3000 --insecure status > "$T/table2" 2>&1 || rc=$?
cat -v "$T/table2"
assert_eq 2 "$rc" "status exit code with a failed runtime (a node not running)"
clean_text "$T/table2" "status table of a failed runtime"
grep -q "last output" "$T/table2" || fail "no last-output block"
echo "terminal ok"
