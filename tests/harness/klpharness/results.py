# SPDX-License-Identifier: GPL-2.0
"""Reading the guest's console, counting KTAP results, writing summaries.

Everything here is pure: text in, data out, so that the unit tests can
feed it consoles of runs that passed, failed, hung or panicked.
"""

import dataclasses
import re

MARK = "@klp@ "

SUMMARY_HEADER = ("core", "arch", "suite", "passed", "failed", "skipped",
                  "seconds")

_RESULT = re.compile(r"^(not ok|ok)\s+(\d+)\b\s*(.*)$")
_PLAN = re.compile(r"^1\.\.(\d+)")
_DIRECTIVE = re.compile(r"#\s*(SKIP|TODO|XFAIL)\b", re.IGNORECASE)

# Lines of a kernel log that mean the kernel itself went wrong, whatever
# the tests said.
_KERNEL_TROUBLE = re.compile(
    r"(WARNING: CPU|BUG: |Oops|general protection fault|Unable to handle "
    r"kernel|kernel BUG at|Call Trace:|Kernel panic)")

_PANIC = re.compile(r"Kernel panic - not syncing: ?(.*)")


@dataclasses.dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    @property
    def total(self):
        return self.passed + self.failed + self.skipped


def count_ktap(lines):
    """Count the top-level results of a KTAP/TAP stream.

    Only unindented "ok"/"not ok" lines count; subtests (indented, or the
    "# " lines of kselftest) do not. "# SKIP" counts as skipped whether the
    line says ok or not ok. Returns (Counts, plan) with plan None when the
    stream has none.
    """
    counts = Counts()
    plan = None
    for line in lines:
        m = _PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = _RESULT.match(line)
        if not m:
            continue
        d = _DIRECTIVE.search(m.group(3))
        if d and d.group(1).upper() == "SKIP":
            counts.skipped += 1
        elif m.group(1) == "ok":
            counts.passed += 1
        elif d:  # not ok # TODO / XFAIL: a known failure, not a new one
            counts.skipped += 1
        else:
            counts.failed += 1
    return counts, plan


@dataclasses.dataclass
class SuiteRun:
    name: str
    lines: list = dataclasses.field(default_factory=list)
    started: float = None
    ended: float = None
    status: int = None

    @property
    def seconds(self):
        if self.started is None or self.ended is None:
            return 0.0
        return self.ended - self.started


@dataclasses.dataclass
class GuestRun:
    """What one boot produced, read from its console."""

    suites: dict = dataclasses.field(default_factory=dict)
    dmesg: list = dataclasses.field(default_factory=list)
    console: list = dataclasses.field(default_factory=list)
    other: list = dataclasses.field(default_factory=list)
    done: bool = False
    booted: str = None
    demo_status: int = None
    panic: str = None

    def kernel_trouble(self):
        return [line for line in self.dmesg if _KERNEL_TROUBLE.search(line)]


def parse_console(stamped_lines):
    """Build a GuestRun from (host_time, line) pairs of a console.

    Marker lines may be preceded by kernel output on the same line, so the
    marker is searched, not anchored. A panic counts only before "done":
    after it, the exit of init panics by design.
    """
    run = GuestRun()
    current = None
    for when, raw in stamped_lines:
        line = raw.rstrip("\r\n")
        run.console.append(line)
        pos = line.find(MARK)
        if pos < 0:
            run.other.append(line)
            m = _PANIC.search(line)
            if m and not run.done and run.panic is None:
                run.panic = line[m.start():].strip()
            continue
        body = line[pos + len(MARK):]
        word, _, rest = body.partition(" ")
        if word == "|" and current is not None:
            current.lines.append(rest)
        elif word == "|":
            run.other.append(rest)
        elif word == "dmesg|":
            run.dmesg.append(rest)
        elif word == "begin":
            current = run.suites.setdefault(rest, SuiteRun(rest))
            current.started = when
        elif word == "end":
            name, _, status = rest.rpartition(" ")
            suite = run.suites.setdefault(name, SuiteRun(name))
            suite.ended = when
            try:
                suite.status = int(status)
            except ValueError:
                suite.status = -1
            current = None
        elif word == "boot":
            run.booted = rest
        elif word == "demo":
            try:
                run.demo_status = int(rest)
            except ValueError:
                run.demo_status = -1
        elif word == "done":
            run.done = True
    return run


def suite_counts(run, name, expected):
    """Counts for one suite; tests that never reported count as failed."""
    suite = run.suites.get(name)
    if suite is None:
        return Counts(failed=max(expected, 1)), 0.0
    counts, plan = count_ktap(suite.lines)
    want = max(expected, plan or 0)
    if counts.total < want:
        counts.failed += want - counts.total
    if suite.status is None and counts.failed == 0:
        counts.failed = 1        # started, never ended
    return counts, suite.seconds


def kunit_counts(run):
    """All KUnit suites of a run, summed, with their seconds.

    A suite's results file nests its test cases one level (four spaces)
    below the suite's own line: the cases are what is counted, the suite
    line only when it has none.
    """
    total = Counts()
    secs = 0.0
    for name, suite in run.suites.items():
        if not name.startswith("kunit:"):
            continue
        cases = [line[4:] for line in suite.lines
                 if line.startswith("    ") and not line.startswith("     ")]
        counts, _ = count_ktap(cases)
        if counts.total == 0:
            counts, _ = count_ktap(suite.lines)
        if counts.total == 0:
            counts.failed = 1
        total.add(counts)
        secs += suite.seconds
    return total, secs


def write_summary(path, rows):
    with open(path, "w") as f:
        f.write("\t".join(SUMMARY_HEADER) + "\n")
        for r in rows:
            f.write("\t".join(str(x) for x in (
                r["core"], r["arch"], r["suite"], r["passed"], r["failed"],
                r["skipped"], f"{r['seconds']:.1f}")) + "\n")


def read_summary(path):
    rows = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        if tuple(header) != SUMMARY_HEADER:
            raise ValueError(f"{path}: unexpected header {header}")
        for line in f:
            vals = line.rstrip("\n").split("\t")
            row = dict(zip(header, vals))
            for k in ("passed", "failed", "skipped"):
                row[k] = int(row[k])
            row["seconds"] = float(row["seconds"])
            rows.append(row)
    return rows


def table(rows):
    """A readable table of summary rows, as text."""
    cols = list(SUMMARY_HEADER) + ["note"]
    cells = [cols]
    for r in rows:
        cells.append([str(r["core"]), str(r["arch"]), str(r["suite"]),
                      str(r["passed"]), str(r["failed"]), str(r["skipped"]),
                      f"{r['seconds']:.1f}", r.get("note", "")])
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    out = []
    for n, c in enumerate(cells):
        out.append("  ".join(v.ljust(widths[i]) if i < 3 or i == 7
                             else v.rjust(widths[i])
                             for i, v in enumerate(c)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def totals(rows):
    t = Counts()
    for r in rows:
        t.add(Counts(r["passed"], r["failed"], r["skipped"]))
    return t


def closing_line(counts):
    return f"{counts.passed} passed, {counts.failed} failed, " \
           f"{counts.skipped} skipped"


def ktap_log(suites):
    """A KTAP document of a run: one top-level test per suite, the suite's
    own output indented below it. suites: [(name, lines, Counts)]"""
    out = ["KTAP version 1", f"1..{len(suites)}"]
    for i, (name, lines, counts) in enumerate(suites, 1):
        for line in lines:
            out.append("    " + line if line else "")
        ok = "ok" if counts.failed == 0 else "not ok"
        skip = " # SKIP" if counts.total and counts.skipped == counts.total \
            else ""
        out.append(f"{ok} {i} {name}{skip}")
    return "\n".join(out) + "\n"
