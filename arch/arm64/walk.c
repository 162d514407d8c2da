// SPDX-License-Identifier: GPL-2.0
/*
 * walk.c - klpcore's reliable stack walk for arm64
 *
 * Every arm64 kernel function that calls another keeps a frame record,
 * two words { caller's x29, return address }, and points x29 at it, so
 * that the records of a stack form a chain from the innermost frame
 * outwards (the kernel always builds with frame pointers). Entry code
 * ends every task's chain in a record inside the task's pt_regs at the
 * top of its stack: zero for an entry from user space and for a new
 * task, a link to the interrupted frame for an exception taken in the
 * kernel. The walk follows the chain and trusts it only as far as it can
 * check it; the rules are listed at klp_arm64_walk_records() and argued
 * in Documentation/arch/arm64.rst.
 */
#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>

#include <asm/pointer_auth.h>
#include <asm/traps.h>

#include "klp_arch.h"
#include "walk.h"

/* Map the ftrace-graph return trampoline back to the real caller. */
static unsigned long klp_arm64_graph_caller(struct klp_arm64_stack *stk,
					    unsigned long fp, unsigned long pc)
{
#ifdef CONFIG_FUNCTION_GRAPH_TRACER
	unsigned long real;

	if (pc != (unsigned long)return_to_handler)
		return pc;
	if (!stk->task->ret_stack)
		return 0;
	real = ftrace_graph_ret_addr(stk->task, &stk->graph_idx, pc,
				     (unsigned long *)fp);
	return real == pc ? 0 : real;
#else
	return pc;
#endif
}

/* Map the kretprobe trampoline back to the real caller. */
static unsigned long klp_arm64_kretprobe_caller(struct klp_arm64_stack *stk,
						unsigned long fp,
						unsigned long pc)
{
#ifdef CONFIG_KRETPROBES
	if (!is_kretprobe_trampoline(pc))
		return pc;
	return kretprobe_find_ret_addr(stk->task, (void *)fp, &stk->kr_cur);
#else
	return pc;
#endif
}

/*
 * The return address a record holds, as the caller's address in kernel
 * text, or 0 when it cannot be trusted to be one.
 */
static unsigned long klp_arm64_trusted_pc(struct klp_arm64_stack *stk,
					  unsigned long fp, unsigned long pc)
{
	pc = ptrauth_strip_kernel_insn_pac(pc);
	pc = klp_arm64_graph_caller(stk, fp, pc);
	if (pc)
		pc = klp_arm64_kretprobe_caller(stk, fp, pc);
	if (!pc || !__kernel_text_address(pc))
		return 0;
	return pc;
}

/* The record that ends a chain holds nothing: no caller, no link. */
static bool klp_arm64_record_is_final(unsigned long fp)
{
	return !READ_ONCE_NOCHECK(*(unsigned long *)fp) &&
	       !READ_ONCE_NOCHECK(*(unsigned long *)(fp + 8));
}

/**
 * klp_arm64_walk_records() - follow a chain of frame records, reliably
 * @stk:	the stack the chain must stay on, and where it must end
 * @fp:		address of the first frame record
 * @pc:		address the walk starts at (saved pc, or the walker's own)
 * @fn:		called for every address, innermost first
 * @cookie:	passed to @fn
 *
 * Rules, each one a reason to give up (Documentation/arch/arm64.rst):
 *
 * 1. every address must be kernel text once pointer authentication is
 *    stripped; ftrace-graph and kretprobe trampolines count only when
 *    they map back to the real caller;
 * 2. a return address in entry text is a register frame: it ends the
 *    walk successfully only at the final record, anywhere else it is an
 *    exception boundary whose interrupted frame cannot be trusted;
 * 3. a record must be 8-byte aligned and lie wholly on the stack;
 * 4. the next record must lie above this one (no loops, no overlap);
 * 5. the walk succeeds only at the final record, and only if that one is
 *    empty (entry from user space, or a task that never ran).
 *
 * Context: @stk's task is current or cannot run (see klp_arch.h).
 * Return: 0 for a complete walk, -EINVAL otherwise.
 */
int klp_arm64_walk_records(struct klp_arm64_stack *stk, unsigned long fp,
			   unsigned long pc, klp_walk_fn fn, void *cookie)
{
	unsigned long next;

	for (;;) {
		pc = klp_arm64_trusted_pc(stk, fp, pc);
		if (!pc || !fn(cookie, pc))
			return -EINVAL;

		if (fp == stk->final)
			return klp_arm64_record_is_final(fp) ? 0 : -EINVAL;
		if (in_entry_text(pc))
			return -EINVAL;

		if (!IS_ALIGNED(fp, 8) || fp < stk->low ||
		    fp > stk->high - 16)
			return -EINVAL;
		next = READ_ONCE_NOCHECK(*(unsigned long *)fp);
		pc = READ_ONCE_NOCHECK(*(unsigned long *)(fp + 8));
		if (next < fp + 16)
			return -EINVAL;
		fp = next;
	}
}

/**
 * klp_arm64_walk_reliable() - the arm64 backend's klp_arch_walk_reliable()
 * @task:	current, or a task that cannot run meanwhile
 * @fn:		called for every return address, innermost first
 * @cookie:	passed to @fn
 *
 * Only @task's own stack is accepted: a blocked task's records are all
 * there, and current is walked from process context. A chain that leaves
 * it (IRQ, overflow or SDEI stack) fails rule 3.
 *
 * Return: 0 for a complete and trustworthy walk, -EINVAL otherwise.
 */
noinline int klp_arm64_walk_reliable(struct task_struct *task, klp_walk_fn fn,
				     void *cookie)
{
	struct klp_arm64_stack stk = { .task = task };
	unsigned long fp, pc;

	stk.low = (unsigned long)task_stack_page(task);
	stk.high = stk.low + THREAD_SIZE;
	stk.final = (unsigned long)task_pt_regs(task)->stackframe;

	if (task == current) {
		fp = (unsigned long)__builtin_frame_address(0);
		pc = _THIS_IP_;
	} else {
		fp = thread_saved_fp(task);
		pc = thread_saved_pc(task);
	}
	return klp_arm64_walk_records(&stk, fp, pc, fn, cookie);
}
