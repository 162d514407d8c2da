# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the verdict: every way a run can go wrong turns it red."""

import unittest

from klpharness import flavours, kernel, qemu, results, verdict


def stamped(text):
    return [(100.0 + i, line) for i, line in enumerate(text.splitlines())]


DMESG = [
    "[    0.000000] Linux version 6.12.117 (klpcore@harness)",
    "[    0.100000] smp: Brought up 1 node, 2 CPUs",
    "[    0.200000] livepatch: klpcore on x86_64 (ORC)",
]

KUNIT = [
    "KTAP version 1",
    "# Subtest: klpcore_spans",
    "# module: livepatch",
    "    1..2",
    "    ok 1 klp_spans_find_test",
    "    ok 2 klp_spans_stale_test",
    "ok 1 klpcore_spans",
]

INIT_EXIT = [
    "[   40.000000] Kernel panic - not syncing: Attempted to kill init! "
    "exitcode=0x00000000",
    "[   40.000001] CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 6.12.117",
    "[   40.000002] Call Trace:",
]


def console(suite_lines=("ok 1 selftests: klpcore: test-a.sh",),
            kunit=KUNIT, dmesg=DMESG, done=True, after=INIT_EXIT,
            booted="6.12.117 x86_64"):
    out = [f"@klp@ boot {booted}", "@klp@ begin klpcore-selftests",
           "@klp@ | TAP version 13", f"@klp@ | 1..{len(suite_lines)}"]
    out += ["@klp@ | " + x for x in suite_lines]
    out += ["@klp@ end klpcore-selftests 0", "@klp@ begin kunit:klpcore_spans"]
    out += ["@klp@ | " + x for x in kunit]
    out += ["@klp@ end kunit:klpcore_spans 0"]
    out += ["@klp@ dmesg| " + x for x in dmesg]
    if done:
        out.append("@klp@ done")
    out += list(after)
    return "\n".join(out) + "\n"


def expected(**kw):
    args = dict(core="klpcore", release="6.12.117",
                suites=[kernel.Suite("klpcore-selftests", "klpcore",
                                     ["test-a.sh"])],
                kunit=("klpcore_spans",), skips={},
                boot=[flavours.Expect("2 CPUs online",
                                      r"smp: Brought up \d+ nodes?, 2 CPUs")])
    args.update(kw)
    return verdict.Expected(**args)


def judge(text, exp=None, timed_out=None):
    run = results.parse_console(stamped(text))
    ended, message = qemu.classify(run, timed_out, 0, 1.0)
    rows = verdict.evaluate(run, ended, message, exp or expected())
    return {r.suite: r for r in rows}


def red(rows):
    return sorted(name for name, r in rows.items() if r.counts.failed)


class VerdictTest(unittest.TestCase):
    def test_clean_run_is_green(self):
        rows = judge(console())
        self.assertEqual(red(rows), [])
        self.assertEqual(list(rows), ["boot", "klpcore-selftests", "kunit",
                                      "kernel-log"])
        self.assertEqual(rows["kunit"].counts.passed, 2)

    def test_panic_after_the_last_suite(self):
        after = ["[ 30.0] Kernel panic - not syncing: sysrq triggered crash"]
        rows = judge(console(dmesg=[], done=False, after=after))
        self.assertIn("boot", red(rows))
        self.assertIn("guest panicked", rows["boot"].note)
        self.assertEqual(rows["klpcore-selftests"].counts.failed, 0)

    def test_panic_after_done_that_is_not_inits_exit(self):
        after = ["[ 40.0] BUG: kernel NULL pointer dereference, address: 0",
                 "[ 40.1] Kernel panic - not syncing: Fatal exception"]
        rows = judge(console(after=after))
        self.assertEqual(red(rows), ["boot"])
        self.assertIn("after the last test", rows["boot"].note)

    def test_init_exit_is_the_clean_end(self):
        self.assertIsNone(verdict.after_end(
            ["@klp@ done"] + INIT_EXIT))
        # The kernel's panic line may overtake init's last line.
        self.assertIsNone(verdict.after_end(
            ["@klp@ dmesg| x", INIT_EXIT[0], "@klp@ done"] + INIT_EXIT[1:]))
        self.assertEqual(verdict.after_end(
            ["@klp@ dmesg| x", "[ 9.0] Oops: 0002 [#1] SMP", "@klp@ done"]
            + INIT_EXIT), "[ 9.0] Oops: 0002 [#1] SMP")

    def test_warning_in_the_middle(self):
        dmesg = DMESG + ["[    5.0] WARNING: CPU: 1 PID: 70 at foo.c:1 f+0x1"]
        rows = judge(console(dmesg=dmesg))
        self.assertEqual(red(rows), ["kernel-log"])
        self.assertIn("WARNING: CPU: 1", rows["kernel-log"].note)

    def test_lockdep_report(self):
        dmesg = DMESG + [
            "[    6.0] ======================================================",
            "[    6.0] WARNING: possible circular locking dependency detected",
        ]
        rows = judge(console(dmesg=dmesg))
        self.assertEqual(red(rows), ["kernel-log"])

    def test_short_kunit_plan(self):
        rows = judge(console(kunit=[x for x in KUNIT
                                    if "stale" not in x]))
        self.assertEqual(red(rows), ["kunit"])
        self.assertEqual((rows["kunit"].counts.passed,
                          rows["kunit"].counts.failed), (1, 1))

    def test_failing_kunit_case_is_named(self):
        kunit = [x.replace("    ok 2", "    not ok 2") for x in KUNIT]
        rows = judge(console(kunit=kunit))
        self.assertEqual(red(rows), ["kunit"])
        self.assertEqual(rows["kunit"].note,
                         "klpcore_spans: not ok 2 klp_spans_stale_test")

    def test_expected_kunit_suite_missing(self):
        rows = judge(console(), expected(kunit=("klpcore_spans",
                                                "klpcore_site")))
        self.assertEqual(red(rows), ["kunit"])
        self.assertIn("klpcore_site", rows["kunit"].note)

    def test_timeout_of_a_test(self):
        rows = judge(console(suite_lines=[
            "not ok 1 selftests: klpcore: test-a.sh # TIMEOUT 300 seconds"]))
        self.assertEqual(red(rows), ["klpcore-selftests"])

    def test_unexpected_skip(self):
        lines = ["ok 1 selftests: klpcore: test-a.sh # SKIP"]
        rows = judge(console(suite_lines=lines))
        self.assertEqual(red(rows), ["klpcore-selftests"])
        self.assertIn("unexpected skip: test-a.sh",
                      rows["klpcore-selftests"].note)
        skips = {("klpcore-selftests", "test-a.sh"): "arm64 only"}
        rows = judge(console(suite_lines=lines), expected(skips=skips))
        self.assertEqual(red(rows), [])
        self.assertEqual(rows["klpcore-selftests"].counts.skipped, 1)

    def test_empty_and_wrapped_log(self):
        rows = judge(console(dmesg=[]))
        self.assertEqual(red(rows), ["boot", "kernel-log"])
        self.assertIn("empty", rows["kernel-log"].note)
        rows = judge(console(dmesg=["[   12.345678] late line"] + DMESG[1:]))
        self.assertIn("kernel-log", red(rows))
        self.assertIn("wrapped", rows["kernel-log"].note)

    def test_s390_banner_is_not_at_zero(self):
        dmesg = ["[    1.033586] Linux version 6.12.117 (klpcore@harness)"]
        rows = judge(console(dmesg=dmesg + DMESG[1:]))
        self.assertNotIn("kernel-log", red(rows))
        rows = judge(console(dmesg=["[    1.033586] setup: late"] + DMESG))
        self.assertIn("kernel-log", red(rows))

    def test_release_mismatch(self):
        rows = judge(console(booted="6.12.999 x86_64"))
        self.assertEqual(red(rows), ["boot"])
        self.assertIn("6.12.999", rows["boot"].note)

    def test_core_comes_from_the_log(self):
        rows = judge(console(), expected(core="upstream"))
        self.assertEqual(red(rows), ["boot"])
        self.assertIn("runs klpcore", rows["boot"].note)
        rows = judge(console(dmesg=DMESG[:2]))
        self.assertEqual(red(rows), ["boot"])

    def test_missing_boot_fact(self):
        rows = judge(console(dmesg=[DMESG[0], DMESG[2]]))
        self.assertEqual(red(rows), ["boot"])
        self.assertIn("2 CPUs online", rows["boot"].note)

    def test_kmemleak(self):
        leak = ["unreferenced object 0xffff888003a0c000 (size 64):",
                "  comm \"insmod\", pid 91, jiffies 4294893427"]
        text = console().replace(
            "@klp@ done", "@klp@ begin kmemleak\n"
            + "".join("@klp@ | " + x + "\n" for x in leak)
            + "@klp@ end kmemleak 0\n@klp@ done")
        rows = judge(text, expected(kmemleak=True))
        self.assertEqual(red(rows), ["kmemleak"])
        rows = judge(console(), expected(kmemleak=True))
        self.assertEqual(red(rows), ["kmemleak"])
        self.assertIn("did not scan", rows["kmemleak"].note)
        # The boot's leaks, logged by the scan that forgives them, are
        # not the kernel log's to judge when the kmemleak row does.
        booted = DMESG + ["[ 9.0] kmemleak: 3 new suspected memory leaks "
                          "(see /sys/kernel/debug/kmemleak)"]
        clean = console(dmesg=booted).replace(
            "@klp@ done", "@klp@ begin kmemleak\n@klp@ end kmemleak 0\n"
            "@klp@ done")
        self.assertEqual(red(judge(clean, expected(kmemleak=True))), [])
        self.assertEqual(red(judge(console(dmesg=booted))), ["kernel-log"])
        clean = console().replace(
            "@klp@ done", "@klp@ begin kmemleak\n@klp@ end kmemleak 0\n"
            "@klp@ done")
        self.assertEqual(red(judge(clean, expected(kmemleak=True))), [])


if __name__ == "__main__":
    unittest.main()
