#!/usr/bin/env bash
# /dev/shm is world-writable: names made by other users must not forge
# entries (a newline and a tab in a name), reach the terminal (ESC), or stop
# clean. Clean removes only the runtime user's entries, goes on past an
# entry it cannot remove, and reports each entry it left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
command -v useradd >/dev/null || skip "needs useradd (passwd)"
[ -x "$BIN/wrp-controller" ] || fail "no $BIN/wrp-controller (make first)"
other=wrps$$
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$other" || skip "cannot add a local user"
at_exit "userdel $other 2>/dev/null"

start_agent "$T/a"
ns () { nsenter --mount=/proc/$NS_PID/ns/mnt -- "$@"; }
printf 'x' > "$SHM/$(printf 'chi_evil\nchi_main_segment_fake\t99999999999999')"
printf 'x' > "$SHM/$(printf 'chi_esc\033[31mred')"
printf 'x' > "$SHM/chi_0000"
chown "$other" "$SHM/chi_0000"
# An entry no unlink can remove: a mount point (EBUSY).
printf 'y' > "$T/busy"
printf 'y' > "$SHM/chi_0001"
ns mount --bind "$T/busy" /dev/shm/chi_0001

send STATUS s1
shm=$(field shm)
printf '%s\n' "$shm" | cat -v
assert_not_contains "$shm" $'\nchi_main_segment_fake' "a name forges an shm entry"
assert_not_contains "$shm" $'\033' "ESC in the shm list"
echo "127.0.0.1:$AGENT_PORT" > "$T/hosts"
ctl () { "$BIN/wrp-controller" -H "$T/hosts" --timeout 5000 --insecure "$@"; }
run_cmd out rc ctl status
echo "$out" | cat -v
assert_not_contains "$out" "91T" "forged size in the SHM column"
assert_not_contains "$out" $'\033' "ESC in the table"
run_cmd out rc ctl status --prometheus
assert_not_contains "$out" 'name="chi_main_segment_fake"' "forged Prometheus series"

note "clean with the runtime's segments behind another user's entry and a busy one"
port=$(runtime_port)
start_runtime st1 "$port"
assert_eq OK "$(field command)" "start"
segs=$(ls "$SHM" | grep -c "_root$" || true)
[ "$segs" -ge 1 ] || fail "the runtime made no segments"
send KILL k1
send CLEAN c1
printf '%s\n' "$R" | cat -v
[ "$(ls "$SHM" | grep -c "_root$" || true)" = 0 ] || fail "the runtime's segments were not removed: $(ls "$SHM")"
[ -e "$SHM/chi_0000" ] || fail "another user's entry was removed"
kept=$(field kept)
assert_contains "$kept" "chi_0000" "kept entries reported (other owner)"
assert_contains "$kept" "chi_0001" "kept entries reported (failed unlink)"
assert_not_contains "$R" $'\033' "ESC in the clean reply"
ns umount /dev/shm/chi_0001
echo "shm ok"
