# SPDX-License-Identifier: GPL-2.0
"""Reading the guest's console, counting KTAP results, judging the kernel
log, writing summaries.

Everything here is pure: text in, data out, so that the unit tests can
feed it consoles of runs that passed, failed, hung or panicked.

Sections: KTAP counting; the console; suites (kselftest, KUnit, kmemleak);
the kernel and its log; expected skips; summaries.
"""

import collections
import dataclasses
import re

MARK = "@klp@ "

SUMMARY_HEADER = ("core", "arch", "flavour", "suite", "passed", "failed",
                  "skipped", "seconds")

_RESULT = re.compile(r"^(not ok|ok)\s+(\d+)\b\s*(.*)$")
_PLAN = re.compile(r"^1\.\.(\d+)")
_DIRECTIVE = re.compile(r"#\s*(SKIP|TODO|XFAIL)\b", re.IGNORECASE)

_PANIC = re.compile(r"Kernel panic - not syncing: ?(.*)")

# "ok 3 selftests: klpcore: test-foo.sh # SKIP", as kselftest's runner.sh
# prints it.
_KSFT_RESULT = re.compile(
    r"^(not ok|ok)\s+\d+\s+selftests: (\S+): (\S+)(.*)$")
_KsftResult = collections.namedtuple("_KsftResult", "ok collection test rest")

_KMEMLEAK_OBJECT = re.compile(
    r"unreferenced object 0x[0-9a-f]+ \(size \d+\):")

# A line of dmesg: an optional "<N>" level, an optional "[    1.234567]"
# time stamp, an optional "[    T123]" caller id, then the message.
_DMESG = re.compile(
    r"^\s*(?:<\d+>)?(?:(\[\s*\d+\.\d+\])\s?)?(?:\[\s*[TC]\d+\]\s?)?(.*)$")

_BANNER = re.compile(r"^(Linux version |Booting Linux on physical CPU )")
_DROPPED = re.compile(r"\*\* (\d+) printk messages dropped \*\*")

# Messages of a kernel log that mean the kernel itself went wrong, whatever
# the tests said, one alternative per detector or kind of report.
_KERNEL_TROUBLE = re.compile("|".join((
    # "BUG: KASAN: ...", "BUG: KCSAN: ...", "BUG: sleeping function called
    # from invalid context", "BUG: scheduling while atomic", "BUG:
    # workqueue leaked ...", "watchdog: BUG: soft lockup", powerpc's "BUG:
    # Kernel NULL pointer dereference", ... but not "ODEBUG: ".
    r"\bBUG: ",
    r"\bBUG \S+ \([^)]*\): ",          # SLUB debug: "BUG kmalloc-64 (...): "
    r"\bkernel BUG at ",
    # WARN(): "WARNING: CPU: 0 PID: 1 at kernel/x.c:12 f+0x1/0x2", and the
    # newer "WARNING: kernel/x.c:12 at f+0x1/0x2, CPU#0: swapper/0/1".
    r"\bWARNING: (?:CPU: \d+ PID: \d+|\S+:\d+ at )",
    # lockdep's and RCU-lockdep's reports (also caught when framed, see
    # _FRAMED_WARNING, but named here should another CPU's line split the
    # frame).
    r"\bWARNING: (?:possible (?:circular locking|recursive locking|irq lock "
    r"inversion) |inconsistent lock state|suspicious RCU usage|\S+-safe -> "
    r"\S+-unsafe lock order|bad unlock balance|held lock freed|\S+ still "
    r"has locks held|Nested lock was not taken|lock held when returning|"
    r"chain_key collision|bad contention)",
    r"\bINFO: trying to register non-static key",
    # The x86 unwinders (ORC and frame pointer): stacks live patching
    # cannot trust.
    r"\bWARNING: (?:bad lookup|(?:Bad or missing|Corrupt) \.orc_unwind|"
    r"missing \w+ value at|unknown (?:SP|BP) base reg|can't access (?:iret )?"
    r"registers at|unknown \.orc_unwind entry type|stack going in the wrong "
    r"direction|kernel stack (?:regs|frame pointer) at|stack recursion on "
    r"stack type)",
    r"\bCall [Tt]race:",                         # x86, powerpc, s390; arm64
    r"\bINFO: task \S+:\d+ blocked for more than \d+ seconds",
    r"\bINFO: \S+ (?:self-)?detected (?:expedited )?stall",  # rcu, rcu_tasks
    r"\bWatchdog detected hard LOCKUP",
    r"\bUBSAN: ",
    r"\bkmemleak: (?:\d+ new suspected memory leaks|unreferenced object 0x)",
    r"\bODEBUG: (?!selftest passed|\d+ of \d+ active objects replaced)",
    r"\blist_(?:add|del) corruption",
    r"\bKernel panic\b",
    r"\bOops\b",
    r"\bgeneral protection fault(?! ip:)",      # not a user process's
    r"\bUnable to handle kernel ",
)))

# Any other "WARNING: " is a report when it comes right below a line of
# "=", the frame of lockdep's, KASAN's, KCSAN's reports; mitigation and
# firmware notes ("WARNING: Spectre v2 mitigation leaves CPU vulnerable")
# are not framed.
_FRAME = re.compile(r"^={10,}$")
_FRAMED_WARNING = re.compile(r"^WARNING: ")


# ---------------------------------------------------------------- KTAP

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


# ------------------------------------------------------------- console

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
        return kernel_trouble(self.dmesg)


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


# -------------------------------------------------------------- suites

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


def _kunit_suite_counts(name, suite):
    """Counts of one "kunit:NAME" suite, and a problem sentence or None.

    The debugfs results file is nested KTAP: the suite's own plan and
    cases are indented four spaces, the cases of a parameterised test
    eight (count_ktap skips those, still indented once the four are
    removed: their case's line already says how they went), and the
    suite's own result line is not indented. Cases the
    nested plan announced but that never reported count as failed; with
    no nested plan and no cases, the suite's own line counts.
    """
    cases = [line[4:] for line in suite.lines if line.startswith("    ")]
    counts, plan = count_ktap(cases)
    if plan and counts.total < plan:
        missing = plan - counts.total
        counts.failed += missing
        return counts, (f"{name}: {missing} of {plan} cases never "
                        "reported")
    if counts.total == 0:
        counts, _ = count_ktap(suite.lines)
    if counts.total == 0:
        return Counts(failed=1), f"{name}: no results"
    return counts, None


def kunit_counts(run, expected_suites=None):
    """All KUnit suites of a run, summed: (Counts, seconds, problems).

    Every suite "kunit:NAME" of the run is counted by its cases, against
    its nested plan (see _kunit_suite_counts). expected_suites, an
    iterable of suite names ("NAME" or "kunit:NAME"), are the suites that
    must have run: each one absent from the run counts as one failure.
    problems is a list of one-line sentences, in order, naming the suites
    with missing cases, without results, or absent; empty when none.
    """
    total = Counts()
    secs = 0.0
    problems = []
    for name, suite in run.suites.items():
        if not name.startswith("kunit:"):
            continue
        counts, problem = _kunit_suite_counts(name, suite)
        if problem:
            problems.append(problem)
        total.add(counts)
        secs += suite.seconds
    for want in expected_suites or ():
        name = want if want.startswith("kunit:") else "kunit:" + want
        if name not in run.suites:
            total.failed += 1
            problems.append(f"{name}: did not run")
    return total, secs, problems


def _kselftest_result(line):
    """A kselftest runner's result line, parsed, or None.

    "not ok 2 selftests: livepatch: test-x.sh # exit=1" gives
    (ok=False, collection="livepatch", test="test-x.sh", rest="# exit=1").
    Lines of the tests' own output, which the runner prefixes "# ", and
    any other line give None.
    """
    m = _KSFT_RESULT.match(line)
    if not m:
        return None
    return _KsftResult(m.group(1) == "ok", m.group(2), m.group(3),
                       m.group(4).strip())


def unexpected_skips(lines, allowed):
    """The kselftest tests that skipped though they may not, in order.

    lines are a kselftest suite's lines; a test skipped when its result
    line carries "# SKIP", whether it says ok or not ok. allowed is a
    set (or dict, or any container) of test names, e.g.
    "test-unreliable-stack.sh", that may skip.
    """
    out = []
    for line in lines:
        r = _kselftest_result(line)
        if r is None:
            continue
        d = _DIRECTIVE.search(r.rest)
        if d and d.group(1).upper() == "SKIP" and r.test not in allowed:
            out.append(r.test)
    return out


def failure_context(lines, max_lines=40):
    """What to show on the terminal of the kselftest tests that failed.

    The runner prints "# selftests: COLL: TEST" before a test, the test's
    output as "# " lines, then the test's result line. For each "not ok"
    result, in order, this gives the result line followed by the "#"
    lines between that test's header and its result, the header excluded
    (none when the header is missing): one flat list of lines. When a
    test has more than max_lines, its last max_lines are kept, after a
    line saying how many earlier ones were left out. Lines that are not a
    kselftest stream give an empty list.
    """
    out = []
    current = None
    context = []
    for line in lines:
        if line.startswith("# selftests: "):
            current = line[2:]
            context = []
            continue
        r = _kselftest_result(line)
        if r is None:
            if current is not None and line.startswith("#"):
                context.append(line)
            continue
        if not r.ok:
            if current != f"selftests: {r.collection}: {r.test}":
                context = []
            left = len(context) - max_lines
            if left > 0:
                context = [f"# ... {left} earlier lines left out"] + \
                    context[left:]
            out.append(line)
            out.extend(context)
        current = None
        context = []
    return out


def kmemleak_report(lines):
    """The leak headers of a kmemleak report, in order.

    lines are those of /sys/kernel/debug/kmemleak after a scan (the suite
    "kmemleak"), or a kernel log of a kmemleak.verbose=1 kernel; each leak
    starts "unreferenced object 0xffff888003a4c000 (size 64):", and that
    is what is returned for it.
    """
    return [m.group(0) for m in map(_KMEMLEAK_OBJECT.search, lines) if m]


# ---------------------------------------------------- the kernel and its log

def _dmesg_message(line):
    """(time stamp as printed or None, message) of a dmesg line."""
    m = _DMESG.match(line)
    return m.group(1), m.group(2).rstrip()


# The title of a KCSAN report: "BUG: KCSAN: data-race in f / g" (both
# accesses seen), or "BUG: KCSAN: data-race in f+0x1c/0x50 [mod]" (a
# value that changed under a watchpoint: one side).
_KCSAN_TITLE = re.compile(r"\bBUG: KCSAN: \S+ in (.+)$")


def kcsan_functions(msg):
    """The functions that a KCSAN report's title names, or None when msg
    is no such title."""
    m = _KCSAN_TITLE.search(msg)
    if not m:
        return None
    names = []
    for part in m.group(1).split(" / "):
        words = part.split()
        if words:
            names.append(words[0].split("+")[0])
    return names


def kernel_trouble(dmesg_lines, limit=20, ours=None, set_aside=None):
    """The lines of a kernel log that report the kernel going wrong.

    Recognised: BUG and WARN reports, oopses and panics, lockdep's and
    RCU-lockdep's reports, KASAN, KCSAN, KFENCE, UBSAN, SLUB debug,
    DEBUG_LIST, debugobjects, kmemleak's leaks, soft and hard lockups,
    hung tasks, RCU stalls, x86 unwinder warnings, and call traces (x86's
    "Call Trace:", arm64's "Call trace:"). The detectors' boot messages
    ("kmemleak: Kernel memory leak detector initialized", "ODEBUG:
    selftest passed", lockdep's banner and self-tests) are not trouble.
    Lines may carry dmesg's time stamps or not. Returns at most limit
    offending lines, in order.

    With ours (a predicate on function names), a KCSAN report counts only
    when its title names a function that ours accepts; the titles of the
    others go to the list set_aside, when one is given.
    """
    out = []
    framed = False
    for line in dmesg_lines:
        _, msg = _dmesg_message(line)
        names = kcsan_functions(msg) if ours is not None else None
        if names is not None and not any(ours(n) for n in names):
            if set_aside is not None:
                set_aside.append(line)
            framed = False
            continue
        if _KERNEL_TROUBLE.search(msg) or \
                (framed and _FRAMED_WARNING.match(msg)):
            out.append(line)
            if len(out) >= limit:
                break
        framed = bool(_FRAME.match(msg))
    return out


def log_completeness(dmesg_lines):
    """Why a dump of the kernel log is not the whole log: [sentence].

    An empty list means the log is complete: it is not empty, it starts
    at boot, and it reports no dropped messages. Every architecture's
    first message is stamped [    0.000000] (arm64's is "Booting Linux on
    physical CPU ...", x86's "Linux version ...", powerpc and s390 print
    some setup lines before that banner), so a first line stamped later
    means the ring buffer wrapped; a log without time stamps must start
    with one of those two banners. Either way the banner ("Linux
    version", printed by start_kernel() on every architecture) must be in
    it.
    """
    lines = [line for line in dmesg_lines if line.strip()]
    if not lines:
        return ["kernel log is empty"]
    problems = []
    stamp, msg = _dmesg_message(lines[0])
    # s390's clock does not start at zero: its first line, the banner,
    # is stamped about a second in.
    if (stamp is not None and float(stamp.strip("[] ")) != 0.0
            and not _BANNER.match(msg)):
        problems.append(f"kernel log wrapped: it starts at {stamp}, "
                        "not at boot")
    elif stamp is None and not _BANNER.match(msg):
        problems.append("kernel log does not start at boot: its first "
                        f"line is {msg[:60]!r}")
    elif not any(_dmesg_message(line)[1].startswith("Linux version ")
                 for line in lines):
        problems.append("kernel log wrapped: the kernel's banner "
                        "(\"Linux version ...\") is missing")
    dropped = sum(int(m.group(1)) for m in map(_DROPPED.search, lines) if m)
    if dropped:
        problems.append(f"kernel log lost {dropped} messages "
                        "(printk messages dropped)")
    return problems


def release_mismatch(booted_line, built_release):
    """Whether the guest booted the kernel that was built: None, or why not.

    booted_line is GuestRun.booted, "$(uname -r) $(uname -m)" as the
    guest printed it ("6.12.117 x86_64"), or None when it printed none;
    built_release is the content of the build's
    include/config/kernel.release.
    """
    built = built_release.strip()
    if not booted_line or not booted_line.split():
        return f"the guest did not say which kernel it booted " \
               f"(built {built})"
    booted = booted_line.split()[0]
    if booted != built:
        return f"the guest booted kernel {booted}, not the one built " \
               f"({built})"
    return None


# ------------------------------------------------------ expected skips

def parse_expected_skips(text, arch, core, flavour):
    """The expected skips of a file that apply: {(suite, test): reason}.

    One entry a line: "ARCH CORE FLAVOUR SUITE TEST REASON...", fields
    separated by blanks, the reason being the rest of the line; ARCH, CORE
    and FLAVOUR may be "*" for any. Blank lines and lines starting with
    "#" are ignored. A line with fewer fields, that is without a reason,
    raises ValueError naming its line number. When several matching
    lines name the same test, the first one's reason is kept.
    """
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(None, 5)
        if len(fields) < 6:
            raise ValueError(f"line {n}: expected ARCH CORE FLAVOUR SUITE "
                             f"TEST REASON, got {line!r}")
        a, c, f, suite, test, reason = fields
        if all(pat in ("*", val) for pat, val in
               ((a, arch), (c, core), (f, flavour))):
            out.setdefault((suite, test), reason)
    return out


# ----------------------------------------------------------- summaries

def write_summary(path, rows):
    with open(path, "w") as f:
        f.write("\t".join(SUMMARY_HEADER) + "\n")
        for r in rows:
            f.write("\t".join(str(x) for x in (
                r["core"], r["arch"], r.get("flavour", "-"), r["suite"],
                r["passed"], r["failed"], r["skipped"],
                f"{r['seconds']:.1f}")) + "\n")


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
        cells.append([str(r["core"]), str(r["arch"]),
                      str(r.get("flavour", "-")), str(r["suite"]),
                      str(r["passed"]), str(r["failed"]), str(r["skipped"]),
                      f"{r['seconds']:.1f}", r.get("note", "")])
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    out = []
    for n, c in enumerate(cells):
        out.append("  ".join(v.ljust(widths[i]) if i < 4 or i == 8
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
