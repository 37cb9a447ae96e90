#!/usr/bin/env bash
# A peer that sends frames with MORE and never a last one (issue: one
# --insecure peer took the agent to 2 GB). The agent must drop it once a
# message passes the protocol's bounds (1027 frames, 8 MiB), before it has
# buffered much more, and keep serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

start_agent "$T/a"
rss () { awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status"; }
rss0=$(rss)

note "64 frames of 1 MiB with MORE"
out=$(python3 "$WRP_TOP/tests/zmtp.py" flood "$AGENT_PORT" $((1 << 20)) 64)
echo "$out"
assert_contains "$out" "dropped after" "big frames: peer dropped"
sent=${out##* after }; sent=${sent%% *}
[ "$sent" -le $((24 << 20)) ] || fail "dropped only after $sent bytes"

note "5000 empty frames with MORE"
out=$(python3 "$WRP_TOP/tests/zmtp.py" flood "$AGENT_PORT" 0 5000)
echo "$out"
assert_contains "$out" "dropped after" "many frames: peer dropped"

rss1=$(rss)
note "agent RSS $rss0 kB -> $rss1 kB"
[ "$rss1" -le $((rss0 + 64 * 1024)) ] || fail "agent grew from $rss0 to $rss1 kB"
send STATUS s1
assert_eq OK "$(field command)" "still serving"
grep -q "message exceeds" "$T/a/agent.log" || fail "no log line for the dropped peer"
echo "multipart ok"
