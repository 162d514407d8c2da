/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpcore backend for s390x (see Documentation/backend-contract.rst and
 * arch/s390/README.rst for the reliability rules).
 */
#ifndef _KLPCORE_BACKEND_S390_H
#define _KLPCORE_BACKEND_S390_H

#include <linux/ftrace.h>
#include <linux/stacktrace.h>

#define KLP_ARCH_NAME		"s390x (back chain)"
#define KLP_ARCH_EXIT_HOOK	"generic entry, kernel/entry/common.c"

/*
 * The kernel is built with -mbackchain; the back-chain unwinder's
 * reliable mode checks every frame (see README.rst).
 */
static inline int klp_arch_walk_reliable(struct task_struct *task,
					 klp_walk_fn fn, void *cookie)
{
	return arch_stack_walk_reliable(fn, cookie, task);
}

#define klp_arch_walk_reliable klp_arch_walk_reliable

/* The ftrace trampoline branches to the PSW address in ftrace_regs. */
static __always_inline void klp_arch_set_pc(struct ftrace_regs *fregs,
					    unsigned long pc)
{
	ftrace_regs_set_instruction_pointer(fregs, pc);
}

#define klp_arch_set_pc klp_arch_set_pc

static inline unsigned long klp_arch_ftrace_location(unsigned long func_addr)
{
	return ftrace_location(func_addr);
}

#define klp_arch_ftrace_location klp_arch_ftrace_location

#endif /* _KLPCORE_BACKEND_S390_H */
