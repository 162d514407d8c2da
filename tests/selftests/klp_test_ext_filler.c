// SPDX-License-Identifier: GPL-2.0
/*
 * klp_test_ext_filler: a module with next to nothing in it. Loaded while
 * klp_test_ext_target is out, it takes the lowest free module memory, the
 * pages the target just left, so that the target comes back at another
 * address: relocations (and GOT, PLT or stub slots) kept from its last
 * load would then point at memory it no longer has.
 */
#include <linux/module.h>

static int __init klp_test_ext_filler_init(void)
{
	return 0;
}

static void __exit klp_test_ext_filler_exit(void)
{
}

module_init(klp_test_ext_filler_init);
module_exit(klp_test_ext_filler_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: takes the memory a module left");
