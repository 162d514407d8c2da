// SPDX-License-Identifier: GPL-2.0
/*
 * A second live patch for klp_test_target, for stacking and atomic
 * replace: the value becomes 3. It leaves the sleeping function alone, so
 * that when it replaces klp_test_patch, a no-op entry hands that function
 * back to its original code.
 *
 * Parameter replace (default 1): an atomic replace of every installed
 * patch; 0 stacks this patch on top of them.
 */
#include <linux/livepatch.h>
#include <linux/module.h>

static bool replace = true;
module_param(replace, bool, 0400);
MODULE_PARM_DESC(replace, "replace the installed patches (atomic replace)");

static int klp_test_patch2_value(void)
{
	return 3;
}

static struct klp_func klp_test_funcs[] = {
	{
		.old_name = "klp_test_target_value",
		.new_func = klp_test_patch2_value,
	}, { }
};

static struct klp_object klp_test_objs[] = {
	{
		.name = "klp_test_target",
		.funcs = klp_test_funcs,
	}, { }
};

static struct klp_patch klp_test_patch = {
	.mod = THIS_MODULE,
	.objs = klp_test_objs,
};

static int __init klp_test_patch2_init(void)
{
	klp_test_patch.replace = replace;
	return klp_enable_patch(&klp_test_patch);
}

static void __exit klp_test_patch2_exit(void)
{
}

module_init(klp_test_patch2_init);
module_exit(klp_test_patch2_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klpcore selftests: a second patch of klp_test_target");
