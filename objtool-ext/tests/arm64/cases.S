/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 frame-protocol cases for objtool-ext. Functions named bad_* break
 * the protocol in one way each (expected rules in ./expect); good_* keep
 * it and must pass clean.
 */
	.macro	FUNC name
	.text
	.globl	\name
	.type	\name, %function
	.balign	4
\name:
	.endm
	.macro	END name
	.size	\name, . - \name
	.endm

/* ---- correct shapes --------------------------------------------- */

FUNC good_leaf
	add	x0, x0, #1
	ret
END good_leaf

FUNC good_frame_call
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	helper
	ldp	x29, x30, [sp], #16
	ret
END good_frame_call

FUNC good_record_above_locals
	sub	sp, sp, #48
	stp	x29, x30, [sp, #32]
	add	x29, sp, #32
	str	x0, [sp, #8]
	bl	helper
	ldp	x29, x30, [sp, #32]
	add	sp, sp, #48
	ret
END good_record_above_locals

FUNC good_tail_call
	add	x0, x0, #2
	b	helper
END good_tail_call

FUNC good_tail_call_after_teardown
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	str	x19, [sp, #16]
	mov	x19, x0
	bl	helper
	mov	x0, x19
	ldr	x19, [sp, #16]
	ldp	x29, x30, [sp], #32
	b	helper
END good_tail_call_after_teardown

FUNC good_multiple_exits
	cbz	x0, 1f
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	helper
	cbz	x0, 2f
	bl	helper
2:	ldp	x29, x30, [sp], #16
	ret
1:	mov	x0, #0
	ret
END good_multiple_exits

FUNC good_noreturn_call
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	cbz	x0, 1f
	ldp	x29, x30, [sp], #16
	ret
1:	bl	panic
END good_noreturn_call

FUNC good_calls_local_noreturn
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	local_spin
END good_calls_local_noreturn

FUNC local_spin
1:	wfe
	b	1b
END local_spin

FUNC good_bug_trap
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	cbnz	x0, 1f
	bl	helper
	ldp	x29, x30, [sp], #16
	ret
1:	brk	#0x800
END good_bug_trap

FUNC good_pac
	hint	#25			/* paciasp */
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	helper
	ldp	x29, x30, [sp], #16
	hint	#29			/* autiasp */
	ret
END good_pac

FUNC good_loop_with_calls
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	str	x19, [sp, #16]
	mov	x19, x0
1:	bl	helper
	subs	x19, x19, #1
	b.ne	1b
	ldr	x19, [sp, #16]
	ldp	x29, x30, [sp], #32
	ret
END good_loop_with_calls

FUNC good_large_frame
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	sub	sp, sp, #1, lsl #12
	mov	x0, sp
	bl	helper
	add	sp, sp, #1, lsl #12
	ldp	x29, x30, [sp], #16
	ret
END good_large_frame

FUNC good_jump_table
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	adr	x1, 1f
	ldr	x1, [x1, x0, lsl #3]
	br	x1
1:	bl	helper
	b	3f
2:	bl	helper
3:	ldp	x29, x30, [sp], #16
	ret
END good_jump_table

/* ---- broken shapes ---------------------------------------------- */

FUNC bad_call_without_frame
	add	x0, x0, #1
	bl	helper
	ret
END bad_call_without_frame

FUNC bad_record_not_linked
	stp	x29, x30, [sp, #-16]!
	bl	helper
	ldp	x29, x30, [sp], #16
	ret
END bad_record_not_linked

FUNC bad_record_swapped
	stp	x30, x29, [sp, #-16]!
	mov	x29, sp
	bl	helper
	ldp	x30, x29, [sp], #16
	ret
END bad_record_swapped

FUNC bad_fp_beside_record
	stp	x29, x30, [sp, #-32]!
	add	x29, sp, #16
	bl	helper
	ldp	x29, x30, [sp], #32
	ret
END bad_fp_beside_record

FUNC bad_fp_reused
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	helper
	mov	x29, x0
	bl	helper
	ldp	x29, x30, [sp], #16
	ret
END bad_fp_reused

FUNC bad_call_after_teardown
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	helper
	ldp	x29, x30, [sp], #16
	bl	helper
	ret
END bad_call_after_teardown

FUNC bad_return_with_frame
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	helper
	ret
END bad_return_with_frame

FUNC bad_tail_call_with_frame
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	helper
	b	helper
END bad_tail_call_with_frame

FUNC bad_saved_lr_overwritten
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	str	x0, [x29, #8]
	bl	helper
	ldp	x29, x30, [sp], #16
	ret
END bad_saved_lr_overwritten

FUNC bad_frame_on_one_path
	cbz	x0, 1f
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
1:	bl	helper
	ret
END bad_frame_on_one_path

FUNC bad_indirect_call_without_frame
	blr	x1
	ret
END bad_indirect_call_without_frame

FUNC bad_stack_switched
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	mov	sp, x0
	bl	helper
	ret
END bad_stack_switched

FUNC bad_lr_saved_alone
	str	x30, [sp, #-16]!
	bl	helper
	ldr	x30, [sp], #16
	ret
END bad_lr_saved_alone
