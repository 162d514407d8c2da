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
from . import flavours as flavours_mod
from . import verdict
from .util import HarnessError, say

CORES = ("upstream", "klpcore")
SUITES = ("upstream-livepatch", "klpcore-selftests", "extra", "objtool-ext",
          "refusals")

# Kernels that klpcore must refuse to build: (architecture, name, config
# fragment under tests/configs/refusals/, the error the build must give).
REFUSALS = (
    ("x86_64", "unreliable-unwinder", "unreliable-unwinder-x86_64.config",
     "klpcore: this kernel's stack unwinder is not reliable"),
)


def core_steps(paths, core, arch):
    """The preparation steps of a core's tree (none for the stock core)."""
    if core == "upstream":
        return []
    if core == "klpcore":
        steps = [kernel.step_klpcore(paths.repo)]
        # The core's own hooks in the kernel (every architecture), then
        # those of an architecture whose kernel lacks one. A patch's name
        # says the kernel version it applies to.
        for patch in (os.path.join(paths.repo, "core", "kernel-6.12.patch"),
                      os.path.join(paths.repo, "arch", arch.karch,
                                   "kernel-6.12.patch")):
            if os.path.exists(patch):
                steps.append(kernel.step_patch(patch,
                                               paths.log(f"tree-{core}")))
        return steps
    raise HarnessError(f"unknown core '{core}' (known: {' '.join(CORES)})")


# Lines of each failure repeated at the end of make check's output.
RECAP_LINES = 6


def recap_lines(context):
    """Of failure_context()'s lines: each failed test's result line and
    the last lines it printed (where a test says why it failed)."""
    out = []
    tail = None
    for line in context + [None]:
        if line is None or not line.startswith("#"):
            if tail is not None:
                out += tail[-RECAP_LINES:]
            if line is not None:
                out.append(line)
            tail = []
        elif tail is not None:
            tail.append(line)
    return out


class Runner:
    def __init__(self, args):
        self.args = args
        self.paths = kernel.Paths(args.build_dir, args.repo)
        self.results = os.path.abspath(args.results or
                                       os.path.join(self.paths.o, "results"))
        self.timer = util.Timer()
        self.jobs = args.jobs or os.cpu_count() or 1
        # What failed, repeated under the closing table: a CI log is
        # often read from its end only.
        self.recap = []

    def packages(self, archs):
        pkgs = list(deps.COMMON)
        for a in archs:
            pkgs.extend(a.packages)
        return pkgs

    def kernel_for(self, core, arch, flavour):
        """Extract, prepare, configure and build; returns (tree, image,
        config), config being the final .config as a dict."""
        t = self.timer
        tag = f"{core}/{arch.name}/{flavour.name}"
        with t.stage("extract", "extracting the pristine 6.12 source",
                     quiet_below=1.0):
            kernel.extract_source(self.paths)
        with t.stage(f"prepare {tag}", f"[{tag}] preparing the tree",
                     quiet_below=1.0):
            tree = kernel.prepare_tree(self.paths, core, arch,
                                       core_steps(self.paths, core, arch))
        with t.stage(f"config {tag}", f"[{tag}] configuring",
                     quiet_below=2.0):
            config = kernel.configure(self.paths, tree, core, arch, flavour)
        with t.stage(f"build {tag}", f"[{tag}] building the kernel"):
            image = kernel.build(self.paths, tree, core, arch, flavour,
                                 self.jobs)
        if core == "klpcore":
            kernel.check_klpcore_objects(
                self.paths.kbuild(core, arch, flavour), flavour)
        return tree, image, config

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

    def check_arch(self, core, arch, flavour, wanted):
        """Build, boot and test one kernel; returns summary rows."""
        tag = f"{core}/{arch.name}/{flavour.name}"
        out = os.path.join(self.results,
                           f"{core}-{arch.name}-{flavour.name}")
        os.makedirs(out, exist_ok=True)
        tree, image, config = self.kernel_for(core, arch, flavour)
        kbuild = self.paths.kbuild(core, arch, flavour)
        version = kernel.kernel_version(self.paths)
        release = kernel.kernel_release(kbuild)
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
                self.paths, tree, core, arch, flavour, self.args.extra,
                build)
            suites = [s for s in suites if s.name in wanted]
        pre = []
        if "objtool-ext" in wanted:
            pre.append(self.objtool_ext_row(core, arch, flavour, inst, out))
        if not suites:
            return pre      # nothing to run in a guest
        base = self.base_rootfs(arch)
        guest = flavours_mod.guest_setup(flavour, arch, config, core,
                                         self.args.stress_cycles)

        def fill(klp):
            shutil.copytree(inst, os.path.join(klp, "kselftest"),
                            symlinks=True)
            with open(os.path.join(klp, "suites"), "w") as f:
                for s in suites:
                    f.write(f"{s.name} {s.collection}\n")
            with open(os.path.join(klp, "env"), "w") as f:
                for k, v in guest.env.items():
                    f.write(f"{k}={v}\n")
                for kv in self.args.guest_env:
                    f.write(kv + "\n")

        initrd = self.initrd(arch, base, out, "check", fill)
        cmd = qemu.command(arch, image, initrd,
                           qemu.kernel_cmdline(arch, guest.cmdline),
                           memory=flavour.memory, cpus=flavour.cpus,
                           cpu=flavour.cpu_model(arch))
        with self.timer.stage(f"boot {tag}",
                              f"[{tag}] booting in QEMU and running "
                              f"{', '.join(s.name for s in suites)}"):
            b = qemu.boot(cmd, os.path.join(out, "console.log"),
                          self.args.timeout * flavour.slow + guest.extra_secs,
                          self.args.idle_timeout * flavour.slow,
                          echo=self.progress(tag))
        os.unlink(initrd)   # ~100 MB, rebuilt by every run
        expect = verdict.Expected(
            core=core, release=release, suites=suites,
            kunit=kernel.kunit_suites(self.paths.repo, arch, core, config),
            skips=self.expected_skips(arch, core, flavour),
            boot=guest.expectations, kmemleak=flavour.kmemleak,
            kcsan_ours=self.kcsan_ours(core, arch, flavour))
        return pre + self.evaluate(core, arch, flavour, b, expect, out)

    def kcsan_ours(self, core, arch, flavour):
        """The predicate of the KCSAN reports that are klpcore's: the
        functions of kernel/livepatch, and klp_* and test_klp* ones (the
        test modules, the hooks); None when all count."""
        if not flavour.kcsan:
            return None
        names = kernel.klpcore_functions(self.paths.kbuild(core, arch,
                                                           flavour)) \
            if core == "klpcore" else frozenset()
        return lambda name: (name in names or
                             name.startswith(("klp_", "test_klp")))

    def objtool_ext_row(self, core, arch, flavour, inst, out):
        """objtool-ext over vmlinux.o and every module of this kernel."""
        tag = f"{core}/{arch.name}/{flavour.name}"
        with self.timer.stage(f"objtool-ext {tag}",
                              f"[{tag}] objtool-ext over vmlinux.o and "
                              "the modules"):
            counts, secs, note = objtoolext.check_kernel(
                self.paths, arch, self.paths.kbuild(core, arch, flavour),
                inst, os.path.join(out, "objtool-ext.log"))
        say(f"    {note}")
        return self.row(core, arch, flavour, "objtool-ext", counts, secs,
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
            log = os.path.join(self.results, "objtool-ext-tests.log")
            say(f"    failures: see {log}")
            self.recap.append(f"[host] objtool-ext-tests: see {log}")
            with open(log, errors="replace") as f:
                self.recap += [f"  {x.rstrip()}" for x in f
                               if x.startswith("not ok")][:RECAP_LINES]
        return {"core": self.args.core, "arch": "host", "flavour": "-",
                "suite": "objtool-ext-tests", "passed": counts.passed,
                "failed": counts.failed, "skipped": counts.skipped,
                "seconds": secs, "note": ""}

    def evaluate(self, core, arch, flavour, b, expect, out):
        """The verdict on one guest run (verdict.py): write ktap.log and
        dmesg.log, say what failed and why, return the summary rows."""
        tag = f"{core}/{arch.name}/{flavour.name}"
        vrows = verdict.evaluate(b.run, b.ended, b.message, expect)
        with open(os.path.join(out, "ktap.log"), "w") as f:
            f.write(results.ktap_log([(r.suite, r.lines, r.counts)
                                      for r in vrows]))
        with open(os.path.join(out, "dmesg.log"), "w") as f:
            f.write("\n".join(b.run.dmesg) + "\n")
        if not b.ok:
            say(f"[{tag}] {b.message}")
            say(f"--- last console lines ({out}/console.log) ---")
            for line in [x for x in b.run.console if x.strip()][-20:]:
                say("  " + line)
        for r in vrows:
            if not r.counts.failed:
                continue
            say(f"[{tag}] {r.suite}: {r.note or 'failed'}")
            context = results.failure_context(r.lines)
            for line in context:
                say("  " + line)
            self.recap.append(f"[{tag}] {r.suite}: {r.note or 'failed'}")
            self.recap += [f"  {x}" for x in recap_lines(context)]
        rows = [self.row(core, arch, flavour, r.suite, r.counts, r.seconds,
                         r.note if r.counts.failed else "")
                for r in vrows]
        say(f"[{tag}] {results.closing_line(results.totals(rows))}")
        return rows

    @staticmethod
    def progress(tag):
        """Echo of a guest's console: each test's result as it comes, so
        that a long run is not silent."""
        def echo(line):
            pos = line.find(results.MARK)
            if pos < 0:
                return
            body = line[pos + len(results.MARK):]
            if body.startswith("| ok ") or body.startswith("| not ok "):
                say(f"    [{tag}] {body[2:]}")
            elif body.startswith("begin "):
                say(f"    [{tag}] {body}")
        return echo

    def expected_skips(self, arch, core, flavour):
        path = os.path.join(self.paths.repo, "tests", "expected-skips")
        with open(path) as f:
            try:
                return results.parse_expected_skips(f.read(), arch.name,
                                                    core, flavour.name)
            except ValueError as e:
                raise HarnessError(f"{path}: {e}")

    @staticmethod
    def row(core, arch, flavour, suite, counts, secs, note):
        return {"core": core, "arch": arch.name, "flavour": flavour.name,
                "suite": suite,
                "passed": counts.passed, "failed": counts.failed,
                "skipped": counts.skipped, "seconds": secs, "note": note}

    def refusal_rows(self, archs):
        """Kernels whose configuration klpcore must refuse: each one's
        kernel/livepatch must fail to compile with its message."""
        rows = []
        for arch_name, name, frag, message in REFUSALS:
            arch = next((a for a in archs if a.name == arch_name), None)
            if arch is None:
                continue
            flavour = flavours_mod.Flavour(f"refuse-{name}", (), (arch_name,),
                                           cpus=1)
            start = time.monotonic()
            counts = results.Counts()
            note = ""
            try:
                with self.timer.stage(f"refusal {name}",
                                      f"[klpcore/{arch_name}] a kernel "
                                      f"with {name} must not build"):
                    tree = kernel.prepare_tree(
                        self.paths, "klpcore", arch,
                        core_steps(self.paths, "klpcore", arch))
                    kernel.configure(
                        self.paths, tree, "klpcore", arch, flavour,
                        [os.path.join(self.paths.repo, "tests", "configs",
                                      "refusals", frag)])
                    refused, log = kernel.refused(
                        self.paths, tree, "klpcore", arch, flavour,
                        "kernel/livepatch", self.jobs)
                with open(log, errors="replace") as f:
                    said = message in f.read()
                if refused and said:
                    counts.passed = 1
                else:
                    counts.failed = 1
                    note = (f"{name}: " + ("refused without saying "
                                           f"'{message}'" if refused else
                                           "kernel/livepatch built") +
                            f" (see {log})")
            except HarnessError as e:
                counts.failed = 1
                note = f"{name}: {str(e).splitlines()[0]}"
            if note:
                say(f"[klpcore/{arch_name}] refusals: {note}")
            rows.append(self.row("klpcore", arch, flavour, "refusals",
                                 counts, time.monotonic() - start, note))
        return rows

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
        runs = flavours_mod.plan(flavours_mod.lookup(args.flavour.split()),
                                 archs)
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
                             "flavour": "-", "suite": "objtool-ext-tests", "passed": 0,
                             "failed": 1, "skipped": 0, "seconds": 0.0,
                             "note": str(e).splitlines()[0]})
        for flavour, arch in runs:
            tag = f"{args.core}/{arch.name}/{flavour.name}"
            try:
                rows += self.check_arch(args.core, arch, flavour, wanted)
            except kernel.ArchSkipped as e:
                # Only the stock core may lack an architecture (arm64 on
                # 6.12); klpcore that cannot be configured is a failure.
                red = args.core == "klpcore"
                say(f"[{tag}] {'failed' if red else 'skipped'}: {e}")
                for s, n in self.expected_tests(wanted).items():
                    c = results.Counts(failed=n) if red else \
                        results.Counts(skipped=n)
                    rows.append(self.row(args.core, arch, flavour, s, c,
                                         0.0, f"skipped: {e}" if not red
                                         else str(e)))
            except HarnessError as e:
                util.err(f"[{tag}] {e}")
                for s in [s for s in wanted if s != "refusals"]:
                    rows.append(self.row(args.core, arch, flavour, s,
                                         results.Counts(failed=1), 0.0,
                                         str(e).splitlines()[0]))
        if "refusals" in wanted and args.core == "klpcore":
            rows += self.refusal_rows(archs)
        if args.harness_test:
            rows += self.harness_test_rows(runs)
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
        if t.failed:
            say("what failed (details above):")
            for r in rows:
                if r["failed"]:
                    say(f"  {r['core']}/{r['arch']}/{r.get('flavour', '-')} "
                        f"{r['suite']}: {r['failed']} failed"
                        f"{': ' + r['note'] if r.get('note') else ''}")
            for line in self.recap:
                say(line)
        say(results.closing_line(t))
        return 0 if t.failed == 0 else 1

    # harness self-test ----------------------------------------------------

    def harness_cases(self):
        """The self-test's guest runs: (case, directory, fault, flavour,
        exit status, texts the output must contain, (passed, failed) of
        the suite 'extra' in summary.tsv or None, text the test printed that
        console.log and ktap.log must hold). flavour None: the first of
        the run; "debug": needs a debug kernel."""
        d = os.path.join(self.paths.repo, "tests", "harness-selftest")
        ok, bad = (1, 0), (0, 1)
        return [
            ("pass", "pass", None, None, 0, [" passed, 0 failed, "], ok,
             "livepatch sysfs and patch_state present"),
            ("fail", "fail", None, None, 1,
             ["not ok 1 selftests: extra: test-fail.sh",
              # the recap under the table, for logs read from the end
              "what failed (details above):", " extra: 1 failed"], bad,
             "failing on purpose"),
            ("hang", "hang", None, None, 1,
             ["guest hung: no console output"], bad, None),
            ("panic", "panic", None, None, 1,
             ["guest panicked: Kernel panic - not syncing: "
              "klp-harness-selftest: panic on purpose"], bad, None),
            # Whether the panic comes before or after the runner's end
            # line is a race: the suite's counts are not checked, its
            # passing result and the boot row's reason are.
            ("panic-late", "fault", "panic-late", None, 1,
             ["ok 1 selftests: extra: test-fault.sh", "boot: clean end: ",
              "klp-harness-selftest: panic after the last test"], None,
             "harness fault: panic-late"),
            ("warn", "fault", "warn", None, 1,
             ["kernel-log: ", "WARNING: CPU"], ok, None),
            ("lockdep", "fault", "lockdep", "debug", 1,
             ["kernel-log: ", "possible circular locking dependency"],
             ok, None),
            ("timeout", "fault", "timeout", None, 1,
             ["not ok 1 selftests: extra: test-fault.sh # TIMEOUT"], bad,
             None),
            ("skip", "fault", "skip", None, 1,
             ["unexpected skip: test-fault.sh"], bad,
             "which no list of expected skips allows"),
            ("empty-log", "fault", "empty-log", None, 1,
             ["kernel-log: ", "kernel log"], ok, None),
            ("release", "fault", "release", None, 1,
             ["boot: release", "0.0.0-not-the-built-one"], ok, None),
            ("kunit-short", "fault", "kunit-short", None, 1,
             ["kunit: "], ok, None),
        ], d

    def harness_test_rows(self, runs):
        """Prove that the harness turns each kind of trouble red."""
        counts = results.Counts()
        start = time.monotonic()
        first_flavour, arch = runs[0]
        have = {fl.name for fl, a in runs if a.name == arch.name}
        say(f"==> harness self-test: unit tests")
        suite = unittest.defaultTestLoader.discover(
            os.path.join(self.paths.repo, "tests", "harness", "tests"),
            top_level_dir=os.path.join(self.paths.repo, "tests", "harness"))
        res = unittest.TextTestRunner(stream=sys.stdout, verbosity=0).run(suite)
        counts.passed += res.testsRun - len(res.failures) - len(res.errors)
        counts.failed += len(res.failures) + len(res.errors)
        cases, d = self.harness_cases()
        for (case, sub, fault, flavour, want_rc, want_texts, want_counts,
             printed) in cases:
            flavour = flavour or first_flavour.name
            if flavour not in have:
                counts.skipped += 1
                say(f"==> harness self-test: {case}: skipped, no "
                    f"{flavour} kernel for {arch.name} in this run")
                continue
            say(f"==> harness self-test: a {flavour} guest run that should "
                f"{'pass' if want_rc == 0 else 'fail'} ({case})")
            out = os.path.join(self.results, "harness-test", case)
            cmd = [sys.executable, os.path.join(self.paths.repo, "tests",
                                                "harness", "klp-harness"),
                   "check", "--build-dir", self.paths.o,
                   "--repo", self.paths.repo, "--results", out,
                   "--arches", arch.name, "--core", self.args.core,
                   "--flavour", flavour,
                   "--suites", "extra", "--extra", os.path.join(d, sub),
                   "--timeout", "300",
                   # A debug kernel boots silently for a long time (the
                   # flavour multiplies this by its slowness again).
                   "--idle-timeout", "90" if flavour == "debug" else "45",
                   "--no-harness-test"]
            if fault:
                cmd += ["--guest-env", f"KLP_HARNESS_FAULT={fault}"]
            if os.path.exists(out):
                shutil.rmtree(out)
            os.makedirs(out)
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
            missing = [t for t in want_texts if t not in text]
            if printed:
                run_dir = os.path.join(
                    out, f"{self.args.core}-{arch.name}-{flavour}")
                for name in ("console.log", "ktap.log"):
                    try:
                        with open(os.path.join(run_dir, name)) as f:
                            if printed not in f.read():
                                missing.append(f"{printed} (in {name})")
                    except OSError:
                        missing.append(f"{printed} (no {name})")
            if rc == want_rc and not missing and (want_counts is None or
                                                  got == want_counts):
                counts.passed += 1
                say(f"    ok: exit {rc}, extra (passed, failed) {got}, "
                    f"and {want_texts}")
            else:
                counts.failed += 1
                say(f"    FAILED: exit {rc} (wanted {want_rc}), extra "
                    f"(passed, failed) {got} (wanted {want_counts}), "
                    f"missing {missing}; see {log}")
        return [self.row(self.args.core, arch, first_flavour, "harness",
                         counts, time.monotonic() - start, "")]

    # make bench -----------------------------------------------------------

    def bench_run(self, core, arch, flavour):
        """Build, boot and measure one kernel; returns bench rows."""
        tag = f"{core}/{arch.name}/{flavour.name}"
        out = os.path.join(self.results,
                           f"bench-{core}-{arch.name}-{flavour.name}")
        os.makedirs(out, exist_ok=True)
        _, image, config = self.kernel_for(core, arch, flavour)
        staging = os.path.join(out, "guest")
        if os.path.exists(staging):
            shutil.rmtree(staging)
        with self.timer.stage(f"bench build {tag}",
                              f"[{tag}] building the bench modules"):
            bench_mod.build(self.paths, core, arch, flavour, staging)
        base = self.base_rootfs(arch)

        def fill(klp):
            shutil.copytree(staging, os.path.join(klp, "bench"))

        initrd = self.initrd(arch, base, out, "bench", fill)
        # Under TCG the clocksource watchdog often finds the TSC skewed
        # and falls back to jiffies (4 ms steps); trust the TSC instead.
        guest = flavours_mod.guest_setup(flavour, arch, config, core,
                                         self.args.stress_cycles)
        extra = guest.cmdline
        if arch.name == "x86_64":
            extra += " tsc=reliable"
        cmd = qemu.command(arch, image, initrd,
                           qemu.kernel_cmdline(arch, extra.strip()),
                           memory="2G", cpus=flavour.cpus,
                           cpu=flavour.cpu_model(arch))
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
        flavour = flavours_mod.lookup(self.args.flavour.split()[:1])[0]
        for arch in archs:
            for core in bench_mod.CORES:
                try:
                    rows += self.bench_run(core, arch, flavour)
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
        flavour = flavours_mod.lookup(self.args.flavour.split()[:1])[0]
        core = self.args.core
        deps.ensure(self.packages([arch]), self.paths.log("apt"))
        out = os.path.join(self.results,
                           f"demo-{core}-{arch.name}-{flavour.name}")
        os.makedirs(out, exist_ok=True)
        try:
            _, image, config = self.kernel_for(core, arch, flavour)
        except kernel.ArchSkipped as e:
            raise HarnessError(f"no demo on {arch.name} with the {core} "
                               f"core: {e}")
        kbuild = self.paths.kbuild(core, arch, flavour)
        sample = os.path.join(kbuild, "samples", "livepatch",
                              "livepatch-sample.ko")
        if not os.path.exists(sample):
            raise HarnessError(f"{sample} was not built")
        base = self.base_rootfs(arch)

        def fill(klp):
            os.makedirs(os.path.join(klp, "demo"))
            shutil.copy2(sample, os.path.join(klp, "demo"))

        initrd = self.initrd(arch, base, out, "demo", fill)
        guest = flavours_mod.guest_setup(flavour, arch, config, core,
                                         self.args.stress_cycles)
        cmd = qemu.command(arch, image, initrd,
                           qemu.kernel_cmdline(arch, guest.cmdline),
                           memory=flavour.memory, cpus=flavour.cpus,
                           cpu=flavour.cpu_model(arch))
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
    p.add_argument("--flavour", default=" ".join(flavours_mod.DEFAULT),
                   help="kernel flavours (tiny, distro, debug, kcsan)")
    p.add_argument("--suites",
                   default="upstream-livepatch klpcore-selftests objtool-ext "
                   "refusals")
    p.add_argument("--extra", default=None,
                   help="EXTRA_SELFTESTS directory")
    p.add_argument("--demo-arch", default="x86_64")
    p.add_argument("--jobs", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1500.0,
                   help="seconds a guest may run in all")
    p.add_argument("--idle-timeout", type=float, default=300.0,
                   help="seconds a guest may print nothing")
    p.add_argument("--stress-cycles", type=int, default=None,
                   help="cycles of the stress selftest (default: the "
                   "flavour's)")
    p.add_argument("--guest-env", action="append", default=[],
                   metavar="KEY=VALUE",
                   help="a variable for the guest's tests (self-test)")
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
