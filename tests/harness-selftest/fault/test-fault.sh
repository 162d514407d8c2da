#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One fault of the harness's self-test, named by KLP_HARNESS_FAULT (the
# harness passes it in the guest's environment). The test itself passes,
# except where its result is the fault; the harness must still see the
# run as red, for the reason the self-test names.
cd "$(dirname "$0")" || exit 1
fault=$KLP_HARNESS_FAULT
echo "harness fault: $fault"

case "$fault" in
warn | lockdep)
	insmod ./klp_harness_fault.ko kind="$fault" || exit 1
	;;
panic-late)
	# Panic as soon as the kselftest runner has ended, when this test
	# has passed and the guest is on its way to its end. (The bracket
	# keeps the pattern from matching the waiter's own command line.)
	setsid bash -c 'while pgrep -f "run_kselftest[.]sh" > /dev/null; do
			sleep 0.05
		done
		insmod ./klp_harness_fault.ko kind=panic' \
		< /dev/null > /dev/null 2>&1 &
	;;
timeout)
	# Longer than this collection's settings allow.
	sleep 600
	;;
skip)
	echo "skipping, which no list of expected skips allows"
	exit 4
	;;
empty-log)
	# The dump at the end no longer starts at the boot.
	dmesg -C
	;;
release)
	# The boot line that the harness compares with the build.
	echo "@klp@ boot 0.0.0-not-the-built-one $(uname -m)" > /dev/console
	;;
kunit-short)
	# One KUnit suite's results lose their last case: the plan says
	# more cases than the file reports.
	d=$(ls -d /sys/kernel/debug/kunit/*/ | head -1)
	[ -n "$d" ] || { echo "no KUnit suite in this kernel"; exit 1; }
	last=$(grep -n '^    ok [0-9]' "$d/results" | tail -1 | cut -d: -f1)
	[ -n "$last" ] || { echo "no case in $d/results"; exit 1; }
	awk -v n="$last" 'NR != n' "$d/results" > /tmp/short-results
	mount --bind /tmp/short-results "$d/results" || exit 1
	;;
*)
	echo "unknown fault '$fault'"
	exit 1
	;;
esac
exit 0
