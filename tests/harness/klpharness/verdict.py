# SPDX-License-Identifier: GPL-2.0
"""Green or red: the verdict on one guest run, as pure functions.

The input is what the guest printed (results.GuestRun), how it ended
(qemu.Boot's ended and message) and what the harness expected of it
(Expected); the output is one row per suite, each with its Counts and a
note, and the KTAP sections of ktap.log. Nothing here reads files or
prints, so that tests/harness/tests/ can hold a case for every way a run
can go wrong.

Rows besides the suites:
  boot        the guest reached its clean end; the release it booted is
              the one built; the core it runs is the one asked for; the
              facts of its flavour (CPUs online, preemption mode, PAC and
              BTI) are in its log
  kunit       every case of every expected KUnit suite, against its plan
  kernel-log  a whole log (not empty, not wrapped) with no report of the
              kernel or of any detector
  kmemleak    (flavours that scan) no leak found at the end of the run
"""

import dataclasses

from . import results

# The line klpcore prints once at boot: how the harness knows which core
# a kernel runs, without asking a test.
KLPCORE_BANNER = "livepatch: klpcore on"


@dataclasses.dataclass
class Expected:
    """What the harness knows before the guest boots.

    core:      "klpcore" or "upstream"
    release:   include/config/kernel.release of the kernel built
    suites:    kernel.Suite objects the guest runs (name, tests)
    kunit:     names of the KUnit suites built into the kernel
    skips:     {(suite, test): reason} skips that are expected
    boot:      flavours.Expect facts the kernel log must show
    kmemleak:  the guest scans for leaks at its end
    kcsan_ours: None, or a predicate on function names: KCSAN reports
               that name none it accepts are set aside, not failed
    """

    core: str
    release: str
    suites: list
    kunit: tuple = ()
    skips: dict = dataclasses.field(default_factory=dict)
    boot: list = dataclasses.field(default_factory=list)
    kmemleak: bool = False
    kcsan_ours: object = None


@dataclasses.dataclass
class Row:
    suite: str
    counts: results.Counts
    seconds: float = 0.0
    note: str = ""
    lines: list = dataclasses.field(default_factory=list)


def _checks(items):
    """Counts and note of a list of (what, problem-or-None) checks."""
    counts = results.Counts()
    bad = []
    for what, problem in items:
        if problem:
            counts.failed += 1
            bad.append(f"{what}: {problem}")
        else:
            counts.passed += 1
    return counts, bad


# The one panic a run ends with: init exits after "done".
_INIT_EXIT = "Kernel panic - not syncing: Attempted to kill init!"


def after_end(console):
    """What went wrong after the guest's last result, if anything: the
    guest may then only panic because init exited after "@klp@ done". The
    kernel prints that panic straight to the console, so it may come out
    before the "done" that init wrote just before it. Another panic, or
    any kernel report before init's, is a problem (returned as its line).
    """
    last = None
    done = False
    for i, line in enumerate(console):
        pos = line.find(results.MARK)
        if pos < 0:
            continue
        if line[pos + len(results.MARK):].startswith("done"):
            done = True
        else:
            last = i
    if not done:
        return None
    for line in console[(last if last is not None else -1) + 1:]:
        if results.MARK in line:
            continue
        if _INIT_EXIT in line:
            return None
        if results.kernel_trouble([line]):
            return line.strip()
    return None


def boot_row(run, ended, message, exp):
    """The guest's own health: clean end, release, core, flavour facts."""
    log = run.dmesg or run.console
    if ended != "done":
        end = message or f"guest ended: {ended}"
    else:
        late = after_end(run.console)
        end = f"after the last test: {late}" if late else None
    checks = [("clean end", end)]
    checks.append(("release", results.release_mismatch(run.booted,
                                                       exp.release)))
    has_banner = any(KLPCORE_BANNER in line for line in log)
    if exp.core == "klpcore":
        problem = None if has_banner else f"no '{KLPCORE_BANNER}' line"
    else:
        problem = "the kernel runs klpcore" if has_banner else None
    checks.append((f"core {exp.core}", problem))
    for fact in exp.boot:
        if fact.regex == KLPCORE_BANNER:
            continue            # checked above, both ways
        checks.append((fact.what, None if fact.found(log) else
                       "not in the kernel log"))
    counts, bad = _checks(checks)
    return Row("boot", counts, 0.0, bad[0] if bad else "",
               ["# " + b for b in bad])


def suite_row(run, suite, exp, message):
    """One kselftest collection: its results, with unexpected skips red."""
    counts, secs = results.suite_counts(run, suite.name, len(suite.tests))
    lines = run.suites[suite.name].lines if suite.name in run.suites else []
    allowed = {t for (s, t) in exp.skips if s == suite.name}
    notes = []
    for test in results.unexpected_skips(lines, allowed):
        counts.skipped -= 1
        counts.failed += 1
        notes.append(f"unexpected skip: {test}")
    if counts.failed and not notes and message:
        notes.append(message)
    return Row(suite.name, counts, secs, "; ".join(notes), lines)


def kunit_row(run, exp):
    counts, secs, problems = results.kunit_counts(run, exp.kunit)
    if counts.total == 0:
        return None
    lines = []
    for name, suite in run.suites.items():
        if name.startswith("kunit:"):
            lines.extend(suite.lines)
    lines.extend("# " + p for p in problems)
    failed = [f"{name[6:]}: {line.strip()}"
              for name, suite in run.suites.items()
              if name.startswith("kunit:")
              for line in suite.lines
              if line.lstrip().startswith("not ok ") and
              line.startswith("    ") and not line.startswith("     ")]
    note = (problems + failed)[0] if problems or failed else ""
    return Row("kunit", counts, secs, note, lines)


def kernel_log_row(run, ended, kmemleak=False, kcsan_ours=None):
    """The log of the whole run: present, complete, and clean. With a
    kmemleak row, kmemleak's own lines are that row's to judge: the scan
    that forgives the boot's leaks also logs them. With kcsan_ours, the
    KCSAN reports about other code than klpcore's are listed, not
    failed."""
    aside = []
    if run.dmesg:
        problems = results.log_completeness(run.dmesg)
        trouble = results.kernel_trouble(
            [line for line in run.dmesg
             if not (kmemleak and "kmemleak: " in line)],
            ours=kcsan_ours, set_aside=aside)
    else:
        # No dump: the guest died first. What the console caught of the
        # kernel still says why.
        problems = ["kernel log is empty" if ended == "done" else
                    "no kernel log: the guest did not reach its end"]
        trouble = results.kernel_trouble(run.console, ours=kcsan_ours,
                                         set_aside=aside)
    bad = problems + trouble
    counts = results.Counts(passed=0 if bad else 1, failed=1 if bad else 0)
    return Row("kernel-log", counts, 0.0, bad[0] if bad else "",
               ["# " + t for t in bad] +
               ["# set aside: " + a.strip() for a in aside])


def kmemleak_row(run, ended):
    suite = run.suites.get("kmemleak")
    if suite is None or suite.status is None:
        why = "no kmemleak scan: the guest did not reach its end" \
            if ended != "done" else "the guest did not scan for leaks"
        return Row("kmemleak", results.Counts(failed=1), 0.0, why, [])
    leaks = results.kmemleak_report(suite.lines)
    if suite.status != 0:
        leaks = leaks or [f"the scan failed (status {suite.status})"]
    counts = results.Counts(passed=0 if leaks else 1,
                            failed=1 if leaks else 0)
    note = f"{len(leaks)} leak(s): {leaks[0]}" if leaks else ""
    return Row("kmemleak", counts, suite.seconds, note, suite.lines)


def evaluate(run, ended, message, exp):
    """All rows of one guest run, boot first."""
    rows = [boot_row(run, ended, message, exp)]
    for suite in exp.suites:
        rows.append(suite_row(run, suite, exp, message))
    k = kunit_row(run, exp)
    if k:
        rows.append(k)
    rows.append(kernel_log_row(run, ended, exp.kmemleak, exp.kcsan_ours))
    if exp.kmemleak:
        rows.append(kmemleak_row(run, ended))
    return rows
