#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A patch whose new code reaches what nobody exports through .klp.rela
# sections (klp_test_ext_patch, finalised by objtool-ext klp-post-link):
# static functions and data of vmlinux and of klp_test_ext_target, one
# name present twice in each. Its relocations must be written when the
# patch loads (vmlinux, and a target loaded before), when the target
# loads after it, again when the target comes back at another address,
# again after a load that failed in the pre-patch callback, and for a
# patch loaded anew after it was disabled. A patch module never
# finalised is refused.
. ./lib.sh

PATCH=klp_test_ext_patch
EXT=/sys/kernel/debug/klp_test_ext/report
PARAM=/sys/module/$PATCH/parameters
LOGLEVEL=/sys/module/printk/parameters/ignore_loglevel

cleanup() {
	if [ -e "$SYSFS/$PATCH/enabled" ]; then
		echo 0 > "$SYSFS/$PATCH/enabled" 2>/dev/null
		wait_for 15 gone "$SYSFS/$PATCH"
	fi
	wait_for 15 try_rmmod $PATCH
	rmmod klp_test_ext_raw 2>/dev/null
	rmmod klp_test_ext_filler 2>/dev/null
	rmmod klp_test_ext_target 2>/dev/null
	[ -n "$kptr" ] && echo "$kptr" > /proc/sys/kernel/kptr_restrict
	return 0
}

load_patch() {
	insmod ./$PATCH.ko || fail "cannot load $PATCH ($1)"
	wait_for 15 sysfs_is $PATCH/transition 0 ||
		fail "transition of $PATCH did not finish ($1)"
}

unload_patch() {
	echo 0 > "$SYSFS/$PATCH/enabled"
	wait_for 15 gone "$SYSFS/$PATCH" || fail "$PATCH did not go away ($1)"
	# The patch drops its module reference after its sysfs directory.
	wait_for 15 try_rmmod $PATCH ||
		fail "cannot unload $PATCH ($1): $(rmmod $PATCH 2>&1)"
}

# check_patched WHAT COUNT: the report of the new code, every symbol
# resolved and each one right; COUNT is what klp_ext_counter must read
# after this read's increment (1 after a fresh load of the target: a
# stale address of the last load would go on from the old count).
check_patched() {
	local r re up count
	r=$(cat $EXT) || fail "cannot read the report ($1)"
	re='^patched add=42 dup1=1 dup2=2 counter=([0-9]+) boot1=([0-9]+) boot2=([0-9]+) loglevel=([01])$'
	[[ $r =~ $re ]] || fail "report '$r', not the new code's ($1)"
	count=${BASH_REMATCH[1]}
	[ "$count" = "$2" ] || fail "klp_ext_counter is $count, not $2 ($1)"
	up=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
	for b in "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"; do
		[ "$b" -gt 0 ] && [ $((up - b)) -lt 60000 ] && [ $((b - up)) -lt 60000 ] ||
			fail "ktime_get_boottime gave $b ms, uptime $up ms ($1)"
	done
	[ "${BASH_REMATCH[4]}" = "$(sed 's/Y/1/;s/N/0/' $LOGLEVEL)" ] ||
		fail "ignore_loglevel read as ${BASH_REMATCH[4]}, sysfs says $(cat $LOGLEVEL) ($1)"
	r=$(cat $EXT)
	[[ $r =~ $re ]] && [ "${BASH_REMATCH[1]}" = $((count + 1)) ] ||
		fail "klp_ext_counter not written: $count, then '$r' ($1)"
	say "$1: $r"
}

# Where the target's code and data are: klp_ext_add and klp_ext_counter
# in /proc/kallsyms (root sees addresses unless kptr_restrict is 2).
ext_addr() {
	awk '($3 == "klp_ext_add" || $3 == "klp_ext_counter") &&
	     $4 == "[klp_test_ext_target]" { printf "%s=%s ", $3, $1 }' /proc/kallsyms
}

check_unpatched() {
	[[ $(cat $EXT) =~ ^unpatched ]] || fail "report '$(cat $EXT)' ($1)"
}

mark_log
kptr=$(cat /proc/sys/kernel/kptr_restrict)
[ "$kptr" = 2 ] && echo 1 > /proc/sys/kernel/kptr_restrict
# 1. Target loaded first: its relocations are written as the patch enables.
insmod ./klp_test_ext_target.ko || fail "cannot load klp_test_ext_target"
check_unpatched "before the patch"
load_patch "target loaded before"
check_patched "target loaded before" 2

# A write into vmlinux's static data, and back.
before=$(cat $LOGLEVEL)
echo 1 > $PARAM/flip_loglevel
cat $EXT > /dev/null
after=$(cat $LOGLEVEL)
echo 1 > $PARAM/flip_loglevel
cat $EXT > /dev/null
[ "$before" != "$after" ] && [ "$(cat $LOGLEVEL)" = "$before" ] ||
	fail "ignore_loglevel not written: $before, $after, $(cat $LOGLEVEL)"

# 2. The target leaves and comes back, at another address (the filler
# takes the memory it left), while the patch stays.
old_addr=$(ext_addr)
rmmod klp_test_ext_target || fail "cannot unload the patched target"
insmod ./klp_test_ext_filler.ko || fail "cannot load klp_test_ext_filler"
insmod ./klp_test_ext_target.ko || fail "cannot reload the target"
new_addr=$(ext_addr)
moved=0
for a in $old_addr; do
	[[ $a =~ =0+$ ]] && fail "kallsyms hides addresses ($old_addr)"
	[[ " $new_addr" == *" $a "* ]] || moved=$((moved + 1))
done
[ $moved = 2 ] ||
	fail "the target came back at its old code or data address: '$old_addr', then '$new_addr'"
say "target moved: $old_addr-> $new_addr"
check_patched "target reloaded elsewhere" 1
rmmod klp_test_ext_filler || fail "cannot unload klp_test_ext_filler"

# 3. A load refused by the pre-patch callback leaves nothing written.
rmmod klp_test_ext_target || fail "cannot unload the target"
echo 1 > $PARAM/fail_pre_patch
insmod ./klp_test_ext_target.ko 2>/dev/null &&
	fail "the target loaded although its pre-patch callback failed"
dmesg_since | grep -q "pre-patch callback failed for object 'klp_test_ext_target'" ||
	fail "no log line for the failed pre-patch callback"
echo 0 > $PARAM/fail_pre_patch
insmod ./klp_test_ext_target.ko ||
	fail "the target does not load after a refused load: $(dmesg | tail -n 3)"
check_patched "target loaded after a refused load" 1

# 4. Disabled, then loaded again.
unload_patch "disable"
check_unpatched "patch disabled"
load_patch "loaded again"
check_patched "patch loaded again" 4

# 5. Target loaded after the patch.
unload_patch "before the late load"
rmmod klp_test_ext_target || fail "cannot unload the target"
load_patch "target absent"
sysfs_is $PATCH/klp_test_ext_target/patched 0 ||
	fail "object of an absent module marked patched"
insmod ./klp_test_ext_target.ko || fail "cannot load the target after the patch"
check_patched "target loaded after" 1

# 6. A module never finalised: klpcore refuses it (the stock core does
# not look, and its new code would call address 0).
if is_klpcore; then
	insmod ./klp_test_ext_raw.ko 2>/dev/null &&
		fail "klp_test_ext_raw, never finalised, was accepted"
	dmesg_since | grep -q "livepatch: module klp_test_ext_raw was not finalised: placeholder __klp_ext.vmlinux.ktime_get_boottime.1 left" ||
		fail "no log line naming the placeholder left"
fi
cleanup
echo "ok"
