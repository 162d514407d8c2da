// SPDX-License-Identifier: GPL-2.0
/*
 * klp_test_ext_target: a module whose static symbols a live patch reaches
 * through .klp.rela sections (klp_test_ext_patch). Two of its static
 * functions share the name klp_ext_dup: this file's (returns 1) comes
 * first in the module's symbol table, klp_test_ext_dup.c's (returns 2)
 * second.
 *
 * debugfs: /sys/kernel/debug/klp_test_ext/report
 *   reading it calls klp_ext_target_report(), the function the patch
 *   replaces: "unpatched counter=N" here.
 */
#include <linux/debugfs.h>
#include <linux/module.h>

int klp_ext_dup_other(void);

static int klp_ext_counter;

static noinline __attribute__((__noipa__)) int klp_ext_dup(void)
{
	return 1;
}

static noinline __attribute__((__noipa__)) int klp_ext_add(int x)
{
	return x + 1;
}

noinline __attribute__((__noipa__))
int klp_ext_target_report(char *buf, size_t size)
{
	klp_ext_counter++;
	/* Keeps the static functions, unused otherwise, in the module. */
	if (klp_ext_add(0) != klp_ext_dup() || klp_ext_dup_other() != 2)
		return scnprintf(buf, size, "broken\n");
	return scnprintf(buf, size, "unpatched counter=%d\n", klp_ext_counter);
}

static ssize_t report_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	char buf[256];
	int n;

	/* One report per read from the start: the counter counts reads. */
	if (*ppos)
		return 0;
	n = klp_ext_target_report(buf, sizeof(buf));
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations report_fops = {
	.read = report_read,
	.llseek = default_llseek,
};

static struct dentry *klp_ext_dir;

static int __init klp_test_ext_init(void)
{
	klp_ext_dir = debugfs_create_dir("klp_test_ext", NULL);
	debugfs_create_file("report", 0444, klp_ext_dir, NULL, &report_fops);
	return 0;
}

static void __exit klp_test_ext_exit(void)
{
	debugfs_remove_recursive(klp_ext_dir);
}

module_init(klp_test_ext_init);
module_exit(klp_test_ext_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpcore selftests: static symbols for .klp.rela");
