/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86_64 ORC coverage cases for objtool-ext. The ORC tables are written
 * by hand here the way objtool lays them out: .orc_unwind_ip holds a
 * 32-bit place-relative position per entry, .orc_unwind six bytes per
 * entry (sp_offset, bp_offset, then sp_reg:4 bp_reg:4 type:3 signal:1).
 */
	.macro	FUNC name
	.text
	.globl	\name
	.type	\name, @function
\name:
	.endm
	.macro	END name
	.size	\name, . - \name
	.endm
	/* An ORC entry at \where of type \type (0 undefined, 2 call). */
	.macro	ORC where, type
	.pushsection .orc_unwind_ip, "a"
	.long	\where - .
	.popsection
	.pushsection .orc_unwind, "a"
	.short	8, 0
	.short	(\type << 8) | 0x01
	.popsection
	.endm

FUNC good_covered
	ORC	good_covered, 2
	ret
END good_covered

/* Covered by the entry before it (same state across the boundary). */
FUNC good_covered_by_previous
	nop
	ret
END good_covered_by_previous

FUNC good_covered_inside
	ORC	good_covered_inside, 2
	push	%rbp
	ORC	good_covered_inside + 1, 2
	pop	%rbp
	ret
END good_covered_inside

/* The entries of an unwinder's own kinds are coverage too. */
FUNC good_end_of_stack
	ORC	good_end_of_stack, 1
	ret
END good_end_of_stack

FUNC good_regs_frame
	ORC	good_regs_frame, 3
	ret
END good_regs_frame

/* Only its second instruction has an entry; the first inherits ... */
FUNC bad_inherits_undefined
	ORC	bad_inherits_undefined, 0
	nop
	ORC	bad_inherits_undefined + 1, 2
	ret
END bad_inherits_undefined

FUNC bad_undefined
	ORC	bad_undefined, 0
	ret
END bad_undefined

	.section .text.other, "ax"
	.globl	bad_uncovered
	.type	bad_uncovered, @function
bad_uncovered:
	ret
	.size	bad_uncovered, . - bad_uncovered

	.section .text.late, "ax"
	.globl	bad_covered_late
	.type	bad_covered_late, @function
bad_covered_late:
	nop
	ORC	bad_covered_late + 1, 2
	ret
	.size	bad_covered_late, . - bad_covered_late

	.section .text.third, "ax"
	.globl	good_own_section
	.type	good_own_section, @function
good_own_section:
	ORC	good_own_section, 2
	ret
	.size	good_own_section, . - good_own_section
