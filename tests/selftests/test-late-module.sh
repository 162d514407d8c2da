#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A module loaded after the patch gets patched; unloading it unpatches it
# cleanly; loading it again patches it again.
. ./lib.sh

mark_log
insmod ./$PATCH.ko || fail "cannot load $PATCH without its target"
wait_for 10 sysfs_is $PATCH/transition 0 || fail "transition did not finish"
sysfs_is $PATCH/klp_test_target/patched 0 ||
	fail "object of a module not loaded is marked patched"

insmod ./klp_test_target.ko || fail "cannot load the target after the patch"
sysfs_is $PATCH/klp_test_target/patched 1 || fail "late module not patched"
value_is 2 || fail "late module does not run the new code"
dmesg_since | grep -q "livepatch: applying patch '$PATCH' to loading module 'klp_test_target'" ||
	fail "no log line for the late module"

rmmod klp_test_target || fail "cannot unload the patched module"
sysfs_is $PATCH/klp_test_target/patched 0 || fail "object still patched"
dmesg_since | grep -q "livepatch: reverting patch '$PATCH' on unloading module 'klp_test_target'" ||
	fail "no log line for the unloading module"

insmod ./klp_test_target.ko || fail "cannot reload the target"
value_is 2 || fail "reloaded module is not patched"

echo 0 > "$SYSFS/$PATCH/enabled"
wait_for 15 gone "$SYSFS/$PATCH" || fail "patch did not go away"
value_is 1 || fail "module still patched after the patch left"
cleanup
echo "ok"
