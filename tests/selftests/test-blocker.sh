#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a stalled transition tells the administrator: a kthread asleep in
# a function being patched is counted in pending_tasks, named with that
# function in /proc/<pid>/patch_blocker, and reported in the kernel log
# after livepatch.stall_warn seconds; a task that switched shows nothing;
# the count goes back to 0 when the kthread leaves.
. ./lib.sh

is_klpcore || skip "the stock core has no transition diagnostics"

PARAM=/sys/module/livepatch/parameters/stall_warn
[ -w "$PARAM" ] || fail "no writable $PARAM"
OLD_WARN=$(cat "$PARAM")
restore_warn() {
	echo "$OLD_WARN" > "$PARAM"
}

insmod ./klp_test_target.ko kthread=1 || fail "cannot load klp_test_target"
KT=$(cat "$TARGET/kthread_pid")
[ "$KT" -gt 0 ] || fail "no kthread"
wait_for 10 grep -qx 1 "$TARGET/sleepers" || fail "kthread did not sleep"
[ -z "$(cat "/proc/$KT/patch_blocker")" ] ||
	fail "patch_blocker is not empty without a transition"

echo 1 > "$PARAM" || fail "cannot set stall_warn"
mark_log
insmod ./$PATCH.ko || { restore_warn; fail "cannot load $PATCH"; }

# pending_tasks: the kthread, at least, once a round has looked.
wait_for 10 eval '[ "$(cat $SYSFS/$PATCH/pending_tasks)" -ge 1 ]' ||
	{ restore_warn; fail "pending_tasks is $(cat $SYSFS/$PATCH/pending_tasks), not >= 1"; }

# patch_blocker: the function it sleeps in, as symbol+off/size [module].
WHY=$(cat "/proc/$KT/patch_blocker")
echo "# /proc/$KT/patch_blocker: $WHY"
[[ "$WHY" =~ ^sleeping\ in\ klp_test_target_sleep\+0x[0-9a-f]+/0x[0-9a-f]+\ \[klp_test_target\]$ ]] ||
	{ restore_warn; fail "patch_blocker of the kthread is '$WHY'"; }
[ "$(wc -l < "/proc/$KT/patch_blocker")" = 1 ] ||
	{ restore_warn; fail "patch_blocker is not one line"; }

# This shell switched on its way back to user space: nothing to say.
sleep 0.2
[ "$(state_of $$)" = 1 ] || { restore_warn; fail "the shell did not switch"; }
[ -z "$(cat "/proc/$$/patch_blocker")" ] ||
	{ restore_warn; fail "a switched task has a patch_blocker"; }

# The log: a line for the patch, a line for the kthread, after 1 s.
stalled() {
	dmesg_since | grep -q "livepatch: '$PATCH': transition stalled for [0-9]* s: [0-9]* tasks pending" &&
	dmesg_since | grep -q "livepatch: '$PATCH': pid $KT (.*): sleeping in klp_test_target_sleep+0x"
}
wait_for 10 stalled || { restore_warn; dmesg_since; fail "no stall report in the log"; }
restore_warn

sysfs_is $PATCH/transition 1 || fail "transition finished under the kthread"
echo 1 > "$TARGET/release"
wait_for 10 sysfs_is $PATCH/transition 0 ||
	fail "transition did not finish after the kthread left the function"
sysfs_is $PATCH/pending_tasks 0 || fail "pending_tasks is not 0 after the transition"
[ -z "$(cat "/proc/$KT/patch_blocker")" ] ||
	fail "patch_blocker is not empty after the transition"
value_is 2 || fail "patched value is not 2"
cleanup
echo "ok"
