// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - the arch-free checker
 *
 * For every function (an STT_FUNC symbol with a size, in executable
 * code) the checker decodes the instructions through the arch decoder
 * and follows every path from the entry: both sides of each conditional
 * branch, jumps inside the function, calls (which come back unless the
 * callee never returns), to each return or tail call. Along a path it
 * keeps a frame state: the value of each register as far as it follows
 * from the entry (the return address, the caller's frame pointer, the
 * entry stack pointer plus an offset), and the stack slots that hold one
 * of those. It never looks at an opcode; the arch's protocol is a
 * predicate over that state (arch->framed()).
 *
 * The rules:
 *   call-without-frame   a call before the frame is complete
 *   call-after-teardown  a call after the frame was complete and then
 *                        taken down
 *   return-with-frame    a return or tail call with the frame still up
 *   fp-write             the frame pointer written with anything but a
 *                        pointer to the own frame record or the caller's
 *                        value (architectures with a frame pointer)
 *   record-clobbered     a store over a saved return address, frame
 *                        record or back chain
 *   frame-mismatch       two paths reach one instruction with different
 *                        frames
 *   sp-unknown           the stack pointer set to a value that does not
 *                        follow from the entry
 *   undecodable          the flow reaches bytes that are no instruction
 *
 * An indirect jump with the frame still up is taken for a jump table: the
 * code that no path reached is then checked from that jump's state.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objtool-ext.h"

const char *const rule_names[NR_RULES] = {
	[RULE_CALL_WITHOUT_FRAME]	= "call-without-frame",
	[RULE_CALL_AFTER_TEARDOWN]	= "call-after-teardown",
	[RULE_RETURN_WITH_FRAME]	= "return-with-frame",
	[RULE_FP_WRITE]			= "fp-write",
	[RULE_RECORD_CLOBBERED]		= "record-clobbered",
	[RULE_FRAME_MISMATCH]		= "frame-mismatch",
	[RULE_SP_UNKNOWN]		= "sp-unknown",
	[RULE_UNDECODABLE]		= "undecodable",
	[RULE_NO_ORC]			= "no-orc",
};

/* One function of the object. */
struct func {
	const char *name;
	size_t sec;
	uint64_t start, end;		/* section offsets */
	int noreturn;			/* -1 unknown, 0, 1 */
	bool busy;			/* noreturn analysis in progress */
};

struct checker {
	struct objfile *obj;
	const struct arch *arch;
	void *handle;
	struct report *rep;
	struct func *funcs;
	size_t nr_funcs;
	size_t unknown;		/* instructions decoded by length only */
};

/* ------------------------------------------------------------------ */
/* Functions                                                           */

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Section offset of a symbol, or -1 if it does not lie in its section. */
static int64_t sym_offset(const struct objfile *obj, const struct symbol *s)
{
	const struct section *sec = &obj->secs[s->sec];
	uint64_t off = s->value;

	if (!obj->relocatable) {
		if (off < sec->addr)
			return -1;
		off -= sec->addr;
	}
	if (off > sec->size || s->size > sec->size - off)
		return -1;
	return (int64_t)off;
}

static int collect_funcs(struct checker *c, char *why, size_t len)
{
	struct objfile *obj = c->obj;
	size_t i, n = 0;

	c->funcs = calloc(obj->nr_syms ? obj->nr_syms : 1, sizeof(*c->funcs));
	if (!c->funcs) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	for (i = 0; i < obj->nr_syms; i++) {
		const struct symbol *s = &obj->syms[i];
		const struct section *sec;
		int64_t off;

		if (s->type != STT_FUNC || !s->size || !s->sec)
			continue;
		sec = &obj->secs[s->sec];
		if (!(sec->flags & SHF_EXECINSTR) || !sec->data)
			continue;
		off = sym_offset(obj, s);
		if (off < 0) {
			snprintf(why, len, "function '%s' lies outside its section '%s'",
				 s->name, sec->name);
			return -1;
		}
		c->funcs[n++] = (struct func) {
			.name = s->name, .sec = s->sec, .start = off,
			.end = off + s->size, .noreturn = -1,
		};
	}
	qsort(c->funcs, n, sizeof(*c->funcs), cmp_func);
	/* Aliases (same start) are checked once, under the first name. */
	c->nr_funcs = 0;
	for (i = 0; i < n; i++) {
		struct func *last = c->nr_funcs ? &c->funcs[c->nr_funcs - 1] :
				    NULL;

		if (last && last->sec == c->funcs[i].sec &&
		    last->start == c->funcs[i].start)
			continue;
		c->funcs[c->nr_funcs++] = c->funcs[i];
	}
	return 0;
}

/* The function of section @sec that contains offset @off. */
static struct func *func_at(struct checker *c, size_t sec, uint64_t off)
{
	size_t lo = 0, hi = c->nr_funcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct func *f = &c->funcs[mid];

		if (f->sec < sec || (f->sec == sec && f->end <= off))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nr_funcs && c->funcs[lo].sec == sec &&
	    c->funcs[lo].start <= off && off < c->funcs[lo].end)
		return &c->funcs[lo];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

struct code {
	struct insn *insns;
	size_t nr;
};

static void rewrite_helpers(struct checker *c, const struct func *f,
			    struct code *code);

/*
 * Decode @f. Bytes that cannot be decoded become an INSN_TRAP of length
 * 0, reported if a path reaches them; on fixed-width ISAs an unknown word
 * is taken by its length instead.
 */
static int decode_func(struct checker *c, const struct func *f,
		       struct code *code)
{
	const struct section *sec = &c->obj->secs[f->sec];
	size_t cap = (f->end - f->start) / 2 + 1;
	uint64_t off = f->start;

	code->insns = malloc(cap * sizeof(*code->insns));
	code->nr = 0;
	if (!code->insns)
		return -1;
	while (off < f->end) {
		struct insn *in = &code->insns[code->nr];
		int n;

		memset(in, 0, sizeof(*in));
		n = c->arch->decode(c->handle, sec->data + off, f->end - off,
				    off, in);
		if (n <= 0 && c->arch->fixed_width &&
		    f->end - off >= c->arch->min_insn) {
			/*
			 * A word the disassembler does not know (capstone 4
			 * predates some system instructions): its length is
			 * certain, its effect on the frame taken to be none.
			 */
			in->kind = INSN_OTHER;
			snprintf(in->text, sizeof(in->text), ".inst (unknown)");
			n = c->arch->min_insn;
			in->len = n;
			c->unknown++;
			/* OBJTOOL_EXT_UNKNOWN=1: list them, to see what they are. */
			if (getenv("OBJTOOL_EXT_UNKNOWN"))
				fprintf(stderr, "unknown: %s+0x%llx (%s 0x%llx)\n",
					f->name, (unsigned long long)(off - f->start),
					sec->name, (unsigned long long)off);
		} else if (n <= 0) {
			/* Skip a minimal unit; remember it cannot run. */
			in->off = off;
			in->len = 0;
			in->kind = INSN_TRAP;
			n = c->arch->min_insn;
		} else {
			in->len = n;
		}
		in->off = off;
		off += n;
		code->nr++;
	}
	if (c->arch->abi_helper)
		rewrite_helpers(c, f, code);
	return 0;
}

static long insn_index(const struct code *code, uint64_t off)
{
	size_t lo = 0, hi = code->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (code->insns[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < code->nr && code->insns[lo].off == off)
		return (long)lo;
	return -1;
}

/*
 * Where a direct branch or call goes: inside the function (*idx), or to
 * another function or symbol (*name). Relocations win over the encoded
 * target in relocatable objects.
 */
struct target {
	long idx;		/* -1 if not inside this function */
	const char *name;	/* a name for the outside target, or NULL */
	struct func *func;	/* the outside function, if in this object */
};

static struct target branch_target(struct checker *c, const struct func *f,
				   const struct code *code,
				   const struct insn *in)
{
	struct target t = { .idx = -1 };
	const struct reloc *r = NULL;
	size_t sec = f->sec;
	uint64_t dest = in->target;
	bool known = in->has_target;

	if (c->obj->relocatable)
		r = obj_reloc_at(c->obj, f->sec, in->off, in->len);
	if (r) {
		const struct symbol *s = &c->obj->syms[r->sym];
		int64_t base;

		known = false;
		if (!s->sec) {
			t.name = s->name;	/* undefined: another object */
			return t;
		}
		base = sym_offset(c->obj, s);
		if (base < 0)
			return t;
		dest = base + r->addend - (int64_t)(r->offset - in->off);
		sec = s->sec;
		known = true;
		if (s->type == STT_FUNC || s->type == STT_NOTYPE)
			t.name = s->name;
	}
	if (!known)
		return t;
	if (sec == f->sec && dest >= f->start && dest < f->end) {
		t.idx = insn_index(code, dest);
		if (t.idx >= 0)
			return t;
	}
	t.func = func_at(c, sec, dest);
	if (t.func && t.func->start == dest)
		t.name = t.func->name;
	return t;
}

/* Calls and jumps to the arch's ABI helpers become what they do. */
static void rewrite_helpers(struct checker *c, const struct func *f,
			    struct code *code)
{
	size_t i;

	for (i = 0; i < code->nr; i++) {
		struct insn *in = &code->insns[i];
		struct target t;

		if (in->kind != INSN_CALL && in->kind != INSN_JUMP)
			continue;
		t = branch_target(c, f, code, in);
		if (t.idx < 0 && t.name)
			c->arch->abi_helper(t.name, in);
	}
}

/* ------------------------------------------------------------------ */
/* Noreturn                                                            */

static bool func_noreturn(struct checker *c, struct func *f);

/* Does the call at @in come back? */
static bool call_returns(struct checker *c, const struct func *f,
			 const struct code *code, const struct insn *in)
{
	struct target t;

	if (!in->has_target && !c->obj->relocatable)
		return true;
	t = branch_target(c, f, code, in);
	if (t.name && known_noreturn(t.name))
		return false;
	if (t.func && t.func != f && func_noreturn(c, t.func))
		return false;
	return true;
}

/*
 * A function never returns when no path from its entry reaches a return,
 * a tail call or an indirect jump. Calls to functions that never return
 * end a path. Recursion (cycles) counts as returning.
 */
static bool func_noreturn(struct checker *c, struct func *f)
{
	struct code code;
	uint8_t *seen;
	long *stack;
	size_t sp = 0;
	bool returns = false;

	if (f->noreturn >= 0)
		return f->noreturn;
	if (known_noreturn(f->name))
		return (f->noreturn = 1);
	if (f->busy)
		return false;
	if (decode_func(c, f, &code))
		return false;
	f->busy = true;
	seen = calloc(code.nr + 1, 1);
	stack = malloc((code.nr + 1) * sizeof(*stack));
	if (!seen || !stack) {
		returns = true;
		goto out;
	}
	if (code.nr)
		stack[sp++] = 0;
	while (sp && !returns) {
		long i = stack[--sp];

		while (i >= 0 && (size_t)i < code.nr && !seen[i]) {
			const struct insn *in = &code.insns[i];
			struct target t;

			seen[i] = 1;
			if (in->kind == INSN_RETURN || in->kind == INSN_JUMP_DYN) {
				returns = true;
				break;
			}
			if (in->kind == INSN_TRAP)
				break;
			if (in->kind == INSN_CALL &&
			    !call_returns(c, f, &code, in))
				break;
			if (in->kind == INSN_JUMP || in->kind == INSN_JUMP_COND) {
				t = branch_target(c, f, &code, in);
				if (t.idx < 0) {
					returns = true;	/* tail call */
					break;
				}
				if (in->kind == INSN_JUMP) {
					i = t.idx;
					continue;
				}
				stack[sp++] = t.idx;
			}
			i++;
		}
	}
out:
	free(seen);
	free(stack);
	free(code.insns);
	f->busy = false;
	f->noreturn = !returns;
	return f->noreturn;
}

/* ------------------------------------------------------------------ */
/* Frame state                                                         */

const struct slot *state_slot(const struct frame_state *st, int64_t off)
{
	int i;

	for (i = 0; i < st->nr_slots; i++)
		if (st->slots[i].off == off)
			return &st->slots[i];
	return NULL;
}

const struct slot *state_slot_holding(const struct frame_state *st,
				      uint8_t kind, int64_t off)
{
	int i;

	for (i = 0; i < st->nr_slots; i++)
		if (st->slots[i].val.kind == kind &&
		    (kind != VAL_STACK || st->slots[i].val.off == off))
			return &st->slots[i];
	return NULL;
}

static void state_init(const struct arch *a, struct frame_state *st)
{
	memset(st, 0, sizeof(*st));
	st->reg[a->sp] = (struct val){ VAL_STACK, 0 };
	st->reg[a->ra] = (struct val){ VAL_ENTRY_RA, 0 };
	if (a->fp != REG_NONE)
		st->reg[a->fp] = (struct val){ VAL_ENTRY_FP, 0 };
}

static bool val_eq(const struct val *a, const struct val *b)
{
	return a->kind == b->kind &&
	       ((a->kind != VAL_STACK && a->kind != VAL_CONST) ||
		a->off == b->off);
}

static bool ignorable(const struct slot *s, bool ra_live, bool stale)
{
	return (ra_live && s->val.kind == VAL_ENTRY_RA) ||
	       (stale && s->off >= 0);
}

/* The parts of two states that the protocol depends on are equal. */
static bool state_eq(const struct arch *a, const struct frame_state *x,
		     const struct frame_state *y)
{
	bool ra_live, stale;
	int i;

	if (x->sp_lost != y->sp_lost || !val_eq(&x->reg[a->sp], &y->reg[a->sp]))
		return false;
	if (a->fp != REG_NONE && !val_eq(&x->reg[a->fp], &y->reg[a->fp]))
		return false;
	/*
	 * While the return address is still in its register on both paths,
	 * a saved copy on one of them makes no difference (shrink-wrapped
	 * code saves LR only on the paths that call). With the frame gone,
	 * neither does what is left in the caller's area (a saved r15 or
	 * back chain nobody reads again).
	 */
	ra_live = x->reg[a->ra].kind == VAL_ENTRY_RA &&
		  y->reg[a->ra].kind == VAL_ENTRY_RA;
	stale = ra_live && x->reg[a->sp].off == 0;
	for (i = 0; i < x->nr_slots; i++) {
		const struct slot *s = state_slot(y, x->slots[i].off);

		if (ignorable(&x->slots[i], ra_live, stale))
			continue;
		if (!s || !val_eq(&s->val, &x->slots[i].val))
			return false;
	}
	for (i = 0; i < y->nr_slots; i++)
		if (!ignorable(&y->slots[i], ra_live, stale) &&
		    !state_slot(x, y->slots[i].off))
			return false;
	return true;
}

/* Per-function context of the walk. */
struct walk {
	struct checker *c;
	const struct func *f;
	struct code *code;
	bool reported[NR_RULES];
	bool trace;
};

static const char *val_str(const struct val *v, char *buf, size_t len)
{
	static const char *const kinds[] = { "?", "RA", "FP", "SP", "#" };

	if (v->kind == VAL_STACK)
		snprintf(buf, len, "SP%+lld", (long long)v->off);
	else
		snprintf(buf, len, "%s", kinds[v->kind]);
	return buf;
}

/* OBJTOOL_EXT_TRACE=function: every step of its walk on stderr. */
static void trace_step(const struct walk *w, const struct insn *in,
		       const struct frame_state *st)
{
	const struct arch *a = w->c->arch;
	char b1[24], b2[24], b3[24];
	int i;

	fprintf(stderr, "%6llx %-36s sp=%s ra=%s fp=%s",
		(unsigned long long)(in->off - w->f->start), in->text,
		val_str(&st->reg[a->sp], b1, sizeof(b1)),
		val_str(&st->reg[a->ra], b2, sizeof(b2)),
		a->fp != REG_NONE ? val_str(&st->reg[a->fp], b3, sizeof(b3)) :
		"-");
	for (i = 0; i < st->nr_slots; i++)
		fprintf(stderr, " [%lld]=%s%s", (long long)st->slots[i].off,
			val_str(&st->slots[i].val, b1, sizeof(b1)),
			st->slots[i].atomic ? "!" : "");
	fprintf(stderr, "\n");
}

static void finding(struct walk *w, const struct insn *in, enum rule r,
		    const char *msg)
{
	if (w->reported[r])
		return;		/* one finding per rule per function */
	w->reported[r] = true;
	if (in->text[0])
		report_finding(w->c->rep, w->c->obj->path, w->f->name,
			       in->off - w->f->start, r, "%s (%s)", msg,
			       in->text);
	else
		report_finding(w->c->rep, w->c->obj->path, w->f->name,
			       in->off - w->f->start, r, "%s", msg);
}

/*
 * Values the protocols keep on the stack: the return address, the
 * caller's frame pointer, and the caller's stack pointer stored in the
 * back-chain slot of the current frame or saved in the caller's register
 * save area (s390 stmg), each only where the protocol keeps it.
 */
static bool protocol_value(const struct arch *a, const struct frame_state *st,
			   const struct val *v, int64_t at, int src)
{
	const struct val *sp = &st->reg[a->sp];

	/* A frame record saves the frame pointer register itself. */
	if (v->kind == VAL_ENTRY_FP)
		return src == a->fp;
	if (v->kind == VAL_ENTRY_RA) {
		const struct slot *fp = state_slot(st, off_add(at, -a->word));

		if (a->ra_slot < 0)
			return fp && fp->val.kind == VAL_ENTRY_FP;
		return at == a->ra_slot;
	}
	if (v->kind != VAL_STACK || v->off || a->backchain < 0)
		return false;
	/* The back chain, or the caller's sp in its register save area. */
	return (a->sp_slot >= 0 && at == a->sp_slot) ||
	       (sp->kind == VAL_STACK && at == off_add(sp->off, a->backchain));
}

/* Slots below the stack pointer are free again. */
static void drop_freed_slots(const struct arch *a, struct frame_state *st)
{
	const struct val *sp = &st->reg[a->sp];
	int i, n = 0;

	if (sp->kind != VAL_STACK)
		return;
	for (i = 0; i < st->nr_slots; i++)
		if (st->slots[i].off >= sp->off)
			st->slots[n++] = st->slots[i];
	st->nr_slots = n;
}

static void set_reg(struct walk *w, struct frame_state *st,
		    const struct insn *in, int reg, struct val v)
{
	const struct arch *a = w->c->arch;

	if (reg < 0 || reg >= NR_REGS)
		return;
	if (reg == a->fp && a->fp != REG_NONE) {
		bool ok = v.kind == VAL_ENTRY_FP;

		if (v.kind == VAL_STACK) {
			const struct slot *s = state_slot(st, v.off);

			ok = s && s->val.kind == VAL_ENTRY_FP;
		}
		if (!ok)
			finding(w, in, RULE_FP_WRITE,
				"frame pointer set to something other than the frame record");
	}
	if (reg == a->sp) {
		if (v.kind != VAL_STACK) {
			if (!st->sp_lost)
				finding(w, in, RULE_SP_UNKNOWN,
					"stack pointer no longer follows from the entry");
			st->sp_lost = true;
		}
	}
	st->reg[reg] = v;
	if (reg == a->sp)
		drop_freed_slots(a, st);
}

static void store_slot(struct walk *w, struct frame_state *st,
		       const struct insn *in, int64_t off, uint8_t size,
		       struct val v, int src, bool atomic)
{
	int i, n = 0;

	/* Whatever the store covers is gone; protocol values are guarded. */
	for (i = 0; i < st->nr_slots; i++) {
		struct slot *s = &st->slots[i];
		bool overlap = s->off < off_add(off, size) &&
			       off < off_add(s->off, w->c->arch->word);

		if (overlap) {
			if (!val_eq(&s->val, &v) || s->off != off)
				finding(w, in, RULE_RECORD_CLOBBERED,
					"store over a saved return address, frame record or back chain");
			continue;
		}
		st->slots[n++] = *s;
	}
	st->nr_slots = n;
	if (protocol_value(w->c->arch, st, &v, off, src) &&
	    size == w->c->arch->word &&
	    st->nr_slots < MAX_SLOTS)
		st->slots[st->nr_slots++] = (struct slot){ off, v, atomic };
}

static void apply_op(struct walk *w, struct frame_state *st,
		     const struct insn *in, const struct stack_op *op)
{
	struct val none = { VAL_UNKNOWN, 0 };
	struct val base = none, v = none;

	if (op->base >= 0 && op->base < NR_REGS)
		base = st->reg[op->base];

	switch (op->kind) {
	case OP_MOVE:
		if (op->src >= 0 && op->src < NR_REGS) {
			v = st->reg[op->src];
			if (op->imm) {
				if (v.kind == VAL_STACK)
					v.off = off_add(v.off, op->imm);
				else
					v = none;
			}
		}
		set_reg(w, st, in, op->dst, v);
		break;
	case OP_CLOBBER:
		set_reg(w, st, in, op->dst, none);
		break;
	case OP_STORE: {
		int64_t at;

		if (base.kind != VAL_STACK || st->sp_lost)
			break;		/* not a stack slot we follow */
		at = off_add(base.off, op->imm);
		if (op->indexed) {
			const struct val *ix = &st->reg[op->index];

			if (ix->kind != VAL_CONST) {
				if (op->update)
					set_reg(w, st, in, op->base, none);
				break;
			}
			at = off_add(base.off, ix->off);
		}
		if (op->src >= 0 && op->src < NR_REGS)
			v = st->reg[op->src];
		/*
		 * A store-with-update moves the base first (the slot is in
		 * the new frame); storing the old sp that way is an atomic
		 * back chain.
		 */
		if (op->update)
			set_reg(w, st, in, op->base,
				(struct val){ VAL_STACK, at });
		store_slot(w, st, in, at, op->size, v, op->src,
			   op->update && v.kind == VAL_STACK &&
			   v.off == base.off);
		break;
	}
	case OP_LOAD:
		if (base.kind == VAL_STACK && !st->sp_lost) {
			const struct slot *s = state_slot(st,
							  off_add(base.off, op->imm));

			if (s)
				v = s->val;
		}
		set_reg(w, st, in, op->dst, v);
		break;
	case OP_CONST:
		set_reg(w, st, in, op->dst, (struct val){ VAL_CONST, op->imm });
		break;
	case OP_ADD_REG:
		if (op->src >= 0 && op->src < NR_REGS &&
		    st->reg[op->src].kind == VAL_STACK &&
		    base.kind == VAL_CONST)
			v = (struct val){ VAL_STACK,
					  off_add(st->reg[op->src].off,
						  op->imm < 0 ?
						  (int64_t)(0 - (uint64_t)base.off) :
						  base.off) };
		set_reg(w, st, in, op->dst, v);
		break;
	case OP_BASE_ADD:
		if (base.kind == VAL_STACK)
			base.off = off_add(base.off, op->imm);
		else
			base = none;
		set_reg(w, st, in, op->base, base);
		break;
	}
}

static bool unwound(const struct arch *a, const struct frame_state *st,
		    const char **why)
{
	if (st->sp_lost || st->reg[a->sp].kind != VAL_STACK ||
	    st->reg[a->sp].off != 0) {
		*why = "stack frame still allocated";
		return false;
	}
	if (a->fp != REG_NONE && st->reg[a->fp].kind != VAL_ENTRY_FP) {
		*why = "caller's frame pointer not restored";
		return false;
	}
	if (st->reg[a->ra].kind != VAL_ENTRY_RA) {
		*why = "return address not restored";
		return false;
	}
	return true;
}

static void check_call(struct walk *w, struct frame_state *st,
		       const struct insn *in, const struct target *t)
{
	const struct arch *a = w->c->arch;
	const char *missing;
	char msg[160];
	int r;

	if (t->name && a->exempt_call && a->exempt_call(t->name))
		return;
	missing = st->sp_lost ? "stack pointer unknown" : a->framed(st);
	if (missing) {
		/* Taken down: it was complete, and the frame is freed. */
		bool freed = st->was_framed && !st->sp_lost &&
			     st->reg[a->sp].off >= 0;

		snprintf(msg, sizeof(msg), "call with %s%s", missing,
			 freed ? " (frame already taken down)" : "");
		finding(w, in, freed ? RULE_CALL_AFTER_TEARDOWN :
			RULE_CALL_WITHOUT_FRAME, msg);
	} else {
		st->was_framed = true;
	}
	/*
	 * The call leaves its own return address in the link register and
	 * anything in the registers it need not preserve.
	 */
	for (r = 0; r < NR_REGS; r++)
		if (r != a->sp && !(a->callee_saved & (1ULL << r)))
			st->reg[r] = (struct val){ VAL_UNKNOWN, 0 };
}

static void check_exit(struct walk *w, const struct frame_state *st,
		       const struct insn *in, const char *what)
{
	const char *why;
	char msg[160];

	/* A broken call or stack pointer already explains a bad exit. */
	if (w->reported[RULE_CALL_WITHOUT_FRAME] ||
	    w->reported[RULE_CALL_AFTER_TEARDOWN] ||
	    w->reported[RULE_SP_UNKNOWN])
		return;
	if (!unwound(w->c->arch, st, &why)) {
		snprintf(msg, sizeof(msg), "%s with %s", what, why);
		finding(w, in, RULE_RETURN_WITH_FRAME, msg);
	}
}

struct pending {
	long idx;
	struct frame_state st;
};

/* Follow every path from @start with state @init. */
static void walk_paths(struct walk *w, long start,
		       const struct frame_state *init,
		       struct frame_state *states, uint8_t *seen,
		       struct frame_state *jt_state, bool *have_jt)
{
	const struct arch *a = w->c->arch;
	struct pending *todo;
	size_t nr = 0, cap = 64;

	todo = malloc(cap * sizeof(*todo));
	if (!todo)
		return;
	todo[nr].idx = start;
	todo[nr++].st = *init;

	while (nr) {
		struct pending p = todo[--nr];
		long i = p.idx;
		struct frame_state st = p.st;

		while (i >= 0 && (size_t)i < w->code->nr) {
			const struct insn *in = &w->code->insns[i];
			struct target t;
			int k;

			if (seen[i]) {
				if (!state_eq(a, &states[i], &st)) {
					finding(w, in, RULE_FRAME_MISMATCH,
						"paths meet with different frames");
					if (w->trace) {
						fprintf(stderr, "mismatch, first and second:\n");
						trace_step(w, in, &states[i]);
						trace_step(w, in, &st);
					}
				}
				break;
			}
			seen[i] = 1;
			states[i] = st;

			if (in->kind == INSN_TRAP && !in->len) {
				finding(w, in, RULE_UNDECODABLE,
					"bytes that are no instruction");
				break;
			}
			for (k = 0; k < in->nr_ops; k++)
				apply_op(w, &st, in, &in->ops[k]);
			if (w->trace)
				trace_step(w, in, &st);
			if (!st.was_framed && !st.sp_lost && !a->framed(&st))
				st.was_framed = true;

			switch (in->kind) {
			case INSN_TRAP:
				i = -1;
				continue;
			case INSN_RETURN:
				check_exit(w, &st, in, "return");
				if (in->cond)
					break;
				i = -1;
				continue;
			case INSN_JUMP_DYN: {
				const char *why;

				if (!unwound(a, &st, &why) && !*have_jt) {
					*jt_state = st;
					*have_jt = true;
				}
				i = -1;
				continue;
			}
			case INSN_CALL:
				t = branch_target(w->c, w->f, w->code, in);
				check_call(w, &st, in, &t);
				if (!call_returns(w->c, w->f, w->code, in)) {
					i = -1;
					continue;
				}
				break;
			case INSN_JUMP:
			case INSN_JUMP_COND:
				t = branch_target(w->c, w->f, w->code, in);
				if (t.idx < 0) {
					check_exit(w, &st, in, "tail call");
					if (in->kind == INSN_JUMP) {
						i = -1;
						continue;
					}
					break;
				}
				if (in->kind == INSN_JUMP) {
					i = t.idx;
					continue;
				}
				if (nr == cap) {
					struct pending *more;

					cap *= 2;
					more = realloc(todo, cap * sizeof(*todo));
					if (!more) {
						free(todo);
						return;
					}
					todo = more;
				}
				todo[nr].idx = t.idx;
				todo[nr++].st = st;
				break;
			default:
				break;
			}
			i++;
		}
	}
	free(todo);
}

static void check_func(struct checker *c, struct func *f)
{
	struct frame_state init, jt;
	struct frame_state *states;
	struct code code;
	const char *trace = getenv("OBJTOOL_EXT_TRACE");
	struct walk w = { .c = c, .f = f, .code = &code,
			  .trace = trace && !strcmp(trace, f->name) };
	bool have_jt = false;
	uint8_t *seen;
	size_t i;

	if (decode_func(c, f, &code))
		return;
	states = malloc((code.nr + 1) * sizeof(*states));
	seen = calloc(code.nr + 1, 1);
	if (!states || !seen)
		goto out;

	state_init(c->arch, &init);
	if (code.nr)
		walk_paths(&w, 0, &init, states, seen, &jt, &have_jt);
	/* Jump-table targets: what no path reached, from the jump's state. */
	for (i = 0; have_jt && i < code.nr; i++)
		if (!seen[i] && code.insns[i].len)
			walk_paths(&w, i, &jt, states, seen, &jt, &have_jt);
out:
	free(states);
	free(seen);
	free(code.insns);
}

int check_object(struct objfile *obj, struct report *rep, size_t *nr_funcs,
		 char *why, size_t len)
{
	struct checker c = { .obj = obj, .rep = rep };
	size_t i;

	c.arch = arch_for_machine(obj->machine);
	if (!c.arch) {
		snprintf(why, len, "ELF machine %d is not supported", obj->machine);
		return -1;
	}
	c.handle = c.arch->open();
	if (!c.handle) {
		snprintf(why, len, "the %s disassembler cannot be opened",
			 c.arch->name);
		return -1;
	}
	if (collect_funcs(&c, why, len)) {
		c.arch->close(c.handle);
		free(c.funcs);
		return -1;
	}
	for (i = 0; i < c.nr_funcs; i++)
		check_func(&c, &c.funcs[i]);
	*nr_funcs = c.nr_funcs;
	report_unknown(rep, c.unknown);
	c.arch->close(c.handle);
	free(c.funcs);
	return 0;
}
