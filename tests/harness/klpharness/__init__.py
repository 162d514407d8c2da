# SPDX-License-Identifier: GPL-2.0
"""klpcore test harness: build kernels, boot them in QEMU, collect results."""
