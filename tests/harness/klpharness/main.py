# SPDX-License-Identifier: GPL-2.0
"""Command line of the harness: check, demo, deps, harness-test."""

import argparse
import os
import shutil
import subprocess
import sys
import time
import unittest

from . import arches as arches_mod
from . import bench as bench_mod
from . import deps, kernel, objtoolext, qemu, results, rootfs, util
from .util import HarnessError, say

CORES = ("upstream", "klpcore")
SUITES = ("upstream-livepatch", "klpcore-selftests", "extra", "objtool-ext")


def core_steps(paths, core, arch):
    """The preparation steps of a core's tree (none for the stock core)."""
    if core == "upstream":
        return []
    if core == "klpcore":
        steps = [kernel.step_klpcore(paths.repo)]
        # An architecture whose kernel lacks a hook carries a patch; its
        # name says the kernel version it applies to.
        patch = os.path.join(paths.repo, "arch", arch.karch,
                             "kernel-6.12.patch")
        if os.path.exists(patch):
            steps.append(kernel.step_patch(patch,
                                           paths.log(f"tree-{core}")))
        return steps
    raise HarnessError(f"unknown core '{core}' (known: {' '.join(CORES)})")


class Runner:
    def __init__(self, args):
        self.args = args
        self.paths = kernel.Paths(args.build_dir, args.repo)
        self.results = os.path.abspath(args.results or
                                       os.path.join(self.paths.o, "results"))
        self.timer = util.Timer()
        self.jobs = args.jobs or os.cpu_count() or 1

    def packages(self, archs):
        pkgs = list(deps.COMMON)
        for a in archs:
            pkgs.extend(a.packages)
        return pkgs

    def kernel_for(self, core, arch):
        """Extract, prepare, configure and build; returns (tree, image)."""
        t = self.timer
        tag = f"{core}/{arch.name}"
        with t.stage("extract", "extracting the pristine 6.12 source",
                     quiet_below=1.0):
            kernel.extract_source(self.paths)
        with t.stage(f"prepare {tag}", f"[{tag}] preparing the tree",
                     quiet_below=1.0):
            tree = kernel.prepare_tree(self.paths, core, arch,
                                       core_steps(self.paths, core, arch))
        with t.stage(f"config {tag}", f"[{tag}] configuring",
                     quiet_below=2.0):
            kernel.configure(self.paths, tree, core, arch)
        with t.stage(f"build {tag}", f"[{tag}] building the kernel"):
            image = kernel.build(self.paths, tree, core, arch, self.jobs)
        if core == "klpcore":
            kernel.check_klpcore_objects(self.paths.kbuild(core, arch))
        return tree, image

    def base_rootfs(self, arch):
        with self.timer.stage(f"rootfs {arch.name}",
                              f"[{arch.name}] Debian root filesystem",
                              quiet_below=1.0):
            base, _ = rootfs.base_image(self.paths, arch)
        return base

    def initrd(self, arch, base, workdir, mode, fill):
        overlay = os.path.join(workdir, "overlay")
        if os.path.exists(overlay):
            shutil.rmtree(overlay)
        os.makedirs(os.path.join(overlay, "klp"))
        shutil.copy2(os.path.join(self.paths.repo, "tests", "guest", "init"),
                     os.path.join(overlay, "init"))
        os.chmod(os.path.join(overlay, "init"), 0o755)
        with open(os.path.join(overlay, "klp", "mode"), "w") as f:
            f.write(mode + "\n")
        fill(os.path.join(overlay, "klp"))
        return rootfs.initrd(self.paths, base, overlay,
                             os.path.join(workdir, "initrd.cpio"))

    # make check ---------------------------------------------------------

    def check_arch(self, core, arch, wanted):
        """Build, boot and test one kernel; returns summary rows."""
        tag = f"{core}/{arch.name}"
        out = os.path.join(self.results, f"{core}-{arch.name}")
        os.makedirs(out, exist_ok=True)
        tree, image = self.kernel_for(core, arch)
        version = kernel.kernel_version(self.paths)
        with open(os.path.join(out, "version"), "w") as f:
            f.write(version + "\n")
        with self.timer.stage(f"selftests {tag}",
                              f"[{tag}] building the selftests"):
            # objtool-ext checks the test modules too: build them even
            # when their suites do not run.
            build = list(wanted)
            if "objtool-ext" in wanted:
                build += [s for s in ("upstream-livepatch",
                                      "klpcore-selftests")
                          if s not in build]
            inst, suites = kernel.build_selftests(
                self.paths, tree, core, arch, self.args.extra, build)
            suites = [s for s in suites if s.name in wanted]
        pre = []
        if "objtool-ext" in wanted:
            pre.append(self.objtool_ext_row(core, arch, inst, out))
        if not suites:
            return pre      # nothing to run in a guest
        base = self.base_rootfs(arch)

        def fill(klp):
            shutil.copytree(inst, os.path.join(klp, "kselftest"),
                            symlinks=True)
            with open(os.path.join(klp, "suites"), "w") as f:
                for s in suites:
                    f.write(f"{s.name} {s.collection}\n")

        initrd = self.initrd(arch, base, out, "check", fill)
        cmd = qemu.command(arch, image, initrd, qemu.kernel_cmdline(arch))
        with self.timer.stage(f"boot {tag}",
                              f"[{tag}] booting in QEMU and running "
                              f"{', '.join(s.name for s in suites)}"):
            b = qemu.boot(cmd, os.path.join(out, "console.log"),
                          self.args.timeout, self.args.idle_timeout)
        os.unlink(initrd)   # ~100 MB, rebuilt by every run
        return pre + self.evaluate(core, arch, b, suites, out)

    def objtool_ext_row(self, core, arch, inst, out):
        """objtool-ext over vmlinux.o and every module of this kernel."""
        tag = f"{core}/{arch.name}"
        with self.timer.stage(f"objtool-ext {tag}",
                              f"[{tag}] objtool-ext over vmlinux.o and "
                              "the modules"):
            counts, secs, note = objtoolext.check_kernel(
                self.paths, arch, self.paths.kbuild(core, arch), inst,
                os.path.join(out, "objtool-ext.log"))
        say(f"    {note}")
        return self.row(core, arch, "objtool-ext", counts, secs,
                        note if counts.failed else "")

    def objtool_ext_tests(self, archs):
        """Build objtool-ext and run its own tests, once per make check."""
        with self.timer.stage("objtool-ext build", "building objtool-ext",
                              quiet_below=1.0):
            objtoolext.build(self.paths)
        with self.timer.stage("objtool-ext tests",
                              "objtool-ext's own tests (cases, shapes, fuzz)"):
            counts, secs = objtoolext.self_test(
                self.paths, [a.name for a in archs],
                os.path.join(self.results, "objtool-ext-tests.log"))
        if counts.failed:
            say(f"    failures: see "
                f"{os.path.join(self.results, 'objtool-ext-tests.log')}")
        return {"core": self.args.core, "arch": "host",
                "suite": "objtool-ext-tests", "passed": counts.passed,
                "failed": counts.failed, "skipped": counts.skipped,
                "seconds": secs, "note": ""}

    def evaluate(self, core, arch, b, suites, out):
        rows = []
        ktap = []
        for s in suites:
            counts, secs = results.suite_counts(b.run, s.name, len(s.tests))
            lines = b.run.suites[s.name].lines if s.name in b.run.suites \
                else []
            ktap.append((s.name, lines, counts))
            rows.append(self.row(core, arch, s.name, counts, secs,
                                 b.message if counts.failed else ""))
        kcounts, ksecs = results.kunit_counts(b.run)
        if kcounts.total:
            klines = []
            for name, suite in b.run.suites.items():
                if name.startswith("kunit:"):
                    klines.extend(suite.lines)
            ktap.append(("kunit", klines, kcounts))
            rows.append(self.row(core, arch, "kunit", kcounts, ksecs, ""))
        if b.ok:
            trouble = b.run.kernel_trouble()
            kc = results.Counts(passed=0 if trouble else 1,
                                failed=1 if trouble else 0)
            ktap.append(("kernel-log", ["# " + t for t in trouble], kc))
            rows.append(self.row(core, arch, "kernel-log", kc, 0.0,
                                 trouble[0] if trouble else ""))
        with open(os.path.join(out, "ktap.log"), "w") as f:
            f.write(results.ktap_log(ktap))
        with open(os.path.join(out, "dmesg.log"), "w") as f:
            f.write("\n".join(b.run.dmesg) + "\n")
        if not b.ok:
            say(f"[{core}/{arch.name}] {b.message}")
            say(f"--- last console lines ({out}/console.log) ---")
            for line in [x for x in b.run.console if x.strip()][-20:]:
                say("  " + line)
        for s, (_, lines, counts) in zip(suites, ktap):
            if counts.failed:
                say(f"[{core}/{arch.name}] {s.name}: failures:")
                bad = [x for x in lines if x.startswith("not ok")]
                for line in bad:
                    say("  " + line)
                if len(bad) < counts.failed:
                    say(f"  {counts.failed - len(bad)} test(s) never "
                        "reported a result")
        t = results.totals(rows)
        say(f"[{core}/{arch.name}] {results.closing_line(t)}")
        return rows

    @staticmethod
    def row(core, arch, suite, counts, secs, note):
        return {"core": core, "arch": arch.name, "suite": suite,
                "passed": counts.passed, "failed": counts.failed,
                "skipped": counts.skipped, "seconds": secs, "note": note}

    def expected_tests(self, wanted):
        """Per suite, how many tests it has, read without building."""
        out = {}
        mk = os.path.join(self.paths.src, "tools", "testing", "selftests",
                          "livepatch", "Makefile")
        if "upstream-livepatch" in wanted:
            try:
                with open(mk) as f:
                    out["upstream-livepatch"] = len(
                        kernel.make_list(f.read(), "TEST_PROGS"))
            except OSError:
                out["upstream-livepatch"] = 1
        if "klpcore-selftests" in wanted:
            d = os.path.join(self.paths.repo, "tests", "selftests")
            out["klpcore-selftests"] = len([
                f for f in os.listdir(d) if f.endswith(".sh")
                and os.access(os.path.join(d, f), os.X_OK)])
        if "extra" in wanted:
            out["extra"] = 1
        if "objtool-ext" in wanted:
            out["objtool-ext"] = 1
        return out

    def check(self):
        args = self.args
        archs = arches_mod.lookup(args.arches.split())
        wanted = [s for s in args.suites.split()]
        for s in wanted:
            if s not in SUITES:
                raise HarnessError(f"unknown suite '{s}' "
                                   f"(known: {' '.join(SUITES)})")
        if args.extra and "extra" not in wanted:
            wanted.append("extra")
        if args.extra:
            args.extra = os.path.abspath(args.extra)
        deps.ensure(self.packages(archs), self.paths.log("apt"))
        os.makedirs(self.results, exist_ok=True)
        start = time.monotonic()
        rows = []
        if "objtool-ext" in wanted:
            try:
                rows.append(self.objtool_ext_tests(archs))
            except HarnessError as e:
                util.err(f"[objtool-ext] {e}")
                rows.append({"core": args.core, "arch": "host",
                             "suite": "objtool-ext-tests", "passed": 0,
                             "failed": 1, "skipped": 0, "seconds": 0.0,
                             "note": str(e).splitlines()[0]})
        for arch in archs:
            try:
                rows += self.check_arch(args.core, arch, wanted)
            except kernel.ArchSkipped as e:
                say(f"[{args.core}/{arch.name}] skipped: {e}")
                for s, n in self.expected_tests(wanted).items():
                    rows.append(self.row(args.core, arch, s,
                                         results.Counts(skipped=n), 0.0,
                                         f"skipped: {e}"))
            except HarnessError as e:
                util.err(f"[{args.core}/{arch.name}] {e}")
                for s in wanted:
                    rows.append(self.row(args.core, arch, s,
                                         results.Counts(failed=1), 0.0,
                                         str(e).splitlines()[0]))
        if args.harness_test:
            rows += self.harness_test_rows(archs[0])
        return self.finish(rows, start)

    def finish(self, rows, start):
        results.write_summary(os.path.join(self.results, "summary.tsv"), rows)
        self.timer.rows.append(("total", time.monotonic() - start))
        self.timer.write(os.path.join(self.results, "stages.tsv"))
        version = ""
        try:
            version = kernel.kernel_version(self.paths)
        except (subprocess.CalledProcessError, OSError):
            pass
        say("")
        say(f"klpcore results, Linux {version}, "
            f"{time.monotonic() - start:.0f} s "
            f"({os.path.join(self.results, 'summary.tsv')})")
        say(results.table(rows))
        t = results.totals(rows)
        say(results.closing_line(t))
        return 0 if t.failed == 0 else 1

    # harness self-test ----------------------------------------------------

    def harness_cases(self):
        d = os.path.join(self.paths.repo, "tests", "harness-selftest")
        # (case, exit status, text the output must contain, and the
        # (passed, failed) that summary.tsv must give the suite 'extra')
        return [
            ("pass", 0, " passed, 0 failed, 0 skipped", (1, 0)),
            ("fail", 1, "not ok 1 selftests: extra: test-fail.sh", (0, 1)),
            ("hang", 1, "guest hung: no console output", (0, 1)),
            ("panic", 1, "guest panicked: Kernel panic - not syncing: "
             "klp-harness-selftest: panic on purpose", (0, 1)),
        ], d

    def harness_test_rows(self, arch):
        """Prove that the harness turns each kind of trouble red."""
        counts = results.Counts()
        start = time.monotonic()
        say(f"==> harness self-test: unit tests")
        suite = unittest.defaultTestLoader.discover(
            os.path.join(self.paths.repo, "tests", "harness", "tests"),
            top_level_dir=os.path.join(self.paths.repo, "tests", "harness"))
        res = unittest.TextTestRunner(stream=sys.stdout, verbosity=0).run(suite)
        counts.passed += res.testsRun - len(res.failures) - len(res.errors)
        counts.failed += len(res.failures) + len(res.errors)
        cases, d = self.harness_cases()
        for case, want_rc, want_text, want_counts in cases:
            say(f"==> harness self-test: a guest run that should "
                f"{'pass' if want_rc == 0 else 'fail'} ({case})")
            out = os.path.join(self.results, "harness-test", case)
            cmd = [sys.executable, os.path.join(self.paths.repo, "tests",
                                                "harness", "klp-harness"),
                   "check", "--build-dir", self.paths.o,
                   "--repo", self.paths.repo, "--results", out,
                   "--arches", arch.name, "--core", self.args.core,
                   "--suites", "extra", "--extra", os.path.join(d, case),
                   "--timeout", "300", "--idle-timeout", "45",
                   "--no-harness-test"]
            os.makedirs(out, exist_ok=True)
            log = os.path.join(out, "output.log")
            with open(log, "w") as f:
                rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL).returncode
            with open(log) as f:
                text = f.read()
            got = None
            try:
                for r in results.read_summary(os.path.join(out,
                                                           "summary.tsv")):
                    if r["suite"] == "extra":
                        got = (r["passed"], r["failed"])
            except (OSError, ValueError):
                pass
            if rc == want_rc and want_text in text and got == want_counts:
                counts.passed += 1
                say(f"    ok: exit {rc}, extra {got[0]} passed "
                    f"{got[1]} failed, and '{want_text}'")
            else:
                counts.failed += 1
                found = "found" if want_text in text else "missing"
                say(f"    FAILED: exit {rc} (wanted {want_rc}), extra "
                    f"(passed, failed) {got} (wanted {want_counts}), "
                    f"'{want_text}' {found}; see {log}")
        return [self.row(self.args.core, arch, "harness", counts,
                         time.monotonic() - start, "")]

    # make bench -----------------------------------------------------------

    def bench_run(self, core, arch):
        """Build, boot and measure one kernel; returns bench rows."""
        tag = f"{core}/{arch.name}"
        out = os.path.join(self.results, f"bench-{core}-{arch.name}")
        os.makedirs(out, exist_ok=True)
        _, image = self.kernel_for(core, arch)
        staging = os.path.join(out, "guest")
        if os.path.exists(staging):
            shutil.rmtree(staging)
        with self.timer.stage(f"bench build {tag}",
                              f"[{tag}] building the bench modules"):
            bench_mod.build(self.paths, core, arch, staging)
        base = self.base_rootfs(arch)

        def fill(klp):
            shutil.copytree(staging, os.path.join(klp, "bench"))

        initrd = self.initrd(arch, base, out, "bench", fill)
        # Under TCG the clocksource watchdog often finds the TSC skewed
        # and falls back to jiffies (4 ms steps); trust the TSC instead.
        extra = "tsc=reliable" if arch.name == "x86_64" else ""
        cmd = qemu.command(arch, image, initrd,
                           qemu.kernel_cmdline(arch, extra), memory="2G")
        with self.timer.stage(f"bench boot {tag}",
                              f"[{tag}] booting and measuring"):
            b = qemu.boot(cmd, os.path.join(out, "console.log"),
                          self.args.timeout, self.args.idle_timeout)
        os.unlink(initrd)
        lines = b.run.suites["bench"].lines if "bench" in b.run.suites \
            else []
        rows = bench_mod.parse(lines, arch.name, core)
        if not b.ok or "bench end" not in lines:
            raise HarnessError(f"[{tag}] bench run incomplete: "
                               f"{b.message or 'no bench end'} "
                               f"(see {out}/console.log)")
        return rows

    def bench(self):
        archs = arches_mod.lookup(self.args.arches.split())
        deps.ensure(self.packages(archs) + ["python3-matplotlib"],
                    self.paths.log("apt"))
        os.makedirs(self.results, exist_ok=True)
        rows = []
        failed = False
        for arch in archs:
            for core in bench_mod.CORES:
                try:
                    rows += self.bench_run(core, arch)
                except kernel.ArchSkipped as e:
                    say(f"[{core}/{arch.name}] skipped: {e}")
                except HarnessError as e:
                    util.err(str(e))
                    failed = True
        tsv = os.path.join(self.results, "bench.tsv")
        bench_mod.write_tsv(tsv, rows)
        say("")
        say(f"klpcore against the stock 6.12 core ({tsv}); timings from "
            "the guest's clock under QEMU TCG: read the ratios")
        say(bench_mod.table(rows))
        for path in bench_mod.plot(rows, self.results):
            say(f"plot: {path}")
        return 1 if failed or not rows else 0

    # make demo ------------------------------------------------------------

    def demo(self):
        arch = arches_mod.lookup([self.args.demo_arch])[0]
        core = self.args.core
        deps.ensure(self.packages([arch]), self.paths.log("apt"))
        out = os.path.join(self.results, f"demo-{core}-{arch.name}")
        os.makedirs(out, exist_ok=True)
        try:
            _, image = self.kernel_for(core, arch)
        except kernel.ArchSkipped as e:
            raise HarnessError(f"no demo on {arch.name} with the {core} "
                               f"core: {e}")
        kbuild = self.paths.kbuild(core, arch)
        sample = os.path.join(kbuild, "samples", "livepatch",
                              "livepatch-sample.ko")
        if not os.path.exists(sample):
            raise HarnessError(f"{sample} was not built")
        base = self.base_rootfs(arch)

        def fill(klp):
            os.makedirs(os.path.join(klp, "demo"))
            shutil.copy2(sample, os.path.join(klp, "demo"))

        initrd = self.initrd(arch, base, out, "demo", fill)
        cmd = qemu.command(arch, image, initrd, qemu.kernel_cmdline(arch))
        say(f"==> [{core}/{arch.name}] booting the demo guest")

        finished = []

        def echo(line):
            # Everything after "done" is the planned exit of init.
            if results.MARK + "done" in line:
                finished.append(True)
            if results.MARK not in line and not finished:
                say("  | " + line)

        b = qemu.boot(cmd, os.path.join(out, "console.log"),
                      self.args.timeout, self.args.idle_timeout, echo=echo)
        if not b.ok:
            raise HarnessError(b.message)
        if b.run.demo_status != 0:
            raise HarnessError(f"the demo failed (status "
                               f"{b.run.demo_status})")
        say(f"==> demo finished in {b.seconds:.1f} s")
        return 0


def parse_args(argv):
    here = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    p = argparse.ArgumentParser(prog="klp-harness")
    p.add_argument("command", choices=("check", "demo", "deps", "bench"))
    p.add_argument("--build-dir", default=os.path.join(here, "build"))
    p.add_argument("--repo", default=here)
    p.add_argument("--results", default=None,
                   help="results directory (default BUILD/results)")
    p.add_argument("--arches", default=" ".join(arches_mod.DEFAULT_ARCHES))
    p.add_argument("--core", default="klpcore", choices=CORES)
    p.add_argument("--suites",
                   default="upstream-livepatch klpcore-selftests objtool-ext")
    p.add_argument("--extra", default=None,
                   help="EXTRA_SELFTESTS directory")
    p.add_argument("--demo-arch", default="x86_64")
    p.add_argument("--jobs", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1500.0,
                   help="seconds a guest may run in all")
    p.add_argument("--idle-timeout", type=float, default=300.0,
                   help="seconds a guest may print nothing")
    p.add_argument("--harness-test", dest="harness_test",
                   action="store_true", default=False)
    p.add_argument("--no-harness-test", dest="harness_test",
                   action="store_false")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    runner = Runner(args)
    try:
        if args.command == "deps":
            archs = arches_mod.lookup(args.arches.split())
            deps.ensure(runner.packages(archs), runner.paths.log("apt"))
            return 0
        if args.command == "demo":
            return runner.demo()
        if args.command == "bench":
            return runner.bench()
        return runner.check()
    except HarnessError as e:
        util.err(str(e))
        return 2
    except KeyboardInterrupt:
        util.err("interrupted")
        return 130
