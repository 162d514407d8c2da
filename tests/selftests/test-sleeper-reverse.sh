#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# While a sleeping task holds a patching transition, writing 0 to enabled
# reverses it, and the reverse completes although the task still sleeps
# (it never left the old universe).
. ./lib.sh

insmod ./klp_test_target.ko || fail "cannot load klp_test_target"
cat "$TARGET/sleep" > /dev/null &
SLEEPER=$!
wait_for 10 grep -qx 1 "$TARGET/sleepers" || fail "sleeper did not start"

insmod ./$PATCH.ko || fail "cannot load $PATCH"
sleep 2
sysfs_is $PATCH/transition 1 || fail "transition was not held"

say "reversing the transition"
echo 0 > "$SYSFS/$PATCH/enabled" || fail "cannot reverse"
wait_for 10 gone "$SYSFS/$PATCH" ||
	fail "reverse transition did not complete while the task slept"
grep -qx 1 "$TARGET/sleepers" || fail "the sleeper left early"
value_is 1 || fail "value is not 1 after the reverse"
# The patch drops its module reference after its sysfs directory.
wait_for 15 try_rmmod $PATCH ||
	fail "cannot unload the reversed patch: $(rmmod $PATCH 2>&1)"
cleanup
echo "ok"
