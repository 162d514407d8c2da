# SPDX-License-Identifier: GPL-2.0
"""objtool-ext in make check: build it, run its own tests, and check each
built kernel's vmlinux.o and every module built with it."""

import os
import re
import subprocess
import time

from . import results, util
from .util import HarnessError

_STATS = re.compile(r"objtool-ext: (\d+) files, (\d+) functions checked, "
                    r"(\d+) findings, (\d+) allowed")


def binaries(paths):
    return (os.path.join(paths.o, "bin", "objtool-ext"),
            os.path.join(paths.o, "bin", "objtool-ext-asan"))


def build(paths):
    """make -C objtool-ext, plain and with sanitizers; returns the paths."""
    log = paths.log("objtool-ext")
    src = os.path.join(paths.repo, "objtool-ext")
    for extra in ([], ["SANITIZE=1"]):
        util.run(["make", "-s", "-C", src, f"O={paths.o}", *extra],
                 log=log)
    return binaries(paths)


def self_test(paths, arches, out):
    """Its own tests (tests/run.py); returns (Counts, seconds)."""
    tool, asan = binaries(paths)
    start = time.monotonic()
    cmd = ["python3", os.path.join(paths.repo, "objtool-ext", "tests",
                                   "run.py"),
           "--bin", tool, "--asan-bin", asan,
           "--work", os.path.join(paths.o, "objtool-ext", "tests"),
           "--arches", " ".join(arches)]
    res = subprocess.run(cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         errors="replace", stdin=subprocess.DEVNULL)
    with open(out, "w") as f:
        f.write(res.stdout)
    counts, _ = results.count_ktap(res.stdout.splitlines())
    if counts.total == 0 or (res.returncode and not counts.failed):
        counts.failed += 1
    return counts, time.monotonic() - start


def kernel_inputs(kbuild, selftests_inst):
    """vmlinux.o and every module: the kernel's own and the test ones."""
    files = [os.path.join(kbuild, "vmlinux.o")]
    for top in (kbuild, selftests_inst):
        for dirpath, _, names in os.walk(top):
            files += [os.path.join(dirpath, n) for n in sorted(names)
                      if n.endswith(".ko")]
    return files


def check_kernel(paths, arch, kbuild, selftests_inst, out):
    """Check one kernel; returns (Counts, seconds, note).

    One test per input file: clean (after the allow file), or not. A
    problem with the allow file itself (an entry without a reason, or
    one that matches nothing) is one more failed test.
    """
    tool, _ = binaries(paths)
    files = kernel_inputs(kbuild, selftests_inst)
    if not os.path.exists(files[0]):
        raise HarnessError(f"{files[0]} was not built")
    allow = os.path.join(paths.repo, "objtool-ext", "allow", arch.name)
    cmd = [tool, "check", "--stats"]
    if os.path.exists(allow):
        cmd += ["--allow", allow]
    start = time.monotonic()
    res = subprocess.run(cmd + files, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace",
                         stdin=subprocess.DEVNULL)
    secs = time.monotonic() - start
    # The time of vmlinux.o alone, on one core, for the record.
    t0 = time.monotonic()
    subprocess.run([tool, "check", files[0]], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    vmlinux_secs = time.monotonic() - t0
    with open(out, "w") as f:
        f.write(res.stdout + res.stderr)

    counts = results.Counts()
    bad_files = set()
    allow_problems = 0
    for line in res.stdout.splitlines():
        if line.startswith("objtool-ext:"):
            continue
        if ": allow-entry: " in line:
            allow_problems += 1
            continue
        bad_files.add(line.split(": ", 1)[0])
    for line in res.stderr.splitlines():
        m = re.match(r"objtool-ext: (.*?): ", line)
        if m:
            bad_files.add(m.group(1))
    counts.failed = len(bad_files) + (1 if allow_problems else 0)
    counts.passed = len(files) - len(bad_files)
    if res.returncode not in (0, 1) and not counts.failed:
        counts.failed = 1
    m = _STATS.search(res.stdout)
    funcs = m.group(2) if m else "?"
    allowed = m.group(4) if m else "?"
    note = (f"{funcs} functions in {len(files)} files, {allowed} allowed, "
            f"vmlinux.o {vmlinux_secs:.1f} s")
    if counts.failed:
        first = next((x for x in res.stdout.splitlines()
                      if not x.startswith("objtool-ext:")),
                     res.stderr.strip().splitlines()[0]
                     if res.stderr.strip() else "failed")
        note = first
    return counts, secs, note
