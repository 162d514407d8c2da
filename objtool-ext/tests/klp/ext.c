// SPDX-License-Identifier: GPL-2.0
/*
 * A patch module's new code, as objtool-ext klp-post-link gets it: calls
 * and data references through klp-extern.h placeholders, into vmlinux and
 * into a module, one name given a position; and one exported function,
 * called the ordinary way, whose relocation must stay where it is.
 * tests/klp.py builds it as it is, and with one of the KLP_TEST_* macros
 * for a module the command must refuse.
 */
#include "../../../core/klp-extern.h"

KLP_EXTERN_FUNC(klp_static_fn, vmlinux, klp_test_static_fn, 0, int, (int));
KLP_EXTERN_FUNC(klp_dup_fn, vmlinux, klp_test_dup.isra.0, 2, int, (int));
KLP_EXTERN_VAR(klp_static_var, vmlinux, klp_test_static_var, 0, int);
KLP_EXTERN_FUNC(klp_mod_fn, test_klp_mod, klp_mod_static_fn, 0, int, (int));
KLP_EXTERN_VAR(klp_mod_var, test_klp_mod, klp_mod_static_var, 1, long);

extern int exported_fn(int x);

int new_fn_vmlinux(int x)
{
	klp_static_var += x;
	return klp_static_fn(x) + klp_dup_fn(x) + exported_fn(x);
}

long new_fn_module(int x)
{
	klp_mod_var++;
	return klp_mod_fn(x) + exported_fn(x) + klp_mod_var;
}

#ifdef KLP_TEST_BAD_NAME
extern int klp_no_pos(int x) __asm__("__klp_ext.vmlinux.klp_no_pos");
__asm__(".weak __klp_ext.vmlinux.klp_no_pos");

int new_fn_bad(int x)
{
	return klp_no_pos(x);
}
#endif

#ifdef KLP_TEST_INIT_REF
__attribute__((section(".init.text"))) int new_init_fn(int x)
{
	return klp_mod_fn(x);
}
#endif

#ifdef KLP_TEST_RODATA_REF
/*
 * A module object's address in read-only data: ppc64 cannot write it.
 * In asm, as a compiler without -fpic still calls such data writable.
 */
__asm__(".pushsection .rodata.klp, \"a\"\n"
	".balign 8\n"
	"klp_ro_ptr: .quad __klp_ext.test_klp_mod.klp_mod_static_var.1\n"
	".popsection");
#endif

#ifdef KLP_TEST_RODATA_VMLINUX
/* vmlinux's, in read-only data: written while the module is unformed. */
__asm__(".pushsection .rodata.klp, \"a\"\n"
	".balign 8\n"
	"klp_ro_ptr: .quad __klp_ext.vmlinux.klp_test_static_var.0\n"
	".popsection");
#endif

#ifndef KLP_TEST_NO_MODINFO
static const char modinfo[] __attribute__((used, section(".modinfo"),
					   aligned(1))) =
	"license=GPL\0livepatch=Y";
#endif
