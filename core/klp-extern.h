/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klp-extern.h - a live patch's references to symbols nobody exports
 *
 * A patch's new code may call a static function, or use a static
 * variable, of vmlinux or of a module (which may load after the patch).
 * Declare each one with
 *
 *	KLP_EXTERN_FUNC(local, object, symbol, position, type, (params));
 *	KLP_EXTERN_VAR(local, object, symbol, position, type);
 *
 * and use @local in the new code. @object is vmlinux or the module's name
 * (with '_' for '-'), @symbol the name as kallsyms shows it (dots allowed:
 * foo.isra.0), @position 0 when the name is unique in the object, else
 * its place among the symbols of that name (1 for the first; by address
 * in vmlinux, in symbol-table order in a module). The declaration names a
 * placeholder symbol, __klp_ext.<object>.<symbol>.<position>, weak so that
 * modpost lets it be; "objtool-ext klp-post-link" then turns the built
 * .ko's references to it into .klp.rela sections and .klp.sym symbols,
 * which livepatch resolves when the object is there. A module loaded
 * without that step is refused by klpcore.
 *
 * The weakness is given to the assembler only: a compiler that knew it
 * would reach the symbol through a GOT entry, which the arm64 module
 * loader cannot relocate.
 */
#ifndef _LINUX_KLP_EXTERN_H
#define _LINUX_KLP_EXTERN_H

/* What klpcore looks for in a patch module that was not finalised. */
#define KLP_EXT_PREFIX			"__klp_ext."

#define __KLP_EXT_NAME(obj, sym, pos)	KLP_EXT_PREFIX #obj "." #sym "." #pos

#define KLP_EXTERN_FUNC(local, obj, sym, pos, type, params)		\
	extern type local params __asm__(__KLP_EXT_NAME(obj, sym, pos));\
	__asm__(".weak " __KLP_EXT_NAME(obj, sym, pos))

#define KLP_EXTERN_VAR(local, obj, sym, pos, type)			\
	extern type local __asm__(__KLP_EXT_NAME(obj, sym, pos));	\
	__asm__(".weak " __KLP_EXT_NAME(obj, sym, pos))

#endif /* _LINUX_KLP_EXTERN_H */
