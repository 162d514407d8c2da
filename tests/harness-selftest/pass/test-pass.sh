#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A passing check with something to fail on: the guest must have the
# live patching sysfs root and a patch_state file for this shell.
[ -d /sys/kernel/livepatch ] || { echo "no /sys/kernel/livepatch"; exit 1; }
[ -r /proc/$$/patch_state ] || { echo "no /proc/$$/patch_state"; exit 1; }
echo "livepatch sysfs and patch_state present"
