/* SPDX-License-Identifier: GPL-2.0 */
/*
 * objtool-ext - frame-metadata validation for arm64, ppc64le, s390x and
 * x86_64 kernel objects.
 *
 * The pieces:
 *   elf.c      reads an object, checking every offset it follows
 *   arch_*.c   one decoder per ISA: machine instructions (via capstone)
 *              into neutral instructions and stack operations
 *   check.c    the arch-free checker: control flow, frame state, rules
 *   orc.c      x86_64: ORC coverage (upstream objtool checks the rest)
 *   klp.c      klp-post-link: a patch module's .klp.rela sections
 *   main.c     command line, allow file, report
 */
#ifndef OBJTOOL_EXT_H
#define OBJTOOL_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Exit statuses. */
#define EXIT_CLEAN	0
#define EXIT_FINDINGS	1
#define EXIT_BADINPUT	2

/* ------------------------------------------------------------------ */
/* The object file                                                     */

struct section {
	const char *name;
	uint32_t type;
	uint64_t flags;
	uint64_t addr;
	uint64_t size;
	const uint8_t *data;		/* NULL for NOBITS */
	struct reloc *relocs;		/* relocations that apply here */
	size_t nr_relocs;
};

struct symbol {
	const char *name;
	uint8_t type;			/* STT_* */
	uint8_t bind;			/* STB_* */
	uint8_t other;			/* st_other (ppc64 local entry) */
	size_t sec;			/* section index, 0 if none */
	uint64_t value;			/* section offset (ET_REL) or address */
	uint64_t size;
};

struct reloc {
	uint64_t offset;		/* within the section it applies to */
	size_t sym;			/* index into objfile.syms */
	int64_t addend;
	uint32_t type;
};

struct objfile {
	const char *path;
	int machine;			/* EM_* */
	bool relocatable;		/* ET_REL: offsets, not addresses */
	struct section *secs;
	size_t nr_secs;
	struct symbol *syms;
	size_t nr_syms;
	void *priv;			/* elf.c's own state */
};

/* Load @path; on failure return -1 with a reason in @why. */
int obj_open(struct objfile *obj, const char *path, char *why, size_t len);
void obj_close(struct objfile *obj);

/* The relocation at @off in section @sec, or NULL. */
const struct reloc *obj_reloc_at(const struct objfile *obj, size_t sec,
				 uint64_t off, uint64_t len);

/* ------------------------------------------------------------------ */
/* Neutral instructions                                                */

/*
 * Registers are numbered by the decoder; the checker only knows three of
 * them by role (arch->sp, arch->fp, arch->ra) and follows copies of their
 * values through the others. NR_REGS bounds the numbering.
 */
#define NR_REGS		40
#define REG_NONE	(-1)

enum insn_kind {
	INSN_OTHER,
	INSN_CALL,		/* direct or indirect call */
	INSN_JUMP,		/* unconditional direct jump */
	INSN_JUMP_COND,		/* conditional direct jump */
	INSN_JUMP_DYN,		/* indirect jump (jump table or tail call) */
	INSN_RETURN,
	INSN_TRAP,		/* never continues (BUG and friends) */
};

enum op_kind {
	OP_NONE,
	OP_MOVE,	/* dst = src + imm */
	OP_CLOBBER,	/* dst = something the checker cannot follow */
	OP_STORE,	/* [base + imm] = src, size bytes */
	OP_LOAD,	/* dst = [base + imm] */
	OP_BASE_ADD,	/* base += imm (write-back of a store/load) */
	OP_CONST,	/* dst = imm */
	OP_ADD_REG,	/* dst = src + base * imm (imm is 1 or -1) */
};

struct stack_op {
	uint8_t kind;
	int8_t dst;
	int8_t src;
	int8_t base;
	int64_t imm;
	uint8_t size;
	/* OP_STORE: this store also moves base (store-with-update). */
	bool update;
	/* OP_STORE: the offset is register @index, not imm. */
	bool indexed;
	int8_t index;
};

#define MAX_OPS 16

struct insn {
	uint64_t off;			/* section offset */
	uint8_t len;
	uint8_t kind;
	bool has_target;		/* direct branch or call */
	bool cond;			/* INSN_RETURN: conditional */
	uint64_t target;		/* its section offset (or address) */
	uint8_t nr_ops;
	struct stack_op ops[MAX_OPS];
	char text[48];			/* for messages */
};

/* ------------------------------------------------------------------ */
/* An architecture                                                     */

struct frame_state;

struct arch {
	const char *name;
	int machine;
	int sp, fp, ra;			/* register numbers; fp may be REG_NONE */
	uint8_t word;			/* bytes per saved register */
	uint8_t min_insn;		/* bytes skipped at an undecodable one */
	bool fixed_width;		/* every instruction is min_insn long */
	int backchain;			/* back-chain slot above sp, or -1 */
	/*
	 * Where a saved return address counts: in a frame record right
	 * above the saved frame pointer (ra_slot < 0, arm64), or at ra_slot
	 * above the entry stack pointer, in the caller's frame (ppc64 LR
	 * save word 16, s390 r14 save slot 136). Anywhere else it is a copy
	 * (__builtin_return_address() passed on the stack). sp_slot: where
	 * the caller's stack pointer is saved for the epilogue (s390 144),
	 * or -1.
	 */
	int ra_slot;
	int sp_slot;
	/* Registers a call leaves alone (bit n: register n); sp too. */
	uint64_t callee_saved;
	/*
	 * Decode the instruction at @code (at most @len bytes) at section
	 * offset @off. Returns its length, or 0 if it cannot be decoded.
	 */
	int (*decode)(void *handle, const uint8_t *code, size_t len,
		      uint64_t off, struct insn *insn);
	void *(*open)(void);
	void (*close)(void *handle);
	/*
	 * The protocol: NULL when @st has a complete frame to call from,
	 * else what is missing.
	 */
	const char *(*framed)(const struct frame_state *st);
	/* Calls that are not calls for the protocol (profiling hooks). */
	bool (*exempt_call)(const char *name);
	/*
	 * Calls and jumps to ABI helpers that save or restore registers
	 * for the caller (ppc64 _savegpr0_N, ...): rewrite @in into what
	 * the helper does. Returns true if it did. May be NULL.
	 */
	bool (*abi_helper)(const char *name, struct insn *in);
};

const struct arch *arch_for_machine(int machine);
void insn_set_text(struct insn *in, const char *mnemonic, const char *ops);
void insn_add_op(struct insn *in, struct stack_op op);
bool str_starts(const char *s, const char *prefix);

/*
 * A capstone handle with detail on, one reusable instruction, and the
 * decoder's register numbers for capstone's (from map(), given each
 * capstone register name), shared by the three arch decoders.
 */
struct cs_handle {
	size_t cs;			/* csh */
	void *ci;			/* cs_insn * */
	unsigned int nr_regs;
	int8_t regmap[];
};

struct cs_handle *cs_handle_open(int cs_arch, int cs_mode,
				 unsigned int nr_regs,
				 int8_t (*map)(const char *name));
void cs_handle_close(void *handle);
int8_t cs_handle_reg(const struct cs_handle *h, unsigned int r);
extern const struct arch arch_arm64, arch_ppc64, arch_s390;

/* ------------------------------------------------------------------ */
/* The checker's view of a frame                                       */

enum val_kind {
	VAL_UNKNOWN,
	VAL_ENTRY_RA,		/* the return address the function got */
	VAL_ENTRY_FP,		/* the caller's frame pointer */
	VAL_STACK,		/* entry stack pointer + off */
	VAL_CONST,		/* the constant off */
};

struct val {
	uint8_t kind;
	int64_t off;
};

#define MAX_SLOTS 8

/* A stack slot that holds a protocol value: entry sp + off. */
struct slot {
	int64_t off;
	struct val val;
	bool atomic;		/* stored by the store that allocated the frame */
};

struct frame_state {
	struct val reg[NR_REGS];
	struct slot slots[MAX_SLOTS];
	uint8_t nr_slots;
	bool sp_lost;		/* sp no longer follows from entry */
	bool was_framed;	/* the frame was complete earlier on this path */
};

/* Offsets wrap instead of overflowing: inputs may be hostile. */
static inline int64_t off_add(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* Slot helpers for the arch protocols. */
const struct slot *state_slot(const struct frame_state *st, int64_t off);
const struct slot *state_slot_holding(const struct frame_state *st,
				      uint8_t kind, int64_t off);

/* ------------------------------------------------------------------ */
/* Findings                                                            */

enum rule {
	RULE_CALL_WITHOUT_FRAME,
	RULE_CALL_AFTER_TEARDOWN,
	RULE_RETURN_WITH_FRAME,
	RULE_FP_WRITE,
	RULE_RECORD_CLOBBERED,
	RULE_FRAME_MISMATCH,
	RULE_SP_UNKNOWN,
	RULE_UNDECODABLE,
	RULE_NO_ORC,
	NR_RULES,
};

extern const char *const rule_names[NR_RULES];

struct report;

__printf(6, 7)
void report_finding(struct report *rep, const char *file, const char *func,
		    uint64_t off, enum rule rule, const char *fmt, ...);

/* Instructions the disassembler did not know, taken by length. */
void report_unknown(struct report *rep, size_t n);

/* Check every function of @obj; returns -1 on an input it cannot use. */
int check_object(struct objfile *obj, struct report *rep, size_t *nr_funcs,
		 char *why, size_t len);
int check_orc(struct objfile *obj, struct report *rep, size_t *nr_funcs,
	      char *why, size_t len);

/* Functions known never to return (the kernel's noreturn list). */
bool known_noreturn(const char *name);

/* objtool-ext klp-post-link: returns an exit status. */
int klp_post_link(const char *in, const char *out);

#endif /* OBJTOOL_EXT_H */
