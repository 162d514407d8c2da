#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fails on purpose: the harness must report this test as failed.
echo "failing on purpose"
exit 1
