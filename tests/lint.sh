#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The checks the kernel community runs on itself, over klpcore's kernel
# code: checkpatch (--strict), kernel-doc, and a W=1 C=1 (sparse) build of
# kernel/livepatch in the prepared klpcore tree of one architecture.
# Usage: tests/lint.sh BUILD_DIR [ARCH [FLAVOUR]]   (after make check has
# prepared that kernel; FLAVOUR defaults to distro)
set -u
O=$(realpath "${1:-build}")
ARCH_NAME=${2:-x86_64}
FLAVOUR=${3:-distro}
KSRC=$O/src/linux-source-6.12
TREE=$O/trees/klpcore-$ARCH_NAME
KB=$O/kernels/klpcore-$ARCH_NAME-$FLAVOUR
BLOG=$O/logs/build-klpcore-$ARCH_NAME-$FLAVOUR.log
cd "$(dirname "$0")/.." || exit 2
status=0

FILES=$(ls core/*.c core/*.h arch/*.h arch/*/*.h arch/*/*.c tests/selftests/*.c \
	tests/harness-selftest/*/*.c 2>/dev/null | grep -v '^core/klp-extern\.h$')
HOST_FILES=$(ls objtool-ext/*.c objtool-ext/*.h 2>/dev/null)

# Known false positives, each with its reason:
#  CAMELCASE  Elf_Shdr, Elf_Rela, Elf_Sym are the kernel's ELF type names.
#  EXPORT_SYMBOL  checkpatch does not see DEFINE_STATIC_KEY_FALSE() as the
#             definition that EXPORT_SYMBOL follows (the stock core too).
out=$("$KSRC/scripts/checkpatch.pl" --no-tree --strict --terse \
	--ignore CAMELCASE,EXPORT_SYMBOL -f $FILES | grep -v '^total:')
if [ -n "$out" ]; then
	echo "$out"
	status=1
fi

# core/klp-extern.h, for patch modules: its macros are file-scope
# declarations, so they cannot be wrapped in do { } while (0), and each
# must be two of them (the C declaration and the assembler's .weak), both
# naming the same placeholder from the same stringified arguments; and
# that name is a concatenation of string literals, which an asm label
# takes only bare, not in parentheses:
#  MULTISTATEMENT_MACRO_USE_DO_WHILE, MACRO_ARG_REUSE, COMPLEX_MACRO.
out=$("$KSRC/scripts/checkpatch.pl" --no-tree --strict --terse \
	--ignore MULTISTATEMENT_MACRO_USE_DO_WHILE,MACRO_ARG_REUSE,COMPLEX_MACRO \
	-f core/klp-extern.h | grep -v '^total:')
if [ -n "$out" ]; then
	echo "$out"
	status=1
fi

# Host code (objtool-ext): kernel style, but C11 with <stdint.h> types
# (no --strict, which asks for u8/s64), and no kernel headers:
#  PREFER_DEFINED_ATTRIBUTE_MACRO  the host code's own __printf()
#                  definition trips it.
out=$("$KSRC/scripts/checkpatch.pl" --no-tree --terse --ignore PREFER_DEFINED_ATTRIBUTE_MACRO \
	-f $HOST_FILES | grep -v '^total:')
if [ -n "$out" ]; then
	echo "$out"
	status=1
fi

for f in $FILES; do
	out=$("$KSRC/scripts/kernel-doc" -none -Wall "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
done

if [ -d "$KB" ]; then
	# The tree's kernel/livepatch is a copy of a checkout, made by the
	# last harness run: bring it up to this checkout's files first, or
	# the build checks what that run copied.
	PYTHONPATH=tests/harness python3 -c 'import sys
from klpharness import kernel
kernel.step_klpcore(sys.argv[1])[1](sys.argv[2])' "$PWD" "$TREE" ||
		{ echo "lint: cannot refresh $TREE/kernel/livepatch"; exit 2; }
	make -C "$TREE" O="$KB" ARCH="$(grep -m1 -o 'ARCH=[a-z0-9_]*' \
		"$BLOG" | cut -d= -f2)" \
		CROSS_COMPILE="$(grep -m1 -o 'CROSS_COMPILE=[^ ]*' \
		"$BLOG" | cut -d= -f2)" \
		W=1 C=2 kernel/livepatch/ > "$O/logs/lint-sparse.log" 2>&1 ||
		{ echo "lint: the W=1 C=2 build failed"; status=1; }
	# Only klpcore's files count; sparse also runs over what the kernel
	# prepares on the way (arm64's vDSO warns on its own).
	if grep -E 'kernel/livepatch/[^:]*:[0-9]+:[0-9]+: (warning|error):' \
		"$O/logs/lint-sparse.log"; then
		status=1
	fi
	checked=$(grep -c '^  CHECK ' "$O/logs/lint-sparse.log")
	if [ "$checked" = 0 ]; then
		echo "lint: sparse checked no file (see $O/logs/lint-sparse.log)"
		status=1
	else
		echo "lint: sparse and W=1 over $checked files of kernel/livepatch"
	fi
else
	echo "lint: no klpcore $ARCH_NAME $FLAVOUR build in $O, sparse/W=1 skipped"
	status=1
fi

[ $status = 0 ] && echo "lint: checkpatch, kernel-doc, sparse and W=1 clean"
exit $status
