#!/usr/bin/env bash
# Runs the integration tests (tests/t_*.sh, or those named) one by one, each
# under a time limit, and prints one closing line: "N passed, N failed, N skipped".
# A test exits 0 (pass), 77 (skip: say why on stdout) or anything else (fail).
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export WRP_TOP=$PWD
logs=$BUILD/test-logs
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)
# Sanitizer builds: every process under test reports into the log dir, so a
# finding in a daemon that a test stops with a signal is not lost with it.
rm -f "$logs"/sanitizer.*
export ASAN_OPTIONS=${ASAN_OPTIONS:-log_path=$logs/sanitizer.asan:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-log_path=$logs/sanitizer.ubsan:print_stacktrace=1}
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/t_*.sh)
pass=0 fail=0 skip=0 failed=()
for t in "${tests[@]}"; do
    [ -f "$t" ] || t=tests/$t
    name=$(basename "$t" .sh)
    start=$(date +%s%N)
    timeout -k 5 ${TEST_TIMEOUT:-180} bash "$t" >"$logs/$name.log" 2>&1
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    secs=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
    case $rc in
    0)  pass=$((pass + 1)); printf 'PASS %-32s %6ss\n' "$name" "$secs" ;;
    77) skip=$((skip + 1)); printf 'SKIP %-32s (%s)\n' "$name" "$(tail -n 1 "$logs/$name.log")" ;;
    *)  fail=$((fail + 1)); failed+=("$name")
        printf 'FAIL %-32s %6ss (exit %d)\n' "$name" "$secs" "$rc"
        sed 's/^/    | /' "$logs/$name.log" | tail -n 40 ;;
    esac
done
for report in "$logs"/sanitizer.*; do
    [ -e "$report" ] || continue
    # LeakSanitizer's "Unable to get registers" notes (a thread ending as the
    # check runs) are not findings; findings say ERROR or runtime error.
    grep -qE 'ERROR: |runtime error' "$report" || continue
    fail=$((fail + 1))
    echo "FAIL sanitizer report $(basename "$report"):"
    sed 's/^/    | /' "$report" | head -n 40
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
