/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpcore backend for arm64; its rules are in arch/arm64/README.rst and
 * Documentation/arch/arm64.rst.
 *
 * - the walk: this backend's own (walk.c), over the frame records that
 *   arm64 kernel code always keeps; 6.12 has no reliable unwinder;
 * - the resume address: ftrace_caller (DYNAMIC_FTRACE_WITH_ARGS) returns
 *   to the pc in ftrace_regs, set with the kernel's helper;
 * - the ftrace site: ftrace_location() finds the patchable-function-entry
 *   site of a function, after its BTI landing pad if there is one.
 *
 * TIF_PATCH_PENDING and the exit-to-user call come from kernel-6.12.patch.
 */
#ifndef _KLPCORE_BACKEND_ARM64_H
#define _KLPCORE_BACKEND_ARM64_H

#define KLP_ARCH_NAME		"arm64 (frame records)"
#define KLP_ARCH_EXIT_HOOK	"do_notify_resume(), arch/arm64/kernel/entry-common.c"

int klp_arm64_walk_reliable(struct task_struct *task, klp_walk_fn fn,
			    void *cookie);

static inline int klp_arch_walk_reliable(struct task_struct *task,
					 klp_walk_fn fn, void *cookie)
{
	return klp_arm64_walk_reliable(task, fn, cookie);
}

#define klp_arch_walk_reliable klp_arch_walk_reliable

#include "../klp_kernel_hooks.h"

#endif /* _KLPCORE_BACKEND_ARM64_H */
