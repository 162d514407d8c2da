// SPDX-License-Identifier: GPL-2.0
/*
 * arch_s390.c - s390x instructions as neutral operations, and the s390x
 * back-chain protocol
 *
 * Registers: r0..r15 are 0..15; r15 is the stack pointer, r14 holds the
 * return address.
 *
 * Protocol (the kernel builds with -mbackchain -mpacked-stack): a
 * function that calls out has saved r14 in its caller's register save
 * area, allocated its frame (r15 moved down) and stored the back chain,
 * the caller's r15, in the new frame's back-chain slot, 152 bytes above
 * the new r15 with the packed layout, all before its first call; it frees
 * the frame only after its last call.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objtool-ext.h"

#define S390_SP		15
#define S390_RA		14
#define S390_BACKCHAIN	152

static int8_t map_name(const char *n)
{
	char *end;
	long r;

	if (!n)
		return REG_NONE;
	if (n[0] == 'r' || n[0] == '%')
		n++;
	r = strtol(n, &end, 10);
	if (end == n || *end || r < 0 || r > 15)
		return REG_NONE;
	return (int8_t)r;
}

static void *s390_open(void)
{
	return cs_handle_open(CS_ARCH_SYSZ, CS_MODE_BIG_ENDIAN, SYSZ_REG_ENDING, map_name);
}

/* A base+displacement operand without an index register. */
static bool simple_mem(const cs_sysz_op *o)
{
	return o->type == SYSZ_OP_MEM && !o->mem.index;
}

/* stmg/lmg: one store or load per register of the range. */
static void multiple(const struct cs_handle *h, const cs_sysz *d, bool store,
		     struct insn *in)
{
	int first = cs_handle_reg(h, d->operands[0].reg);
	int last = cs_handle_reg(h, d->operands[1].reg);
	int8_t base = cs_handle_reg(h, d->operands[2].mem.base);
	int64_t disp = d->operands[2].mem.disp;
	int r, i;

	if (first < 0 || last < 0)
		return;
	for (i = 0, r = first; i < 16; i++, r = (r + 1) & 15) {
		if (store)
			insn_add_op(in, (struct stack_op){ .kind = OP_STORE,
				.src = r, .base = base, .imm = disp + 8 * i,
				.size = 8 });
		else
			insn_add_op(in, (struct stack_op){ .kind = OP_LOAD,
				.dst = r, .base = base, .imm = disp + 8 * i,
				.src = REG_NONE });
		if (r == last)
			break;
	}
}

/*
 * capstone 4 does not know the privileged instructions that kernel code
 * uses in inline assembly (mc, lpswe, ssm, stnsm, diag, ...). Their
 * length follows from the first two bits of the opcode (architecture,
 * not decoding): 00 two bytes, 01 and 10 four, 11 six. mc (BUG()) and
 * the PSW loads never continue; the others are taken to leave the frame
 * registers alone.
 */
static int privileged(const uint8_t *code, size_t len, struct insn *in)
{
	static const uint8_t lengths[4] = { 2, 4, 4, 6 };
	int n;

	if (!len)
		return 0;
	n = lengths[code[0] >> 6];
	if ((size_t)n > len)
		return 0;
	snprintf(in->text, sizeof(in->text), ".insn 0x%02x%02x", code[0],
		 n > 1 ? code[1] : 0);
	in->kind = INSN_OTHER;
	if (code[0] == 0xaf || code[0] == 0x82 ||
	    (code[0] == 0xb2 && code[1] == 0xb2))
		in->kind = INSN_TRAP;		/* mc, lpsw, lpswe */
	return n;
}

static int s390_decode(void *handle, const uint8_t *code, size_t len,
		       uint64_t off, struct insn *in)
{
	struct cs_handle *h = handle;
	const uint8_t *p = code;
	size_t left = len < 6 ? len : 6;
	uint64_t addr = off;
	const cs_sysz *d;
	cs_insn *ci = h->ci;
	const cs_sysz_op *last;
	const char *m;
	int n;

	if (!cs_disasm_iter((csh)h->cs, &p, &left, &addr, ci))
		return privileged(code, len, in);
	n = ci->size;
	d = &ci->detail->sysz;
	m = ci->mnemonic;
	last = d->op_count ? &d->operands[d->op_count - 1] : NULL;
	insn_set_text(in, m, ci->op_str);
	in->kind = INSN_OTHER;

	switch (ci->id) {
	case SYSZ_INS_BRASL: case SYSZ_INS_BRAS:
	case SYSZ_INS_BASR:
		if (cs_handle_reg(h, d->operands[0].reg) != S390_RA) {
			/* a link in another register: not a call */
			insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
				.dst = cs_handle_reg(h, d->operands[0].reg) });
			return n;
		}
		in->kind = INSN_CALL;
		if (last && last->type == SYSZ_OP_IMM) {
			in->has_target = true;
			in->target = last->imm;
		}
		return n;
	case SYSZ_INS_BR:
		in->kind = cs_handle_reg(h, d->operands[0].reg) == S390_RA ?
			   INSN_RETURN : INSN_JUMP_DYN;
		return n;
	case SYSZ_INS_J: case SYSZ_INS_JG:
		in->kind = INSN_JUMP;
		in->has_target = true;
		in->target = last->imm;
		return n;
	case SYSZ_INS_STMG:
		multiple(h, d, true, in);
		return n;
	case SYSZ_INS_LMG:
		multiple(h, d, false, in);
		return n;
	default:
		break;
	}

	/* Conditional branches (jne, jgh, brctg, cgijne, ...) to a label. */
	if (last && last->type == SYSZ_OP_IMM && d->op_count &&
	    (m[0] == 'j' || strchr(m, 'j') || str_starts(m, "brct"))) {
		in->kind = INSN_JUMP_COND;
		in->has_target = true;
		in->target = last->imm;
		return n;
	}
	/* Conditional returns (ber %r14, bner %r14, ...). */
	if (m[0] == 'b' && m[strlen(m) - 1] == 'r' && d->op_count == 1 &&
	    d->operands[0].type == SYSZ_OP_REG) {
		if (cs_handle_reg(h, d->operands[0].reg) == S390_RA) {
			in->kind = INSN_RETURN;
			in->cond = true;
		}
		return n;
	}

	if (!strcmp(m, "lgr") && d->op_count == 2) {
		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE,
			.dst = cs_handle_reg(h, d->operands[0].reg),
			.src = cs_handle_reg(h, d->operands[1].reg) });
		return n;
	}
	if ((!strcmp(m, "la") || !strcmp(m, "lay")) && d->op_count == 2 &&
	    simple_mem(&d->operands[1])) {
		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE,
			.dst = cs_handle_reg(h, d->operands[0].reg),
			.src = cs_handle_reg(h, d->operands[1].mem.base),
			.imm = d->operands[1].mem.disp });
		return n;
	}
	if ((!strcmp(m, "aghi") || !strcmp(m, "agfi")) && d->op_count == 2) {
		int8_t r = cs_handle_reg(h, d->operands[0].reg);

		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE, .dst = r,
			.src = r, .imm = d->operands[1].imm });
		return n;
	}
	if (!strcmp(m, "aghik") && d->op_count == 3) {
		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE,
			.dst = cs_handle_reg(h, d->operands[0].reg),
			.src = cs_handle_reg(h, d->operands[1].reg),
			.imm = d->operands[2].imm });
		return n;
	}
	if (!strcmp(m, "slgfi") && d->op_count == 2) {
		int8_t r = cs_handle_reg(h, d->operands[0].reg);

		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE, .dst = r,
			.src = r,
			.imm = (int64_t)(0 - (uint64_t)d->operands[1].imm) });
		return n;
	}
	if (d->op_count == 2 && simple_mem(&d->operands[1]) &&
	    d->operands[0].type == SYSZ_OP_REG) {
		uint8_t size = 0;

		if (!strcmp(m, "stg"))
			size = 8;
		else if (!strcmp(m, "st") || !strcmp(m, "sty"))
			size = 4;
		else if (!strcmp(m, "sth") || !strcmp(m, "sthy"))
			size = 2;
		else if (!strcmp(m, "stc") || !strcmp(m, "stcy"))
			size = 1;
		if (size) {
			insn_add_op(in, (struct stack_op){ .kind = OP_STORE,
				.src = cs_handle_reg(h, d->operands[0].reg),
				.base = cs_handle_reg(h, d->operands[1].mem.base),
				.imm = d->operands[1].mem.disp,
				.size = size });
			return n;
		}
		if (!strcmp(m, "lg")) {
			insn_add_op(in, (struct stack_op){ .kind = OP_LOAD,
				.dst = cs_handle_reg(h, d->operands[0].reg),
				.base = cs_handle_reg(h, d->operands[1].mem.base),
				.imm = d->operands[1].mem.disp,
				.src = REG_NONE });
			return n;
		}
	}

	/*
	 * Others write their first register operand, except stores,
	 * compares, tests and branches.
	 */
	if (d->op_count && d->operands[0].type == SYSZ_OP_REG &&
	    !str_starts(m, "st") && !str_starts(m, "c") && !str_starts(m, "t") &&
	    !str_starts(m, "b") && !str_starts(m, "j") && !str_starts(m, "mvc"))
		insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
			.dst = cs_handle_reg(h, d->operands[0].reg) });
	return n;
}

static const char *s390_framed(const struct frame_state *st)
{
	const struct val *sp = &st->reg[S390_SP];
	const struct slot *chain;

	if (!state_slot_holding(st, VAL_ENTRY_RA, 0))
		return "r14 (the return address) not saved";
	if (sp->kind != VAL_STACK || sp->off >= 0)
		return "no stack frame allocated";
	chain = state_slot(st, off_add(sp->off, S390_BACKCHAIN));
	if (!chain || chain->val.kind != VAL_STACK || chain->val.off != 0)
		return "no back chain in the frame";
	return NULL;
}

const struct arch arch_s390 = {
	.name = "s390x",
	.machine = EM_S390,
	.sp = S390_SP,
	.fp = REG_NONE,
	.ra = S390_RA,
	.word = 8,
	.ra_slot = 136,
	.callee_saved = 0x3fc0ULL,	/* r6..r13 */
	.sp_slot = 144,
	.backchain = S390_BACKCHAIN,
	.min_insn = 2,
	.decode = s390_decode,
	.open = s390_open,
	.close = cs_handle_close,
	.framed = s390_framed,
};
