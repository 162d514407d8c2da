// SPDX-License-Identifier: GPL-2.0
/*
 * The second static klp_ext_dup of klp_test_ext_target (see
 * klp_test_ext_main.c): position 2 in the module's symbol table.
 */
#include <linux/compiler.h>

int klp_ext_dup_other(void);

static noinline __attribute__((__noipa__)) int klp_ext_dup(void)
{
	return 2;
}

int klp_ext_dup_other(void)
{
	return klp_ext_dup();
}
