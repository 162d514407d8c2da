// SPDX-License-Identifier: GPL-2.0
/*
 * arch.c - the architectures objtool-ext knows, and functions that never
 * return
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdlib.h>
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

void insn_add_op(struct insn *in, struct stack_op op)
{
	if (in->nr_ops < MAX_OPS)
		in->ops[in->nr_ops++] = op;
}

bool str_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

struct cs_handle *cs_handle_open(int cs_arch, int cs_mode,
				 unsigned int nr_regs,
				 int8_t (*map)(const char *name))
{
	struct cs_handle *h = calloc(1, sizeof(*h) + nr_regs);
	csh cs;
	unsigned int r;

	if (!h)
		return NULL;
	if (cs_open(cs_arch, cs_mode, &cs) != CS_ERR_OK) {
		free(h);
		return NULL;
	}
	h->cs = cs;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	h->ci = cs_malloc(cs);
	if (!h->ci) {
		cs_close(&cs);
		free(h);
		return NULL;
	}
	h->nr_regs = nr_regs;
	for (r = 0; r < nr_regs; r++)
		h->regmap[r] = map(cs_reg_name(cs, r));
	return h;
}

void cs_handle_close(void *handle)
{
	struct cs_handle *h = handle;
	csh cs = h->cs;

	cs_free(h->ci, 1);
	cs_close(&cs);
	free(h);
}

int8_t cs_handle_reg(const struct cs_handle *h, unsigned int r)
{
	return r < h->nr_regs ? h->regmap[r] : REG_NONE;
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
