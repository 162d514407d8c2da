// SPDX-License-Identifier: GPL-2.0
/*
 * klp_test_ext_patch: a live patch whose new code uses what nobody
 * exports, declared with <linux/klp-extern.h> and finalised by
 * "objtool-ext klp-post-link" when the harness builds it:
 *
 *   vmlinux: ktime_get_boottime, a static function of which vmlinux has
 *            two copies (positions 1 and 2), and printk's static
 *            ignore_loglevel (position 0), read, and written on request
 *   klp_test_ext_target: the static klp_ext_add and klp_ext_counter,
 *            and both static klp_ext_dup (positions 1 and 2)
 *
 * It replaces klp_ext_target_report(), whose text becomes
 * "patched add=42 dup1=1 dup2=2 counter=N boot1=MS boot2=MS loglevel=B".
 *
 * Parameters (0644): fail_pre_patch makes the pre-patch callback of the
 * target object fail; flip_loglevel makes the next report write the
 * negation of ignore_loglevel.
 */
#include <linux/klp-extern.h>
#include <linux/ktime.h>
#include <linux/livepatch.h>
#include <linux/module.h>

KLP_EXTERN_FUNC(klp_boottime1, vmlinux, ktime_get_boottime, 1, ktime_t, (void));
KLP_EXTERN_FUNC(klp_boottime2, vmlinux, ktime_get_boottime, 2, ktime_t, (void));
KLP_EXTERN_VAR(klp_ignore_loglevel, vmlinux, ignore_loglevel, 0, bool);
KLP_EXTERN_FUNC(klp_add, klp_test_ext_target, klp_ext_add, 0, int, (int));
KLP_EXTERN_FUNC(klp_dup1, klp_test_ext_target, klp_ext_dup, 1, int, (void));
KLP_EXTERN_FUNC(klp_dup2, klp_test_ext_target, klp_ext_dup, 2, int, (void));
KLP_EXTERN_VAR(klp_counter, klp_test_ext_target, klp_ext_counter, 0, int);

static bool fail_pre_patch;
module_param(fail_pre_patch, bool, 0644);
MODULE_PARM_DESC(fail_pre_patch, "the target's pre-patch callback fails");

static bool flip_loglevel;
module_param(flip_loglevel, bool, 0644);
MODULE_PARM_DESC(flip_loglevel, "the next report negates ignore_loglevel");

static int klp_ext_report(char *buf, size_t size)
{
	bool loglevel = READ_ONCE(klp_ignore_loglevel);

	if (flip_loglevel) {
		flip_loglevel = false;
		WRITE_ONCE(klp_ignore_loglevel, !loglevel);
	}
	klp_counter++;
	return scnprintf(buf, size,
			 "patched add=%d dup1=%d dup2=%d counter=%d boot1=%lld boot2=%lld loglevel=%d\n",
			 klp_add(41), klp_dup1(), klp_dup2(), klp_counter,
			 ktime_to_ms(klp_boottime1()),
			 ktime_to_ms(klp_boottime2()), loglevel);
}

static int klp_ext_pre_patch(struct klp_object *obj)
{
	return fail_pre_patch ? -EBUSY : 0;
}

static struct klp_func klp_ext_funcs[] = {
	{
		.old_name = "klp_ext_target_report",
		.new_func = klp_ext_report,
	}, { }
};

static struct klp_object klp_ext_objs[] = {
	{
		.name = "klp_test_ext_target",
		.funcs = klp_ext_funcs,
		.callbacks = {
			.pre_patch = klp_ext_pre_patch,
		},
	}, { }
};

static struct klp_patch klp_ext_patch = {
	.mod = THIS_MODULE,
	.objs = klp_ext_objs,
};

static int __init klp_test_ext_patch_init(void)
{
	return klp_enable_patch(&klp_ext_patch);
}

static void __exit klp_test_ext_patch_exit(void)
{
}

module_init(klp_test_ext_patch_init);
module_exit(klp_test_ext_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klpcore selftests: a patch using .klp.rela sections");
