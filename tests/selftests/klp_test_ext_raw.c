// SPDX-License-Identifier: GPL-2.0
/*
 * klp_test_ext_raw: a patch module declared with <linux/klp-extern.h>
 * that the harness does not finalise (post-link-skip): klpcore must
 * refuse it rather than run code that calls address 0.
 */
#include <linux/klp-extern.h>
#include <linux/ktime.h>
#include <linux/livepatch.h>
#include <linux/module.h>

KLP_EXTERN_FUNC(klp_raw_boottime, vmlinux, ktime_get_boottime, 1, ktime_t, (void));

static int klp_raw_report(char *buf, size_t size)
{
	return scnprintf(buf, size, "raw %lld\n", ktime_to_ms(klp_raw_boottime()));
}

static struct klp_func klp_raw_funcs[] = {
	{
		.old_name = "klp_ext_target_report",
		.new_func = klp_raw_report,
	}, { }
};

static struct klp_object klp_raw_objs[] = {
	{
		.name = "klp_test_ext_target",
		.funcs = klp_raw_funcs,
	}, { }
};

static struct klp_patch klp_raw_patch = {
	.mod = THIS_MODULE,
	.objs = klp_raw_objs,
};

static int __init klp_test_ext_raw_init(void)
{
	return klp_enable_patch(&klp_raw_patch);
}

static void __exit klp_test_ext_raw_exit(void)
{
}

module_init(klp_test_ext_raw_init);
module_exit(klp_test_ext_raw_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klpcore selftests: a patch module never finalised");
