// SPDX-License-Identifier: GPL-2.0
/*
 * Live patches for klp_test_target, built twice:
 *
 *   klp_test_patch   the value becomes 2 and the sleeping function
 *                    returns at once
 *   klp_test_patch2  (this file with KLP_TEST_PATCH2) the value becomes 3;
 *                    the sleeping function is left alone, so that when it
 *                    replaces klp_test_patch, a no-op entry hands that
 *                    function back to its original code
 *
 * Parameter replace (default 0): an atomic replace of every installed
 * patch instead of a patch stacked on top of them.
 */
#include <linux/livepatch.h>
#include <linux/module.h>

#ifdef KLP_TEST_PATCH2
#define KLP_TEST_VALUE	3
#else
#define KLP_TEST_VALUE	2
#endif

static bool replace;
module_param(replace, bool, 0400);
MODULE_PARM_DESC(replace, "replace the installed patches (atomic replace)");

static int klp_test_patched_value(void)
{
	return KLP_TEST_VALUE;
}

#ifndef KLP_TEST_PATCH2
static void klp_test_patched_sleep(void)
{
}
#endif

static struct klp_func klp_test_funcs[] = {
	{
		.old_name = "klp_test_target_value",
		.new_func = klp_test_patched_value,
#ifndef KLP_TEST_PATCH2
	}, {
		.old_name = "klp_test_target_sleep",
		.new_func = klp_test_patched_sleep,
#endif
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

static int __init klp_test_patch_init(void)
{
	klp_test_patch.replace = replace;
	return klp_enable_patch(&klp_test_patch);
}

static void __exit klp_test_patch_exit(void)
{
}

module_init(klp_test_patch_init);
module_exit(klp_test_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klpcore selftests: a patch of klp_test_target");
