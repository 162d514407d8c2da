/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s390x frame-protocol cases for objtool-ext (-mbackchain -mpacked-stack
 * layout: r14/r15 saved at 112(%r15) of the caller's frame, the back chain
 * at 152 above the new %r15). Functions named bad_* break the protocol in
 * one way each (expected rules in ./expect); good_* keep it.
 */
	.macro	FUNC name
	.text
	.globl	\name
	.type	\name, @function
	.balign	8
\name:
	.endm
	.macro	END name
	.size	\name, . - \name
	.endm

	.macro	PROLOGUE size=160
	stmg	%r14, %r15, 136(%r15)
	lgr	%r1, %r15
	aghi	%r15, -\size
	stg	%r1, 152(%r15)
	.endm
	.macro	EPILOGUE size=160
	lmg	%r14, %r15, \size+136(%r15)
	.endm

/* ---- correct shapes --------------------------------------------- */

FUNC good_leaf
	ahi	%r2, 1
	br	%r14
END good_leaf

FUNC good_frame_call
	PROLOGUE
	brasl	%r14, helper
	EPILOGUE
	br	%r14
END good_frame_call

FUNC good_lay_frame
	stmg	%r6, %r15, 72(%r15)
	lgr	%r1, %r15
	lay	%r15, -200(%r15)
	stg	%r1, 152(%r15)
	brasl	%r14, helper
	lmg	%r6, %r15, 272(%r15)
	br	%r14
END good_lay_frame

FUNC good_tail_call
	ahi	%r2, 2
	jg	helper
END good_tail_call

FUNC good_tail_call_after_teardown
	PROLOGUE
	brasl	%r14, helper
	EPILOGUE
	jg	helper
END good_tail_call_after_teardown

FUNC good_multiple_exits
	ltgr	%r2, %r2
	ber	%r14
	PROLOGUE
	brasl	%r14, helper
	ltgr	%r2, %r2
	je	1f
	brasl	%r14, helper
1:	EPILOGUE
	br	%r14
END good_multiple_exits

FUNC good_noreturn_call
	PROLOGUE
	ltgr	%r2, %r2
	je	1f
	EPILOGUE
	br	%r14
1:	brasl	%r14, panic
END good_noreturn_call

FUNC good_bug_trap
	PROLOGUE
	ltgr	%r2, %r2
	jne	1f
	brasl	%r14, helper
	EPILOGUE
	br	%r14
1:	mc	0, 0
END good_bug_trap

FUNC good_loop_with_calls
	stmg	%r13, %r15, 128(%r15)
	lgr	%r1, %r15
	aghi	%r15, -160
	stg	%r1, 152(%r15)
	lgr	%r13, %r2
1:	brasl	%r14, helper
	brctg	%r13, 1b
	lmg	%r13, %r15, 288(%r15)
	br	%r14
END good_loop_with_calls

FUNC good_indirect_call
	PROLOGUE
	basr	%r14, %r1
	EPILOGUE
	br	%r14
END good_indirect_call

FUNC good_fentry_nop
	brcl	0, 0
	PROLOGUE
	brasl	%r14, helper
	EPILOGUE
	br	%r14
END good_fentry_nop

/* ---- broken shapes ---------------------------------------------- */

FUNC bad_call_without_frame
	ahi	%r2, 1
	brasl	%r14, helper
	br	%r14
END bad_call_without_frame

FUNC bad_r14_not_saved
	stg	%r15, 144(%r15)
	lgr	%r1, %r15
	aghi	%r15, -160
	stg	%r1, 152(%r15)
	brasl	%r14, helper
	lg	%r15, 304(%r15)
	br	%r14
END bad_r14_not_saved

FUNC bad_no_frame_allocated
	stmg	%r14, %r15, 136(%r15)
	brasl	%r14, helper
	lmg	%r14, %r15, 136(%r15)
	br	%r14
END bad_no_frame_allocated

FUNC bad_no_back_chain
	stmg	%r14, %r15, 136(%r15)
	aghi	%r15, -160
	brasl	%r14, helper
	EPILOGUE
	br	%r14
END bad_no_back_chain

FUNC bad_back_chain_misplaced
	stmg	%r14, %r15, 136(%r15)
	lgr	%r1, %r15
	aghi	%r15, -160
	stg	%r1, 0(%r15)
	brasl	%r14, helper
	EPILOGUE
	br	%r14
END bad_back_chain_misplaced

FUNC bad_call_after_teardown
	PROLOGUE
	brasl	%r14, helper
	aghi	%r15, 160
	brasl	%r14, helper
	lmg	%r14, %r15, 136(%r15)
	br	%r14
END bad_call_after_teardown

FUNC bad_return_with_frame
	PROLOGUE
	brasl	%r14, helper
	lg	%r14, 296(%r15)
	br	%r14
END bad_return_with_frame

FUNC bad_tail_call_with_frame
	PROLOGUE
	brasl	%r14, helper
	jg	helper
END bad_tail_call_with_frame

FUNC bad_back_chain_overwritten
	PROLOGUE
	stg	%r2, 152(%r15)
	brasl	%r14, helper
	EPILOGUE
	br	%r14
END bad_back_chain_overwritten

FUNC bad_frame_on_one_path
	ltgr	%r2, %r2
	je	1f
	PROLOGUE
1:	brasl	%r14, helper
	br	%r14
END bad_frame_on_one_path

FUNC bad_indirect_call_without_frame
	basr	%r14, %r1
	br	%r14
END bad_indirect_call_without_frame

FUNC bad_stack_switched
	PROLOGUE
	lgr	%r15, %r2
	brasl	%r14, helper
	br	%r14
END bad_stack_switched
