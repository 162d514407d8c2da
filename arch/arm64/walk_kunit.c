// SPDX-License-Identifier: GPL-2.0
/*
 * walk_kunit.c - KUnit cases for the rules of the arm64 reliable walk
 *
 *   klpcore_arm64_walk  chains of frame records built by hand in a buffer
 *                       that stands for a stack, one rule broken per case;
 *                       then real walks of current and of a blocked kthread
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/livepatch.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include <asm/sections.h>

#include "klp_arch.h"
#include "walk.h"

/*
 * The fake stack: 64 words. Three records chained upwards, the last one
 * linking to the final (empty) record near the top.
 */
#define KLP_FAKE_WORDS	64
enum { REC0 = 8, REC1 = 16, REC2 = 24, FINAL = 60 };

struct klp_fake_stack {
	unsigned long *w;
	struct klp_arm64_stack stk;
	unsigned long start_pc;		/* the walk's first address */
	unsigned long ret[3];		/* return addresses of REC0..REC2 */
};

/* What a walk reported, and when the consumer is to stop it. */
struct klp_seen {
	unsigned long addr[16];
	int n;
	int stop_at;
};

static bool klp_kunit_collect(void *cookie, unsigned long addr)
{
	struct klp_seen *seen = cookie;

	if (seen->n == seen->stop_at)
		return false;
	if (seen->n < (int)ARRAY_SIZE(seen->addr))
		seen->addr[seen->n] = addr;
	seen->n++;
	return true;
}

static void klp_fake_link(struct klp_fake_stack *fs, int rec,
			  unsigned long next, unsigned long ret)
{
	fs->w[rec] = next;
	fs->w[rec + 1] = ret;
}

/* A well-formed chain; each case then breaks one thing in it. */
static void klp_fake_init(struct kunit *test, struct klp_fake_stack *fs)
{
	fs->w = kunit_kzalloc(test, KLP_FAKE_WORDS * sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fs->w);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)fs->w, 16));

	fs->stk = (struct klp_arm64_stack) {
		.task = current,
		.low = (unsigned long)fs->w,
		.high = (unsigned long)(fs->w + KLP_FAKE_WORDS),
		.final = (unsigned long)&fs->w[FINAL],
	};
	/* Addresses inside real kernel functions stand for callers. */
	fs->start_pc = (unsigned long)klp_arm64_walk_records + 8;
	fs->ret[0] = (unsigned long)klp_arm64_walk_reliable + 8;
	fs->ret[1] = (unsigned long)klp_update_patch_state + 8;
	fs->ret[2] = (unsigned long)klp_enable_patch + 8;

	klp_fake_link(fs, REC0, (unsigned long)&fs->w[REC1], fs->ret[0]);
	klp_fake_link(fs, REC1, (unsigned long)&fs->w[REC2], fs->ret[1]);
	klp_fake_link(fs, REC2, (unsigned long)&fs->w[FINAL], fs->ret[2]);
}

static int klp_fake_walk(struct klp_fake_stack *fs, struct klp_seen *seen)
{
	memset(seen, 0, sizeof(*seen));
	seen->stop_at = -1;
	return klp_arm64_walk_records(&fs->stk, (unsigned long)&fs->w[REC0],
				      fs->start_pc, klp_kunit_collect, seen);
}

static void klp_walk_complete_chain(struct kunit *test)
{
	struct klp_fake_stack fs;
	struct klp_seen seen;

	klp_fake_init(test, &fs);
	KUNIT_ASSERT_EQ(test, klp_fake_walk(&fs, &seen), 0);
	KUNIT_ASSERT_EQ(test, seen.n, 4);
	KUNIT_EXPECT_EQ(test, seen.addr[0], fs.start_pc);
	KUNIT_EXPECT_EQ(test, seen.addr[1], fs.ret[0]);
	KUNIT_EXPECT_EQ(test, seen.addr[2], fs.ret[1]);
	KUNIT_EXPECT_EQ(test, seen.addr[3], fs.ret[2]);
}

static void klp_walk_refuses_misaligned_record(struct kunit *test)
{
	struct klp_fake_stack fs;
	struct klp_seen seen;

	klp_fake_init(test, &fs);
	fs.w[REC1] += 4;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
	/* Given up at the record, before reading anything from it. */
	KUNIT_EXPECT_EQ(test, seen.n, 3);
}

static void klp_walk_refuses_record_off_stack(struct kunit *test)
{
	static unsigned long elsewhere[4] __aligned(16);
	struct klp_fake_stack fs;
	struct klp_seen seen;

	klp_fake_init(test, &fs);
	fs.w[REC1] = (unsigned long)elsewhere;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);

	/* Straddling the top of the stack is off it too. */
	klp_fake_init(test, &fs);
	fs.w[REC1] = fs.stk.high - 8;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
}

static void klp_walk_refuses_loops(struct kunit *test)
{
	struct klp_fake_stack fs;
	struct klp_seen seen;

	klp_fake_init(test, &fs);
	fs.w[REC2] = (unsigned long)&fs.w[REC0];	/* back down */
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);

	klp_fake_init(test, &fs);
	fs.w[REC1] = (unsigned long)&fs.w[REC1];	/* to itself */
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);

	klp_fake_init(test, &fs);
	fs.w[REC0] = (unsigned long)&fs.w[REC0 + 1];	/* overlapping */
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
}

static void klp_walk_refuses_chain_without_final(struct kunit *test)
{
	struct klp_fake_stack fs;
	struct klp_seen seen;

	klp_fake_init(test, &fs);
	fs.w[REC2] = 0;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);

	/* A final record that is not empty is an exception frame. */
	klp_fake_init(test, &fs);
	klp_fake_link(&fs, FINAL, 0, fs.ret[0]);
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
}

static void klp_walk_refuses_untrusted_return_address(struct kunit *test)
{
	struct klp_fake_stack fs;
	struct klp_seen seen;

	klp_fake_init(test, &fs);
	fs.w[REC1 + 1] = (unsigned long)fs.w;		/* data, not text */
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
	KUNIT_EXPECT_EQ(test, seen.n, 2);

	klp_fake_init(test, &fs);
	fs.w[REC0 + 1] = 0;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
	KUNIT_EXPECT_EQ(test, seen.n, 1);

#ifdef CONFIG_FUNCTION_GRAPH_TRACER
	/* The graph trampoline, with no return stack entry to map it. */
	klp_fake_init(test, &fs);
	fs.w[REC1 + 1] = (unsigned long)return_to_handler;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
	KUNIT_EXPECT_EQ(test, seen.n, 2);
#endif
}

static void klp_walk_exception_boundary(struct kunit *test)
{
	unsigned long entry = (unsigned long)__entry_text_start + 4;
	struct klp_fake_stack fs;
	struct klp_seen seen;

	/* Entry code between two kernel frames: an exception boundary. */
	klp_fake_init(test, &fs);
	fs.w[REC1 + 1] = entry;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), -EINVAL);
	KUNIT_EXPECT_EQ(test, seen.n, 3);

	/* Entry code right below the final record: entry from user space. */
	klp_fake_init(test, &fs);
	fs.w[REC2 + 1] = entry;
	KUNIT_EXPECT_EQ(test, klp_fake_walk(&fs, &seen), 0);
	KUNIT_EXPECT_EQ(test, seen.addr[3], entry);
}

static void klp_walk_consumer_stops(struct kunit *test)
{
	struct klp_fake_stack fs;
	struct klp_seen seen;

	klp_fake_init(test, &fs);
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 2;
	KUNIT_EXPECT_EQ(test,
			klp_arm64_walk_records(&fs.stk,
					       (unsigned long)&fs.w[REC0],
					       fs.start_pc, klp_kunit_collect,
					       &seen),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, seen.n, 2);
}

/* Real stacks: current (a KUnit kthread), and a kthread that sleeps. */
static void klp_walk_current(struct kunit *test)
{
	struct klp_seen seen = { .stop_at = -1 };

	KUNIT_EXPECT_EQ(test, klp_arm64_walk_reliable(current,
						      klp_kunit_collect,
						      &seen), 0);
	KUNIT_EXPECT_GE(test, seen.n, 3);
}

struct klp_sleeper {
	struct completion started;
	struct completion done;
};

static int klp_kunit_sleeper(void *data)
{
	struct klp_sleeper *s = data;

	complete(&s->started);
	wait_for_completion(&s->done);
	return 0;
}

static int klp_kunit_walk_blocked(struct task_struct *task, void *arg)
{
	if (task_curr(task))
		return -EBUSY;
	return klp_arm64_walk_reliable(task, klp_kunit_collect, arg);
}

static void klp_walk_blocked_kthread(struct kunit *test)
{
	struct klp_seen seen = { .stop_at = -1 };
	struct klp_sleeper s;
	struct task_struct *task;
	int ret = -EBUSY;
	int tries;

	init_completion(&s.started);
	init_completion(&s.done);
	task = kthread_run(klp_kunit_sleeper, &s, "klp_kunit_walk");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	get_task_struct(task);
	wait_for_completion(&s.started);

	for (tries = 0; tries < 100 && ret == -EBUSY; tries++) {
		if (wait_task_inactive(task, TASK_UNINTERRUPTIBLE))
			ret = task_call_func(task, klp_kunit_walk_blocked,
					     &seen);
		else
			schedule_timeout_uninterruptible(1);
	}

	complete(&s.done);
	kthread_stop(task);
	put_task_struct(task);

	KUNIT_EXPECT_EQ(test, ret, 0);
	/* __switch_to, __schedule, schedule, ..., kthread, ret_from_fork */
	KUNIT_EXPECT_GE(test, seen.n, 5);
}

static struct kunit_case klp_arm64_walk_cases[] = {
	KUNIT_CASE(klp_walk_complete_chain),
	KUNIT_CASE(klp_walk_refuses_misaligned_record),
	KUNIT_CASE(klp_walk_refuses_record_off_stack),
	KUNIT_CASE(klp_walk_refuses_loops),
	KUNIT_CASE(klp_walk_refuses_chain_without_final),
	KUNIT_CASE(klp_walk_refuses_untrusted_return_address),
	KUNIT_CASE(klp_walk_exception_boundary),
	KUNIT_CASE(klp_walk_consumer_stops),
	KUNIT_CASE(klp_walk_current),
	KUNIT_CASE(klp_walk_blocked_kthread),
	{}
};

static struct kunit_suite klp_arm64_walk_suite = {
	.name = "klpcore_arm64_walk",
	.test_cases = klp_arm64_walk_cases,
};

kunit_test_suite(klp_arm64_walk_suite);
