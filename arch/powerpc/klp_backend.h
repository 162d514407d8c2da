/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpcore backend for ppc64le (see Documentation/backend-contract.rst and
 * arch/powerpc/README.rst for the reliability rules).
 */
#ifndef _KLPCORE_BACKEND_POWERPC_H
#define _KLPCORE_BACKEND_POWERPC_H

#include <linux/ftrace.h>
#include <linux/stacktrace.h>

#define KLP_ARCH_NAME		"ppc64le (back chain)"
#define KLP_ARCH_EXIT_HOOK	"do_notify_resume(), arch/powerpc/kernel/signal.c"

/*
 * The back-chain walker's reliable mode checks each frame and ends at the
 * exception frame of the task's entry from user space (see README.rst).
 */
static inline int klp_arch_walk_reliable(struct task_struct *task,
					 klp_walk_fn fn, void *cookie)
{
	return arch_stack_walk_reliable(fn, cookie, task);
}

#define klp_arch_walk_reliable klp_arch_walk_reliable

/*
 * The -mprofile-kernel trampoline compares the NIP in ftrace_regs with
 * the traced function; when it changed, it calls the replacement through
 * livepatch_handler (arch/powerpc/kernel/trace/ftrace_entry.S), which
 * keeps the caller's TOC and LR on the per-thread livepatch stack.
 */
static __always_inline void klp_arch_set_pc(struct ftrace_regs *fregs,
					    unsigned long pc)
{
	ftrace_regs_set_instruction_pointer(fregs, pc);
}

#define klp_arch_set_pc klp_arch_set_pc

/*
 * ELFv2 functions have a global and a local entry point; the profiling
 * call sits after the local one. ftrace_location() maps the symbol (the
 * global entry) to the call site anywhere inside the function.
 */
static inline unsigned long klp_arch_ftrace_location(unsigned long func_addr)
{
	return ftrace_location(func_addr);
}

#define klp_arch_ftrace_location klp_arch_ftrace_location

#endif /* _KLPCORE_BACKEND_POWERPC_H */
