// SPDX-License-Identifier: GPL-2.0
/*
 * diag.c - what holds a transition up, told to the administrator
 *
 * This file owns the diagnostics of a transition and nothing that moves
 * tasks: each round of transition.c reports the tasks it could not switch
 * and why (klp_diag_record()); here they become the table behind
 * /proc/<pid>/patch_blocker, the count in
 * /sys/kernel/livepatch/<patch>/pending_tasks, and the stall report in
 * the kernel log after livepatch.stall_warn seconds and each time as long
 * again. The table of a round is built under klp_mutex while the round
 * walks the tasks, then published by RCU and read without a lock; it
 * names tasks by pid and by address, which is compared and never
 * followed, so a reader never touches a task that may be gone.
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <kunit/visibility.h>
#include <linux/bsearch.h>
#include <linux/kallsyms.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched/stat.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "livepatch."

/* Tasks named one per line in a stall report; the rest are counted. */
#define KLP_STALL_MAX_TASKS	16

/* Room for tasks forked while a round walks the list. */
#define KLP_DIAG_SLACK		64

static unsigned int klp_stall_warn = 60;
module_param_named(stall_warn, klp_stall_warn, uint, 0644);
MODULE_PARM_DESC(stall_warn,
		 "seconds a transition may wait before its blockers are logged, and between reports (0: never)");

/* One task that a round could not switch. */
struct klp_blocker {
	struct task_struct *task;	/* compared, never dereferenced */
	unsigned long addr;		/* see klp_blocker_text() */
	pid_t pid;
	enum klp_hold hold;
	char comm[TASK_COMM_LEN];
};

struct klp_blockers {
	struct rcu_head rcu;
	int goal;		/* of the transition the round was for */
	unsigned int nr;	/* recorded, sorted by pid once published */
	unsigned int max;	/* past it, held tasks are counted only */
	struct klp_blocker b[];
};

/* The last published round; NULL when no transition runs. */
static struct klp_blockers __rcu *klp_blockers;

/* The round being walked, and when the last report was made. klp_mutex. */
static struct klp_blockers *klp_round_table;
static unsigned int klp_round_held;
static unsigned long klp_stall_last;

/* Tasks held at the last round; 0 when no transition runs. */
static unsigned int klp_pending;

/**
 * klp_blocker_text() - the text of /proc/<pid>/patch_blocker
 * @buf:	where to write it, without a newline
 * @size:	size of @buf
 * @hold:	why the task was held
 * @addr:	for KLP_HOLD_IN_USE the return address found in the code to
 *		leave; for KLP_HOLD_UNRELIABLE the last address the walk
 *		gave, or 0
 *
 * Return: the length written.
 */
VISIBLE_IF_KUNIT int klp_blocker_text(char *buf, size_t size,
				      enum klp_hold hold, unsigned long addr)
{
	switch (hold) {
	case KLP_HOLD_RUNNING:
		return scnprintf(buf, size, "running");
	case KLP_HOLD_IN_USE:
		return scnprintf(buf, size, "sleeping in %pB", (void *)addr);
	case KLP_HOLD_UNRELIABLE:
		if (!addr)
			return scnprintf(buf, size, "unreliable stack");
		return scnprintf(buf, size, "unreliable stack after %pB",
				 (void *)addr);
	case KLP_HOLD_STALE:
		return scnprintf(buf, size, "waiting for the next check");
	case KLP_GO:
		break;
	}
	if (size)
		buf[0] = '\0';
	return 0;
}

/*
 * Policy: is a stall report due, @waited jiffies into a transition whose
 * last report was made @last jiffies into it (0: none yet), with reports
 * every @secs seconds (0: never)? A round that comes late makes one
 * report, not one for each period it missed.
 */
VISIBLE_IF_KUNIT bool klp_stall_due(unsigned long waited, unsigned long last,
				    unsigned int secs)
{
	return secs && waited - last >= (unsigned long)secs * HZ;
}

static void klp_blockers_publish(struct klp_blockers *table)
{
	struct klp_blockers *old;

	old = rcu_replace_pointer(klp_blockers, table,
				  lockdep_is_held(&klp_mutex));
	if (old)
		kvfree_rcu(old, rcu);
}

/**
 * klp_diag_start() - a transition starts (or turns around)
 *
 * Context: klp_mutex.
 */
void klp_diag_start(void)
{
	klp_stall_last = 0;
	/* After a reverse, the last round's reasons were for the other goal. */
	klp_blockers_publish(NULL);
}

/**
 * klp_diag_round_begin() - a round is about to walk the tasks
 * @goal:	the goal of the transition
 *
 * Context: klp_mutex; may sleep. Without memory the round is counted but
 * not recorded.
 */
void klp_diag_round_begin(int goal)
{
	unsigned int max = READ_ONCE(nr_threads) + num_possible_cpus() +
			   KLP_DIAG_SLACK;

	klp_round_held = 0;
	klp_round_table = kvmalloc(struct_size(klp_round_table, b, max),
				   GFP_KERNEL);
	if (!klp_round_table)
		return;
	klp_round_table->goal = goal;
	klp_round_table->nr = 0;
	klp_round_table->max = max;
}

/**
 * klp_diag_record() - the round could not switch @task
 * @task:	the task
 * @hold:	why
 * @addr:	see klp_blocker_text()
 *
 * Context: klp_mutex; may be under tasklist_lock: does not sleep.
 */
void klp_diag_record(struct task_struct *task, enum klp_hold hold,
		     unsigned long addr)
{
	struct klp_blockers *t = klp_round_table;
	struct klp_blocker *b;

	klp_round_held++;
	if (!t || t->nr == t->max)
		return;
	b = &t->b[t->nr++];
	b->task = task;
	b->pid = task->pid;
	b->hold = hold;
	b->addr = addr;
	/* As the pr_debug() lines read it: racy against a rename, unlocked. */
	memcpy(b->comm, task->comm, sizeof(b->comm));
	b->comm[sizeof(b->comm) - 1] = '\0';
}

static int klp_blocker_cmp(const void *a, const void *b)
{
	const struct klp_blocker *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return 0;
}

static void klp_stall_report(struct klp_patch *patch,
			     const struct klp_blockers *t,
			     unsigned long waited)
{
	const char *name = patch->mod->name;
	unsigned int i, shown = 0;
	char text[KSYM_SYMBOL_LEN + 32];

	pr_warn("'%s': transition stalled for %lu s: %u tasks pending\n",
		name, waited / HZ, klp_round_held);
	for (i = 0; t && i < t->nr && shown < KLP_STALL_MAX_TASKS; i++) {
		const struct klp_blocker *b = &t->b[i];

		klp_blocker_text(text, sizeof(text), b->hold, b->addr);
		pr_warn("'%s': pid %d (%s): %s\n", name, b->pid, b->comm, text);
		shown++;
	}
	if (klp_round_held > shown)
		pr_warn("'%s': %u more tasks pending\n", name,
			klp_round_held - shown);
}

/**
 * klp_diag_round_end() - the round is over: publish what it found
 * @patch:	the patch in transition
 * @waited:	jiffies since the transition started
 *
 * Context: klp_mutex.
 */
void klp_diag_round_end(struct klp_patch *patch, unsigned long waited)
{
	struct klp_blockers *t = klp_round_table;

	klp_round_table = NULL;
	WRITE_ONCE(klp_pending, klp_round_held);

	/* The log lists tasks in the order of the walk; lookups by pid. */
	if (klp_round_held &&
	    klp_stall_due(waited, klp_stall_last, READ_ONCE(klp_stall_warn))) {
		klp_stall_last = waited;
		klp_stall_report(patch, t, waited);
	}
	if (t)
		sort(t->b, t->nr, sizeof(t->b[0]), klp_blocker_cmp, NULL);
	klp_blockers_publish(t);
}

/**
 * klp_diag_finish() - no transition runs any more
 *
 * Context: klp_mutex.
 */
void klp_diag_finish(void)
{
	WRITE_ONCE(klp_pending, 0);
	klp_blockers_publish(NULL);
}

/**
 * klp_diag_pending() - tasks held at the last round of @patch's transition
 * @patch:	a patch
 *
 * Return: the count, 0 when @patch is not in transition.
 */
unsigned int klp_diag_pending(struct klp_patch *patch)
{
	if (patch != READ_ONCE(klp_transition_patch))
		return 0;
	return READ_ONCE(klp_pending);
}

/**
 * klp_proc_patch_blocker() - show /proc/<pid>/patch_blocker
 * @m:		the seq_file
 * @task:	the task of the file
 *
 * One line when the last round of the transition in progress could not
 * switch @task and it has not switched since; nothing otherwise.
 *
 * Return: 0.
 */
int klp_proc_patch_blocker(struct seq_file *m, struct task_struct *task)
{
	const struct klp_blockers *t;
	struct klp_blocker key = { .pid = task->pid };
	const struct klp_blocker *b;
	char text[KSYM_SYMBOL_LEN + 32];

	rcu_read_lock();
	t = rcu_dereference(klp_blockers);
	b = t ? bsearch(&key, t->b, t->nr, sizeof(t->b[0]),
			klp_blocker_cmp) : NULL;
	if (b && (b->task != task || READ_ONCE(task->patch_state) == t->goal))
		b = NULL;
	if (b)
		klp_blocker_text(text, sizeof(text), b->hold, b->addr);
	rcu_read_unlock();

	if (b)
		seq_printf(m, "%s\n", text);
	return 0;
}
