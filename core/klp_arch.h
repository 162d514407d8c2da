/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klp_arch.h - the contract between the klpcore core and an architecture
 *
 * This is the only place where the core meets architecture code. Each
 * backend lives in arch/<name>/ of the klpcore tree and provides the
 * header <klp_backend.h>, which the build puts on the include path of the
 * core. The backend defines every hook below as a static inline function
 * (or a function declared there) and announces it with
 *
 *	#define klp_arch_hook klp_arch_hook
 *
 * All hooks are mandatory; none has a default. A backend that forgets one
 * fails the build here, never silently at run time: the two safety hooks
 * (the reliable walk and setting the resume address) in particular must
 * never turn into a no-op.
 *
 * See Documentation/backend-contract.rst for the rules behind each hook.
 */
#ifndef _KLPCORE_ARCH_H
#define _KLPCORE_ARCH_H

#include <linux/ftrace.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>
#include <linux/thread_info.h>

/**
 * typedef klp_walk_fn - consumer of one return address of a stack walk
 * @cookie:	the core's private state, passed through unchanged
 * @addr:	a return address (or the task's saved PC) found on the stack
 *
 * Return: true to continue the walk, false to stop it. A walk that the
 * consumer stops is not a complete walk and must return an error.
 */
typedef bool (*klp_walk_fn)(void *cookie, unsigned long addr);

/**
 * klp_arch_walk_reliable() - walk the kernel stack of a task, reliably
 * @task:	a task that is not running, or current
 * @fn:		called for every return address, innermost first
 * @cookie:	passed to @fn
 *
 * Context: the core has pinned @task's stack (try_get_task_stack()) and
 * either holds @task's runqueue lock with @task not on a CPU
 * (task_call_func()), or @task is current with preemption disabled. Must
 * not sleep, allocate or take locks that the scheduler may hold.
 *
 * The walk must fail closed. It returns 0 only when it reached the final
 * frame of @task's kernel stack (the user-mode register frame of a user
 * task, or the known bottom frame of a kthread) and every frame on the way
 * was trustworthy. It returns -EINVAL at anything else: an exception or
 * interrupt frame in the middle of the stack, a return address outside
 * kernel text, an ftrace-graph or kretprobe return trampoline it cannot
 * resolve to the real caller, a frame pointer that is misaligned, outside
 * the task's stack or not moving towards the stack's base, missing unwind
 * metadata, or @fn returning false.
 *
 * Mandatory. The core never asks the kernel whether it has a reliable
 * unwinder (klp_have_reliable_stack(), HAVE_RELIABLE_STACKTRACE): this
 * hook is the answer, and a backend may bring its own walk where the
 * kernel has none (arm64 on 6.12).
 *
 * Return: 0 for a complete and trustworthy walk, -EINVAL otherwise.
 */
static inline int klp_arch_walk_reliable(struct task_struct *task,
					 klp_walk_fn fn, void *cookie);

/**
 * klp_arch_set_pc() - continue a traced function in its replacement
 * @fregs:	the registers that the ftrace trampoline saved
 * @pc:		the address of the replacement function
 *
 * Context: the klpcore ftrace handler, preemption disabled, any context in
 * which the patched function may run (including NMI on some
 * architectures). Must not fail.
 *
 * After the handler returns, the trampoline resumes at @pc with the
 * arguments of the original call intact, so that the replacement runs in
 * place of the patched function and returns to its caller.
 *
 * Mandatory; there is no safe default.
 */
static __always_inline void klp_arch_set_pc(struct ftrace_regs *fregs,
					    unsigned long pc);

/**
 * klp_arch_ftrace_location() - the ftrace site of a function
 * @func_addr:	the function's address as kallsyms gives it
 *
 * Context: process context, klp_mutex held.
 *
 * Architectures whose ABI has several entry points (ppc64 ELFv2: global
 * and local entry) map the symbol address to the one site that every call
 * passes.
 *
 * Return: the address of the patchable call site (fentry, mcount,
 * patchable entry) that ftrace knows for this function, or 0 when the
 * function cannot be traced.
 *
 * Mandatory (usually one line: ftrace_location()).
 */
static inline unsigned long klp_arch_ftrace_location(unsigned long func_addr);

#include <klp_backend.h>

#ifndef klp_arch_walk_reliable
#error "klpcore backend: klp_arch_walk_reliable() is mandatory"
#endif
#ifndef klp_arch_set_pc
#error "klpcore backend: klp_arch_set_pc() is mandatory"
#endif
#ifndef klp_arch_ftrace_location
#error "klpcore backend: klp_arch_ftrace_location() is mandatory"
#endif

/*
 * KLP_ARCH_NAME - the backend's name, printed once at boot.
 * KLP_ARCH_EXIT_HOOK - where the architecture calls klp_update_patch_state()
 * on the way back to user space when TIF_PATCH_PENDING is set: a fact of
 * the kernel it is built into, stated by the backend in one line and
 * printed at boot. Both mandatory.
 */
#ifndef KLP_ARCH_NAME
#error "klpcore backend: KLP_ARCH_NAME is mandatory"
#endif
#ifndef KLP_ARCH_EXIT_HOOK
#error "klpcore backend: KLP_ARCH_EXIT_HOOK is mandatory"
#endif

/* The thread flag that marks a task still to switch. */
#ifndef TIF_PATCH_PENDING
#error "klpcore: the architecture defines no TIF_PATCH_PENDING"
#endif

#endif /* _KLPCORE_ARCH_H */
