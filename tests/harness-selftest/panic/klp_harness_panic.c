// SPDX-License-Identifier: GPL-2.0
/*
 * Panics the kernel when loaded, so that the harness's self-test can check
 * that a guest which panics turns the run red with the panic's message.
 */
#include <linux/module.h>
#include <linux/panic.h>

static int __init klp_harness_panic_init(void)
{
	panic("klp-harness-selftest: panic on purpose");
	return 0;
}
module_init(klp_harness_panic_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpcore harness self-test: panic at load time");
