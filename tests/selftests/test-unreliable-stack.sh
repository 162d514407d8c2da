#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A task whose stack cannot be walked reliably holds the transition, even
# though it sleeps outside every patched function: the arm64 walk meets a
# frame record whose return address is not kernel text, refuses the
# stack, and the task stays in the old universe until it leaves that
# frame. The bad record is built by arm64 assembly in klp_test_target.
. ./lib.sh

[ "$(uname -m)" = aarch64 ] ||
	skip "the unreliable frame record is built on arm64 only"

insmod ./klp_test_target.ko unreliable=1 || fail "cannot load klp_test_target"
UT=$(cat "$TARGET/unreliable_pid")
[ "$UT" -gt 0 ] || fail "no kthread"
wait_for 10 grep -qx 1 "$TARGET/unreliable_parked" ||
	fail "kthread did not park under the bad record"

say "patching while pid $UT sleeps under an unreliable frame record"
insmod ./$PATCH.ko || fail "cannot load $PATCH"
# Long enough for the core to retry and nudge the kthread several times.
sleep 5
sysfs_is $PATCH/transition 1 ||
	fail "transition finished although a stack could not be trusted"
[ "$(state_of "$UT")" = 0 ] || fail "the kthread switched universe"
[ "$(state_of $$)" = 1 ] || fail "the test shell did not switch"
value_is 2 || fail "a patched task does not see the new code"

say "releasing pid $UT"
echo 1 > "$TARGET/release"
wait_for 10 grep -qx 0 "$TARGET/unreliable_parked" ||
	fail "kthread did not leave the bad record"
wait_for 20 sysfs_is $PATCH/transition 0 ||
	fail "transition did not finish once the stack was reliable"
cleanup
echo "ok"
