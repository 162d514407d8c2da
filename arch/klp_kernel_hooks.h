/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klp_kernel_hooks.h - the contract's hooks from what the kernel has
 *
 * For a backend whose kernel already provides all three pieces, each
 * meeting the contract (Documentation/backend-contract.rst):
 *
 *   arch_stack_walk_reliable()            the reliable walk, failing closed
 *   ftrace_regs_set_instruction_pointer() a real resume address, not the
 *                                         no-op default of linux/ftrace.h
 *   ftrace_location()                     symbol address -> ftrace site
 *
 * A backend includes this only after checking, in its README.rst, that
 * its kernel's versions keep the contract; it still states its own
 * KLP_ARCH_NAME and KLP_ARCH_EXIT_HOOK. A backend that brings its own
 * walk (arm64) defines klp_arch_walk_reliable before including this
 * header and takes only the other two hooks from here.
 */
#ifndef _KLPCORE_KERNEL_HOOKS_H
#define _KLPCORE_KERNEL_HOOKS_H

#include <linux/ftrace.h>
#include <linux/stacktrace.h>

#ifndef klp_arch_walk_reliable
/*
 * The kernel's walk keeps the contract only where the kernel vouches for
 * it. Without HAVE_RELIABLE_STACKTRACE (x86_64 with the guess unwinder,
 * or frame pointers without objtool's validation) the function exists
 * and succeeds on stacks it has only guessed, so a task could switch
 * while inside a function being replaced: refuse to build instead.
 */
#if !IS_ENABLED(CONFIG_HAVE_RELIABLE_STACKTRACE)
#error "klpcore: this kernel's stack unwinder is not reliable" \
	" (CONFIG_HAVE_RELIABLE_STACKTRACE=n; x86_64: use CONFIG_UNWINDER_ORC)"
#endif

static inline int klp_arch_walk_reliable(struct task_struct *task,
					 klp_walk_fn fn, void *cookie)
{
	return arch_stack_walk_reliable(fn, cookie, task);
}

#define klp_arch_walk_reliable klp_arch_walk_reliable
#endif

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

#endif /* _KLPCORE_KERNEL_HOOKS_H */
