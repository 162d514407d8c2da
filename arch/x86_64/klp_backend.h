/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpcore backend for x86_64 (see Documentation/backend-contract.rst and
 * arch/x86_64/README.rst for the reliability rules).
 */
#ifndef _KLPCORE_BACKEND_X86_64_H
#define _KLPCORE_BACKEND_X86_64_H

#include <linux/ftrace.h>
#include <linux/stacktrace.h>

#define KLP_ARCH_NAME		"x86_64 (ORC)"
#define KLP_ARCH_EXIT_HOOK	"generic entry, kernel/entry/common.c"

/*
 * The ORC unwinder's reliable mode already fails closed on every hazard
 * the contract lists (see README.rst); the backend only hands it the
 * consumer.
 */
static inline int klp_arch_walk_reliable(struct task_struct *task,
					 klp_walk_fn fn, void *cookie)
{
	return arch_stack_walk_reliable(fn, cookie, task);
}

#define klp_arch_walk_reliable klp_arch_walk_reliable

/* The fentry trampoline reloads RIP from ftrace_regs on return. */
static __always_inline void klp_arch_set_pc(struct ftrace_regs *fregs,
					    unsigned long pc)
{
	ftrace_regs_set_instruction_pointer(fregs, pc);
}

#define klp_arch_set_pc klp_arch_set_pc

/* With IBT the fentry call follows ENDBR; ftrace_location() knows. */
static inline unsigned long klp_arch_ftrace_location(unsigned long func_addr)
{
	return ftrace_location(func_addr);
}

#define klp_arch_ftrace_location klp_arch_ftrace_location

#endif /* _KLPCORE_BACKEND_X86_64_H */
