// SPDX-License-Identifier: GPL-2.0
/*
 * klp_bench - the functions the benchmarks patch, and the timing loop.
 *
 * debugfs: /sys/kernel/debug/klp_bench/
 *   call      reading times ROUNDS rounds of LOOPS calls of klp_bench_fn()
 *             and prints "median min max" in picoseconds per call
 *   sleep_ms  writing D sleeps D milliseconds inside klp_bench_sleep()
 *   left_ms   when the last such sleep left klp_bench_sleep(), as
 *             CLOCK_MONOTONIC milliseconds (what klp-bench's clock reads)
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sort.h>

#define ROUNDS	15
#define LOOPS	100000

static struct dentry *klp_bench_dir;

/* The function under test: small, never inlined, never cloned. */
noinline __attribute__((__noipa__)) int klp_bench_fn(int x)
{
	return x + 1;
}
EXPORT_SYMBOL_GPL(klp_bench_fn);

static u64 klp_bench_left_ns;

/*
 * A task sleeps inside this function. The store after msleep() keeps the
 * call from becoming a tail call, which would take this function off the
 * stack while the task sleeps; it is also the time the task left.
 */
noinline __attribute__((__noipa__)) void klp_bench_sleep(unsigned int ms)
{
	msleep(ms);
	WRITE_ONCE(klp_bench_left_ns, ktime_get_ns());
}
EXPORT_SYMBOL_GPL(klp_bench_sleep);

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int call_show(struct seq_file *m, void *v)
{
	int (*volatile fn)(int) = klp_bench_fn;
	u64 ps[ROUNDS];
	int i, j, acc = 0;

	for (i = 0; i < ROUNDS; i++) {
		u64 t0 = ktime_get_ns();

		for (j = 0; j < LOOPS; j++)
			acc = fn(acc);
		ps[i] = div_u64((ktime_get_ns() - t0) * 1000, LOOPS);
		cond_resched();
	}
	sort(ps, ROUNDS, sizeof(ps[0]), cmp_u64, NULL);
	seq_printf(m, "%llu %llu %llu\n", ps[ROUNDS / 2], ps[0],
		   ps[ROUNDS - 1]);
	return acc == LOOPS * ROUNDS ? 0 : -EIO;
}
DEFINE_SHOW_ATTRIBUTE(call);

static ssize_t sleep_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *ppos)
{
	unsigned int ms;
	int err = kstrtouint_from_user(buf, len, 0, &ms);

	if (err)
		return err;
	klp_bench_sleep(ms);
	return len;
}

static const struct file_operations sleep_fops = {
	.write = sleep_write,
};

static int left_show(struct seq_file *m, void *v)
{
	u64 ns = READ_ONCE(klp_bench_left_ns);
	u32 rem;
	u64 ms = div_u64_rem(ns, NSEC_PER_MSEC, &rem);

	seq_printf(m, "%llu.%06u\n", ms, rem);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(left);

static int __init klp_bench_init(void)
{
	klp_bench_dir = debugfs_create_dir("klp_bench", NULL);
	debugfs_create_file("call", 0444, klp_bench_dir, NULL, &call_fops);
	debugfs_create_file("sleep_ms", 0200, klp_bench_dir, NULL,
			    &sleep_fops);
	debugfs_create_file("left_ms", 0444, klp_bench_dir, NULL, &left_fops);
	return 0;
}

static void __exit klp_bench_exit(void)
{
	debugfs_remove_recursive(klp_bench_dir);
}

module_init(klp_bench_init);
module_exit(klp_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpcore benchmarks: the functions to patch and the timing loop");
