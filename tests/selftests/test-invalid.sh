#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed patches are refused whole: insmod fails with EINVAL, one
# error line names the cause, no sysfs entry stays, and nothing is
# patched (cmdline_proc_show, which each patch also changes, still shows
# the real command line). "dup", "objdup" and "objname" are refused only
# by klpcore (the stock core accepts them) and are skipped otherwise.
. ./lib.sh

CMDLINE=$(cat /proc/cmdline)

check_kind() {
	local kind=$1 want=$2 out lines
	mark_log
	out=$(insmod ./klp_test_invalid.ko kind="$kind" 2>&1) &&
		fail "$kind: malformed patch was accepted"
	echo "$out" | grep -q "Invalid" || fail "$kind: not EINVAL: $out"
	lines=$(dmesg_since | grep 'livepatch:')
	[ "$(echo "$lines" | grep -c .)" = 1 ] ||
		fail "$kind: want one error line, got: $lines"
	echo "$lines" | grep -q "$want" || fail "$kind: unexpected line: $lines"
	[ -z "$(ls $SYSFS)" ] || fail "$kind: sysfs entry left: $(ls $SYSFS)"
	grep -q '^klp_test_invalid ' /proc/modules && fail "$kind: module stayed"
	[ "$(cat /proc/cmdline)" = "$CMDLINE" ] || fail "$kind: left patched"
	echo "# $kind: refused with: ${lines#*livepatch: }"
}

check_kind sym "symbol 'klp_test_no_such_function' not found"
check_kind sympos "symbol position 2 for symbol 'cmdline_proc_show'"
if is_klpcore; then
	check_kind dup "function 'cmdline_proc_show' is listed twice"
	check_kind objdup "object 'vmlinux' is listed twice"
	check_kind objname "invalid object name 'vmlinux'"
else
	echo "# dup, objdup, objname: skipped, the stock core accepts them"
fi

# The control case: the same module, valid, is accepted and removable.
insmod ./klp_test_invalid.ko kind=none || fail "valid patch refused"
wait_for 10 sysfs_is klp_test_invalid/transition 0 || fail "no transition"
[ "$(cat /proc/cmdline)" != "$CMDLINE" ] || fail "valid patch had no effect"
echo 0 > $SYSFS/klp_test_invalid/enabled
wait_for 15 gone $SYSFS/klp_test_invalid || fail "valid patch did not leave"
# The patch drops its module reference after its sysfs directory.
wait_for 15 try_rmmod klp_test_invalid ||
	fail "cannot unload: $(rmmod klp_test_invalid 2>&1)"
[ "$(cat /proc/cmdline)" = "$CMDLINE" ] || fail "not restored"
echo "ok"
