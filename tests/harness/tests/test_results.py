# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the harness's parsers: consoles, KTAP, configs, Makefiles."""

import os
import subprocess
import tempfile
import unittest

from klpharness import flavours, kernel, qemu, results


def stamped(text, start=100.0):
    return [(start + i, line) for i, line in enumerate(text.splitlines())]


GOOD = """\
[    0.000000] Linux version 6.12.117
@klp@ boot 6.12.117 x86_64
@klp@ begin upstream-livepatch
@klp@ | TAP version 13
@klp@ | 1..3
@klp@ | # timeout set to 0
@klp@ | # selftests: livepatch: test-livepatch.sh
@klp@ | # TEST: basic function patching ... ok
@klp@ | ok 1 selftests: livepatch: test-livepatch.sh
@klp@ | ok 2 selftests: livepatch: test-callbacks.sh # SKIP
@klp@ | not ok 3 selftests: livepatch: test-ftrace.sh # exit=1
@klp@ end upstream-livepatch 0
@klp@ dmesg| [    1.0] livepatch: enabling patch 'test_klp_livepatch'
@klp@ done
[   42.000000] Kernel panic - not syncing: Attempted to kill init!
"""


class ConsoleTest(unittest.TestCase):
    def test_counts_and_times(self):
        run = results.parse_console(stamped(GOOD))
        self.assertTrue(run.done)
        self.assertIsNone(run.panic, "a panic after 'done' is the normal end")
        self.assertEqual(run.booted, "6.12.117 x86_64")
        counts, secs = results.suite_counts(run, "upstream-livepatch", 3)
        self.assertEqual((counts.passed, counts.failed, counts.skipped),
                         (1, 1, 1))
        self.assertEqual(secs, 9.0)
        self.assertEqual(run.dmesg,
                         ["[    1.0] livepatch: enabling patch "
                          "'test_klp_livepatch'"])

    def test_missing_tests_count_as_failed(self):
        text = "\n".join(GOOD.splitlines()[:9]) + "\n"
        run = results.parse_console(stamped(text))
        counts, _ = results.suite_counts(run, "upstream-livepatch", 7)
        self.assertEqual(counts.passed, 1)
        self.assertEqual(counts.failed, 6)
        self.assertFalse(run.done)

    def test_suite_never_started(self):
        run = results.parse_console(stamped("@klp@ boot x\n"))
        counts, _ = results.suite_counts(run, "extra", 2)
        self.assertEqual(counts.failed, 2)

    def test_panic_before_done(self):
        text = ("@klp@ begin extra\n"
                "[ 3.1] Kernel panic - not syncing: klp-harness-selftest: "
                "panic on purpose\n")
        run = results.parse_console(stamped(text))
        self.assertFalse(run.done)
        self.assertEqual(run.panic, "Kernel panic - not syncing: "
                         "klp-harness-selftest: panic on purpose")
        ended, msg = qemu.classify(run, None, 0, 3.0)
        self.assertEqual(ended, "panic")
        self.assertIn("guest panicked: Kernel panic", msg)

    def test_marker_after_kernel_text_on_same_line(self):
        text = "[ 1.0] some kernel text@klp@ | ok 1 x\n"
        run = results.parse_console(stamped("@klp@ begin s\n" + text +
                                            "@klp@ end s 0\n"))
        counts, _ = results.suite_counts(run, "s", 1)
        self.assertEqual(counts.passed, 1)

    def test_classify_hang_and_exit(self):
        run = results.parse_console(stamped("@klp@ begin extra\n"))
        self.assertEqual(qemu.classify(run, "idle", None, 45)[0], "idle")
        self.assertIn("guest hung", qemu.classify(run, "idle", None, 45)[1])
        self.assertEqual(qemu.classify(run, "total", None, 300)[0], "timeout")
        self.assertEqual(qemu.classify(run, None, 1, 5)[0], "exited")

    def test_kernel_trouble(self):
        run = results.parse_console(stamped(
            "@klp@ dmesg| [ 2.0] WARNING: CPU: 0 PID: 1 at kernel/x.c:1\n"
            "@klp@ dmesg| [ 2.1] livepatch: all fine\n@klp@ done\n"))
        self.assertEqual(len(run.kernel_trouble()), 1)

    def test_kunit(self):
        # Cases nested under the suite line are what counts.
        run = results.parse_console(stamped(
            "@klp@ begin kunit:klp_shadow\n@klp@ | KTAP version 1\n"
            "@klp@ | 1..1\n@klp@ |     1..3\n@klp@ |     ok 1 x\n"
            "@klp@ |     not ok 2 y\n@klp@ |     ok 3 z # SKIP\n"
            "@klp@ |         ok 1 param\n"
            "@klp@ | not ok 1 klp_shadow\n@klp@ end kunit:klp_shadow 0\n"))
        counts, _, problems = results.kunit_counts(run)
        self.assertEqual((counts.passed, counts.failed, counts.skipped),
                         (1, 1, 1))
        self.assertEqual(problems, [])
        # Without nested cases the suite line counts.
        run = results.parse_console(stamped(
            "@klp@ begin kunit:s\n@klp@ | 1..1\n@klp@ | ok 1 s\n"
            "@klp@ end kunit:s 0\n"))
        counts, _, problems = results.kunit_counts(run)
        self.assertEqual(counts.passed, 1)
        self.assertEqual(problems, [])


class KtapTest(unittest.TestCase):
    def test_directives(self):
        c, plan = results.count_ktap([
            "1..5", "ok 1 a", "not ok 2 b # SKIP no", "not ok 3 c # TODO",
            "not ok 4 d", "  not ok 1 nested", "# not ok 9 comment",
            "ok 5 e # skip lower case"])
        self.assertEqual(plan, 5)
        self.assertEqual((c.passed, c.failed, c.skipped), (1, 1, 3))

    def test_log_roundtrip(self):
        text = results.ktap_log([("s", ["ok 1 x"], results.Counts(passed=1)),
                                 ("t", [], results.Counts(failed=1))])
        c, plan = results.count_ktap(text.splitlines())
        self.assertEqual(plan, 2)
        self.assertEqual((c.passed, c.failed), (1, 1))


class SummaryTest(unittest.TestCase):
    def test_write_read_table(self):
        rows = [{"core": "upstream", "arch": "x86_64", "flavour": "debug",
                 "suite": "s", "passed": 7, "failed": 0, "skipped": 0,
                 "seconds": 61.25},
                {"core": "upstream", "arch": "arm64", "suite": "s",
                 "passed": 0, "failed": 0, "skipped": 7, "seconds": 0.0,
                 "note": "skipped: no livepatch"}]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "summary.tsv")
            results.write_summary(path, rows)
            with open(path) as f:
                self.assertEqual(f.readline(),
                                 "core\tarch\tflavour\tsuite\tpassed\t"
                                 "failed\tskipped\tseconds\n")
            back = results.read_summary(path)
        self.assertEqual(back[0]["passed"], 7)
        self.assertEqual(back[0]["flavour"], "debug")
        self.assertEqual(back[1]["flavour"], "-")
        self.assertEqual(back[0]["seconds"], 61.2)
        text = results.table(rows)
        self.assertIn("skipped: no livepatch", text)
        self.assertEqual(results.closing_line(results.totals(rows)),
                         "7 passed, 0 failed, 7 skipped")


class StaleObjectTest(unittest.TestCase):
    def test_changed_file_is_newer_than_what_was_built(self):
        """An object built from the previous copy must not look newer than
        a file that changed since (make would keep the stale object)."""
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "src")
            dst = os.path.join(d, "dst")
            os.makedirs(src)
            with open(os.path.join(src, "a.h"), "w") as f:
                f.write("old\n")
            kernel.mirror(src, dst)
            # The project's file is edited; then an object is built
            # from the copy of the old one, at a later time.
            with open(os.path.join(src, "a.h"), "w") as f:
                f.write("new\n")
            os.utime(os.path.join(src, "a.h"), (1000, 1000))
            obj = os.path.join(d, "a.o")     # in the O= directory
            with open(obj, "w") as f:
                f.write("built from old\n")
            os.utime(obj, (2000, 2000))
            kernel.mirror(src, dst)
            with open(os.path.join(dst, "a.h")) as f:
                self.assertEqual(f.read(), "new\n")
            self.assertGreater(os.path.getmtime(os.path.join(dst, "a.h")),
                               os.path.getmtime(obj))

    def test_unchanged_file_keeps_its_time(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "src")
            dst = os.path.join(d, "dst")
            os.makedirs(src)
            with open(os.path.join(src, "a.c"), "w") as f:
                f.write("same\n")
            kernel.mirror(src, dst)
            os.utime(os.path.join(dst, "a.c"), (1000, 1000))
            kernel.mirror(src, dst)
            self.assertEqual(os.path.getmtime(os.path.join(dst, "a.c")),
                             1000)


class KernelTest(unittest.TestCase):
    def test_make_list(self):
        mk = ("TEST_GEN_FILES := prog\nTEST_PROGS := \\\n\ta.sh \\\n"
              "\tb.sh\nTEST_PROGS += c.sh\nOTHER = d\n")
        self.assertEqual(kernel.make_list(mk, "TEST_PROGS"),
                         ["a.sh", "b.sh", "c.sh"])
        self.assertEqual(kernel.make_list(mk, "TEST_GEN_FILES"), ["prog"])
        self.assertEqual(kernel.make_list(mk, "NONE"), [])

    def test_config_unmet(self):
        wanted = kernel.parse_config(
            "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\n# comment\n")
        actual = kernel.parse_config("CONFIG_A=y\nCONFIG_B=y\n")
        self.assertEqual(kernel.unmet(wanted, actual),
                         [("CONFIG_B", "n", "y"), ("CONFIG_C", "m", "n")])


class MirrorTest(unittest.TestCase):
    def test_host_mirrors(self):
        from klpharness import rootfs
        with tempfile.TemporaryDirectory() as root:
            d = os.path.join(root, "etc", "apt", "sources.list.d")
            os.makedirs(d)
            with open(os.path.join(d, "a.sources"), "w") as f:
                f.write("Types: deb\nURIs: file:///srv/m1/debian\n"
                        "Suites: bookworm bookworm-updates\n\n"
                        "Types: deb\nURIs: file:///srv/m2/debian-security\n"
                        "Suites: bookworm-security\n")
            with open(os.path.join(root, "etc", "apt", "sources.list"),
                      "w") as f:
                f.write("deb [arch=amd64] file:///srv/m3/debian bookworm main\n"
                        "# deb file:///srv/m4/debian bookworm main\n"
                        "deb file:///srv/m5/debian bookworm-updates main\n")
            self.assertEqual(rootfs.host_mirrors("bookworm", root),
                             ["file:///srv/m1/debian", "file:///srv/m3/debian"])


class TreeTest(unittest.TestCase):
    def test_mirror(self):
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "src"), os.path.join(d, "dst")
            os.makedirs(os.path.join(src, "sub"))
            for name, text in (("a.c", "a"), ("sub/b.c", "b"), ("c.c", "c")):
                with open(os.path.join(src, name), "w") as f:
                    f.write(text)
            kernel.mirror(src, dst)
            kept = os.stat(os.path.join(dst, "a.c")).st_mtime_ns
            with open(os.path.join(src, "sub", "b.c"), "w") as f:
                f.write("b2")
            os.unlink(os.path.join(src, "c.c"))
            kernel.mirror(src, dst)
            with open(os.path.join(dst, "sub", "b.c")) as f:
                self.assertEqual(f.read(), "b2")
            self.assertFalse(os.path.exists(os.path.join(dst, "c.c")))
            self.assertEqual(os.stat(os.path.join(dst, "a.c")).st_mtime_ns,
                             kept)

    def test_only_klpcore_objects(self):
        with tempfile.TemporaryDirectory() as kb:
            top = os.path.join(kb, "kernel", "livepatch")
            os.makedirs(os.path.join(top, "core"))
            for f in ("livepatch.o", "core/transition.o", "core/main.o"):
                open(os.path.join(top, f), "w").close()
            kernel.check_klpcore_objects(kb)
            open(os.path.join(top, "patch.o"), "w").close()
            with self.assertRaises(kernel.HarnessError):
                kernel.check_klpcore_objects(kb)

    def test_klpcore_functions(self):
        with tempfile.TemporaryDirectory() as kb:
            top = os.path.join(kb, "kernel", "livepatch")
            with self.assertRaises(kernel.HarnessError):
                kernel.klpcore_functions(kb)
            os.makedirs(os.path.join(top, "arch", "x86_64"))
            for obj, fn in (("core/x.o", "klp_x"),
                            ("arch/x86_64/y.o", "walk_y")):
                src = os.path.join(kb, fn + ".c")
                with open(src, "w") as f:
                    f.write(f"int v_{fn};\nstatic int s_{fn}(void) "
                            f"{{ return v_{fn}; }}\nint {fn}(void) "
                            f"{{ return s_{fn}() + 1; }}\n")
                os.makedirs(os.path.dirname(os.path.join(top, obj)),
                            exist_ok=True)
                subprocess.run(["gcc", "-O0", "-c", src, "-o",
                                os.path.join(top, obj)], check=True)
            self.assertEqual(kernel.klpcore_functions(kb),
                             {"klp_x", "s_klp_x", "walk_y", "s_walk_y"})

    def test_klpcore_instrumented(self):
        """The kcsan flavour's check: klpcore's objects call __tsan_*."""
        kcsan = flavours.FLAVOURS["kcsan"]
        with tempfile.TemporaryDirectory() as kb:
            top = os.path.join(kb, "kernel", "livepatch")
            os.makedirs(os.path.join(top, "core"))
            src = os.path.join(kb, "t.c")
            with open(src, "w") as f:
                f.write("int v;\nvoid f(void) { v++; }\n")
            obj = os.path.join(top, "core", "transition.o")
            subprocess.run(["gcc", "-O2", "-c", src, "-o", obj], check=True)
            kernel.check_klpcore_objects(kb)
            with self.assertRaises(kernel.HarnessError):
                kernel.check_klpcore_objects(kb, kcsan)
            subprocess.run(["gcc", "-O2", "-fsanitize=thread", "-c", src,
                            "-o", obj], check=True)
            kernel.check_klpcore_objects(kb, kcsan)


if __name__ == "__main__":
    unittest.main()
