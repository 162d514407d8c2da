#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Never returns and prints nothing: the harness must kill the guest.
sleep 100000
