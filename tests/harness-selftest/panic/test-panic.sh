#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Loads a module that panics the kernel: the harness must say so.
insmod ./klp_harness_panic.ko
echo "still alive after the panic module: should not happen"
exit 1
