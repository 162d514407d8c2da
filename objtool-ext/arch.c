// SPDX-License-Identifier: GPL-2.0
/*
 * arch.c - the architectures objtool-ext knows, and functions that never
 * return
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "objtool-ext.h"

const struct arch *arch_for_machine(int machine)
{
	static const struct arch *const all[] = {
		&arch_arm64, &arch_ppc64, &arch_s390,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i]->machine == machine)
			return all[i];
	return NULL;
}

/* "mnemonic operands", cut to fit the message buffer. */
void insn_set_text(struct insn *in, const char *mnemonic, const char *ops)
{
	int room = (int)sizeof(in->text) - 1;
	int n = snprintf(in->text, sizeof(in->text), "%.*s", room, mnemonic);

	if (ops[0] && n < room)
		snprintf(in->text + n, sizeof(in->text) - n, " %.*s",
			 room - n - 1, ops);
}

/*
 * Kernel functions declared __noreturn that code calls without caring
 * what follows (the compiler leaves no epilogue after such a call). A
 * function of the checked object itself is found to be noreturn by
 * analysis; this list is for the ones defined elsewhere.
 */
static const char *const noreturns[] = {
	"__module_put_and_kthread_exit",
	"__stack_chk_fail",
	"__ubsan_handle_builtin_unreachable",
	"arch_cpu_idle_dead",
	"cpu_startup_entry",
	"cpu_die",
	"do_exit",
	"do_group_exit",
	"do_task_dead",
	"hlt_play_dead",
	"kthread_complete_and_exit",
	"kthread_exit",
	"kunit_try_catch_throw",
	"machine_real_restart",
	"make_task_dead",
	"nmi_panic_self_stop",
	"panic",
	"panic_smp_self_stop",
	"rest_init",
	"rewind_stack_and_make_dead",
	"start_kernel",
	"stop_this_cpu",
	"usercopy_abort",
	"x86_64_start_kernel",
	"x86_64_start_reservations",
	"__fortify_panic",
	"arm64_serror_panic",
	"panic_bad_stack",
	"disabled_wait",
};

bool known_noreturn(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(noreturns); i++)
		if (!strcmp(noreturns[i], name))
			return true;
	return false;
}
