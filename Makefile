# SPDX-License-Identifier: GPL-2.0
#
# klpcore: top-level commands. See README.md.
#
#   make check   build the test kernels, boot them in QEMU, run the tests
#   make demo    boot one kernel and apply and remove a live patch
#   make deps    only install the Debian packages the harness needs
#   make bench   klpcore against the stock core: bench.tsv, table, plots
#   make kcsan   the suites on an x86_64 KCSAN kernel (memory ordering)
#   make objtool-ext       build $(O)/bin/objtool-ext
#   make objtool-ext-test  objtool-ext's own tests (no kernel needed)
#
# Variables:
#   O=DIR                  build directory (default: build/ in the checkout)
#   ARCHES="x86_64 ..."    architectures for check (default: all four)
#   CORE=klpcore           livepatch core: klpcore, or upstream (stock 6.12)
#   FLAVOUR="distro debug" kernel flavours (tiny, distro, debug, kcsan); each
#                          runs on its own architectures among ARCHES
#   EXTRA_SELFTESTS=DIR    also run a directory of kselftest-style tests
#   DEMO_ARCH=x86_64       architecture of make demo
#   STRESS_CYCLES=N        cycles of the stress selftest (default: per
#                          flavour); time limits grow to fit them
#   HARNESS_TEST=1         end make check with the harness's own self-test
#   BOOT_TIMEOUT=1500      seconds a guest may run; IDLE_TIMEOUT=300 silent

O ?= build
ARCHES ?= x86_64 arm64 ppc64le s390x
CORE ?= klpcore
FLAVOUR ?= distro debug
DEMO_ARCH ?= x86_64
HARNESS_TEST ?= 1
BOOT_TIMEOUT ?= 1500
IDLE_TIMEOUT ?= 300

HARNESS := python3 tests/harness/klp-harness
COMMON := --build-dir "$(O)" --core "$(CORE)" \
	--timeout $(BOOT_TIMEOUT) --idle-timeout $(IDLE_TIMEOUT)

ifeq ($(HARNESS_TEST),1)
  CHECK_FLAGS += --harness-test
endif
ifneq ($(STRESS_CYCLES),)
  CHECK_FLAGS += --stress-cycles "$(STRESS_CYCLES)"
endif
ifneq ($(EXTRA_SELFTESTS),)
  CHECK_FLAGS += --extra "$(EXTRA_SELFTESTS)"
endif

.PHONY: bench check demo deps harness-unit help kcsan lint objtool-ext \
	objtool-ext-test

check:
	@$(HARNESS) check $(COMMON) --arches "$(ARCHES)" --flavour "$(FLAVOUR)" \
		$(CHECK_FLAGS)

# The memory-ordering check: klpcore's suites on an x86_64 kernel with
# KCSAN and its weak-memory modelling (not part of make check).
kcsan:
	@$(HARNESS) check $(COMMON) --arches x86_64 --flavour kcsan \
		--no-harness-test

demo:
	@$(HARNESS) demo $(COMMON) --demo-arch "$(DEMO_ARCH)" \
		--flavour "$(firstword $(FLAVOUR))"

# Both cores on every architecture of ARCHES (CORE is not used). A bench
# guest runs longer, and disabling a 1000-function patch under TCG is
# minutes of silence: its own limits.
BENCH_TIMEOUT ?= 5400
BENCH_IDLE_TIMEOUT ?= 1200
bench:
	@$(HARNESS) bench --build-dir "$(O)" --arches "$(ARCHES)" \
		--flavour "$(firstword $(FLAVOUR))" \
		--timeout $(BENCH_TIMEOUT) --idle-timeout $(BENCH_IDLE_TIMEOUT)

deps:
	@$(HARNESS) deps --build-dir "$(O)" --arches "$(ARCHES)"

# The harness's parsers and classifiers alone, without booting anything.
harness-unit:
	@cd tests/harness && python3 -m unittest discover -s tests -t .

help:
	@sed -n '3,22p' Makefile

# The frame-metadata validator (needs libelf-dev and libcapstone-dev,
# which make deps installs).
objtool-ext:
	@$(MAKE) -s -C objtool-ext O="$(abspath $(O))"

objtool-ext-test: objtool-ext
	@$(MAKE) -s -C objtool-ext O="$(abspath $(O))" SANITIZE=1
	@python3 objtool-ext/tests/run.py --bin "$(abspath $(O))/bin/objtool-ext" \
		--asan-bin "$(abspath $(O))/bin/objtool-ext-asan" \
		--work "$(abspath $(O))/objtool-ext/tests" --arches "$(ARCHES)"

# checkpatch --strict, kernel-doc, sparse and W=1 over klpcore's kernel
# code (needs a klpcore tree, prepared by make check CORE=klpcore).
lint:
	@tests/lint.sh "$(O)" "$(firstword $(ARCHES))" "$(firstword $(FLAVOUR))"
