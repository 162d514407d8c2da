/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ppc64le frame-protocol cases for objtool-ext. Functions named bad_*
 * break the protocol in one way each (expected rules in ./expect); good_*
 * keep it and must pass clean.
 */
	.abiversion 2
	.macro	FUNC name
	.text
	.globl	\name
	.type	\name, @function
	.balign	4
\name:
	.endm
	.macro	END name
	.size	\name, . - \name
	.endm

	.macro	PROLOGUE size=32
	mflr	0
	std	0, 16(1)
	stdu	1, -\size(1)
	.endm
	.macro	EPILOGUE size=32
	addi	1, 1, \size
	ld	0, 16(1)
	mtlr	0
	.endm

/* ---- correct shapes --------------------------------------------- */

FUNC good_leaf
	addi	3, 3, 1
	blr
END good_leaf

FUNC good_frame_call
	PROLOGUE
	bl	helper
	nop
	EPILOGUE
	blr
END good_frame_call

FUNC good_mcount_before_frame
	mflr	0
	bl	_mcount
	mflr	0
	std	0, 16(1)
	stdu	1, -48(1)
	bl	helper
	nop
	addi	1, 1, 48
	ld	0, 16(1)
	mtlr	0
	blr
END good_mcount_before_frame

FUNC good_tail_call
	addi	3, 3, 2
	b	helper
END good_tail_call

FUNC good_tail_call_after_teardown
	PROLOGUE
	bl	helper
	nop
	EPILOGUE
	b	helper
END good_tail_call_after_teardown

FUNC good_multiple_exits
	cmpdi	3, 0
	beqlr
	PROLOGUE
	bl	helper
	nop
	cmpdi	3, 0
	beq	1f
	bl	helper
	nop
1:	EPILOGUE
	blr
END good_multiple_exits

FUNC good_noreturn_call
	PROLOGUE
	cmpdi	3, 0
	beq	1f
	EPILOGUE
	blr
1:	bl	panic
	nop
END good_noreturn_call

FUNC good_bug_trap
	PROLOGUE
	cmpdi	3, 0
	bne	1f
	bl	helper
	nop
	EPILOGUE
	blr
1:	trap
END good_bug_trap

FUNC good_back_chain_teardown
	PROLOGUE 64
	bl	helper
	nop
	ld	1, 0(1)
	ld	0, 16(1)
	mtlr	0
	blr
END good_back_chain_teardown

FUNC good_loop_with_calls
	PROLOGUE 48
	std	31, 40(1)
	mr	31, 3
1:	bl	helper
	nop
	addic.	31, 31, -1
	bne	1b
	ld	31, 40(1)
	EPILOGUE 48
	blr
END good_loop_with_calls

FUNC good_savegpr_helpers
	mflr	0
	bl	_savegpr0_29
	stdu	1, -64(1)
	bl	helper
	nop
	addi	1, 1, 64
	b	_restgpr0_29
END good_savegpr_helpers

FUNC good_indirect_call
	PROLOGUE
	mtctr	12
	std	2, 24(1)
	bctrl
	ld	2, 24(1)
	EPILOGUE
	blr
END good_indirect_call

/* ---- broken shapes ---------------------------------------------- */

FUNC bad_call_without_frame
	addi	3, 3, 1
	bl	helper
	nop
	blr
END bad_call_without_frame

FUNC bad_lr_not_saved
	stdu	1, -32(1)
	bl	helper
	nop
	addi	1, 1, 32
	blr
END bad_lr_not_saved

FUNC bad_no_frame_allocated
	mflr	0
	std	0, 16(1)
	bl	helper
	nop
	ld	0, 16(1)
	mtlr	0
	blr
END bad_no_frame_allocated

FUNC bad_back_chain_not_atomic
	mflr	0
	std	0, 16(1)
	mr	12, 1
	addi	1, 1, -32
	std	12, 0(1)
	bl	helper
	nop
	EPILOGUE
	blr
END bad_back_chain_not_atomic

FUNC bad_frame_without_back_chain
	mflr	0
	std	0, 16(1)
	addi	1, 1, -32
	bl	helper
	nop
	EPILOGUE
	blr
END bad_frame_without_back_chain

FUNC bad_call_after_teardown
	PROLOGUE
	bl	helper
	nop
	addi	1, 1, 32
	bl	helper
	nop
	ld	0, 16(1)
	mtlr	0
	blr
END bad_call_after_teardown

FUNC bad_return_with_frame
	PROLOGUE
	bl	helper
	nop
	ld	0, 48(1)
	mtlr	0
	blr
END bad_return_with_frame

FUNC bad_tail_call_with_frame
	PROLOGUE
	bl	helper
	nop
	b	helper
END bad_tail_call_with_frame

FUNC bad_back_chain_overwritten
	PROLOGUE
	std	3, 0(1)
	bl	helper
	nop
	EPILOGUE
	blr
END bad_back_chain_overwritten

FUNC bad_frame_on_one_path
	cmpdi	3, 0
	beq	1f
	PROLOGUE
1:	bl	helper
	nop
	blr
END bad_frame_on_one_path

FUNC bad_indirect_call_without_frame
	mtctr	12
	bctrl
	blr
END bad_indirect_call_without_frame

FUNC bad_stack_switched
	PROLOGUE
	mr	1, 3
	bl	helper
	nop
	blr
END bad_stack_switched
