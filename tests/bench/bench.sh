#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, inside the guest: every figure as one line
#   bench METRIC PARAM VALUE UNIT
# on stdout (the guest's init adds its marker). Runs the same on either
# core; the modules and klp-bench come from the host (tests/bench/).
cd "$(dirname "$0")" || exit 1
LP=/sys/kernel/livepatch
DBG=/sys/kernel/debug/klp_bench
B=./klp-bench

# out METRIC PARAM VALUE UNIT; a missing value ends the run as failed.
out() {
	if [[ ! "$3" =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
		echo "bench error: $1 $2: no value"
		exit 1
	fi
	echo "bench $*"
}
note() { echo "# $*"; }

ns() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }

# calls STACKED: time the calls ("median min max" ps per call), and what
# the patches add to the unpatched median measured in this same guest.
BASE_PS=
calls() {
	local med min max
	read -r med min max < "$DBG/call" || { echo "bench error: call"; exit 1; }
	out call_ns "$1" "$(ns "$med")" ns
	out call_ns_min "$1" "$(ns "$min")" ns
	out call_ns_max "$1" "$(ns "$max")" ns
	if [ "$1" = 0 ]; then
		BASE_PS=$med
	else
		out call_overhead_ns "$1" "$(ns $((med - BASE_PS)))" ns
	fi
}

# load VAR PATCH: load a live patch, VAR gets "load_ms transition_ms";
# a patch that does not load ends the run as failed.
load() {
	local r
	r=$($B load "./$2.ko" "$2") || { echo "bench error: load $2"; exit 1; }
	printf -v "$1" %s "$r"
}
unload() {
	$B unload "$1" "$1" > /dev/null || { echo "bench error: unload $1"; exit 1; }
}

# unloadv VAR PATCH: unload, VAR gets the ms from "enabled = 0" until the
# module is gone.
unloadv() {
	local r
	r=$($B unload "$2" "$2") || { echo "bench error: unload $2"; exit 1; }
	printf -v "$1" %s "$r"
}

slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

# start VAR COMMAND...: run a klp-bench helper in the background, wait
# for its "ready", leave its pid in VAR.
start() {
	local fifo=/tmp/klp-bench.$$.$1 line
	mkfifo "$fifo"
	"${@:2}" > "$fifo" &
	printf -v "$1" %s "$!"
	read -r line < "$fifo"
	rm -f "$fifo"
	[ "$line" = ready ]
}

stop() { kill "$@" 2>/dev/null; wait "$@" 2>/dev/null; }

CS=/sys/devices/system/clocksource/clocksource0/current_clocksource
CS0=$(cat $CS)
note "clocksource at start: $CS0"
insmod ./klp_bench.ko || { echo "bench error: klp_bench"; exit 1; }

# 1. Call overhead: unpatched, one patch, three stacked patches.
calls 0
load LT klp_bench_p1
calls 1
load LT klp_bench_p2
load LT klp_bench_p3
calls 3
for p in klp_bench_p3 klp_bench_p2 klp_bench_p1; do unload $p; done

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	END { if (NR % 2) print v[(NR + 1) / 2];
	      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# transitions METRIC N REPS: load and unload klp_bench_p1 REPS times;
# every time to transition 0 as METRIC_sample N/RUN, then their median as
# METRIC N. A transition that does not finish on the first try waits for
# a retry (on the stock core a second later): the samples show which
# runs did, which a median alone would hide.
transitions() {
	local i t all=()
	for ((i = 1; i <= $3; i++)); do
		load LT klp_bench_p1
		read -r _ t _ <<< "$LT"
		all+=("$t")
		out "$1_sample" "$2/$i" "$t" ms
		unload klp_bench_p1
	done
	out "$1" "$2" "$(median "${all[@]}")" ms
}

# 2. Convergence: N tasks asleep outside the patched set.
for n in 100 1000 10000; do
	start SL $B sleepers "$n" || { echo "bench error: sleepers $n"; exit 1; }
	transitions converge_ms "$n" 5
	stop "$SL"
done

# ... with CPU-bound tasks (one per CPU) besides 100 sleepers.
start SL $B sleepers 100
start SP $B spinners "$(nproc)"
transitions converge_busy_ms 100 5
stop "$SP" "$SL"

# ... with one task asleep inside a patched function for D ms: what
# counts is the time past D until the transition finished, and the time
# from the moment that last task left the function (klp_bench's left_ms)
# to the end of the transition.
D=500
t0=$($B now)
echo "$D" > "$DBG/sleep_ms" &
sleep 0.2
load LT klp_bench_p1
read -r _ _ tend <<< "$LT"
t1=$($B now)
wait
past=$(awk -v a="$t0" -v b="$t1" -v d="$D" 'BEGIN{printf "%.3f", b - a - d}')
out converge_past_sleep_ms "$D" "$past" ms
left=$(cat "$DBG/left_ms") || { echo "bench error: left_ms"; exit 1; }
out switch_to_end_ms "$D" "$(awk -v a="$left" -v b="$tend" 'BEGIN{printf "%.3f", b - a}')" ms
unload klp_bench_p1

# 3. Enable latency (median of 3; one run for F = 1000, whose disable
# alone takes minutes under TCG on the stock core), the time to disable
# and remove the patch again, and an atomic replace that drops the F
# functions; 4. memory per patched function.
for f in 1 100 1000; do
	insmod "./klp_bench_t$f.ko" || { echo "bench error: target $f"; exit 1; }
	reps=3
	[ "$f" = 1000 ] && reps=1
	rets=() trans=() offs=()
	for ((i = 1; i <= reps; i++)); do
		kb0=$(slab_kb)
		load LT "klp_bench_lp$f"
		kb1=$(slab_kb)
		read -r l t _ <<< "$LT"
		note "enable $f, run $i: $l ms to return, $t ms to transition 0"
		unloadv UT "klp_bench_lp$f"
		note "disable $f, run $i: $UT ms"
		rets+=("$l") trans+=("$t") offs+=("$UT")
	done
	out enable_return_ms "$f" "$(median "${rets[@]}")" ms
	out enable_transition_ms "$f" "$(median "${trans[@]}")" ms
	out disable_ms "$f" "$(median "${offs[@]}")" ms
	if [ "$f" = 1000 ]; then
		out bytes_per_function "$f" $(((kb1 - kb0) * 1024 / f)) bytes
	fi
	# A cumulative replace that drops all F functions: from loading
	# klp_bench_rp over klp_bench_lpF until its transition (which
	# retires klp_bench_lpF) reads 0.
	reps_out=()
	for ((i = 1; i <= reps; i++)); do
		load LT "klp_bench_lp$f"
		load LT klp_bench_rp
		read -r _ t _ <<< "$LT"
		note "replace over $f, run $i: $t ms to transition 0"
		$B rmmod "klp_bench_lp$f" > /dev/null ||
			{ echo "bench error: rmmod klp_bench_lp$f"; exit 1; }
		unload klp_bench_rp
		reps_out+=("$t")
	done
	out replace_ms "$f" "$(median "${reps_out[@]}")" ms
	rmmod "klp_bench_t$f"
done

# 4. Memory per task: slab growth for 1000 sleeping threads, patch loaded.
load LT klp_bench_p1
kb0=$(slab_kb)
start SL $B sleepers 1000
kb1=$(slab_kb)
out bytes_per_task 1000 $(((kb1 - kb0) * 1024 / 1000)) bytes
stop "$SL"
unload klp_bench_p1
rmmod klp_bench
CS1=$(cat $CS)
note "clocksource at end: $CS1"
# A TCG guest may lose its fine clock (the TSC marked unstable) and fall
# back to jiffies: say so, the host flags this run's timings.
case "$CS0 $CS1" in
*jiffies*) out clock_jiffies 0 1 flag ;;
esac
echo "bench end"
