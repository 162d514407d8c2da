# SPDX-License-Identifier: GPL-2.0
#
# Helpers of klpcore's own selftests (sourced, not run). Exit status of a
# test: 0 pass, 1 fail, 4 skip (kselftest's convention).

SYSFS=/sys/kernel/livepatch
TARGET=/sys/kernel/debug/klp_test_target
PATCH=klp_test_patch

# Give up: say why, clean up what we can, fail.
fail() {
	echo "not ok: $*"
	cleanup
	exit 1
}

skip() {
	echo "skip: $*"
	cleanup
	exit 4
}

say() {
	echo "# $*"
	echo "klp-selftest: $*" > /dev/kmsg
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local tenths=$(($1 * 10)) i
	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# For wait_for: a module that may still be held for a moment.
try_rmmod() {
	rmmod "$1" 2>/dev/null
}

sysfs_is() {		# sysfs_is RELPATH VALUE
	[ "$(cat "$SYSFS/$1" 2>/dev/null)" = "$2" ]
}

gone() {
	[ ! -e "$1" ]
}

value_is() {
	[ "$(cat "$TARGET/value")" = "$1" ]
}

state_of() {
	cat "/proc/$1/patch_state"
}

# The harness says which core it built (KLP_CORE, from the guest's
# /klp/env); a test never guesses it from the kernel log.
is_klpcore() {
	case "$KLP_CORE" in
	klpcore) return 0 ;;
	upstream) return 1 ;;
	esac
	echo "not ok: KLP_CORE is '$KLP_CORE', not klpcore or upstream"
	exit 1
}

# Remember where the kernel log stands; dmesg_since prints what followed.
mark_log() {
	LOG_MARK="klp-selftest mark $RANDOM$RANDOM"
	echo "$LOG_MARK" > /dev/kmsg
}

dmesg_since() {
	dmesg | awk -v m="$LOG_MARK" 'p; index($0, m) { p = 1 }'
}

# Disable and remove the test patch, release sleepers, unload modules.
cleanup() {
	[ -e "$TARGET/release" ] && echo 1 > "$TARGET/release"
	if [ -e "$SYSFS/$PATCH/enabled" ]; then
		if sysfs_is "$PATCH/transition" 1; then
			echo 1 > "$SYSFS/$PATCH/force" 2>/dev/null
		fi
		wait_for 10 sysfs_is "$PATCH/transition" 0
		echo 0 > "$SYSFS/$PATCH/enabled" 2>/dev/null
		wait_for 15 gone "$SYSFS/$PATCH"
	fi
	wait
	# The patch drops its module reference after its sysfs directory.
	grep -q "^$PATCH " /proc/modules && wait_for 15 try_rmmod $PATCH
	rmmod klp_test_target 2>/dev/null
	return 0
}

cd "$(dirname "$0")" || exit 1
[ "$(id -u)" = 0 ] || skip "must run as root"
[ -d "$SYSFS" ] || skip "no $SYSFS: live patching is not enabled"
