/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpcore backend for ppc64le; its rules are in arch/powerpc/README.rst.
 *
 * All three hooks are the kernel's own (../klp_kernel_hooks.h):
 * - the walk: the back-chain walker's reliable mode, which checks each
 *   frame and ends at the task's entry frame;
 * - the resume address: the -mprofile-kernel trampoline compares the NIP
 *   in ftrace_regs with the traced function and, when it changed, calls
 *   the replacement through livepatch_handler
 *   (arch/powerpc/kernel/trace/ftrace_entry.S), which keeps the caller's
 *   TOC and LR on the per-thread livepatch stack;
 * - the ftrace site: ELFv2 functions have a global and a local entry;
 *   ftrace_location() maps the symbol (the global entry) to the
 *   profiling call after the local one.
 */
#ifndef _KLPCORE_BACKEND_POWERPC_H
#define _KLPCORE_BACKEND_POWERPC_H

#define KLP_ARCH_NAME		"ppc64le (back chain)"
#define KLP_ARCH_EXIT_HOOK	"do_notify_resume(), arch/powerpc/kernel/signal.c"

#include "../klp_kernel_hooks.h"

#endif /* _KLPCORE_BACKEND_POWERPC_H */
