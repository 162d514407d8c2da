// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed live patches, one per value of the parameter "kind". Each
 * must be refused whole: insmod fails, one error line names the cause,
 * and nothing stays patched. Every kind but "none" lists a valid change
 * of cmdline_proc_show() before the faulty entry, so that a core which
 * patched the valid part before finding the fault would show it.
 *
 *   none    a valid patch (the control case)
 *   sym     a function that does not exist
 *   sympos  old_sympos beyond the number of symbols of that name
 *   dup     the same function listed twice
 *   objdup  the vmlinux object listed twice
 *   objname a module object named "vmlinux"
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>

static char *kind = "none";
module_param(kind, charp, 0400);
MODULE_PARM_DESC(kind, "which malformed patch to submit");

static int klp_test_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, "klp_test_invalid: patched\n");
	return 0;
}

static struct klp_func klp_test_funcs[3] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = klp_test_cmdline_show,
	},
};

static struct klp_func klp_test_funcs2[2] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = klp_test_cmdline_show,
	},
};

static struct klp_object klp_test_objs[3] = {
	{
		.funcs = klp_test_funcs,
	},
};

static struct klp_patch klp_test_patch = {
	.mod = THIS_MODULE,
	.objs = klp_test_objs,
};

static int __init klp_test_invalid_init(void)
{
	struct klp_func *second = &klp_test_funcs[1];

	if (!strcmp(kind, "sym")) {
		second->old_name = "klp_test_no_such_function";
		second->new_func = klp_test_cmdline_show;
	} else if (!strcmp(kind, "sympos")) {
		second->old_name = "cmdline_proc_show";
		second->new_func = klp_test_cmdline_show;
		second->old_sympos = 2;
		/* Only the faulty entry: a unique name has one position. */
		klp_test_funcs[0] = *second;
		memset(second, 0, sizeof(*second));
	} else if (!strcmp(kind, "dup")) {
		*second = klp_test_funcs[0];
	} else if (!strcmp(kind, "objdup")) {
		klp_test_objs[1].funcs = klp_test_funcs2;
	} else if (!strcmp(kind, "objname")) {
		klp_test_objs[1].name = "vmlinux";
		klp_test_objs[1].funcs = klp_test_funcs2;
	} else if (strcmp(kind, "none")) {
		return -EINVAL;
	}
	return klp_enable_patch(&klp_test_patch);
}

static void __exit klp_test_invalid_exit(void)
{
}

module_init(klp_test_invalid_init);
module_exit(klp_test_invalid_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klpcore selftests: malformed live patches");
