#!/bin/bash
# Runs the whole suite from the repository's top folder: the lint script,
# the C unit tests (built with ASan and UBSan), the allocation test and the
# integration tests.  Ends with "N passed, N failed"; exits non-zero when
# anything failed.  TESTS=pattern runs only the matching parts.
set -u
cd "$(dirname "$0")/.."
export PINTAIL_TOP="$PWD"
export PYTHON=/usr/bin/python3
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# `pintail check` run as root also checks as the service's user (pintail),
# whose view of the tests' files would add warnings wherever the packages
# were installed: off, but in the test of it (test_check_service_user.sh).
export PINTAIL_SERVICE_USER=
pattern=${TESTS:-}
passed=0
failed=0
failures=()
log_dir=$(mktemp -d /tmp/pintail-tests-XXXXXX)

wanted() { [ -z "$pattern" ] || [[ "$1" == *$pattern* ]]; }

# One runnable piece: NAME, then the command.  Its output goes to a log,
# shown only when it fails.
run_one() {
	local name=$1; shift
	local log="$log_dir/${name//\//_}.log"
	local start=$SECONDS
	if timeout 600 "$@" >"$log" 2>&1; then
		return 0
	fi
	echo "---- $name failed (output follows) ----"
	tail -n 60 "$log"
	echo "---- end of $name ----"
	return 1
}

# The binaries the parts run, made afresh (nothing to do under `make check`).
if ! make -s test-bins >"$log_dir/make.log" 2>&1; then
	tail -n 40 "$log_dir/make.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# cmocka binaries: count their cases.
for bin in build/tests/test_*; do
	[ -x "$bin" ] || continue
	name=unit/$(basename "$bin")
	wanted "$name" || continue
	log="$log_dir/$(basename "$bin").log"
	timeout 300 "$bin" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, or a sanitizer stopped it
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures+=("$name")
		echo "---- $name: $f failed ----"
		grep -E "FAILED|ERROR|ERROR:|runtime error|Sanitizer|expected|fail" "$log" | head -n 40
	fi
	echo "$name: $p passed, $f failed"
done

# Everything else: one result each, TEST_JOBS (2) at a time: the tests
# mostly wait (for the agent, the endpoint, timers), and each has its own
# folder, ports and agent.  Each result is printed when its test ends.
jobs_max=${TEST_JOBS:-2}
mkdir -p "$log_dir/results"

# run_bg NAME COMMAND...: runs one test in the background (under
# $PINTAIL_RUN as PINTAIL when set), its result in results/, printed when done.
run_bg() {
	local name=$1 res
	shift
	res="$log_dir/results/${name//\//_}"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n || true
	done
	(
		start=$SECONDS
		if run_one "$name" "$@" > "$res.out"; then
			echo "$name: passed ($((SECONDS - start)) s)" >> "$res.out"
			echo pass > "$res"
		else
			echo "$name: FAILED ($((SECONDS - start)) s)" >> "$res.out"
			echo fail > "$res"
		fi
		flock "$log_dir/print.lock" cat "$res.out"
	) &
}

others=(lint selftest)
[ -x build/tests/alloc_count ] && others+=(alloc)
for t in tests/integration/test_* tests/live/test_* tests/answers/test_*; do
	[ -f "$t" ] && others+=("$t")
done
for t in "${others[@]}"; do
	wanted "$t" || continue
	case $t in
	lint) cmd=(bash tests/lint.sh) ;;
	alloc) cmd=(build/tests/alloc_count) ;;
	# The event checker's own test: the oracle of the integration tests.
	selftest) cmd=("$PYTHON" tests/tools/check_events.py --self-test
		       --schema "${SCHEMA:-$PWD/../shared/pinterest-events.schema.json}") ;;
	*.py) cmd=("$PYTHON" "$t") ;;
	*) cmd=(bash "$t") ;;
	esac
	run_bg "$t" "${cmd[@]}"
done

# A few integration tests again with the agent built with ASan and UBSan:
# any memory error, leak or undefined behaviour makes the agent fail them.
# One or two per area of the agent's code, to keep the suite short
# (each doubles its test's time): the tailer, the spool and its recovery,
# the shipper, reloads, a site's start.
ASAN_TESTS="tests/live/test_append.sh tests/live/test_spool_corrupt.sh tests/live/test_disk_full.sh
tests/live/test_copytruncate_paused.sh tests/live/test_unreachable_restart.sh
tests/live/test_unreadable_more.sh tests/live/test_disk_full_restart.sh
tests/answers/test_spool_expired.sh tests/answers/test_crash_split.sh tests/live/test_truncate_disk_full.sh
tests/answers/test_crash_twice.sh"
if [ -x build/pintail-asan ]; then
	for t in $ASAN_TESTS; do
		wanted "asan:$t" || continue
		run_bg "asan:$t" env PINTAIL="$PWD/build/pintail-asan" bash "$t"
	done
fi
wait

for res in "$log_dir"/results/*; do
	[ -f "$res" ] && [ "${res%.out}" = "$res" ] || continue
	if [ "$(cat "$res")" = pass ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$(basename "$res")")
	fi
done

[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]} (logs in $log_dir)"
[ ${#failures[@]} -eq 0 ] && rm -rf "$log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
