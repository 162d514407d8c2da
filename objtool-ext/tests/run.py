#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""objtool-ext's own tests.

For each architecture in tests/<arch>/:
  cases.S   functions good_* (must be clean) and bad_* (must be found)
  expect    "FUNCTION RULE[,RULE...]": the exact rules per bad function
and, except on x86_64, tests/common/shapes.c built with the kernel's flags
for that architecture: compiler output that must be clean.

Then klp-post-link's tests (klp.py) on each architecture, and the fuzz
pass: truncated, bit-flipped and header-corrupted copies of every test
object, run through the ASan/UBSan build (check and klp-post-link); each
must end with status 0, 1 or 2 (2 for every truncation) and no sanitizer
report.

Prints KTAP; exits 1 if anything failed.
Usage: run.py --bin BIN --asan-bin BIN --work DIR [--fuzz N]
"""

import argparse
import os
import random
import struct
import subprocess
import sys

import klp

HERE = os.path.dirname(os.path.abspath(__file__))

# Cross compiler and the kernel's code-generation flags of each target.
ARCHES = {
    "arm64": ("aarch64-linux-gnu-gcc",
              ["-O2", "-fno-omit-frame-pointer",
               "-fpatchable-function-entry=2",
               "-mbranch-protection=pac-ret"]),
    "ppc64le": ("powerpc64le-linux-gnu-gcc",
                ["-Os", "-mprofile-kernel", "-pg"]),
    "s390x": ("s390x-linux-gnu-gcc",
              ["-O2", "-mbackchain", "-mpacked-stack", "-msoft-float",
               "-mfentry", "-mnop-mcount", "-pg"]),
    "x86_64": ("x86_64-linux-gnu-gcc", ["-O2"]),
}


def host_gcc(name):
    """The compiler to use: the cross one, or gcc on a matching host."""
    machine = os.uname().machine
    native = {"x86_64": "x86_64", "aarch64": "arm64",
              "ppc64le": "ppc64le", "s390x": "s390x"}.get(machine)
    return "gcc" if native == name else ARCHES[name][0]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lines = []

    def result(self, ok, name, why=""):
        self.n += 1
        if not ok:
            self.failed += 1
        self.lines.append(f"{'ok' if ok else 'not ok'} {self.n} {name}"
                          + (f" # {why}" if why and not ok else ""))

    def finish(self):
        print("KTAP version 1")
        print(f"1..{self.n}")
        for line in self.lines:
            print(line)
        print(f"# objtool-ext tests: {self.n - self.failed} passed, "
              f"{self.failed} failed")
        return 1 if self.failed else 0


def compile_obj(arch, src, out, extra=()):
    cc = host_gcc(arch)
    cmd = [cc, "-c", src, "-o", out, "-ffreestanding", "-fno-pic"]
    if src.endswith(".c"):
        cmd += ARCHES[arch][1]
    cmd += list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")


def run_tool(binary, files, env=None):
    return subprocess.run([binary, "check", *files], capture_output=True,
                          text=True, errors="replace", env=env, timeout=120)


def parse_findings(text):
    """{function: set(rules)} from objtool-ext's output lines."""
    found = {}
    for line in text.splitlines():
        parts = line.split(": ")
        if len(parts) < 4 or "+0x" not in parts[1]:
            continue
        func = parts[1].split("+0x")[0]
        found.setdefault(func, set()).add(parts[2])
    return found


def read_expect(path):
    want = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            func, rules = line.split()
            want[func] = set(rules.split(","))
    return want


def symbols(binary_readelf, obj):
    """Function names defined in obj (readelf -s, no tools beyond it)."""
    r = subprocess.run([binary_readelf, "-sW", obj], capture_output=True,
                       text=True)
    names = []
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "FUNC" and f[6] != "UND":
            names.append(f[7])
    return names


def check_cases(tap, tool, arch, work):
    src = os.path.join(HERE, arch, "cases.S")
    obj = os.path.join(work, f"{arch}-cases.o")
    compile_obj(arch, src, obj)
    want = read_expect(os.path.join(HERE, arch, "expect"))
    r = run_tool(tool, [obj])
    found = parse_findings(r.stdout)
    funcs = [n for n in symbols("readelf", obj)
             if n.startswith(("good_", "bad_"))]
    bad = [n for n in funcs if n.startswith("bad_")]
    good = [n for n in funcs if n.startswith("good_")]
    # x86_64 has one rule (ORC coverage; objtool checks the frames).
    least = 4 if arch == "x86_64" else 10
    tap.result(len(bad) >= least and len(good) >= least,
               f"{arch}: at least {least} broken and {least} correct shapes",
               f"{len(bad)} bad, {len(good)} good")
    tap.result(set(bad) == set(want), f"{arch}: expect lists every bad_",
               f"unlisted {sorted(set(bad) - set(want))}, "
               f"missing {sorted(set(want) - set(bad))}")
    tap.result(r.returncode == (1 if bad else 0),
               f"{arch}: exit status with findings",
               f"status {r.returncode}: {r.stderr.strip()}")
    for name in sorted(funcs):
        got = found.get(name, set())
        exp = want.get(name, set())
        tap.result(got == exp, f"{arch}: {name}",
                   f"wanted {sorted(exp) or 'clean'}, got {sorted(got) or 'clean'}")
    return obj


def check_shapes(tap, tool, arch, work):
    obj = os.path.join(work, f"{arch}-shapes.o")
    compile_obj(arch, os.path.join(HERE, "common", "shapes.c"), obj)
    r = run_tool(tool, [obj])
    tap.result(r.returncode == 0 and not r.stdout.strip(),
               f"{arch}: compiler-made shapes are clean",
               (r.stdout.strip() or r.stderr.strip()).replace("\n", " | "))
    return obj


def check_cli(tap, tool, arch, obj, work):
    """Interface: allow file, stats, unreadable inputs."""
    want = read_expect(os.path.join(HERE, arch, "expect"))
    (f1, r1), (f2, r2) = [(f, sorted(r)[0]) for f, r in
                          sorted(want.items())[:2]]
    allow = os.path.join(work, "allow")
    with open(allow, "w") as f:
        f.write("# comment\n"
                f"{f1} {r1} argued here\n"
                f"{f2} {r2}\n"
                "no_such_function fp-write never matches\n")
    r = subprocess.run([tool, "check", "--allow", allow, "--stats", obj],
                       capture_output=True, text=True)
    out = r.stdout
    lines = [x.split(": ") for x in out.splitlines()]
    tap.result(not any(len(p) > 2 and p[1].startswith(f1 + "+") and
                       p[2] == r1 for p in lines),
               f"{arch}: allow: an entry with a reason suppresses its finding")
    tap.result("entry without a reason" in out and f"{f2}+" in out,
               f"{arch}: allow: an entry without a reason is reported, "
               "not applied")
    tap.result("no_such_function: allow-entry: 'fp-write' matches no finding"
               in out, f"{arch}: allow: an entry that matches nothing is "
               "reported")
    tap.result("functions checked" in out and r2 in out,
               f"{arch}: --stats prints functions and findings per rule")
    r = subprocess.run([tool, "check", os.path.join(work, "missing.o")],
                       capture_output=True, text=True)
    tap.result(r.returncode == 2 and "missing.o" in r.stderr,
               "a missing input: exit 2 naming it")
    notelf = os.path.join(work, "not-elf")
    with open(notelf, "w") as f:
        f.write("hello\n")
    r = subprocess.run([tool, "check", notelf, obj], capture_output=True,
                       text=True)
    tap.result(r.returncode == 2 and "not an ELF file" in r.stderr and
               "bad_" in r.stdout,
               "a non-ELF input: exit 2, the other inputs still checked")


# Fuzzing -------------------------------------------------------------------

def elf_fields(data):
    """Offsets of the ELF64 header fields worth corrupting."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return None
    end = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(end + "Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3a)
    return end, shoff, shentsize, shnum, shstrndx


def mutations(data, rng, count):
    """(name, bytes) pairs: truncations, flips, header corruptions."""
    size = len(data)
    for cut in sorted({0, 1, 4, 16, 63, 64, size // 3, size // 2,
                       size - 64, size - 8, size - 1}):
        if 0 <= cut < size:
            yield f"truncated at {cut}", data[:cut], True
    fields = elf_fields(data)
    if fields:
        end, shoff, shentsize, shnum, shstrndx = fields
        for name, off, fmt, val in (
                ("e_shoff huge", 0x28, "Q", 2 ** 63),
                ("e_shoff past end", 0x28, "Q", size + 4096),
                ("e_shnum huge", 0x3c, "H", 0xffff),
                ("e_shstrndx past table", 0x3e, "H", shnum + 3)):
            b = bytearray(data)
            struct.pack_into(end + fmt, b, off, val)
            yield name, bytes(b), False
        # Each section header: offset, size, link, info, entsize.
        for i in range(min(shnum, 64)):
            base = shoff + i * shentsize
            if base + 64 > size:
                break
            for fname, foff, fmt, val in (
                    ("sh_offset", 0x18, "Q", 2 ** 62),
                    ("sh_size", 0x20, "Q", 2 ** 40),
                    ("sh_link", 0x28, "I", 0xfffffff0),
                    ("sh_info", 0x2c, "I", 0x7fffffff),
                    ("sh_entsize", 0x38, "Q", 1)):
                b = bytearray(data)
                struct.pack_into(end + fmt, b, base + foff, val)
                yield f"section {i} {fname}", bytes(b), False
    for k in range(count):
        b = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            b[rng.randrange(size)] = rng.randrange(256)
        yield f"random bytes #{k}", bytes(b), False


FUZZ_ENV = dict(os.environ,
                ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
                UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:"
                              "exitcode=98")


def fuzz_file(tap, label, obj, rng, count, path, run_one):
    """Mutations of obj written to path and given to run_one(path) (a
    CompletedProcess of a sanitizer build): each must end with status 0,
    1 or 2 (2 when truncated) and no sanitizer report."""
    with open(obj, "rb") as f:
        data = f.read()
    runs = bad = 0
    first = ""
    for name, blob, truncated in mutations(data, rng, count):
        with open(path, "wb") as f:
            f.write(blob)
        try:
            r = run_one(path)
            status, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired:
            status, err = -1, "timed out"
        runs += 1
        ok = status in (0, 1, 2) and "Sanitizer" not in err and \
            "runtime error" not in err
        if truncated and status != 2:
            ok = False
        if not ok:
            bad += 1
            if not first:
                first = (f"{name}: status {status}: "
                         f"{err.strip().splitlines()[:3]}")
    tap.result(bad == 0, f"fuzz {label} {os.path.basename(obj)}: {runs} "
               "inputs, no crash, exit 2 when truncated", first)


def check_fuzz(tap, asan, objs, work, count):
    rng = random.Random(20261121)
    path = os.path.join(work, "fuzz.o")
    for arch in sorted(objs):
        for obj in objs[arch]:
            fuzz_file(tap, arch, obj, rng, count, path,
                      lambda p: run_tool(asan, [p], env=FUZZ_ENV))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--asan-bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--fuzz", type=int, default=150)
    ap.add_argument("--arches", default=" ".join(ARCHES),
                    help="architectures whose cross compiler is installed")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    arches = args.arches.split()
    unknown = [a for a in arches if a not in ARCHES]
    if unknown:
        ap.error(f"unknown architectures: {' '.join(unknown)}")

    tap = Tap()
    objs = {}
    for arch in arches:
        try:
            objs[arch] = [check_cases(tap, args.bin, arch, args.work)]
            if arch != "x86_64":
                objs[arch].append(check_shapes(tap, args.bin, arch,
                                               args.work))
        except RuntimeError as e:
            tap.result(False, f"{arch}: build the test objects", str(e))
    if objs:
        first = sorted(objs)[0]
        check_cli(tap, args.bin, first, objs[first][0], args.work)
    klp_objs = []
    for arch in arches:
        try:
            klp_objs += klp.check_arch(tap, sys.modules[__name__], args.bin,
                                       arch, args.work)
        except (RuntimeError, ValueError, StopIteration) as e:
            tap.result(False, f"klp-post-link {arch}: build and read the "
                       "test module", str(e))
    klp.check_usage(tap, args.bin, args.work)
    check_fuzz(tap, args.asan_bin, objs, args.work, args.fuzz)
    klp.check_fuzz(tap, sys.modules[__name__], args.asan_bin, klp_objs,
                   args.work, args.fuzz)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
