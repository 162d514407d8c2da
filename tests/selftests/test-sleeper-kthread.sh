#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A kthread that sleeps inside a function being patched holds the
# transition until it leaves it, through the wake-ups it gets meanwhile.
. ./lib.sh

insmod ./klp_test_target.ko kthread=1 || fail "cannot load klp_test_target"
KT=$(cat "$TARGET/kthread_pid")
[ "$KT" -gt 0 ] || fail "no kthread"
wait_for 10 grep -qx 1 "$TARGET/sleepers" || fail "kthread did not sleep"

insmod ./$PATCH.ko || fail "cannot load $PATCH"
sleep 3
sysfs_is $PATCH/transition 1 || fail "transition finished under the kthread"
[ "$(state_of "$KT")" = 0 ] || fail "the kthread switched universe"

echo 1 > "$TARGET/release"
wait_for 10 sysfs_is $PATCH/transition 0 ||
	fail "transition did not finish after the kthread left the function"
value_is 2 || fail "patched value is not 2"
cleanup
echo "ok"
