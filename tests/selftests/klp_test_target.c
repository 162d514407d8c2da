// SPDX-License-Identifier: GPL-2.0
/*
 * A module for live patches to patch, with functions a test can call and
 * a function a task can sleep in.
 *
 * debugfs: /sys/kernel/debug/klp_test_target/
 *   value         reading calls klp_test_target_value(): 1, patched 2
 *   sleep         reading sleeps in klp_test_target_sleep() until release
 *   sleepers      how many tasks are inside klp_test_target_sleep()
 *   release       writing 1 lets every sleeper leave
 *   kthread_pid   pid of the sleeping kthread (module parameter kthread=1)
 *   unreliable_pid     pid of a kthread that sleeps, outside the patched
 *                      set, under a frame record whose return address is
 *                      no kernel text (unreliable=1; arm64 only)
 *   unreliable_parked  1 while it sleeps there, until release
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/wait.h>

static bool kthread;
module_param(kthread, bool, 0400);
MODULE_PARM_DESC(kthread, "start a kthread that sleeps in the function");

static bool unreliable;
module_param(unreliable, bool, 0400);
MODULE_PARM_DESC(unreliable, "start a kthread whose stack cannot be trusted");

static DECLARE_WAIT_QUEUE_HEAD(klp_test_wq);
static bool klp_test_released;
static atomic_t klp_test_sleepers = ATOMIC_INIT(0);
static struct task_struct *klp_test_thread;
static struct task_struct *klp_test_unreliable_thread;
static atomic_t klp_test_parked = ATOMIC_INIT(0);
static struct dentry *klp_test_dir;

/*
 * The functions to patch: never inlined nor cloned, so that every call
 * goes through their own ftrace site.
 */
noinline __attribute__((__noipa__)) int klp_test_target_value(void)
{
	return 1;
}
EXPORT_SYMBOL_GPL(klp_test_target_value);

noinline __attribute__((__noipa__)) void klp_test_target_sleep(void)
{
	atomic_inc(&klp_test_sleepers);
	/*
	 * Fake signals and wake-ups must not make the task leave early, nor
	 * spin: an interruptible wait returns at once while the fake signal
	 * of a stalled transition is pending. An idle wait ignores signals
	 * and is not a hung task.
	 */
	while (!READ_ONCE(klp_test_released) &&
	       !((current->flags & PF_KTHREAD) && kthread_should_stop()))
		wait_event_idle_timeout(klp_test_wq,
					READ_ONCE(klp_test_released), HZ);
	atomic_dec(&klp_test_sleepers);
}
EXPORT_SYMBOL_GPL(klp_test_target_sleep);

static int value_get(void *data, u64 *val)
{
	*val = klp_test_target_value();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(value_fops, value_get, NULL, "%llu\n");

static int sleep_get(void *data, u64 *val)
{
	klp_test_target_sleep();
	*val = 0;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(sleep_fops, sleep_get, NULL, "%llu\n");

static int sleepers_get(void *data, u64 *val)
{
	*val = atomic_read(&klp_test_sleepers);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(sleepers_fops, sleepers_get, NULL, "%llu\n");

static int release_set(void *data, u64 val)
{
	WRITE_ONCE(klp_test_released, !!val);
	wake_up_all(&klp_test_wq);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(release_fops, NULL, release_set, "%llu\n");

static int kthread_pid_get(void *data, u64 *val)
{
	*val = klp_test_thread ? task_pid_nr(klp_test_thread) : 0;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kthread_pid_fops, kthread_pid_get, NULL, "%llu\n");

static int unreliable_pid_get(void *data, u64 *val)
{
	*val = klp_test_unreliable_thread ?
	       task_pid_nr(klp_test_unreliable_thread) : 0;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(unreliable_pid_fops, unreliable_pid_get, NULL,
			 "%llu\n");

static int unreliable_parked_get(void *data, u64 *val)
{
	*val = atomic_read(&klp_test_parked);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(unreliable_parked_fops, unreliable_parked_get, NULL,
			 "%llu\n");

/* Sleep until release; not a function that the test patch replaces. */
static noinline void klp_test_park(void)
{
	atomic_inc(&klp_test_parked);
	while (!READ_ONCE(klp_test_released) && !kthread_should_stop())
		wait_event_interruptible_timeout(klp_test_wq,
						 READ_ONCE(klp_test_released),
						 HZ);
	atomic_dec(&klp_test_parked);
}

#ifdef CONFIG_ARM64
/*
 * klp_test_call_under_bad_record(fn, ret) calls fn() with one more frame
 * record in the chain between fn and its caller: a well-formed record,
 * linked upwards to the caller's, whose return address is @ret. While fn
 * sleeps, a walk of the task's stack meets @ret, which is not kernel
 * text: the stack cannot be trusted and the task must not switch.
 */
void klp_test_call_under_bad_record(void (*fn)(void), unsigned long ret);
asm(".pushsection .text, \"ax\"\n"
	".balign 4\n"
	".type klp_test_call_under_bad_record, %function\n"
	"klp_test_call_under_bad_record:\n"
	"	hint	34\n"			/* bti c */
	"	sub	sp, sp, #32\n"
	"	stp	x29, x30, [sp, #16]\n"	/* the real record */
	"	add	x9, sp, #16\n"
	"	stp	x9, x1, [sp]\n"		/* the bad one, below it */
	"	mov	x29, sp\n"
	"	blr	x0\n"
	"	ldp	x29, x30, [sp, #16]\n"
	"	add	sp, sp, #32\n"
	"	ret\n"
	".size klp_test_call_under_bad_record, . - klp_test_call_under_bad_record\n"
	".popsection\n");

/* Where the bad record's return address points: data, not text. */
static unsigned long klp_test_not_text;

static int klp_test_unreliable_fn(void *unused)
{
	klp_test_call_under_bad_record(klp_test_park,
				       (unsigned long)&klp_test_not_text);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static struct task_struct *klp_test_start_unreliable(void)
{
	return kthread_run(klp_test_unreliable_fn, NULL, "klp_test_unreliable");
}
#else
static struct task_struct *klp_test_start_unreliable(void)
{
	return ERR_PTR(-EOPNOTSUPP);
}
#endif

static int klp_test_sleeper_fn(void *unused)
{
	klp_test_target_sleep();
	/* Outside the patched set from here on, until we are stopped. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int __init klp_test_target_init(void)
{
	klp_test_dir = debugfs_create_dir("klp_test_target", NULL);
	debugfs_create_file("value", 0444, klp_test_dir, NULL, &value_fops);
	debugfs_create_file("sleep", 0444, klp_test_dir, NULL, &sleep_fops);
	debugfs_create_file("sleepers", 0444, klp_test_dir, NULL,
			    &sleepers_fops);
	debugfs_create_file("release", 0200, klp_test_dir, NULL,
			    &release_fops);
	debugfs_create_file("kthread_pid", 0444, klp_test_dir, NULL,
			    &kthread_pid_fops);
	debugfs_create_file("unreliable_pid", 0444, klp_test_dir, NULL,
			    &unreliable_pid_fops);
	debugfs_create_file("unreliable_parked", 0444, klp_test_dir, NULL,
			    &unreliable_parked_fops);

	if (kthread) {
		klp_test_thread = kthread_run(klp_test_sleeper_fn, NULL,
					      "klp_test_sleeper");
		if (IS_ERR(klp_test_thread)) {
			debugfs_remove_recursive(klp_test_dir);
			return PTR_ERR(klp_test_thread);
		}
	}
	if (unreliable) {
		klp_test_unreliable_thread = klp_test_start_unreliable();
		if (IS_ERR(klp_test_unreliable_thread)) {
			if (klp_test_thread)
				kthread_stop(klp_test_thread);
			debugfs_remove_recursive(klp_test_dir);
			return PTR_ERR(klp_test_unreliable_thread);
		}
	}
	return 0;
}

static void __exit klp_test_target_exit(void)
{
	release_set(NULL, 1);
	if (klp_test_thread)
		kthread_stop(klp_test_thread);
	if (klp_test_unreliable_thread)
		kthread_stop(klp_test_unreliable_thread);
	debugfs_remove_recursive(klp_test_dir);
}

module_init(klp_test_target_init);
module_exit(klp_test_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpcore selftests: a module to patch");
