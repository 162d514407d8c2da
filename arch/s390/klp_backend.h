/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpcore backend for s390x; its rules are in arch/s390/README.rst.
 *
 * All three hooks are the kernel's own (../klp_kernel_hooks.h):
 * - the walk: the back-chain unwinder's reliable mode (the kernel is
 *   built with -mbackchain), which checks every frame;
 * - the resume address: the ftrace trampoline branches to the PSW
 *   address in ftrace_regs;
 * - the ftrace site: ftrace_location().
 */
#ifndef _KLPCORE_BACKEND_S390_H
#define _KLPCORE_BACKEND_S390_H

#define KLP_ARCH_NAME		"s390x (back chain)"
#define KLP_ARCH_EXIT_HOOK	"generic entry, kernel/entry/common.c"

#include "../klp_kernel_hooks.h"

#endif /* _KLPCORE_BACKEND_S390_H */
