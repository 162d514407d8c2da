#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A user task that sleeps inside a function being patched holds the
# transition until it leaves that function; meanwhile the other tasks are
# patched, and tasks forked meanwhile start in their parent's universe.
. ./lib.sh

insmod ./klp_test_target.ko || fail "cannot load klp_test_target"
value_is 1 || fail "unpatched value is not 1"

cat "$TARGET/sleep" > /dev/null &
SLEEPER=$!
wait_for 10 grep -qx 1 "$TARGET/sleepers" || fail "sleeper did not start"

say "patching while pid $SLEEPER sleeps in klp_test_target_sleep"
insmod ./$PATCH.ko || fail "cannot load $PATCH"
sleep 3
sysfs_is $PATCH/transition 1 ||
	fail "transition finished while a task slept in a patched function"
[ "$(state_of $SLEEPER)" = 0 ] || fail "the sleeper switched universe"
[ "$(state_of $$)" = 1 ] || fail "the test shell did not switch"
value_is 2 || fail "a patched task does not see the new code"

sleep 100 &
CHILD=$!
[ "$(state_of $CHILD)" = "$(state_of $$)" ] ||
	fail "a task forked during the transition is not in its parent's universe"
kill $CHILD

say "releasing the sleeper"
echo 1 > "$TARGET/release"
wait $SLEEPER
wait_for 10 sysfs_is $PATCH/transition 0 ||
	fail "transition did not finish after the sleeper left the function"
[ "$(state_of $$)" = -1 ] || fail "patch_state is not -1 after the transition"
value_is 2 || fail "patched value is not 2"

echo 0 > "$SYSFS/$PATCH/enabled"
wait_for 15 gone "$SYSFS/$PATCH" || fail "patch did not go away"
value_is 1 || fail "value is not 1 after the patch was disabled"
cleanup
echo "ok"
