#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stress: KLP_STRESS_CYCLES cycles (default 200) of operations chosen at
# random among those the current state allows, on two live patches of
# klp_test_target, under load. Each operation checks its own outcome:
#
#   enable   load klp_test_patch or klp_test_patch2, stacked on what is
#            enabled. Tasks sleeping in klp_test_target_sleep hold the
#            transition of klp_test_patch (it patches that function):
#            while it is held, they stay in the old universe and all else
#            moves to the new one; then they are released, or now and
#            then the transition is forced
#   disable  disable any enabled patch, not only the top one; unload it
#   replace  load the other patch with replace=1: the old one leaves
#   reverse  while sleepers hold the transition of klp_test_patch, write
#            0 to enabled (sometimes 1 again at once): the reverse
#            completes although they still sleep; the patches below stay
#   target   unload klp_test_target under the enabled patches (releasing
#            its sleepers first), or load it again (maybe with its
#            kthread sleeping in the function): it comes back patched
#
# The load, all along: tasks sleeping in klp_test_target_sleep and in
# plain sleep, one CPU hog per online CPU, a fork loop, a kprobe on
# klp_test_target_value and the function tracer on the patched functions.
#
# After each operation no transition runs; the patches in sysfs and the
# modules loaded are the model's; every task has patch_state -1;
# klp_test_target_value returns the top patch's value (1 unpatched, 2
# klp_test_patch, 3 klp_test_patch2) and the kprobe sees the call; the
# sleeping function sleeps unless klp_test_patch is applied. Every 10
# cycles and at the end, the kernel log must show no report of trouble.
#
# KLP_STRESS_SEED=N replays the operations of a run (the seed is printed
# first), up to the first one whose outcome depends on timing (a second
# reverse that comes too late).
#
# A transition that takes more than 5 s is explained in the output: the
# tasks still in the old universe, with their state and stack.
#
# Under this load the x86_64 guests (single-threaded TCG: both vCPUs on
# one host thread, where a CPU hog holds its vCPU's turn) once needed
# 25-30 s per cycle: every transition armed and disarmed the switch point
# in cond_resched(), and each rewrite of its call sites waited for the
# hogging vCPU at every cross-CPU sync. The core now arms it only for a
# transition that has waited a second (klp_want_cond_resched_point()).
. ./lib.sh

shopt -s nullglob

P1=klp_test_patch	# value 2; also makes klp_test_target_sleep return
P2=klp_test_patch2	# value 3; klp_test_target_value only
declare -A VALUE=([$P1]=2 [$P2]=3)
NSLEEP=3		# tasks kept sleeping in klp_test_target_sleep

# Time limits in seconds, generous for TCG guests with KASAN and lockdep.
T_TRANS=60		# a transition that nothing holds (~1-3 s)
T_TASKS=30		# tasks entering or leaving the function, rmmod
T_HOLD=8		# checks while sleepers hold a transition: after
			# 15 s the core sends them signals

TRACING=/sys/kernel/tracing
KPROBE_EV=klpstress/klpstress_value
LOG_RE='WARNING|BUG:|Oops|Call Trace|Call trace|INFO: task|rcu: INFO|UBSAN|KASAN|KCSAN|ODEBUG|list_add corruption|list_del corruption|circular locking'

# The model of the system, and the test's own state.
ON=()			# enabled patches, oldest first
TGT=0			# klp_test_target is loaded
SLEEPERS=()		# pids of cat tasks sleeping in klp_test_target_sleep
KT=0			# the target's kthread sleeps there too
KT_PID=			# its pid while it does
LOAD_PIDS=()		# the CPU hogs and the fork loop
OUT_PIDS=()		# tasks sleeping outside the patched functions
KPROBE=0		# the kprobe event is in place
TRACER=0		# the function tracer is on
CYCLE=0
OP=setup
DETAIL=
MARKS=0
declare -a RND
declare -A OP_N OP_US
ERRF=$(mktemp /tmp/klp-stress.XXXXXX) || fail "mktemp"

# --- small helpers: no fork where a cycle calls them often ---------------

rd() {			# rd FILE: its first line in RD; fails if unreadable
	RD=
	{ IFS= read -r RD < "$1"; } 2>/dev/null || [ -n "$RD" ]
}

is() {			# is FILE VALUE
	rd "$1" && [ "$RD" = "$2" ]
}

put() {			# put VALUE FILE: write from this shell; ERR says why not
	{ echo "$1" > "$2"; } 2>"$ERRF" && return 0
	rd "$ERRF"
	ERR=${RD##*: }
	return 1
}

add() {			# add VALUE FILE: the same, appending
	{ echo "$1" >> "$2"; } 2>"$ERRF" && return 0
	rd "$ERRF"
	ERR=${RD##*: }
	return 1
}

exited() {		# exited PID...: each has exited (gone or a zombie)
	local p s
	for p; do
		rd "/proc/$p/stat" || continue
		s=${RD##*") "}
		[ "${s%% *}" = Z ] || return 1
	done
	return 0
}

all_state() {		# all_state STATE PID...: each is in universe STATE
	local p
	for p in "${@:2}"; do
		is "/proc/$p/patch_state" "$1" || return 1
	done
	return 0
}

has_on() {		# has_on PATCH: the model has it enabled
	local p
	for p in "${ON[@]}"; do
		[ "$p" = "$1" ] && return 0
	done
	return 1
}

in_function() {		# IN: tasks the model has in klp_test_target_sleep
	IN=$((${#SLEEPERS[@]} + KT))
}

pause() {		# pause TENTHS
	(($1)) && sleep "0.$1"
	return 0
}

now() {
	NOW=${EPOCHREALTIME//[!0-9]/}
}

secs() {		# secs MICROSECONDS: SECS, in seconds with one decimal
	SECS=$(($1 / 1000000)).$(($1 / 100000 % 10))
}

# What the failure message shows of the system and of the model.
state_dump() {
	local d f p s=
	for d in "$SYSFS"/*; do
		s+=" ${d##*/}("
		for f in enabled transition replace klp_test_target/patched; do
			rd "$d/$f" && s+=" ${f##*/}=$RD"
		done
		s+=" )"
	done
	in_function
	echo -n "sysfs:${s:- none}; model: on=(${ON[*]}) target=$TGT"
	echo -n " in-function=$IN; target:"
	rd "$TARGET/sleepers" && echo -n " sleepers=$RD"
	rd "$TARGET/value" && echo -n " value=$RD"
	echo -n "; patch_state: shell=$(cat /proc/$$/patch_state 2>&1)"
	for p in "${SLEEPERS[@]}" $KT_PID; do
		rd "/proc/$p/patch_state" && echo -n " $p=$RD"
	done
	echo -n "; modules:"
	while read -r d _; do
		[[ $d == klp_test_* ]] && echo -n " $d"
	done < /proc/modules
	echo
}

die() {
	fail "cycle $CYCLE: $OP: $*; $(state_dump)"
}

# holders: the tasks that the running transition still waits for, with
# where they are (forks, but only for a transition that is slow anyway).
holders() {
	local d f t goal= s
	for d in "$SYSFS"/*; do
		is "$d/transition" 1 && rd "$d/enabled" && goal=$RD
	done
	[ -n "$goal" ] || return 0
	for f in /proc/[0-9]*/task/[0-9]*/patch_state; do
		is "$f" $((!goal)) || continue
		t=${f%/patch_state}
		rd "$t/stat" || continue
		s=${RD#*\(}
		s=${s%%) *}/${RD##*") "}
		echo "#   held by ${t##*/} (${s%% *}):" \
		     "$(tr '\n' ' ' < "$t/stack" 2>/dev/null | cut -c1-300)"
	done
}

# await SECONDS WHAT COMMAND...: poll COMMAND until it succeeds, or fail.
# Past 5 s, say which tasks hold the transition, if one runs.
await() {
	local secs=$1 what=$2
	shift 2
	wait_for $((secs < 5 ? secs : 5)) "$@" && return 0
	if ((secs > 5)); then
		echo "# cycle $CYCLE: still waiting for $what after 5 s"
		holders
		wait_for $((secs - 5)) "$@" && return 0
	fi
	die "timed out after $secs s waiting for $what"
}

rmmod_wait() {		# the module reference of a patch that left goes last
	wait_for $T_TASKS try_rmmod "$1" ||
		die "cannot unload $1: $(rmmod "$1" 2>&1)"
}

# --- the kernel log ---------------------------------------------------------

log_mark() {
	MARKS=$((MARKS + 1))
	LOG_MARK="klp-stress: log mark $MARKS of pid $$ here"
	echo "$LOG_MARK" > /dev/kmsg
}

scan_log() {		# scan_log WHEN: no trouble since the last mark
	local out line
	out=$(dmesg | awk -v m="$LOG_MARK" 'p; index($0, m) { p = 1 }
					   END { exit !p }') ||
		die "the kernel log lost '$LOG_MARK' (overwritten): cannot check it"
	# The kcsan flavour's harness judges KCSAN reports itself: it tells
	# the ones about klpcore's code from 6.12's own.
	[ "$KLP_KCSAN_REPORTS" = host ] && out=$(grep -v 'BUG: KCSAN: ' <<< "$out")
	line=$(grep -E -m1 -e "$LOG_RE" <<< "$out")
	[ -z "$line" ] || die "kernel log, $1: $line"
	log_mark
}

# --- the load, the kprobe and the tracer -------------------------------------

start_load() {
	local i
	for ((i = 0; i < NCPU; i++)); do
		nice -n 19 bash -c 'while :; do :; done' \
			</dev/null >/dev/null 2>&1 &
		LOAD_PIDS+=($!)
	done
	nice -n 19 bash -c 'while :; do /bin/true; done' \
		</dev/null >/dev/null 2>&1 &
	LOAD_PIDS+=($!)
	for ((i = 0; i < 3; i++)); do
		sleep 1000000 >/dev/null 2>&1 &
		OUT_PIDS+=($!)
	done
}

stop_load() {
	local pids=("${LOAD_PIDS[@]}" "${OUT_PIDS[@]}")
	((${#pids[@]})) || return 0
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	LOAD_PIDS=()
	OUT_PIDS=()
}

# A kprobe on klp_test_target_value, and the function tracer on both
# patched functions. The filter also holds cmdline_proc_show, so that it
# never becomes empty (all functions) while klp_test_target is away.
start_tracing() {
	[ -e "$TRACING/current_tracer" ] || TRACING=/sys/kernel/debug/tracing
	# The kprobe's ftrace_ops comes before any patch's: the list function
	# calls the patch's handler first, then the kprobe's, which must not
	# undo the redirect (it did on s390x: arch/s390/kernel-6.12.patch).
	if [ -e "$TRACING/kprobe_events" ]; then
		add "p:$KPROBE_EV klp_test_target:klp_test_target_value" \
			"$TRACING/kprobe_events" ||
			die "cannot place a kprobe on klp_test_target_value: $ERR"
		KPROBE=1
		put 1 "$TRACING/events/$KPROBE_EV/enable" ||
			die "cannot enable the kprobe: $ERR"
	else
		echo "# no kprobe_events (no CONFIG_KPROBE_EVENTS): no kprobe"
	fi
	if grep -qsw function "$TRACING/available_tracers"; then
		TRACER=1
		put klp_test_target_value "$TRACING/set_ftrace_filter" &&
			add klp_test_target_sleep "$TRACING/set_ftrace_filter" &&
			add cmdline_proc_show "$TRACING/set_ftrace_filter" &&
			put 1 "$TRACING/tracing_on" &&
			put function "$TRACING/current_tracer" ||
			die "cannot start the function tracer: $ERR"
	else
		echo "# no function tracer: the patched functions are not traced"
	fi
}

stop_tracing() {
	if ((TRACER)); then
		{
			echo nop > "$TRACING/current_tracer"
			echo > "$TRACING/set_ftrace_filter"
		} 2>/dev/null
		TRACER=0
	fi
	if ((KPROBE)); then
		{
			echo 0 > "$TRACING/events/$KPROBE_EV/enable"
			echo "-:$KPROBE_EV" >> "$TRACING/kprobe_events"
		} 2>/dev/null
		KPROBE=0
	fi
}

kprobe_hits() {		# HITS: the kprobe's hits so far
	local n h rest
	HITS=
	while read -r n h rest; do
		[ "$n" = "${KPROBE_EV#*/}" ] && HITS=$h
	done < "$TRACING/kprobe_profile"
	[ -n "$HITS" ] || die "no ${KPROBE_EV#*/} in kprobe_profile"
}

traced_calls() {	# calls of klp_test_target_value in the trace buffer
	grep -c -- ' klp_test_target_value <-' "$TRACING/trace"
}

# --- sleepers in klp_test_target_sleep ------------------------------------------

# start_sleepers N: only while that function runs its original code.
start_sleepers() {
	local i
	for ((i = 0; i < $1; i++)); do
		cat "$TARGET/sleep" >/dev/null 2>&1 &
		SLEEPERS+=($!)
	done
	in_function
	await $T_TASKS "$IN tasks to sleep in klp_test_target_sleep" \
		is "$TARGET/sleepers" $IN
}

# Let every sleeper leave, wait until they did, then re-arm the function.
release_sleepers() {
	in_function
	((IN)) || return 0
	put 1 "$TARGET/release" || die "cannot release the sleepers: $ERR"
	await $T_TASKS "the sleepers to leave klp_test_target_sleep" \
		is "$TARGET/sleepers" 0
	put 0 "$TARGET/release" || die "cannot re-arm the function: $ERR"
	if ((${#SLEEPERS[@]})); then
		await $T_TASKS "the released sleepers to exit" \
			exited "${SLEEPERS[@]}"
		wait "${SLEEPERS[@]}" 2>/dev/null
	fi
	SLEEPERS=()
	KT=0
	KT_PID=
}

# After an operation: keep NSLEEP sleepers in the function when it runs
# its original code, or now and then none (so that klp_test_patch is
# also enabled without being held).
restock() {
	((TGT)) && ! has_on $P1 || return 0
	if ((RND[7] % 5 == 0)); then
		release_sleepers
	elif ((${#SLEEPERS[@]} < NSLEEP)); then
		start_sleepers $((NSLEEP - ${#SLEEPERS[@]}))
	fi
}

# With klp_test_patch applied, a task calling the function returns.
sleep_returns() {
	local pid
	cat "$TARGET/sleep" >/dev/null 2>&1 &
	pid=$!
	if ! wait_for $T_TASKS exited $pid; then
		SLEEPERS+=($pid)	# for cleanup to release
		die "a task sleeps in klp_test_target_sleep though $P1 is applied"
	fi
	wait $pid 2>/dev/null
}

# --- patches ------------------------------------------------------------------

load_patch() {		# load_patch NAME REPLACE
	local out
	out=$(insmod "./$1.ko" replace="$2" 2>&1) ||
		die "insmod $1 replace=$2: $out"
	is "$SYSFS/$1/enabled" 1 || die "$1: enabled is '$RD' after insmod"
	is "$SYSFS/$1/replace" "$2" || die "$1: replace is '$RD', not $2"
}

# finish_enable NAME REPLACE: its transition ends; the replaced leave.
finish_enable() {
	local p
	await $T_TRANS "the end of the patching transition of $1" \
		is "$SYSFS/$1/transition" 0
	is "$SYSFS/$1/enabled" 1 || die "$1: enabled is '$RD' after its transition"
	if (($2)); then
		for p in "${ON[@]}"; do
			await $T_TRANS "$p, replaced by $1, to leave" \
				gone "$SYSFS/$p"
			rmmod_wait "$p"
		done
		ON=("$1")
	else
		ON+=("$1")
	fi
}

# The transition of klp_test_patch, held by the tasks sleeping in the
# function it patches: they stay in universe 0, the rest moves to 1.
hold_check() {
	local p
	in_function
	is "$SYSFS/$P1/transition" 1 ||
		die "the transition ended while $IN tasks slept in klp_test_target_sleep"
	is "$TARGET/sleepers" $IN ||
		die "$RD tasks in klp_test_target_sleep, want $IN"
	for p in "${SLEEPERS[@]}" $KT_PID; do
		is "/proc/$p/patch_state" 0 ||
			die "sleeper $p is in universe '$RD', not 0"
	done
	is "/proc/$$/patch_state" 1 ||
		die "the test shell is in universe '$RD', not 1"
	is "$TARGET/value" 2 ||
		die "the test shell reads value '$RD', not 2, in the new universe"
	p=$(cat /proc/self/patch_state)
	[ "$p" = 1 ] || die "a task forked in the new universe is in '$p'"
	await $T_HOLD "the tasks outside the function to reach universe 1" \
		all_state 1 "${OUT_PIDS[@]}" "${LOAD_PIDS[@]}"
}

# enable_patch NAME REPLACE: load it and see its transition through.
enable_patch() {
	local name=$1 replace=$2
	in_function
	local in=$IN
	DETAIL="${name#klp_test_} replace=$replace"
	load_patch "$name" "$replace"
	if [ "$name" = $P1 ] && ((TGT && in)); then
		hold_check
		pause $((RND[5] % 6))
		# Forcing a replace would mark the replaced patches forced
		# and pin their modules for good: force only without one.
		if ((RND[3] % 4 == 0 && (!replace || ${#ON[@]} == 0))); then
			put 1 "$SYSFS/$name/force" || die "cannot force: $ERR"
			await $T_TRANS "the end of the forced transition" \
				is "$SYSFS/$name/transition" 0
			is "$TARGET/sleepers" $in ||
				die "forcing moved the sleepers: $RD of $in left in the function"
			all_state -1 "${SLEEPERS[@]}" $KT_PID ||
				die "a sleeper is not idle after the forced transition"
			DETAIL+=", held by $in, forced"
		else
			DETAIL+=", held by $in, released"
		fi
		release_sleepers
	fi
	finish_enable "$name" "$replace"
}

disable_patch() {
	local p keep=()
	put 0 "$SYSFS/$1/enabled" || die "cannot disable $1: $ERR"
	await $T_TRANS "$1 to leave after its disable" gone "$SYSFS/$1"
	rmmod_wait "$1"
	for p in "${ON[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	ON=("${keep[@]}")
}

# --- the target module ---------------------------------------------------------

target_unload() {
	local p
	release_sleepers	# an open debugfs file pins the module
	rmmod_wait klp_test_target
	TGT=0
	gone "$TARGET" || die "$TARGET is still there after rmmod"
	for p in "${ON[@]}"; do
		is "$SYSFS/$p/klp_test_target/patched" 0 ||
			die "$p still has klp_test_target patched after it left"
	done
}

target_load() {
	local kt=$((RND[5] % 3 == 0)) out p n
	out=$(insmod ./klp_test_target.ko kthread=$kt 2>&1) ||
		die "insmod klp_test_target: $out"
	TGT=1
	for p in "${ON[@]}"; do
		is "$SYSFS/$p/klp_test_target/patched" 1 ||
			die "$p is not applied to klp_test_target loaded after it"
	done
	DETAIL+=" kthread=$kt"
	# Under klp_test_patch, the kthread's call returns at once.
	if ((kt)) && ! has_on $P1; then
		rd "$TARGET/kthread_pid" && [ "$RD" -gt 0 ] ||
			die "no kthread_pid: '$RD'"
		KT=1
		KT_PID=$RD
		in_function
		await $T_TASKS "the kthread to sleep in klp_test_target_sleep" \
			is "$TARGET/sleepers" $IN
	fi
	# The tracer's filter lost the functions of the module that left.
	if ((TRACER)); then
		add klp_test_target_value "$TRACING/set_ftrace_filter" &&
			add klp_test_target_sleep "$TRACING/set_ftrace_filter" ||
			die "cannot trace the functions of the new module: $ERR"
		n=$(traced_calls)
		rd "$TARGET/value"
		[ "$(traced_calls)" -gt "$n" ] ||
			die "the function tracer misses klp_test_target_value of the new module"
	fi
}

# --- the operations --------------------------------------------------------------

op_enable() {
	local p free=() replace=0
	for p in $P1 $P2; do
		has_on $p || free+=($p)
	done
	((${#ON[@]})) || replace=$((RND[2] % 2))
	enable_patch "${free[RND[1] % ${#free[@]}]}" $replace
}

op_disable() {
	local name=${ON[RND[1] % ${#ON[@]}]}
	disable_patch "$name"
	DETAIL=${name#klp_test_}
}

op_replace() {
	local old=${ON[0]} name=$P1
	[ "$old" = $P1 ] && name=$P2
	enable_patch $name 1
	DETAIL+=", replaced ${old#klp_test_}"
}

op_reverse() {
	local replace=$((RND[2] % 2)) twice=$((RND[3] % 2))
	in_function
	((IN)) || start_sleepers $((1 + RND[4] % NSLEEP))
	in_function
	local in=$IN
	DETAIL="${P1#klp_test_} replace=$replace, held by $in, reversed"
	load_patch $P1 $replace
	hold_check
	pause $((RND[5] % 6))
	put 0 "$SYSFS/$P1/enabled" ||
		die "cannot reverse the held transition: $ERR"
	if ((twice)) && put 1 "$SYSFS/$P1/enabled"; then
		# Patching again, held again until the sleepers leave.
		DETAIL+=" twice, released"
		hold_check
		release_sleepers
		finish_enable $P1 $replace
		return
	fi
	((twice)) && DETAIL+=" (the second reverse came late: $ERR)"
	await $T_TRANS "$P1 to leave after the reverse" gone "$SYSFS/$P1"
	rmmod_wait $P1
	is "$TARGET/sleepers" $in ||
		die "$RD tasks in klp_test_target_sleep after the reverse, not $in"
}

op_target() {
	if ((TGT)); then
		target_unload
		DETAIL=unloaded
		if ((RND[4] % 2)); then
			DETAIL+=", reloaded"
			target_load
		fi
	else
		DETAIL=loaded
		target_load
	fi
}

# Weighted by the state: what can be done, and back to the target soon.
choose_op() {
	local ops=() n=${#ON[@]}
	if ((TGT)); then
		((n < 2)) && ops+=(enable enable enable)
		((n > 0)) && ops+=(disable disable disable)
		((n == 1)) && ops+=(replace replace)
		has_on $P1 || ops+=(reverse reverse)
		ops+=(target)
	else
		ops+=(target target target)
		((n < 2)) && ops+=(enable)
		((n > 0)) && ops+=(disable)
		((n == 1)) && ops+=(replace)
	fi
	OP=${ops[RND[0] % ${#ops[@]}]}
}

# --- the state after every operation ------------------------------------------------

check_idle() {
	local p f s h0 bad names=() want=()
	local -A mods=()

	for f in "$SYSFS"/*; do
		names+=("${f##*/}")
	done
	for p in $P1 $P2; do
		has_on $p && want+=($p)
	done
	[ "${names[*]}" = "${want[*]}" ] ||
		die "patches in sysfs: (${names[*]}), want (${want[*]})"
	while read -r p _; do
		mods[$p]=1
	done < /proc/modules
	for p in $P1 $P2; do
		if has_on $p; then
			is "$SYSFS/$p/enabled" 1 || die "$p: enabled is '$RD'"
			is "$SYSFS/$p/transition" 0 || die "$p: still in transition"
			is "$SYSFS/$p/klp_test_target/patched" $TGT ||
				die "$p: klp_test_target/patched is '$RD', want $TGT"
		elif [ -n "${mods[$p]}" ]; then
			die "module $p is loaded, its patch is not"
		fi
	done
	[ "${mods[klp_test_target]:-0}" = $TGT ] ||
		die "klp_test_target is loaded: ${mods[klp_test_target]:-0}, want $TGT"

	if ((TGT)); then
		WANT=1
		((${#ON[@]})) && WANT=${VALUE[${ON[-1]}]}
		((KPROBE)) && kprobe_hits && h0=$HITS
		is "$TARGET/value" $WANT || die "value is '$RD', want $WANT"
		if ((KPROBE)); then
			kprobe_hits
			((HITS > h0)) ||
				die "the kprobe on klp_test_target_value did not fire ($h0 hits, then $HITS)"
		fi
		in_function
		is "$TARGET/sleepers" $IN ||
			die "$RD tasks in klp_test_target_sleep, want $IN"
		has_on $P1 && sleep_returns
	fi

	is "/proc/$$/patch_state" -1 ||
		die "the test shell is in universe '$RD' outside a transition"
	bad=$(grep -Lsx -- -1 /proc/[0-9]*/task/[0-9]*/patch_state)
	s=
	for f in $bad; do
		rd "$f" && [ "$RD" != -1 ] && s+=" ${f#/proc/}=$RD"
	done
	[ -z "$s" ] || die "tasks in a universe outside a transition:$s"
}

# --- setup, cycles, teardown ----------------------------------------------------

# From any state: stop the load and the tracing, let the sleepers go,
# finish any transition (forcing it as a last resort), disable and
# unload everything. Called by fail().
cleanup() {
	local p
	trap - TERM INT
	stop_load
	stop_tracing
	[ -e "$TARGET/release" ] && { echo 1 > "$TARGET/release"; } 2>/dev/null
	for p in $P1 $P2; do
		[ -e "$SYSFS/$p" ] || continue
		wait_for 10 sysfs_is "$p/transition" 0 && continue
		{ echo 1 > "$SYSFS/$p/force"; } 2>/dev/null
		wait_for 10 sysfs_is "$p/transition" 0
	done
	for p in $P2 $P1; do
		[ -e "$SYSFS/$p" ] || continue
		{ echo 0 > "$SYSFS/$p/enabled"; } 2>/dev/null
		wait_for 15 gone "$SYSFS/$p"
	done
	if ((${#SLEEPERS[@]})); then
		wait_for 10 exited "${SLEEPERS[@]}" &&
			wait "${SLEEPERS[@]}" 2>/dev/null
		SLEEPERS=()
	fi
	for p in $P1 $P2 klp_test_target; do
		grep -q "^$p " /proc/modules && wait_for 10 try_rmmod $p
	done
	rm -f "$ERRF"
	return 0
}

teardown() {
	local i n had_kprobe=$KPROBE d
	OP=teardown
	# Entries of an unloaded module show no names: count with it loaded.
	((TGT)) || target_load
	stop_load
	if ((TRACER)); then
		n=$(traced_calls)
		((n > 0)) ||
			die "the function tracer recorded no call of klp_test_target_value"
		echo "# function tracer: $n calls of klp_test_target_value in its buffer"
	fi
	if ((KPROBE)); then
		kprobe_hits
		echo "# kprobe: $HITS hits on klp_test_target_value"
	fi
	stop_tracing
	((had_kprobe)) && [ -e "$TRACING/events/$KPROBE_EV" ] &&
		die "cannot remove the kprobe event $KPROBE_EV"
	release_sleepers
	for ((i = ${#ON[@]} - 1; i >= 0; i--)); do
		disable_patch "${ON[i]}"
	done
	((TGT)) && target_unload
	d=("$SYSFS"/*)
	((${#d[@]} == 0)) || die "patches left: ${d[*]}"
	grep -q '^klp_test_' /proc/modules && die "test modules left loaded"
	scan_log "at the end"
}

trap 'die "stopped by a signal (the kselftest timeout?)"' TERM INT

CYCLES=${KLP_STRESS_CYCLES:-200}
now
SEED=${KLP_STRESS_SEED:-$((NOW % 1000000))}
[[ $CYCLES =~ ^[0-9]+$ && $SEED =~ ^[0-9]+$ ]] ||
	fail "KLP_STRESS_CYCLES ($CYCLES) and KLP_STRESS_SEED ($SEED) are numbers"
RANDOM=$SEED
NCPU=$(nproc)
echo "# seed $SEED, $CYCLES cycles, $NCPU CPUs (replay: KLP_STRESS_SEED=$SEED)"

for f in klp_test_target $P1 $P2; do
	[ -e "./$f.ko" ] || fail "no $f.ko"
done
d=("$SYSFS"/*)
((${#d[@]} == 0)) || fail "not a clean start: patches ${d[*]##*/} are loaded"
grep -q '^klp_test_' /proc/modules &&
	fail "not a clean start: $(grep -o '^klp_test_[a-z0-9_]*' /proc/modules)"

log_mark
out=$(insmod ./klp_test_target.ko 2>&1) || fail "insmod klp_test_target: $out"
TGT=1
start_load
start_tracing
start_sleepers $NSLEEP
check_idle
now
START=$NOW

for ((CYCLE = 1; CYCLE <= CYCLES; CYCLE++)); do
	# The same number of draws every cycle, whatever the operation.
	for ((i = 0; i < 8; i++)); do
		RND[i]=$RANDOM
	done
	choose_op
	DETAIL=
	echo "klp-stress: cycle $CYCLE: $OP" > /dev/kmsg
	now
	t0=$NOW
	"op_$OP"
	restock
	check_idle
	now
	OP_N[$OP]=$((${OP_N[$OP]:-0} + 1))
	OP_US[$OP]=$((${OP_US[$OP]:-0} + NOW - t0))
	secs $((NOW - t0))
	on="${ON[*]#klp_test_}"
	echo "# cycle $CYCLE: $OP $DETAIL ok ($SECS s; on: ${on:-none})"
	((CYCLE % 10)) || scan_log "cycles $((CYCLE - 9))-$CYCLE"
done
CYCLE=$CYCLES

teardown
now
secs $((NOW - START))
echo "# $CYCLES cycles in $SECS s; per operation: count, total s, mean s"
for op in enable disable replace reverse target; do
	n=${OP_N[$op]:-0}
	((n)) || continue
	secs ${OP_US[$op]}
	total=$SECS
	secs $((${OP_US[$op]} / n))
	echo "#   $op: $n, $total s, $SECS s"
done
trap - TERM INT
rm -f "$ERRF"
echo "ok"
