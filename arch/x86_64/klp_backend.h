/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpcore backend for x86_64; its rules are in arch/x86_64/README.rst.
 *
 * All three hooks are the kernel's own (../klp_kernel_hooks.h):
 * - the walk: the ORC unwinder's reliable mode, which fails closed on
 *   every hazard of the contract;
 * - the resume address: the fentry trampoline reloads RIP from
 *   ftrace_regs;
 * - the ftrace site: ftrace_location() finds the fentry call, after
 *   ENDBR when IBT is on.
 */
#ifndef _KLPCORE_BACKEND_X86_64_H
#define _KLPCORE_BACKEND_X86_64_H

#define KLP_ARCH_NAME		"x86_64 (ORC)"
#define KLP_ARCH_EXIT_HOOK	"generic entry, kernel/entry/common.c"

#include "../klp_kernel_hooks.h"

#endif /* _KLPCORE_BACKEND_X86_64_H */
