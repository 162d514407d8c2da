# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the verdicts on a run: the kernel log, KUnit against its
plan, kmemleak, expected skips, the booted release, failure context."""

import os
import unittest

from klpharness import results

SKIPS_FILE = os.path.join(os.path.dirname(__file__), "..", "..",
                          "expected-skips")


def console(text):
    """(host time, line) pairs of a console, one second apart."""
    return [(100.0 + i, line) for i, line in enumerate(text.splitlines())]


def guest(body_lines, mark="@klp@ | "):
    """Lines as the guest's init prints them behind a marker."""
    return "".join(mark + line + "\n" for line in body_lines)


# ------------------------------------------------------------ kernel log

# One line of each kind of report, as the kernel prints it, time-stamped
# as dmesg shows it.
REPORTS = [
    "[   12.345678] WARNING: CPU: 1 PID: 234 at kernel/livepatch/core/"
    "transition.c:412 klp_try_switch_task+0x1a2/0x1c0",
    "[   12.345678] WARNING: kernel/livepatch/core/main.c:88 at "
    "klp_enable+0x10/0x80, CPU#0: insmod/301",
    "[   12.345678] WARNING: possible circular locking dependency detected",
    "[   12.345678] WARNING: possible recursive locking detected",
    "[   12.345678] WARNING: inconsistent lock state",
    "[   12.345678] WARNING: suspicious RCU usage",
    "[   12.345678] WARNING: possible irq lock inversion dependency detected",
    "[   12.345678] WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order "
    "detected",
    "[   12.345678] WARNING: bad unlock balance detected!",
    "[   12.345678] WARNING: held lock freed!",
    "[   12.345678] WARNING: insmod/301 still has locks held!",
    "[   12.345678] WARNING: lock held when returning to user space!",
    "[   12.345678] INFO: trying to register non-static key.",
    "[   12.345678] WARNING: can't access registers at "
    "asm_sysvec_apic_timer_interrupt+0x1a/0x20",
    "[   12.345678] WARNING: stack recursion on stack type 1",
    "[   12.345678] WARNING: bad lookup idx: idx=4 num=4096 "
    "ip=klp_kunit_call+0x0/0x10",
    "[   12.345678] WARNING: Corrupt .orc_unwind table.  Disabling "
    "unwinder.",
    "[   12.345678] WARNING: stack going in the wrong direction? at "
    "klp_sleeper+0x21/0x40",
    "[   12.345678] WARNING: kernel stack frame pointer at ffffc90000013e40 "
    "in insmod:301 has bad value 0000000000000000",
    "[   12.345678] Call Trace:",
    "[   12.345678] Call trace:",
    "[  243.001002] INFO: task kworker/0:1:17 blocked for more than 122 "
    "seconds.",
    "[   33.100000] rcu: INFO: rcu_sched self-detected stall on CPU",
    "[   33.100000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
    "[   33.100000] rcu: INFO: rcu_preempt detected expedited stalls on "
    "CPUs/tasks: { 1-... } 21 jiffies s: 93 root: 0x2/.",
    "[   33.100000] INFO: rcu_tasks detected stalls on tasks:",
    "[   12.345678] UBSAN: array-index-out-of-bounds in "
    "kernel/livepatch/core/spans.c:57:14",
    "[   12.345678] BUG: KASAN: slab-use-after-free in foo+0x12/0x34",
    "[   12.345678] BUG: KCSAN: data-race in klp_update_patch_state / "
    "klp_try_switch_task",
    "[   12.345678] BUG: KFENCE: out-of-bounds read in bar+0x4/0x10",
    "[   12.345678] BUG: sleeping function called from invalid context at "
    "kernel/locking/mutex.c:585",
    "[   12.345678] BUG: scheduling while atomic: insmod/301/0x00000002",
    "[   12.345678] BUG: workqueue leaked atomic, lock or RCU: "
    "kworker/0:1[17]",
    "[   52.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! "
    "[klp_test_sleep:288]",
    "[   52.000000] watchdog: Watchdog detected hard LOCKUP on cpu 1",
    "[  600.000000] kmemleak: 3 new suspected memory leaks (see "
    "/sys/kernel/debug/kmemleak)",
    "[  600.000000] kmemleak: unreferenced object 0xffff888003a4c000 "
    "(size 64):",
    "[   12.345678] Kernel panic - not syncing: Fatal exception",
    "[   12.345678] Oops: general protection fault, probably for "
    "non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN "
    "NOPTI",
    "[   12.345678] general protection fault: 0000 [#1] SMP NOPTI",
    "[   12.345678] Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP",
    "[   12.345678] Unable to handle kernel NULL pointer dereference at "
    "virtual address 0000000000000008",
    "[   12.345678] Unable to handle kernel pointer dereference in virtual "
    "kernel address space",
    "[   12.345678] BUG: Kernel NULL pointer dereference on read at "
    "0x00000000",
    "[   12.345678] kernel BUG at mm/slub.c:429!",
    "[   12.345678] list_add corruption. prev->next should be next "
    "(ffff888003a4c010), but was 0000000000000000. (prev=ffff888003a4c000).",
    "[   12.345678] list_del corruption, ffff888003a4c000->next is "
    "LIST_POISON1 (dead000000000100)",
    "[   12.345678] ODEBUG: free active (active state 0) object: "
    "ffff888003a4c000 object type: timer_list hint: foo+0x0/0x10",
    "[   12.345678] BUG kmalloc-64 (Tainted: G    B   K   ): Right Redzone "
    "overwritten",
]

# Boot and run lines of a healthy debug kernel that mention the detectors
# or the words the reports use.
BENIGN = [
    "[    0.000000] Linux version 6.12.117 (klp@build) (gcc (Debian "
    "12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP "
    "PREEMPT_DYNAMIC",
    "[    0.000000] Kernel command line: console=ttyS0 panic=-1 oops=panic "
    "loglevel=1",
    "[    0.000000] Lock dependency validator: Copyright (c) 2006 Red Hat, "
    "Inc., Ingo Molnar",
    "[    0.000000] ... MAX_LOCKDEP_SUBCLASSES:  8",
    "[    0.000000] ... MAX_LOCK_DEPTH:          48",
    "[    0.000000]  memory used by lock dependency info: 6365 kB",
    "[    0.000000] ------------------------",
    "[    0.000000] | Locking API testsuite:",
    "[    0.000000] ---------------------------------------------------------"
    "-------------------",
    "[    0.000000]                                  | spin |wlock |rlock "
    "|mutex | wsem | rsem |rtmutex",
    "[    0.000000]                   A-A deadlock:  ok  |  ok  |  ok  |  "
    "ok  |  ok  |  ok  |  ok  |",
    "[    0.000000] Good, all 261 testcases passed! |",
    "[    0.000000] ---------------------------------",
    "[    0.000000] ODEBUG: selftest passed",
    "[    0.000000] WARNING: Spectre v2 mitigation leaves CPU vulnerable to "
    "RETBleed attacks, data leaks possible!",
    "[    0.120000] kasan: KernelAddressSanitizer initialized (generic)",
    "[    0.130000] kcsan: enabled early",
    "[    0.140000] kcsan: selftest: 3/3 tests passed",
    "[    1.200000] kmemleak: Kernel memory leak detector initialized (mem "
    "pool available: 15689)",
    "[    1.200000] kmemleak: Automatic memory scanning thread started",
    "[    2.000000] rcu: Hierarchical RCU implementation.",
    "[    2.000000] watchdog: Delayed init of the lockup detector skipped",
    "[    4.000000] traps: klp_test[299] general protection fault "
    "ip:401136 sp:7ffd1c2a2f40 error:0 in klp_test[401000+1000]",
    "[    5.000000] ==========================",
    "[    5.000000] livepatch: enabling patch 'test_klp_livepatch'",
    # The guest's own line when it cannot scan: the kmemleak row's business.
    "@klp@ kmemleak: /sys/kernel/debug/kmemleak is missing",
]


class KernelTroubleTest(unittest.TestCase):
    def test_every_report_is_found(self):
        for line in REPORTS:
            with self.subTest(line=line):
                self.assertEqual(results.kernel_trouble([line]), [line])
                self.assertEqual(results.kernel_trouble(BENIGN + [line]),
                                 [line])

    def test_boot_messages_are_not_trouble(self):
        for line in BENIGN:
            with self.subTest(line=line):
                self.assertEqual(results.kernel_trouble([line]), [])

    def test_without_time_stamps_and_with_caller_ids(self):
        self.assertEqual(results.kernel_trouble(
            ["BUG: KASAN: slab-use-after-free in foo+0x12/0x34"]),
            ["BUG: KASAN: slab-use-after-free in foo+0x12/0x34"])
        line = "[   12.345678] [  T301] Call trace:"
        self.assertEqual(results.kernel_trouble([line]), [line])
        self.assertEqual(results.kernel_trouble(
            ["[    0.000000] [    T0] ODEBUG: selftest passed"]), [])

    def test_kcsan_reports_about_other_code_are_set_aside(self):
        ours = lambda name: name.startswith("klp_")  # noqa: E731
        kernel = ("[   57.357158] BUG: KCSAN: data-race in "
                  "__hrtimer_run_queues / hrtimer_active")
        mixed = ("[   58.000000] BUG: KCSAN: data-race in "
                 "hrtimer_active / klp_try_switch_task")
        one_side = ("[   59.000000] BUG: KCSAN: data-race in "
                    "klp_test_target_sleep+0x1c/0x50 [klp_test_target]")
        other_side = ("[   60.000000] BUG: KCSAN: data-race in "
                      "d_alloc_parallel+0x2f/0x7a0")
        self.assertEqual(results.kcsan_functions(kernel[15:]),
                         ["__hrtimer_run_queues", "hrtimer_active"])
        self.assertEqual(results.kcsan_functions(one_side[15:]),
                         ["klp_test_target_sleep"])
        self.assertIsNone(results.kcsan_functions("BUG: KASAN: x in y"))
        lines = [kernel, mixed, one_side, other_side]
        aside = []
        self.assertEqual(results.kernel_trouble(lines, ours=ours,
                                                set_aside=aside),
                         [mixed, one_side])
        self.assertEqual(aside, [kernel, other_side])
        # Without the predicate every report counts.
        self.assertEqual(results.kernel_trouble(lines), lines)
        # Other detectors are never set aside.
        kasan = "[   61.000000] BUG: KASAN: slab-out-of-bounds in foo+0x1/0x2"
        self.assertEqual(results.kernel_trouble([kasan], ours=ours), [kasan])

    def test_framed_warning_is_a_report(self):
        # A lockdep-style header the explicit list does not name counts
        # below its frame of "=", and only there.
        report = ["[    7.000000] ",
                  "[    7.000000] =========================================",
                  "[    7.000000] WARNING: possible lock misuse detected",
                  "[    7.000000] 6.12.117 #1 Tainted: G            K",
                  "[    7.000000] -----------------------------------------"]
        self.assertEqual(results.kernel_trouble(report), [report[2]])
        self.assertEqual(results.kernel_trouble(
            ["[    7.000000] livepatch: patching complete",
             report[2]]), [])

    def test_lockdep_report_in_order_and_limited(self):
        report = [
            "[   21.512345] ",
            "[   21.512346] ==============================================="
            "=======",
            "[   21.512347] WARNING: possible circular locking dependency "
            "detected",
            "[   21.512348] 6.12.117 #1 Tainted: G            K",
            "[   21.512349] -----------------------------------------------"
            "-------",
            "[   21.512350] insmod/301 is trying to acquire lock:",
            "[   21.512351] ffffffff82a4c0a8 (klp_mutex){+.+.}-{3:3}, at: "
            "klp_enable_patch+0x3e/0x90",
            "[   21.512352] stack backtrace:",
            "[   21.512353] Call Trace:",
            "[   21.512354]  <TASK>",
            "[   21.512355]  dump_stack_lvl+0x5d/0x80",
        ]
        self.assertEqual(results.kernel_trouble(report),
                         [report[2], report[8]])
        many = [f"[   30.{i:06d}] Call Trace:" for i in range(25)]
        self.assertEqual(results.kernel_trouble(many), many[:20])
        self.assertEqual(results.kernel_trouble(many, limit=3), many[:3])

    def test_guest_run_uses_it(self):
        run = results.parse_console(console(
            "@klp@ dmesg| [   12.0] BUG: KCSAN: data-race in a / b\n"
            "@klp@ dmesg| [   12.1] ODEBUG: selftest passed\n"
            "@klp@ done\n"))
        self.assertEqual(run.kernel_trouble(),
                         ["[   12.0] BUG: KCSAN: data-race in a / b"])


X86_BOOT = [
    "[    0.000000] Linux version 6.12.117 (klp@build) (gcc 12.2.0) #1 SMP",
    "[    0.000000] Command line: console=ttyS0 panic=-1 oops=panic",
    "[    0.000000] BIOS-provided physical RAM map:",
    "[    1.234567] livepatch: klpcore on",
]
ARM64_BOOT = [
    "[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x000f0510]",
    "[    0.000000] Linux version 6.12.117 (klp@build) (aarch64-linux-gnu-"
    "gcc 12.2.0) #1 SMP PREEMPT",
    "[    0.000000] KASLR disabled due to lack of seed",
]
PPC64_BOOT = [
    "[    0.000000] hash-mmu: Page sizes from device-tree:",
    "[    0.000000] Using pSeries machine description",
    "[    0.000000] Linux version 6.12.117 (klp@build) (powerpc64le-linux-"
    "gnu-gcc 12.2.0) #1 SMP",
]


class LogCompletenessTest(unittest.TestCase):
    def test_complete_logs(self):
        for log in (X86_BOOT, ARM64_BOOT, PPC64_BOOT, [""] + X86_BOOT,
                    [line[15:] for line in X86_BOOT],
                    [line[15:] for line in ARM64_BOOT]):
            with self.subTest(first=log[0]):
                self.assertEqual(results.log_completeness(log), [])

    def test_empty(self):
        self.assertEqual(results.log_completeness([]),
                         ["kernel log is empty"])
        self.assertEqual(results.log_completeness(["", "  "]),
                         ["kernel log is empty"])

    def test_wrapped(self):
        self.assertEqual(results.log_completeness(
            ["[   12.345678] livepatch: 'x': patching complete"]
            + X86_BOOT[3:]),
            ["kernel log wrapped: it starts at [   12.345678], not at boot"])
        # Wrapped while still at time 0: the banner is gone.
        self.assertEqual(results.log_completeness(ARM64_BOOT[2:]),
                         ["kernel log wrapped: the kernel's banner "
                          "(\"Linux version ...\") is missing"])

    def test_no_time_stamps_not_from_boot(self):
        problems = results.log_completeness(
            ["livepatch: klpcore on", "Linux version 6.12.117"])
        self.assertEqual(len(problems), 1)
        self.assertIn("does not start at boot", problems[0])

    def test_dropped(self):
        log = X86_BOOT + ["[    3.000000] ** 12 printk messages dropped **",
                          "[    4.000000] ** 3 printk messages dropped **"]
        self.assertEqual(results.log_completeness(log),
                         ["kernel log lost 15 messages (printk messages "
                          "dropped)"])


# ----------------------------------------------------------------- KUnit

# /sys/kernel/debug/kunit/klpcore_spans/results as 6.12 writes it: a
# passing case, a parameterised one, one failing with its expectation,
# a skipped one.
KUNIT_SPANS = [
    "KTAP version 1",
    "1..1",
    "    KTAP version 1",
    "    # Subtest: klpcore_spans",
    "    1..4",
    "    ok 1 klp_spans_find_test",
    "        KTAP version 1",
    "        # Subtest: klp_spans_param_test",
    "        ok 1 one span",
    "        ok 2 two spans",
    "        not ok 3 overlapping spans",
    "    # klp_spans_param_test: pass:2 fail:1 skip:0 total:3",
    "    not ok 2 klp_spans_param_test",
    "    # klp_spans_stale_test: EXPECTATION FAILED at core/kunit.c:240",
    "    Expected s->nr == 2, but",
    "        s->nr == 3 (0x3)",
    "    not ok 3 klp_spans_stale_test",
    "    ok 4 klp_spans_skip_test # SKIP needs CONFIG_KLP_SPANS_DEBUG",
    "# klpcore_spans: pass:1 fail:2 skip:1 total:4",
    "# Totals: pass:3 fail:2 skip:1 total:6",
    "not ok 1 klpcore_spans",
]

KUNIT_SITE = [
    "KTAP version 1",
    "1..1",
    "    KTAP version 1",
    "    # Subtest: klpcore_site",
    "    1..2",
    "    ok 1 klp_site_stack_test",
    "    ok 2 klp_site_nop_test",
    "# klpcore_site: pass:2 fail:0 skip:0 total:2",
    "ok 1 klpcore_site",
]


def kunit_console(suites):
    text = "@klp@ boot 6.12.117 x86_64\n"
    for name, lines in suites:
        text += f"@klp@ begin kunit:{name}\n" + guest(lines) + \
            f"@klp@ end kunit:{name} 0\n"
    return results.parse_console(console(text + "@klp@ done\n"))


def triple(counts):
    return counts.passed, counts.failed, counts.skipped


class KunitTest(unittest.TestCase):
    def test_cases_counted_once(self):
        run = kunit_console([("klpcore_spans", KUNIT_SPANS),
                             ("klpcore_site", KUNIT_SITE)])
        counts, secs, problems = results.kunit_counts(run)
        self.assertEqual(triple(counts), (3, 2, 1))
        self.assertEqual(problems, [])
        self.assertEqual(secs, (len(KUNIT_SPANS) + 1) + (len(KUNIT_SITE) + 1))

    def test_cases_below_plan_fail(self):
        # The results file of a suite cut short after its second case.
        cut = KUNIT_SPANS[:13] + ["not ok 1 klpcore_spans"]
        counts, _, problems = results.kunit_counts(
            kunit_console([("klpcore_spans", cut)]))
        self.assertEqual(triple(counts), (1, 3, 0))
        self.assertEqual(problems,
                         ["kunit:klpcore_spans: 2 of 4 cases never reported"])

    def test_suite_init_failed(self):
        # suite_init failed: the plan is printed, no case ran.
        lines = ["KTAP version 1", "1..1", "    KTAP version 1",
                 "    # Subtest: klpcore_state", "    1..1",
                 "    # failed to initialize (-12)",
                 "not ok 1 klpcore_state"]
        counts, _, problems = results.kunit_counts(
            kunit_console([("klpcore_state", lines)]))
        self.assertEqual(triple(counts), (0, 1, 0))
        self.assertEqual(problems,
                         ["kunit:klpcore_state: 1 of 1 cases never reported"])

    def test_no_results_at_all(self):
        counts, _, problems = results.kunit_counts(
            kunit_console([("klpcore_shadow", [])]))
        self.assertEqual(triple(counts), (0, 1, 0))
        self.assertEqual(problems, ["kunit:klpcore_shadow: no results"])

    def test_expected_suites(self):
        run = kunit_console([("klpcore_site", KUNIT_SITE)])
        counts, _, problems = results.kunit_counts(
            run, ["klpcore_site", "klpcore_shadow", "kunit:klpcore_state"])
        self.assertEqual(triple(counts), (2, 2, 0))
        self.assertEqual(problems, ["kunit:klpcore_shadow: did not run",
                                    "kunit:klpcore_state: did not run"])
        counts, _, problems = results.kunit_counts(run, {"klpcore_site"})
        self.assertEqual(triple(counts), (2, 0, 0))
        self.assertEqual(problems, [])
        # No KUnit suite ran at all.
        run = results.parse_console(console("@klp@ done\n"))
        counts, _, problems = results.kunit_counts(run, ["klpcore_site"])
        self.assertEqual(triple(counts), (0, 1, 0))
        self.assertEqual(problems, ["kunit:klpcore_site: did not run"])


# -------------------------------------------------------------- kmemleak

KMEMLEAK = """\
unreferenced object 0xffff888003a4c000 (size 64):
  comm "insmod", pid 301, jiffies 4294894636
  hex dump (first 32 bytes):
    6b 6c 70 63 6f 72 65 00 00 00 00 00 00 00 00 00  klpcore.........
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc 5d3a4b1c):
    kmemleak_alloc+0x4a/0x80
    __kmalloc_cache_noprof+0x2d6/0x3b0
    klp_shadow_alloc+0x2f/0x60
    do_one_initcall+0x45/0x1f0
unreferenced object 0xffff888003b81e40 (size 192):
  comm "kworker/u8:1", pid 42, jiffies 4294894700
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc 0):
    kmemleak_alloc+0x4a/0x80
"""


class KmemleakTest(unittest.TestCase):
    def test_headers(self):
        self.assertEqual(results.kmemleak_report(KMEMLEAK.splitlines()),
                         ["unreferenced object 0xffff888003a4c000 "
                          "(size 64):",
                          "unreferenced object 0xffff888003b81e40 "
                          "(size 192):"])

    def test_no_leaks(self):
        self.assertEqual(results.kmemleak_report([]), [])
        self.assertEqual(results.kmemleak_report(
            ["kmemleak: Kernel memory leak detector initialized"]), [])

    def test_from_the_console_and_verbose_dmesg(self):
        run = results.parse_console(console(
            "@klp@ begin kmemleak\n" + guest(KMEMLEAK.splitlines()) +
            "@klp@ end kmemleak 0\n@klp@ done\n"))
        self.assertEqual(len(results.kmemleak_report(
            run.suites["kmemleak"].lines)), 2)
        self.assertEqual(results.kmemleak_report(
            ["[  600.1] kmemleak: unreferenced object 0xffff888003a4c000 "
             "(size 64):"]),
            ["unreferenced object 0xffff888003a4c000 (size 64):"])


# ------------------------------------------------------------- kselftest

KSELFTEST = """\
TAP version 13
1..5
# timeout set to 45
# selftests: klpcore: test-sleeper.sh
# TEST: sleeper patched while it sleeps ... ok
ok 1 selftests: klpcore: test-sleeper.sh
# timeout set to 45
# selftests: klpcore: test-unreliable-stack.sh
# SKIP: this architecture has no reliable stacks
ok 2 selftests: klpcore: test-unreliable-stack.sh # SKIP
# timeout set to 45
# selftests: klpcore: test-invalid.sh
# TEST: an invalid patch is refused ... not ok
#
# --- expected
# +++ result
# @@ -1,2 +1,3 @@
#  % insmod klp_test_invalid.ko
# +livepatch: enabling patch 'klp_test_invalid'
#  insmod: ERROR: could not insert module klp_test_invalid.ko
#
# ERROR: livepatch kselftest(s) failed
not ok 3 selftests: klpcore: test-invalid.sh # exit=1
# timeout set to 45
# selftests: klpcore: test-late-module.sh
# ok 1 nested result of the test itself # SKIP
# TEST: late module patched ... ok
ok 4 selftests: klpcore: test-late-module.sh # skip
# timeout set to 45
# selftests: klpcore: test-sleeper-kthread.sh
# TEST: kthread patched ...
#
not ok 5 selftests: klpcore: test-sleeper-kthread.sh # TIMEOUT 45 seconds
"""


class SkipsTest(unittest.TestCase):
    def test_unexpected_skips(self):
        lines = KSELFTEST.splitlines()
        self.assertEqual(results.unexpected_skips(lines, set()),
                         ["test-unreliable-stack.sh", "test-late-module.sh"])
        self.assertEqual(results.unexpected_skips(
            lines, {"test-unreliable-stack.sh"}), ["test-late-module.sh"])
        self.assertEqual(results.unexpected_skips(
            lines, {"test-unreliable-stack.sh": "no reliable stacks",
                    "test-late-module.sh": "needs modules"}), [])
        self.assertEqual(results.unexpected_skips(
            ["not ok 2 selftests: livepatch: test-ftrace.sh # SKIP no "
             "ftrace"], ()), ["test-ftrace.sh"])
        for line in ("not ok 3 selftests: livepatch: test-ftrace.sh # exit=1",
                     "not ok 3 selftests: livepatch: test-ftrace.sh # TODO",
                     "ok 3 selftests: livepatch: test-ftrace.sh # XFAIL"):
            with self.subTest(line=line):
                self.assertEqual(results.unexpected_skips([line], ()), [])

    FILE = """\
# ARCH  CORE     FLAVOUR SUITE              TEST                   REASON
riscv64 *        *       klpcore-selftests  test-unreliable-stack.sh no \
reliable stacks

*       upstream debug   upstream-livepatch test-ftrace.sh  ftrace vs KCSAN
x86_64  klpcore  *       klpcore-selftests  test-late-module.sh  the  2nd  \
pass
  # an indented comment
"""

    def test_parse_expected_skips(self):
        self.assertEqual(results.parse_expected_skips(
            self.FILE, "riscv64", "upstream", "debug"),
            {("klpcore-selftests", "test-unreliable-stack.sh"):
             "no reliable stacks",
             ("upstream-livepatch", "test-ftrace.sh"):
             "ftrace vs KCSAN"})
        self.assertEqual(results.parse_expected_skips(
            self.FILE, "x86_64", "klpcore", "plain"),
            {("klpcore-selftests", "test-late-module.sh"):
             "the  2nd  pass"})
        self.assertEqual(results.parse_expected_skips(
            self.FILE, "arm64", "upstream", "plain"), {})
        self.assertEqual(results.parse_expected_skips("", "x", "y", "z"), {})

    def test_first_matching_entry_wins(self):
        text = ("arm64 * * upstream-livepatch test-ftrace.sh not this one\n"
                "s390x * * upstream-livepatch test-ftrace.sh s390x reason\n"
                "* * * upstream-livepatch test-ftrace.sh any arch\n")
        self.assertEqual(results.parse_expected_skips(
            text, "s390x", "klpcore", "plain"),
            {("upstream-livepatch", "test-ftrace.sh"): "s390x reason"})

    @unittest.skipUnless(os.path.exists(SKIPS_FILE), "no tests/expected-skips")
    def test_the_projects_file_parses(self):
        with open(SKIPS_FILE) as f:
            text = f.read()
        for arch in ("x86_64", "arm64", "ppc64le", "s390x"):
            for entry in results.parse_expected_skips(
                    text, arch, "klpcore", "plain"):
                self.assertTrue(entry[1].startswith("test-"), entry)

    def test_entry_without_reason(self):
        text = "# header\n\nx86_64 * * klpcore-selftests test-invalid.sh\n"
        with self.assertRaisesRegex(ValueError, r"^line 3: "):
            results.parse_expected_skips(text, "x86_64", "klpcore", "plain")


class FailureContextTest(unittest.TestCase):
    INVALID = "not ok 3 selftests: klpcore: test-invalid.sh # exit=1"
    KTHREAD = ("not ok 5 selftests: klpcore: test-sleeper-kthread.sh "
               "# TIMEOUT 45 seconds")

    def test_each_failure_with_its_output(self):
        got = results.failure_context(KSELFTEST.splitlines())
        lines = KSELFTEST.splitlines()
        start = lines.index("# selftests: klpcore: test-invalid.sh") + 1
        end = lines.index(self.INVALID)
        self.assertEqual(got, [self.INVALID] + lines[start:end] +
                         [self.KTHREAD, "# TEST: kthread patched ...", "#"])
        self.assertEqual(got[1],
                         "# TEST: an invalid patch is refused ... not ok")
        self.assertEqual(got[10], "# ERROR: livepatch kselftest(s) failed")
        self.assertFalse([x for x in got if "timeout set to" in x or
                          x.startswith("# selftests:")])

    def test_long_output_keeps_its_end(self):
        result = "not ok 1 selftests: livepatch: test-state.sh # exit=1"
        lines = ["# selftests: livepatch: test-state.sh"] + \
            [f"# line {i}" for i in range(100)] + [result]
        self.assertEqual(results.failure_context(lines, max_lines=5),
                         [result, "# ... 95 earlier lines left out",
                          "# line 95", "# line 96", "# line 97",
                          "# line 98", "# line 99"])
        self.assertEqual(len(results.failure_context(lines)), 42)

    def test_nothing_failed(self):
        self.assertEqual(results.failure_context(
            KSELFTEST.splitlines()[:10]), [])
        # Not a kselftest stream: a KUnit file, the kernel-log row's lines.
        self.assertEqual(results.failure_context(KUNIT_SPANS), [])
        self.assertEqual(results.failure_context(
            ["# BUG: KASAN: slab-use-after-free in foo+0x12/0x34"]), [])

    def test_result_without_its_header(self):
        # No header, or another test's: the result line alone.
        self.assertEqual(results.failure_context(
            ["# some output", "not ok 1 selftests: klpcore: test-x.sh"]),
            ["not ok 1 selftests: klpcore: test-x.sh"])
        self.assertEqual(results.failure_context(
            ["# selftests: klpcore: test-y.sh", "# output of test-y",
             "not ok 1 selftests: klpcore: test-x.sh"]),
            ["not ok 1 selftests: klpcore: test-x.sh"])
        # Lines after a test's result are not its output.
        self.assertEqual(results.failure_context(
            ["# selftests: klpcore: test-x.sh", "# first run",
             "ok 1 selftests: klpcore: test-x.sh", "# timeout set to 45",
             "not ok 2 selftests: klpcore: test-x.sh"]),
            ["not ok 2 selftests: klpcore: test-x.sh"])


# -------------------------------------------------------- booted release

class ReleaseTest(unittest.TestCase):
    def test_same(self):
        self.assertIsNone(results.release_mismatch("6.12.117 x86_64",
                                                   "6.12.117\n"))
        run = results.parse_console(console("@klp@ boot 6.12.117-klpcore "
                                            "aarch64\n"))
        self.assertIsNone(results.release_mismatch(run.booted,
                                                   "6.12.117-klpcore"))

    def test_different(self):
        msg = results.release_mismatch("6.12.116 x86_64", "6.12.117\n")
        self.assertEqual(msg, "the guest booted kernel 6.12.116, not the "
                         "one built (6.12.117)")
        self.assertNotIn("\n", msg)

    def test_not_reported(self):
        for booted in (None, "", " "):
            with self.subTest(booted=booted):
                self.assertIn("did not say which kernel",
                              results.release_mismatch(booted, "6.12.117"))


if __name__ == "__main__":
    unittest.main()
