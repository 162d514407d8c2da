// SPDX-License-Identifier: GPL-2.0
/*
 * The second live patch of klp_test_target (value 3), for stacking and
 * atomic replace: see klp_test_patch.c.
 */
#define KLP_TEST_PATCH2
#include "klp_test_patch.c"
