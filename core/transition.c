// SPDX-License-Identifier: GPL-2.0
/*
 * transition.c - moving every task from one universe to the other
 *
 * A patch in transition has a goal: KLP_TRANSITION_PATCHED (its new code
 * becomes visible) or KLP_TRANSITION_UNPATCHED (it goes away). Each task
 * is in the old universe (!goal) until it switches, one task at a time,
 * to the goal; TIF_PATCH_PENDING marks the tasks still to switch. The
 * ftrace handler (redirect.c) shows every task the code of its own
 * universe, so a task never mixes old and new functions of one patch.
 *
 * Two questions are kept apart:
 *  - may this task switch now? (the policy, klp_task_may_switch())
 *  - switch it (the mechanism, klp_switch_task())
 * The policy here is LEAVE_PATCHED_SET: a task may switch when a reliable
 * walk of its stack finds none of the code it would leave. Tasks also
 * switch where they cannot be inside any patched function: on the way out
 * of the kernel (klp_update_patch_state() from the TIF hook), in the idle
 * loop, and, after the same stack check, in do_exit() (klp_exit_probe())
 * and in cond_resched() (__klp_sched_try_switch()). The last one is
 * armed only when a transition needs it (the policy
 * klp_want_cond_resched_point()): on most architectures arming and
 * disarming each rewrite every cond_resched() call site of the kernel.
 *
 * Memory ordering pairs (each barrier names its partner):
 *  (A) klp_transition_prepare(): patch_state of all tasks, then
 *      smp_wmb(), then func->transition = true.
 *      Partner: the second smp_rmb() in klp_ftrace_handler().
 *  (B) klp_transition_prepare()/klp_transition_reverse(): klp_goal, then
 *      smp_wmb(), then TIF_PATCH_PENDING set in klp_transition_start().
 *      Partner: the smp_rmb() in klp_update_patch_state() and the one
 *      in __klp_sched_try_switch().
 *  (C) klp_enable_locked() and klp_disable_patch_locked() (main.c):
 *      func->transition, then smp_wmb(), then the functions become
 *      visible (pushed) or tasks get TIF_PATCH_PENDING.
 *      Partner: the first smp_rmb() in klp_ftrace_handler().
 *  (D) klp_transition_start(): the table of code to leave (klp_leaving,
 *      published by klp_transition_refresh()), then smp_wmb(), then
 *      TIF_PATCH_PENDING. Partner: the smp_rmb() in
 *      __klp_sched_try_switch(), between the flag and the table. A table
 *      seen anyway with another goal (it carries its own) holds the task
 *      (KLP_HOLD_STALE) instead of switching it by the wrong code.
 *  (E) klp_drop_flag(): the switched task's patch_state, then the
 *      fully ordered atomic_dec_and_test() of klp_flagged, then the kick.
 *      Partner: the workqueue's own ordering between queueing the round
 *      and running it, so the round kicked by the last switch sees it.
 *  (F) klp_mark(): klp_flagged counts a task before its flag is set, so
 *      a task that switches at once never takes the count below the
 *      number of flags still set. Partner: the atomic_dec_and_test() of
 *      klp_drop_flag().
 *  (G) klp_mark(): the flag set (fully ordered test_and_set), then a
 *      read of PF_EXITING; klp_exit_probe(): PF_EXITING set by
 *      exit_signals(), then smp_mb(), then the read of the flag (and its
 *      fully ordered test_and_clear). Either the marker sees PF_EXITING
 *      and takes its flag back, or the exiting task sees the flag and
 *      drops it: no flag outlives its task's last switch point, and
 *      none leaks from the count.
 *  (H) klp_drop_flag(): klp_kicks incremented (fully ordered), then the
 *      kick, whose mod_delayed_work(0) a running round may overwrite
 *      with its own delay at its end. Partner: the round's smp_mb()
 *      between that mod_delayed_work() and its read of klp_kicks; it
 *      kicks again if the count moved.
 *  (I) klp_switch_task(), which every switch path uses: the task's
 *      patch_state, then its flag cleared by a fully ordered
 *      test_and_clear. Partner: the smp_rmb() in klp_visit_try_switch()
 *      between its read of the flag and its read of the state. A round
 *      that finds a flag cleared finds the state switched; with the
 *      flag cleared first, a round could see neither, take the task for
 *      an unflagged child, flag it, and the task then switched: flagged
 *      in the goal, its count never dropped (a WARN at the end).
 *
 * Completion is event-driven: klp_flagged counts the flags set. The
 * switch points (exit to user space, idle, cond_resched(), exit) drop
 * a task's flag as they switch it; the one that drops the last flag
 * queues the round at once (klp_kick(), through an irq_work, since a
 * switch point may run under any lock). The round decides, never the
 * count: it is only the reason to look now rather than at the next
 * retry. A child starts unflagged, in its parent's universe; the next
 * round marks it if it needs to (a flag counted in copy_process() would
 * leak when the fork fails after klp_copy_process()).
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <kunit/visibility.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/irq_work.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/static_call.h>
#include <linux/workqueue.h>
#include <trace/events/sched.h>

#include "internal.h"
#include "klp_arch.h"

/* Seconds a transition waits before, and between, nudges of stragglers. */
#define KLP_NUDGE_SECS		15

/* The first retry after this many ms, each next one twice as late, to 1 s. */
#define KLP_FIRST_RETRY_MS	10

/* A walk longer than this is treated as unreliable. */
#define KLP_MAX_FRAMES		512

struct klp_patch *klp_transition_patch;

/* The universe tasks move to; read without klp_mutex by the TIF paths. */
static int klp_goal = KLP_TRANSITION_IDLE;

/*
 * The current transition's failed rounds, when it started (jiffies), when
 * its stragglers get their next nudge and whether they had one. klp_mutex.
 */
static unsigned int klp_rounds;
static unsigned long klp_started;
static unsigned long klp_next_nudge;
static bool klp_nudged;

/* Flags set by this transition: pairs (E), (F), (G). */
static atomic_t klp_flagged = ATOMIC_INIT(0);

/* Kicks so far: a round that ends after one must not delay it (H). */
static atomic_t klp_kicks = ATOMIC_INIT(0);

/* cond_resched() has its switch point (klp_cond_resched_arm()). */
static bool klp_cr_armed;

/*
 * The code that a task must not be inside to switch: one span per
 * function of the patch in transition, sorted by address. Replaced under
 * klp_mutex; read with preemption disabled (RCU-sched).
 */
static struct klp_spans __rcu *klp_leaving;

/*
 * cond_resched() gets a switch point, so that CPU-bound kthreads switch
 * too, only while a transition that has waited a while runs. With the
 * preempt-dynamic static call (x86) arming retargets every inline
 * cond_resched() call site; with the static key and no PREEMPT_DYNAMIC
 * (ppc64le, s390x) it flips a jump label at every call site; with
 * PREEMPT_DYNAMIC's key variant (arm64) there is one site, in
 * dynamic_cond_resched().
 */
#if IS_ENABLED(CONFIG_PREEMPT_DYNAMIC) && IS_ENABLED(CONFIG_HAVE_PREEMPT_DYNAMIC_CALL)
static void klp_cond_resched_hook(bool on)
{
	if (on)
		sched_dynamic_klp_enable();
	else
		sched_dynamic_klp_disable();
}
#else
DEFINE_STATIC_KEY_FALSE(klp_sched_try_switch_key);
EXPORT_SYMBOL(klp_sched_try_switch_key);

static void klp_cond_resched_hook(bool on)
{
	if (on)
		static_branch_enable(&klp_sched_try_switch_key);
	else
		static_branch_disable(&klp_sched_try_switch_key);
}
#endif

/* Arm or disarm the switch point in cond_resched(). Context: klp_mutex. */
static void klp_cond_resched_arm(bool on)
{
	if (klp_cr_armed == on)
		return;
	klp_cr_armed = on;
	klp_cond_resched_hook(on);
}

/*
 * Policy: should cond_resched() become a switch point now, after a round
 * that left tasks behind, @waited jiffies into the transition, @busy if
 * one of them (idle tasks aside) was on a CPU: running, or preempted
 * with a stack the walk cannot vouch for? Only a task that stays in the
 * kernel without sleeping needs the point; every other task switches on
 * its way out to user space, in the idle loop or by the walk of its
 * sleeping stack, usually within milliseconds, and a task sleeping in
 * the code it must leave gains nothing from it. Arming costs a
 * rewrite of every cond_resched() call site on most architectures (each a
 * text_poke with cross-CPU syncs), and disarming as much again, so it
 * waits a second: a transition that finishes in its first second never
 * pays it, and a task that needs the point switches about a second later
 * than if it were armed from the start (the round after arming comes
 * soon, see klp_transition_try_finish()).
 */
VISIBLE_IF_KUNIT bool klp_want_cond_resched_point(unsigned long waited,
						  bool busy)
{
	return busy && waited >= HZ;
}

/*
 * Policy: when to look again after round @rounds (from 0) left tasks
 * behind. Most stragglers switch themselves moments after a round (at a
 * tick's exit to user space, in the idle loop), so the first retries come
 * soon: 10 ms, then twice as late each time, then once a second, batched
 * with other timers.
 */
VISIBLE_IF_KUNIT unsigned long klp_retry_delay(unsigned int rounds)
{
	unsigned long ms = KLP_FIRST_RETRY_MS << min(rounds, 7U);

	if (ms >= MSEC_PER_SEC)
		return round_jiffies_relative(HZ);
	return msecs_to_jiffies(ms);
}

static const char *klp_goal_word(int goal)
{
	return goal == KLP_TRANSITION_PATCHED ? "patching" : "unpatching";
}

static void klp_nop_work(struct work_struct *work)
{
}

/*
 * Wait until no CPU runs the ftrace handler or a TIF path with state
 * older than this call. Patched functions may run where RCU is not
 * watching (entry code, idle), so a grace period is not enough: make
 * every CPU schedule.
 */
void klp_sync_cpus(void)
{
	schedule_on_each_cpu(klp_nop_work);
}

/* Flags, their count and the kick ------------------------------------------ */

#if IS_ENABLED(CONFIG_KLPCORE_KUNIT_TEST)
/*
 * Test kernels only: microseconds that a task switching itself (on its
 * way to user space, in cond_resched(), at exit) leaves between its new
 * state and its flag cleared
 * (pair I), a window of a few instructions otherwise, so that
 * test-switch-race.sh can make rounds meet it.
 * livepatch.test_switch_delay_us, 0 (off) by default.
 */
static unsigned int klp_test_switch_delay_us;
module_param_named(test_switch_delay_us, klp_test_switch_delay_us, uint, 0644);

static void klp_test_delay(void)
{
	unsigned int us = min(READ_ONCE(klp_test_switch_delay_us), 50000U);

	if (!us)
		return;
	mdelay(us / 1000);
	udelay(us % 1000);
}
#else
static inline void klp_test_delay(void)
{
}
#endif

static void klp_retry_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(klp_retry_work, klp_retry_fn);

/* Run the round now: pulls a pending retry forward. Any context. */
static void klp_kick_fn(struct irq_work *work)
{
	mod_delayed_work(system_wq, &klp_retry_work, 0);
}

static DEFINE_IRQ_WORK(klp_kick_work, klp_kick_fn);

/*
 * One flag less. The last one queues the round; never finish here, the
 * caller may be a switch point under arbitrary locks. Pair (E): the
 * caller's patch_state store comes before this fully ordered decrement.
 */
static void klp_drop_flag(bool kick)
{
	if (atomic_dec_and_test(&klp_flagged) && kick) {
		atomic_inc_return(&klp_kicks);	/* pair (H) */
		irq_work_queue(&klp_kick_work);
	}
}

/* Clear @task's flag without switching it; true if this call cleared it. */
static bool klp_unflag(struct task_struct *task, bool kick)
{
	if (!test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING))
		return false;
	klp_drop_flag(kick);
	return true;
}

/*
 * Flag a task that is not in the goal universe, so that it switches at
 * its next switch point. Context: klp_mutex; the task is listed (or an
 * idle task).
 */
static void klp_mark(struct task_struct *task)
{
	/* Pair (F): counted before the flag can be seen and dropped. */
	atomic_inc(&klp_flagged);
	if (test_and_set_tsk_thread_flag(task, TIF_PATCH_PENDING)) {
		klp_drop_flag(true);	/* was flagged already */
		return;
	}
	/*
	 * Pair (G): an exiting task may be past its last switch point
	 * (klp_exit_probe()); the round walks it until it is gone.
	 */
	if (READ_ONCE(task->flags) & PF_EXITING)
		klp_unflag(task, false);
}

/* The set of code to leave ----------------------------------------------- */

static int klp_span_cmp(const void *a, const void *b)
{
	const struct klp_span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

VISIBLE_IF_KUNIT
struct klp_spans *klp_spans_build(struct klp_patch *patch, int goal)
{
	struct klp_spans *spans;
	struct klp_object *obj;
	struct klp_func *func;
	unsigned int nr = 0;

	list_for_each_entry(obj, &patch->obj_list, node)
		if (obj->patched)
			nr += list_count_nodes(&obj->func_list);

	spans = kvzalloc(struct_size(spans, span, nr), GFP_KERNEL);
	if (!spans)
		return NULL;
	spans->goal = goal;

	list_for_each_entry(obj, &patch->obj_list, node) {
		if (!obj->patched)
			continue;
		list_for_each_entry(func, &obj->func_list, node) {
			struct klp_span *s = &spans->span[spans->nr++];
			unsigned long size;

			klp_leaving_range(func, goal, &s->start, &size);
			s->end = s->start + size;
			s->name = func->old_name;
		}
	}
	sort(spans->span, spans->nr, sizeof(spans->span[0]), klp_span_cmp,
	     NULL);
	return spans;
}

static void klp_spans_free_rcu(struct rcu_head *rcu)
{
	kvfree(container_of(rcu, struct klp_spans, rcu));
}

static void klp_spans_publish(struct klp_spans *spans)
{
	struct klp_spans *old;

	old = rcu_replace_pointer(klp_leaving, spans,
				  lockdep_is_held(&klp_mutex));
	if (old)
		call_rcu(&old->rcu, klp_spans_free_rcu);
}

/* The span holding addr, if any: the last span starting at or below it. */
VISIBLE_IF_KUNIT
const struct klp_span *klp_spans_find(const struct klp_spans *spans,
				      unsigned long addr)
{
	unsigned int lo = 0, hi = spans->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (spans->span[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < spans->span[lo - 1].end)
		return &spans->span[lo - 1];
	return NULL;
}

/* Policy: may this task switch now? -------------------------------------- */

struct klp_walk {
	const struct klp_spans *spans;
	struct klp_hit *hit;
	unsigned int frames;
};

static bool klp_walk_entry(void *cookie, unsigned long addr)
{
	struct klp_walk *walk = cookie;
	const struct klp_span *span;

	if (++walk->frames > KLP_MAX_FRAMES)
		return false;
	/* The last frame seen: where an unreliable walk gave up. */
	walk->hit->addr = addr;
	span = klp_spans_find(walk->spans, addr);
	if (span) {
		walk->hit->name = span->name;
		return false;
	}
	return true;
}

/*
 * LEAVE_PATCHED_SET: the task may switch to @goal when a reliable walk of
 * its stack finds none of the code of @spans, the table built for @goal.
 *
 * Context: @task cannot run (task_call_func()) or is current, with
 * preemption disabled in both cases.
 */
VISIBLE_IF_KUNIT
enum klp_hold klp_may_leave(struct task_struct *task,
			    const struct klp_spans *spans, int goal,
			    struct klp_hit *hit)
{
	struct klp_walk walk = { .spans = spans, .hit = hit };
	int ret;

	hit->name = NULL;
	hit->addr = 0;

	if (!spans)
		return KLP_HOLD_UNRELIABLE;
	/*
	 * A table built for another goal lists the wrong code: after a
	 * reverse, the functions the task would have left going the other
	 * way. Pair (D) keeps switch points from seeing one; should one be
	 * seen anyway, it may only delay the switch.
	 */
	if (spans->goal != goal)
		return KLP_HOLD_STALE;

	/* A task whose stack is gone runs no kernel code any more. */
	if (!try_get_task_stack(task))
		return KLP_GO;
	ret = klp_arch_walk_reliable(task, klp_walk_entry, &walk);
	put_task_stack(task);

	if (hit->name)
		return KLP_HOLD_IN_USE;
	return ret ? KLP_HOLD_UNRELIABLE : KLP_GO;
}

static enum klp_hold klp_task_may_switch(struct task_struct *task,
					 struct klp_hit *hit)
{
	/* Goal, then table: both after the flag (pairs B and D). */
	int goal = READ_ONCE(klp_goal);

	return klp_may_leave(task, rcu_dereference_sched(klp_leaving), goal,
			     hit);
}

/*
 * Mechanism: move the task to the goal. Its flag goes after the state
 * (pair E); a round that switches tasks itself does not kick itself.
 */
static void klp_switch_task(struct task_struct *task, bool kick)
{
	WRITE_ONCE(task->patch_state, READ_ONCE(klp_goal));
	/* Not under a round's task_call_func(): no scheduler lock held */
	if (task == current)
		klp_test_delay();
	/*
	 * Pair (I): the state before the flag goes, so that a round that
	 * finds the flag gone finds the task switched, and never flags it
	 * again. Only the path that clears the flag drops its count (E).
	 */
	if (test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING))
		klp_drop_flag(kick);
}

/* A check of one task: what its walk hit; whether its switch kicks. */
struct klp_check {
	struct klp_hit hit;
	bool kick;
};

static int klp_check_and_switch(struct task_struct *task, void *arg)
{
	struct klp_check *check = arg;
	enum klp_hold hold;

	/* A task on another CPU changes its stack while we would walk it. */
	if (task != current && task_curr(task))
		return KLP_HOLD_RUNNING;

	hold = klp_task_may_switch(task, &check->hit);
	if (hold == KLP_GO)
		klp_switch_task(task, check->kick);
	return hold;
}

/*
 * Try to switch one task. The debug lines of this function are switched
 * off by the kernel's livepatch selftests by its name: keep the name.
 */
static enum klp_hold klp_try_switch_task(struct task_struct *task,
					 struct klp_check *check)
{
	enum klp_hold hold;

	if (READ_ONCE(task->patch_state) == READ_ONCE(klp_goal))
		return KLP_GO;

	if (task == current)
		hold = klp_check_and_switch(task, check);
	else
		hold = task_call_func(task, klp_check_and_switch, check);

	switch (hold) {
	case KLP_GO:
		break;
	case KLP_HOLD_RUNNING:
		pr_debug("%s: %s:%d is running\n", __func__, task->comm,
			 task->pid);
		break;
	case KLP_HOLD_UNRELIABLE:
		pr_debug("%s: %s:%d has an unreliable stack\n", __func__,
			 task->comm, task->pid);
		break;
	case KLP_HOLD_IN_USE:
		pr_debug("%s: %s:%d is sleeping on function %s\n", __func__,
			 task->comm, task->pid, check->hit.name);
		break;
	case KLP_HOLD_STALE:
		pr_debug("%s: %s:%d saw the table of another goal\n", __func__,
			 task->comm, task->pid);
		break;
	}
	return hold;
}

/* The TIF switch points ------------------------------------------------------ */

/**
 * klp_update_patch_state() - switch a task at a point where it is safe
 * @task:	current, or a task that cannot run (fork, force)
 *
 * Called on the way out to user space and from the idle loop when
 * TIF_PATCH_PENDING is set: no kernel function is on the task's stack
 * there, whatever the patch.
 */
void klp_update_patch_state(struct task_struct *task)
{
	/*
	 * Preemption off: klp_sync_cpus() in klp_transition_reverse() must
	 * be able to wait for this section.
	 */
	guard(preempt_notrace)();

	if (!klp_patch_pending(task))
		return;
	/*
	 * The flag read before the goal read (partner of pair B), and
	 * before any later func->transition read in the handler on this
	 * CPU (pair C).
	 */
	smp_rmb();
	klp_switch_task(task, true);
}

/**
 * __klp_sched_try_switch() - switch point of cond_resched()
 *
 * Enabled only during a transition. Takes no lock (cond_resched() runs
 * under arbitrary locks): with preemption disabled, no other path can
 * switch current, since task_call_func() does not act on a running task.
 */
void __klp_sched_try_switch(void)
{
	struct klp_check check = { .kick = true };

	if (!klp_patch_pending(current))
		return;

	guard(preempt)();
	/* Switched meanwhile (we were preemptible until now)? */
	if (!klp_patch_pending(current))
		return;
	/* Flag before goal and table; partner of pairs (B) and (D). */
	smp_rmb();
	klp_try_switch_task(current, &check);
}
EXPORT_SYMBOL(__klp_sched_try_switch);

/*
 * The last switch point of an exiting task, on sched_process_exit in
 * do_exit(): after it the task returns to no caller, so it is switched
 * here if its stack allows, as in cond_resched(), and otherwise loses its
 * flag (pair G), staying in its universe for the rounds to walk until it
 * is gone. Either way its flag is no longer counted.
 */
static void klp_exit_probe(void *unused, struct task_struct *task)
{
	struct klp_check check = { .kick = true };

	if (task != current)
		return;
	/*
	 * Pair (G): PF_EXITING, set by exit_signals(), before the flag is
	 * read, or a round's flag set after that read would outlive us.
	 */
	smp_mb();
	if (!klp_patch_pending(task))
		return;

	guard(preempt)();
	smp_rmb();	/* as in __klp_sched_try_switch(): pairs (B), (D) */
	if (klp_try_switch_task(task, &check) != KLP_GO)
		klp_unflag(task, true);
}

/**
 * klp_transition_init() - set up the switch point of exiting tasks
 *
 * Return: 0, or the error of the tracepoint registration.
 */
int __init klp_transition_init(void)
{
	return register_trace_sched_process_exit(klp_exit_probe, NULL);
}

/**
 * klp_copy_process() - a new task starts in its parent's universe
 * @child:	the new task, not yet running
 *
 * The child takes its parent's universe but not its flag, copied with
 * the thread_info: copy_process() may still fail after this call, and a
 * flag counted in klp_flagged would then never be dropped. A child left
 * behind in the old universe is marked by the next round, which the
 * parent's own switch brings forward. tasklist_lock, held by the caller,
 * keeps the rounds from walking the task list meanwhile; the parent is
 * current, so only it could switch itself, and it is busy here.
 */
void klp_copy_process(struct task_struct *child)
{
	clear_tsk_thread_flag(child, TIF_PATCH_PENDING);
	WRITE_ONCE(child->patch_state, READ_ONCE(current->patch_state));
}

/* The transition ------------------------------------------------------------ */

static void klp_retry_fn(struct work_struct *work)
{
	mutex_lock(&klp_mutex);
	if (klp_transition_patch)
		klp_transition_try_finish();
	mutex_unlock(&klp_mutex);
}

/*
 * Call visit() for every thread, under tasklist_lock, and then, with
 * idle, for the idle task of every possible CPU (they are on no list).
 */
static void klp_visit_tasks(bool idle,
			    void (*visit)(struct task_struct *task, long arg),
			    long arg)
{
	struct task_struct *leader, *task;
	unsigned int cpu;

	read_lock(&tasklist_lock);
	for_each_process_thread(leader, task)
		visit(task, arg);
	read_unlock(&tasklist_lock);

	if (idle)
		for_each_possible_cpu(cpu)
			visit(idle_task(cpu), arg);
}

/* Set a universe; a transition starts from and ends in IDLE only. */
static void klp_visit_set_state(struct task_struct *task, long state)
{
	if (state == KLP_TRANSITION_IDLE)
		WARN_ONCE(klp_patch_pending(task), "%s:%d still flagged, in %d\n",
			  task->comm, task->pid, task->patch_state);
	else
		WARN_ON_ONCE(task->patch_state != KLP_TRANSITION_IDLE);
	WRITE_ONCE(task->patch_state, state);
}

static void klp_visit_unmark(struct task_struct *task, long unused)
{
	klp_unflag(task, false);
}

/* Mark a task that is not in the goal universe yet. */
static void klp_visit_mark(struct task_struct *task, long goal)
{
	if (task->patch_state != goal)
		klp_mark(task);
}

/* Flagged or not (a new child, an exiting task): to the goal. */
static void klp_visit_force(struct task_struct *task, long goal)
{
	if (READ_ONCE(task->patch_state) != goal)
		klp_switch_task(task, false);
}

static void klp_set_funcs_transition(struct klp_patch *patch, bool on)
{
	struct klp_object *obj;
	struct klp_func *func;

	list_for_each_entry(obj, &patch->obj_list, node)
		list_for_each_entry(func, &obj->func_list, node)
			WRITE_ONCE(func->transition, on);
}

/**
 * klp_transition_prepare() - set up a transition before code changes
 * @patch:	the patch to apply or remove
 * @goal:	KLP_TRANSITION_PATCHED or KLP_TRANSITION_UNPATCHED
 *
 * Every task is put in the old universe; nothing switches until
 * klp_transition_start(). Context: klp_mutex.
 */
void klp_transition_prepare(struct klp_patch *patch, int goal)
{
	const char *name = patch->mod->name;

	WARN_ON_ONCE(klp_goal != KLP_TRANSITION_IDLE);

	WRITE_ONCE(klp_transition_patch, patch);
	WRITE_ONCE(klp_goal, goal);
	pr_debug("'%s': initializing %s transition\n", name,
		 klp_goal_word(goal));

	klp_visit_tasks(true, klp_visit_set_state, !goal);

	/* Pairs (A) and (B): states and goal before flags and TIFs. */
	smp_wmb();

	klp_set_funcs_transition(patch, true);
}

/**
 * klp_transition_start() - let tasks switch
 *
 * Marks every task not yet in the goal universe. Context: klp_mutex.
 */
void klp_transition_start(void)
{
	const char *name = klp_transition_patch->mod->name;
	int goal = klp_goal;

	WARN_ON_ONCE(goal == KLP_TRANSITION_IDLE);
	pr_notice("'%s': starting %s transition\n", name,
		  klp_goal_word(goal));

	klp_transition_refresh();
	/*
	 * Pair (D): the table just published before the flags that let a
	 * switch point read it. Partner: the smp_rmb() in
	 * __klp_sched_try_switch(). The release of the publish orders only
	 * what came before it, not the flags after it.
	 */
	smp_wmb();
	klp_visit_tasks(true, klp_visit_mark, goal);
	klp_diag_start();
	klp_rounds = 0;
	klp_started = jiffies;
	klp_next_nudge = klp_started + KLP_NUDGE_SECS * HZ;
	klp_nudged = false;
}

/**
 * klp_transition_refresh() - recompute the code that tasks must leave
 *
 * After a module object of the patch in transition was patched or
 * unpatched. Context: klp_mutex.
 */
void klp_transition_refresh(void)
{
	struct klp_spans *spans;

	if (!klp_transition_patch)
		return;
	spans = klp_spans_build(klp_transition_patch, klp_goal);
	if (!spans)
		pr_warn("'%s': no memory for the stack check, tasks switch only at kernel exit\n",
			klp_transition_patch->mod->name);
	klp_spans_publish(spans);
}

/* The transition reached its goal for every task: tidy up. */
static void klp_transition_finish(void)
{
	struct klp_patch *patch = klp_transition_patch;
	int goal = klp_goal;
	struct klp_object *obj;

	pr_debug("'%s': completing %s transition\n", patch->mod->name,
		 klp_goal_word(goal));

	if (goal == KLP_TRANSITION_PATCHED && patch->replace)
		klp_retire_replaced(patch);

	if (goal == KLP_TRANSITION_UNPATCHED) {
		klp_restore_patch(patch, false);
		/*
		 * No handler may still pick this patch's code once the
		 * transition flags are cleared below.
		 */
		klp_sync_cpus();
	}

	klp_set_funcs_transition(patch, false);

	/*
	 * No handler may still see a flag set while reading the states
	 * that become KLP_TRANSITION_IDLE below.
	 */
	if (goal == KLP_TRANSITION_PATCHED)
		klp_sync_cpus();

	klp_visit_tasks(true, klp_visit_set_state, KLP_TRANSITION_IDLE);
	klp_spans_publish(NULL);
	klp_diag_finish();
	/*
	 * Every task reached the goal, each dropping its flag on the way
	 * (pairs E, F, G): a count left over is a flag lost or counted
	 * twice.
	 */
	WARN_ON_ONCE(atomic_read(&klp_flagged));
	atomic_set(&klp_flagged, 0);

	list_for_each_entry(obj, &patch->obj_list, node) {
		if (!klp_obj_loaded(obj))
			continue;
		if (goal == KLP_TRANSITION_PATCHED)
			klp_cb_post_patch(obj);
		else
			klp_cb_post_unpatch(obj);
	}

	pr_notice("'%s': %s complete\n", patch->mod->name,
		  klp_goal_word(goal));

	WRITE_ONCE(klp_goal, KLP_TRANSITION_IDLE);
	WRITE_ONCE(klp_transition_patch, NULL);
}

/*
 * A fake signal sends a user task through the exit path; a wake-up gives
 * a sleeping kthread a chance to leave the patched code. The task may
 * switch meanwhile; a needless nudge does no harm.
 */
static void klp_visit_nudge(struct task_struct *task, long unused)
{
	if (!klp_patch_pending(task))
		return;
	if (task->flags & PF_KTHREAD)
		wake_up_state(task, TASK_INTERRUPTIBLE);
	else
		set_notify_signal(task);
}

/* What a round found: every task switched; one held was on a CPU. */
struct klp_round {
	bool all;
	bool busy;
};

/* Note a task the round could not switch. */
static void klp_round_held(struct klp_round *round, struct task_struct *task,
			   enum klp_hold hold, const struct klp_check *check)
{
	round->all = false;
	/* Running, or preempted where the walk cannot vouch for its stack. */
	if (hold == KLP_HOLD_RUNNING || hold == KLP_HOLD_UNRELIABLE)
		round->busy = true;
	klp_diag_record(task, hold, check->hit.addr);
}

static void klp_visit_try_switch(struct task_struct *task, long arg)
{
	struct klp_round *round = (struct klp_round *)arg;
	struct klp_check check = { .kick = false };
	bool flagged = klp_patch_pending(task);
	enum klp_hold hold;

	/*
	 * Pair (I): the flag, then the state that klp_try_switch_task()
	 * reads first. A flag found cleared by a switch point comes with
	 * that task's new state: it is switched, not marked again.
	 * Partner: the fully ordered test_and_clear in klp_switch_task(),
	 * after its state store.
	 */
	smp_rmb();
	hold = klp_try_switch_task(task, &check);

	if (hold == KLP_GO)
		return;
	klp_round_held(round, task, hold, &check);
	/*
	 * A child born after the start is not flagged (klp_copy_process()):
	 * flag it now, so that it switches, and kicks, at its next switch
	 * point. Whether it was flagged is read before the check: a task
	 * flagged then may have switched since, by its own switch point,
	 * and must not get a flag again. One unflagged then, and not in
	 * the goal (pair I: a switch point clears the flag only after its
	 * state store), can only be switched by a round, under klp_mutex:
	 * by this check, which held it.
	 */
	if (!flagged)
		klp_mark(task);
}

/**
 * klp_transition_try_finish() - switch whom we can; finish if all did
 *
 * Otherwise retry later (klp_retry_delay()). Context: klp_mutex.
 */
void klp_transition_try_finish(void)
{
	struct klp_round round = { .all = true };
	int kicks = atomic_read(&klp_kicks);
	struct task_struct *task;
	struct klp_patch *patch;
	unsigned long delay;
	unsigned int cpu;

	WARN_ON_ONCE(klp_goal == KLP_TRANSITION_IDLE);

	/*
	 * Idle CPUs first: each switches its idle task in the idle loop
	 * while this round walks the list, and kicks the next round if it
	 * was the last.
	 */
	cpus_read_lock();
	for_each_online_cpu(cpu)
		if (klp_patch_pending(idle_task(cpu)))
			wake_up_if_idle(cpu);
	cpus_read_unlock();

	klp_diag_round_begin(klp_goal);
	klp_visit_tasks(false, klp_visit_try_switch, (long)&round);

	/* Idle tasks: by CPU, since an offline CPU runs nothing. */
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		struct klp_check check = { .kick = false };
		enum klp_hold hold;

		task = idle_task(cpu);
		if (!cpu_online(cpu)) {
			/* An offline CPU's idle task runs nothing. */
			if (task->patch_state != klp_goal)
				klp_switch_task(task, false);
			continue;
		}
		hold = klp_try_switch_task(task, &check);
		if (hold != KLP_GO) {
			klp_round_held(&round, task, hold, &check);
			/* Send it through the idle loop's switch point. */
			wake_up_if_idle(cpu);
		}
	}
	cpus_read_unlock();
	klp_diag_round_end(klp_transition_patch, jiffies - klp_started);

	if (!round.all) {
		if (time_after_eq(jiffies, klp_next_nudge)) {
			if (!klp_nudged)
				pr_notice("signaling remaining tasks\n");
			klp_nudged = true;
			klp_visit_tasks(false, klp_visit_nudge, 0);
			klp_next_nudge = jiffies + KLP_NUDGE_SECS * HZ;
		}
		delay = klp_retry_delay(klp_rounds++);
		if (!klp_cr_armed &&
		    klp_want_cond_resched_point(jiffies - klp_started,
						round.busy)) {
			klp_cond_resched_arm(true);
			/* Those it was armed for switch at their next call. */
			delay = klp_retry_delay(0);
		}
		/*
		 * Replaces a retry still pending from before a reverse or
		 * from the transition before (forced to its end).
		 */
		mod_delayed_work(system_wq, &klp_retry_work, delay);
		/*
		 * Pair (H): a task that this round woke (an idle CPU, a
		 * nudged kthread) may have dropped the last flag, and its
		 * kick been overwritten just now: look again at once.
		 */
		smp_mb();
		if (atomic_read(&klp_kicks) != kicks)
			mod_delayed_work(system_wq, &klp_retry_work, 0);
		return;
	}

	klp_cond_resched_arm(false);
	patch = klp_transition_patch;
	klp_transition_finish();

	if (!patch->enabled)
		klp_release_patch(patch);
	else if (patch->replace)
		klp_release_replaced(patch);
}

/**
 * klp_transition_cancel() - undo a patching transition that never started
 *
 * For the error path of enabling: the objects pushed so far are popped
 * and the post-unpatch callbacks of the objects whose pre-patch callback
 * ran are called. Context: klp_mutex.
 */
void klp_transition_cancel(void)
{
	const char *name = klp_transition_patch->mod->name;

	if (WARN_ON_ONCE(klp_goal != KLP_TRANSITION_PATCHED))
		return;

	pr_debug("'%s': canceling patching transition, going to unpatch\n",
		 name);
	WRITE_ONCE(klp_goal, KLP_TRANSITION_UNPATCHED);
	klp_transition_finish();
}

/**
 * klp_transition_reverse() - turn a running transition around
 *
 * Tasks that already switched are already in the new goal; the others are
 * marked again. Context: klp_mutex.
 */
void klp_transition_reverse(void)
{
	struct klp_patch *patch = klp_transition_patch;
	int goal = klp_goal;

	pr_debug("'%s': reversing transition from %s to %s\n",
		 patch->mod->name, klp_goal_word(goal), klp_goal_word(!goal));

	/*
	 * No TIF path may switch a task to the old goal once it is
	 * flipped: clear every flag, then wait for the paths already past
	 * their flag test.
	 */
	klp_visit_tasks(true, klp_visit_unmark, 0);
	klp_sync_cpus();
	/* Every flag was listed, hence dropped; see klp_transition_finish(). */
	WARN_ON_ONCE(atomic_read(&klp_flagged));
	atomic_set(&klp_flagged, 0);

	patch->enabled = !patch->enabled;
	WRITE_ONCE(klp_goal, !goal);

	/* Pair (B): the new goal before the TIFs of klp_transition_start(). */
	smp_wmb();

	klp_transition_start();
}

/**
 * klp_transition_force() - declare every task switched
 *
 * The administrator's call, at the administrator's risk: a task may still
 * be inside code it leaves. Patches whose code may thus stay in use are
 * marked forced and their modules are never released. Context: klp_mutex.
 */
void klp_transition_force(void)
{
	struct klp_patch *patch = klp_transition_patch, *other;

	pr_warn("forcing remaining tasks to the patched state\n");
	klp_visit_tasks(true, klp_visit_force, klp_goal);

	/* Whose code may a task still be in? Keep those modules. */
	if (klp_goal == KLP_TRANSITION_UNPATCHED) {
		patch->forced = true;
	} else if (patch->replace) {
		list_for_each_entry(other, &klp_patches, list)
			if (other != patch)
				other->forced = true;
	}
}
