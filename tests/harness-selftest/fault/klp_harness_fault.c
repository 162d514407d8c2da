// SPDX-License-Identifier: GPL-2.0
/*
 * Faults for the harness's self-test, chosen with kind=:
 *
 *   warn        a WARNING in the kernel log; the module loads fine
 *   lockdep     the same two locks taken in both orders, which lockdep
 *               reports as a possible circular dependency (debug kernels)
 *   panic       a panic at once; test-fault.sh loads it with this kind
 *               only once its own test has passed and the kselftest
 *               runner has ended
 *
 * Each one must turn the run red although every test passes.
 */
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *kind = "";
module_param(kind, charp, 0400);
MODULE_PARM_DESC(kind, "warn, lockdep or panic");

static DEFINE_SPINLOCK(klp_fault_a);
static DEFINE_SPINLOCK(klp_fault_b);

static void klp_fault_inversion(void)
{
	spin_lock(&klp_fault_a);
	spin_lock(&klp_fault_b);
	spin_unlock(&klp_fault_b);
	spin_unlock(&klp_fault_a);

	spin_lock(&klp_fault_b);
	spin_lock(&klp_fault_a);
	spin_unlock(&klp_fault_a);
	spin_unlock(&klp_fault_b);
}

static int __init klp_harness_fault_init(void)
{
	if (!strcmp(kind, "warn"))
		WARN(1, "klp-harness-selftest: warning on purpose\n");
	else if (!strcmp(kind, "lockdep"))
		klp_fault_inversion();
	else if (!strcmp(kind, "panic"))
		panic("klp-harness-selftest: panic after the last test");
	else
		return -EINVAL;
	return 0;
}
module_init(klp_harness_fault_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpcore harness self-test: faults behind passing tests");
