// SPDX-License-Identifier: GPL-2.0
/*
 * arch_arm64.c - arm64 instructions as neutral operations, and the arm64
 * frame protocol
 *
 * Registers: x0..x30 are 0..30 (w views map to the same number), sp is
 * 31; x29 is the frame pointer, x30 the link register.
 *
 * Protocol (AAPCS64 frame records, the kernel always keeps them): before
 * any call a function has stored the pair { x29, x30 } as it got them
 * (the caller's frame pointer and its own return address) in a frame
 * record on its stack and pointed x29 at it; it keeps the record intact
 * until it takes it down, and nothing else writes x29.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objtool-ext.h"

#define A64_SP	31
#define A64_FP	29
#define A64_LR	30

static int8_t map_name(const char *n)
{
	char *end;
	long r;

	if (!n)
		return REG_NONE;
	if (!strcmp(n, "sp") || !strcmp(n, "wsp"))
		return A64_SP;
	if (!strcmp(n, "fp"))
		return A64_FP;
	if (!strcmp(n, "lr"))
		return A64_LR;
	if (n[0] != 'x' && n[0] != 'w')
		return REG_NONE;
	r = strtol(n + 1, &end, 10);
	if (end == n + 1 || *end || r < 0 || r > 30)
		return REG_NONE;
	return (int8_t)r;
}

static void *a64_open(void)
{
	return cs_handle_open(CS_ARCH_ARM64, CS_MODE_ARM, ARM64_REG_ENDING, map_name);
}

/* Bytes a register holds: x 8, w 4, and the SIMD views q/d/s/h/b. */
static uint8_t reg_size(const struct cs_handle *h, unsigned int r)
{
	const char *n = cs_reg_name((csh)h->cs, r);

	switch (n ? n[0] : 'x') {
	case 'w': case 's': return 4;
	case 'q': return 16;
	case 'h': return 2;
	case 'b': return 1;
	default: return 8;
	}
}

static int64_t shifted_imm(const cs_arm64_op *o)
{
	uint64_t v = (uint64_t)o->imm;

	if (o->shift.type == ARM64_SFT_LSL && o->shift.value < 64)
		v <<= o->shift.value;
	return (int64_t)v;
}

/* Stores and loads of one or two registers, any addressing mode. */
static bool mem_ops(const struct cs_handle *h, const cs_insn *ci, struct insn *in)
{
	const cs_arm64 *d = &ci->detail->arm64;
	bool store, pair;
	const cs_arm64_op *mem = NULL;
	int i, nregs = 0, post = 0;
	int8_t regs[2];
	uint8_t size = 0;
	int8_t base;

	switch (ci->id) {
	case ARM64_INS_STP: case ARM64_INS_STNP:
		store = true; pair = true; break;
	case ARM64_INS_STR: case ARM64_INS_STUR:
		store = true; pair = false; break;
	case ARM64_INS_STRB: case ARM64_INS_STURB:
		store = true; pair = false; size = 1; break;
	case ARM64_INS_STRH: case ARM64_INS_STURH:
		store = true; pair = false; size = 2; break;
	case ARM64_INS_LDP: case ARM64_INS_LDNP:
		store = false; pair = true; break;
	case ARM64_INS_LDR: case ARM64_INS_LDUR:
		store = false; pair = false; break;
	default:
		return false;
	}
	for (i = 0; i < d->op_count; i++) {
		const cs_arm64_op *o = &d->operands[i];

		if (o->type == ARM64_OP_REG && !mem && nregs < 2) {
			regs[nregs++] = cs_handle_reg(h, o->reg);
			if (!size)
				size = reg_size(h, o->reg);
		} else if (o->type == ARM64_OP_MEM) {
			mem = o;
		} else if (o->type == ARM64_OP_IMM && mem) {
			post = (int)o->imm;
		} else if (o->type == ARM64_OP_FP || o->type == ARM64_OP_REG) {
			/* SIMD registers: not followed, but the base may move */
		}
	}
	if (!mem || nregs < (pair ? 2 : 1))
		return false;
	/* Vector registers decode as REG_NONE: the values are unknown. */
	base = cs_handle_reg(h, mem->mem.base);
	if (mem->mem.index != ARM64_REG_INVALID) {
		/* Register offset: the slot cannot be followed. */
		if (!store)
			for (i = 0; i < nregs; i++)
				insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
					.dst = regs[i] });
		return true;
	}
	if (store) {
		int64_t disp = post ? 0 : mem->mem.disp;
		bool pre = d->writeback && !post;

		insn_add_op(in, (struct stack_op){ .kind = OP_STORE, .src = regs[0],
			.base = base, .imm = disp, .size = size,
			.update = pre });
		if (pair)
			insn_add_op(in, (struct stack_op){ .kind = OP_STORE,
				.src = regs[1], .base = base,
				.imm = pre ? size : disp + size, .size = size });
	} else {
		int64_t disp = post ? 0 : mem->mem.disp;
		bool pre = d->writeback && !post;

		if (pre) {
			insn_add_op(in, (struct stack_op){ .kind = OP_BASE_ADD,
				.base = base, .imm = disp });
			disp = 0;
		}
		for (i = 0; i < nregs; i++)
			insn_add_op(in, (struct stack_op){ .kind = size == 8 ?
				OP_LOAD : OP_CLOBBER, .dst = regs[i],
				.base = base, .imm = disp + i * size,
				.src = REG_NONE });
	}
	if (post)
		insn_add_op(in, (struct stack_op){ .kind = OP_BASE_ADD, .base = base,
			.imm = post });
	return true;
}

static int a64_decode(void *handle, const uint8_t *code, size_t len,
		      uint64_t off, struct insn *in)
{
	struct cs_handle *h = handle;
	const uint8_t *p = code;
	size_t left = len < 4 ? len : 4;
	uint64_t addr = off;
	const cs_arm64 *d;
	cs_insn *ci = h->ci;
	int i;

	if (!cs_disasm_iter((csh)h->cs, &p, &left, &addr, ci))
		return 0;
	d = &ci->detail->arm64;
	insn_set_text(in, ci->mnemonic, ci->op_str);
	in->kind = INSN_OTHER;

	switch (ci->id) {
	case ARM64_INS_BL:
		in->kind = INSN_CALL;
		in->has_target = true;
		in->target = d->operands[0].imm;
		return 4;
	case ARM64_INS_BLR:
		in->kind = INSN_CALL;
		return 4;
	case ARM64_INS_B:
		in->kind = d->cc == ARM64_CC_INVALID || d->cc == ARM64_CC_AL ?
			   INSN_JUMP : INSN_JUMP_COND;
		in->has_target = true;
		in->target = d->operands[0].imm;
		return 4;
	case ARM64_INS_CBZ: case ARM64_INS_CBNZ:
	case ARM64_INS_TBZ: case ARM64_INS_TBNZ:
		in->kind = INSN_JUMP_COND;
		in->has_target = true;
		in->target = d->operands[d->op_count - 1].imm;
		return 4;
	case ARM64_INS_BR:
		in->kind = INSN_JUMP_DYN;
		return 4;
	case ARM64_INS_RET:
		in->kind = INSN_RETURN;
		return 4;
	case ARM64_INS_BRK: case ARM64_INS_HLT: case ARM64_INS_ERET:
		in->kind = INSN_TRAP;
		return 4;
	default:
		break;
	}

	if (mem_ops(h, ci, in))
		return 4;

	/* Register moves and immediate adds follow values. */
	if ((ci->id == ARM64_INS_MOV && d->op_count == 2 &&
	     d->operands[1].type == ARM64_OP_REG) ||
	    ((ci->id == ARM64_INS_ADD || ci->id == ARM64_INS_SUB) &&
	     d->op_count == 3 && d->operands[1].type == ARM64_OP_REG &&
	     d->operands[2].type == ARM64_OP_IMM)) {
		int64_t imm = d->op_count == 3 ? shifted_imm(&d->operands[2]) : 0;

		if (ci->id == ARM64_INS_SUB)
			imm = -imm;
		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE,
			.dst = cs_handle_reg(h, d->operands[0].reg),
			.src = cs_handle_reg(h, d->operands[1].reg), .imm = imm });
		return 4;
	}

	/* Constants (frame sizes too large for an immediate). */
	if ((ci->id == ARM64_INS_MOV || ci->id == ARM64_INS_MOVZ) &&
	    d->op_count == 2 && d->operands[1].type == ARM64_OP_IMM) {
		insn_add_op(in, (struct stack_op){ .kind = OP_CONST,
			.dst = cs_handle_reg(h, d->operands[0].reg),
			.imm = shifted_imm(&d->operands[1]) });
		return 4;
	}
	/* sub sp, sp, x12 and friends. */
	if ((ci->id == ARM64_INS_ADD || ci->id == ARM64_INS_SUB) &&
	    d->op_count == 3 && d->operands[1].type == ARM64_OP_REG &&
	    d->operands[2].type == ARM64_OP_REG &&
	    !d->operands[2].shift.value) {
		insn_add_op(in, (struct stack_op){ .kind = OP_ADD_REG,
			.dst = cs_handle_reg(h, d->operands[0].reg),
			.src = cs_handle_reg(h, d->operands[1].reg),
			.base = cs_handle_reg(h, d->operands[2].reg),
			.imm = ci->id == ARM64_INS_SUB ? -1 : 1 });
		return 4;
	}

	/* Anything else that writes a register leaves it unknown. */
	for (i = 0; i < d->op_count; i++) {
		const cs_arm64_op *o = &d->operands[i];

		if (o->type == ARM64_OP_REG && (o->access & CS_AC_WRITE))
			insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
				.dst = cs_handle_reg(h, o->reg) });
		if (o->type == ARM64_OP_MEM && d->writeback)
			insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
				.dst = cs_handle_reg(h, o->mem.base) });
	}
	return 4;
}

static const char *a64_framed(const struct frame_state *st)
{
	const struct val *fp = &st->reg[A64_FP];
	const struct slot *rec, *lr;

	if (!state_slot_holding(st, VAL_ENTRY_RA, 0))
		return "the return address (x30) not saved";
	if (fp->kind != VAL_STACK)
		return "x29 not pointing at a frame record";
	rec = state_slot(st, fp->off);
	lr = state_slot(st, off_add(fp->off, 8));
	if (!rec || rec->val.kind != VAL_ENTRY_FP)
		return "x29 not pointing at the saved x29";
	if (!lr || lr->val.kind != VAL_ENTRY_RA)
		return "a frame record without the return address";
	return NULL;
}

const struct arch arch_arm64 = {
	.name = "arm64",
	.machine = EM_AARCH64,
	.sp = A64_SP,
	.fp = A64_FP,
	.ra = A64_LR,
	.word = 8,
	.ra_slot = -1,
	.callee_saved = 0x3ff80000ULL,	/* x19..x28 and x29 */
	.sp_slot = -1,
	.backchain = -1,
	.min_insn = 4,
	.fixed_width = true,
	.decode = a64_decode,
	.open = a64_open,
	.close = cs_handle_close,
	.framed = a64_framed,
};
