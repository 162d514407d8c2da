// SPDX-License-Identifier: GPL-2.0
/*
 * arch_ppc64.c - ppc64le instructions as neutral operations, and the
 * ppc64 ELFv2 frame protocol
 *
 * Registers: r0..r31 are 0..31, LR is 32, CTR 33; r1 is the stack
 * pointer, LR holds the return address.
 *
 * Protocol (the back chain the kernel's unwinder follows): a function
 * that calls out has saved LR (in the caller's frame, 16(r1)) and has
 * allocated its frame with a store-with-update of r1 (stdu r1,-N(r1)),
 * which stores the back chain in the same instruction that moves r1, so
 * that no interrupt ever sees a frame without it; it frees the frame only
 * after its last call. The profiling call of -mprofile-kernel
 * (mflr r0; bl _mcount) comes before the frame by design: _mcount keeps
 * LR and is exempt.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objtool-ext.h"

#define PPC_SP	1
#define PPC_LR	32
#define PPC_CTR	33

static int8_t map_name(const char *n)
{
	char *end;
	long r;

	if (!n)
		return REG_NONE;
	if (!strcmp(n, "lr"))
		return PPC_LR;
	if (!strcmp(n, "ctr"))
		return PPC_CTR;
	if (n[0] != 'r')
		return REG_NONE;
	r = strtol(n + 1, &end, 10);
	if (end == n + 1 || *end || r < 0 || r > 31)
		return REG_NONE;
	return (int8_t)r;
}

static void *ppc_open(void)
{
	return cs_handle_open(CS_ARCH_PPC, CS_MODE_64 | CS_MODE_LITTLE_ENDIAN, PPC_REG_ENDING, map_name);
}

/* Stores of a register to d(rA): std, stdu, stw, sth, stb, stfd. */
static bool store_op(const struct cs_handle *h, const cs_insn *ci, struct insn *in)
{
	const cs_ppc *d = &ci->detail->ppc;
	uint8_t size;
	bool update = false;

	switch (ci->id) {
	case PPC_INS_STDU:
		update = true;
		size = 8;
		break;
	case PPC_INS_STD:
	case PPC_INS_STFD:
		size = 8;
		break;
	case PPC_INS_STWU:
		update = true;
		size = 4;
		break;
	case PPC_INS_STW:
		size = 4;
		break;
	case PPC_INS_STH:
		size = 2;
		break;
	case PPC_INS_STB:
		size = 1;
		break;
	default:
		return false;
	}
	if (d->op_count != 2 || d->operands[1].type != PPC_OP_MEM)
		return false;
	insn_add_op(in, (struct stack_op){ .kind = OP_STORE,
		.src = ci->id == PPC_INS_STFD ? REG_NONE :
		       cs_handle_reg(h, d->operands[0].reg),
		.base = cs_handle_reg(h, d->operands[1].mem.base),
		.imm = d->operands[1].mem.disp, .size = size,
		.update = update });
	return true;
}

static int ppc_decode(void *handle, const uint8_t *code, size_t len,
		      uint64_t off, struct insn *in)
{
	struct cs_handle *h = handle;
	const uint8_t *p = code;
	size_t left = len < 4 ? len : 4;
	uint64_t addr = off;
	const cs_ppc *d;
	cs_insn *ci = h->ci;
	const char *m;

	if (!cs_disasm_iter((csh)h->cs, &p, &left, &addr, ci))
		return 0;
	d = &ci->detail->ppc;
	m = ci->mnemonic;
	insn_set_text(in, m, ci->op_str);
	in->kind = INSN_OTHER;

	switch (ci->id) {
	case PPC_INS_BL:
		in->kind = INSN_CALL;
		in->has_target = true;
		in->target = d->operands[d->op_count - 1].imm;
		return 4;
	case PPC_INS_BCTRL: case PPC_INS_BLRL:
		in->kind = INSN_CALL;
		return 4;
	case PPC_INS_BCL:
		/* bcl 20,31,$+4: reads the pc, not a call */
		insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
			.dst = PPC_LR });
		return 4;
	case PPC_INS_B:
		in->kind = INSN_JUMP;
		in->has_target = true;
		in->target = d->operands[d->op_count - 1].imm;
		return 4;
	case PPC_INS_BC: case PPC_INS_BDNZ: case PPC_INS_BDZ:
		if (!d->op_count ||
		    d->operands[d->op_count - 1].type != PPC_OP_IMM)
			return 4;
		in->kind = INSN_JUMP_COND;
		in->has_target = true;
		in->target = d->operands[d->op_count - 1].imm;
		return 4;
	case PPC_INS_BLR:
		in->kind = INSN_RETURN;
		return 4;
	case PPC_INS_BCLR: case PPC_INS_BDNZLR: case PPC_INS_BDZLR:
		in->kind = INSN_RETURN;
		in->cond = true;
		return 4;
	case PPC_INS_BCTR:
		in->kind = INSN_JUMP_DYN;
		return 4;
	case PPC_INS_TRAP:
		in->kind = INSN_TRAP;
		return 4;
	case PPC_INS_MFLR:
		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE,
			.dst = cs_handle_reg(h, d->operands[0].reg), .src = PPC_LR });
		return 4;
	case PPC_INS_MTLR:
		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE, .dst = PPC_LR,
			.src = cs_handle_reg(h, d->operands[0].reg) });
		return 4;
	case PPC_INS_MR:
		insn_add_op(in, (struct stack_op){ .kind = OP_MOVE,
			.dst = cs_handle_reg(h, d->operands[0].reg),
			.src = cs_handle_reg(h, d->operands[1].reg) });
		return 4;
	case PPC_INS_ADDI:
		if (d->op_count == 3 && d->operands[2].type == PPC_OP_IMM) {
			insn_add_op(in, (struct stack_op){ .kind = OP_MOVE,
				.dst = cs_handle_reg(h, d->operands[0].reg),
				.src = cs_handle_reg(h, d->operands[1].reg),
				/* a 16-bit signed field, printed unsigned */
				.imm = (int16_t)d->operands[2].imm });
			return 4;
		}
		break;
	case PPC_INS_LD:
		if (d->op_count == 2 && d->operands[1].type == PPC_OP_MEM) {
			insn_add_op(in, (struct stack_op){ .kind = OP_LOAD,
				.dst = cs_handle_reg(h, d->operands[0].reg),
				.base = cs_handle_reg(h, d->operands[1].mem.base),
				.imm = d->operands[1].mem.disp,
				.src = REG_NONE });
			return 4;
		}
		break;
	case PPC_INS_STDUX:
		/* stdux r1,r1,r0: a frame too large for an immediate. */
		if (d->op_count != 3)
			break;
		insn_add_op(in, (struct stack_op){ .kind = OP_STORE,
			.src = cs_handle_reg(h, d->operands[0].reg),
			.base = cs_handle_reg(h, d->operands[1].reg),
			.indexed = true, .index = cs_handle_reg(h, d->operands[2].reg),
			.size = 8, .update = true });
		return 4;
	case PPC_INS_LI:
		if (d->op_count == 2 && d->operands[1].type == PPC_OP_IMM) {
			insn_add_op(in, (struct stack_op){ .kind = OP_CONST,
				.dst = cs_handle_reg(h, d->operands[0].reg),
				.imm = (int16_t)d->operands[1].imm });
			return 4;
		}
		break;
	default:
		break;
	}
	/* Unconditional trap words (BUG(), unreachable()): twu, twui, tdu... */
	if (str_starts(m, "twu") || str_starts(m, "tdu")) {
		in->kind = INSN_TRAP;
		return 4;
	}
	if (store_op(h, ci, in))
		return 4;

	/*
	 * Other instructions write their first register operand, except
	 * stores, traps, compares, moves to special registers, branches
	 * and cache operations, which only read it.
	 */
	if (d->op_count && d->operands[0].type == PPC_OP_REG &&
	    !str_starts(m, "st") && !str_starts(m, "t") && !str_starts(m, "mt") &&
	    !str_starts(m, "cmp") && !str_starts(m, "dc") && !str_starts(m, "ic") &&
	    !str_starts(m, "b"))
		insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
			.dst = cs_handle_reg(h, d->operands[0].reg) });
	return 4;
}

static const char *ppc_framed(const struct frame_state *st)
{
	const struct val *sp = &st->reg[PPC_SP];
	const struct slot *chain;

	if (!state_slot_holding(st, VAL_ENTRY_RA, 0))
		return "LR not saved";
	if (sp->kind != VAL_STACK || sp->off >= 0)
		return "no stack frame allocated";
	chain = state_slot(st, sp->off);
	if (!chain || chain->val.kind != VAL_STACK || chain->val.off != 0)
		return "no back chain in the frame";
	if (!chain->atomic)
		return "a back chain not stored by the store-with-update that allocated the frame";
	return NULL;
}

static bool ppc_exempt_call(const char *name)
{
	return !strcmp(name, "_mcount") || !strcmp(name, "mcount");
}

/*
 * gcc -Os calls out-of-line register save and restore routines
 * (arch/powerpc/lib/crtsavres.S). The "0" and FPR/VR variants also keep
 * LR: the save stores r0 (which holds LR) at 16(r1), the restore reloads
 * LR from there and returns for the function, so a branch to it is the
 * function's return. The "1" variants leave LR alone.
 */
static bool ppc_abi_helper(const char *name, struct insn *in)
{
	bool keeps_lr;

	if (str_starts(name, "_savegpr0_") || str_starts(name, "_savefpr_") ||
	    str_starts(name, "_savevr_") || str_starts(name, "_savegpr1_")) {
		keeps_lr = !str_starts(name, "_savegpr1_");
		in->kind = INSN_OTHER;
		in->nr_ops = 0;
		if (keeps_lr)
			insn_add_op(in, (struct stack_op){ .kind = OP_STORE,
				.src = 0, .base = PPC_SP, .imm = 16,
				.size = 8 });
		/* The bl itself leaves its own return address in LR. */
		insn_add_op(in, (struct stack_op){ .kind = OP_CLOBBER,
			.dst = PPC_LR });
		return true;
	}
	if ((str_starts(name, "_restgpr0_") || str_starts(name, "_restfpr_") ||
	     str_starts(name, "_restvr_") || str_starts(name, "_restgpr1_")) &&
	    in->kind == INSN_JUMP) {
		keeps_lr = !str_starts(name, "_restgpr1_");
		in->kind = INSN_RETURN;
		in->nr_ops = 0;
		if (keeps_lr)
			insn_add_op(in, (struct stack_op){ .kind = OP_LOAD,
				.dst = PPC_LR, .base = PPC_SP, .imm = 16,
				.src = REG_NONE });
		return true;
	}
	return false;
}

const struct arch arch_ppc64 = {
	.name = "ppc64le",
	.machine = EM_PPC64,
	.sp = PPC_SP,
	.fp = REG_NONE,
	.ra = PPC_LR,
	.word = 8,
	.ra_slot = 16,
	.callee_saved = 0xffffc004ULL,	/* r14..r31, and r2 (restored after the call) */
	.sp_slot = -1,
	.backchain = 0,
	.min_insn = 4,
	.fixed_width = true,
	.decode = ppc_decode,
	.open = ppc_open,
	.close = cs_handle_close,
	.framed = ppc_framed,
	.exempt_call = ppc_exempt_call,
	.abi_helper = ppc_abi_helper,
};
