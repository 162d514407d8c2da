# SPDX-License-Identifier: GPL-2.0
"""Tests of objtool-ext klp-post-link (run by run.py).

tests/klp/ext.c is built with each architecture's module flags into what
kbuild would hand the command; the output is read back with a small ELF
reader of its own (not with the tool's code) and compared with the input:
every relocation against a placeholder moved unchanged into the right
.klp.rela section, every other one stayed, every placeholder became its
.klp.sym symbol in SHN_LIVEPATCH and nothing else changed. Then the
refusals, each of which must leave the file as it was, and a fuzz pass
under ASan and UBSan.
"""

import os
import random
import shutil
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "klp", "ext.c")

SHT_RELA, SHT_SYMTAB = 4, 2
SHF_ALLOC, SHF_INFO_LINK, SHF_RELA_LIVEPATCH = 0x2, 0x40, 0x00100000
SHN_UNDEF, SHN_LIVEPATCH = 0, 0xff20
PREFIX = "__klp_ext."

# Code-generation flags of modules, over run.py's kernel flags.
MODULE_FLAGS = {
    "arm64": [],
    "ppc64le": ["-mcmodel=large"],
    "s390x": ["-fPIC"],
    "x86_64": ["-mcmodel=kernel"],
}

# What ext.c declares: placeholder -> the .klp.sym name it must become.
WANT_SYMS = {
    "__klp_ext.vmlinux.klp_test_static_fn.0":
        ".klp.sym.vmlinux.klp_test_static_fn,0",
    "__klp_ext.vmlinux.klp_test_dup.isra.0.2":
        ".klp.sym.vmlinux.klp_test_dup.isra.0,2",
    "__klp_ext.vmlinux.klp_test_static_var.0":
        ".klp.sym.vmlinux.klp_test_static_var,0",
    "__klp_ext.test_klp_mod.klp_mod_static_fn.0":
        ".klp.sym.test_klp_mod.klp_mod_static_fn,0",
    "__klp_ext.test_klp_mod.klp_mod_static_var.1":
        ".klp.sym.test_klp_mod.klp_mod_static_var,1",
}


class Elf:
    """An ELF64 relocatable object: sections, symbols, RELA entries."""

    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2:
            raise ValueError("not an ELF64 file")
        e = "<" if data[5] == 1 else ">"
        self.e = e
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data,
                                                        0x3a)
        self.data = data
        self.secs = []
        for i in range(shnum):
            f = struct.unpack_from(e + "IIQQQQIIQQ", data,
                                   shoff + i * shentsize)
            self.secs.append(dict(name_off=f[0], type=f[1], flags=f[2],
                                  offset=f[4], size=f[5], link=f[6],
                                  info=f[7], entsize=f[9]))
        names = self.secs[shstrndx]
        for s in self.secs:
            s["name"] = self._str(names, s["name_off"])
        self.symtab = next(i for i, s in enumerate(self.secs)
                           if s["type"] == SHT_SYMTAB)
        st = self.secs[self.symtab]
        strs = self.secs[st["link"]]
        self.syms = []
        for k in range(st["size"] // 24):
            name, info, other, shndx, value, size = struct.unpack_from(
                e + "IBBHQQ", data, st["offset"] + 24 * k)
            self.syms.append((self._str(strs, name), info, other, shndx,
                              value, size))

    def _str(self, sec, off):
        b = self.data[sec["offset"] + off:sec["offset"] + sec["size"]]
        return b.split(b"\0", 1)[0].decode()

    def relas(self, idx):
        s = self.secs[idx]
        return [struct.unpack_from(self.e + "QQq", self.data,
                                   s["offset"] + 24 * k)
                for k in range(s["size"] // 24)]

    def index(self, name):
        return next(i for i, s in enumerate(self.secs) if s["name"] == name)


def _compile(run, arch, out, *defines):
    run.compile_obj(arch, SRC, out,
                    MODULE_FLAGS[arch] + [f"-D{d}" for d in defines])


def _post_link(tool, src, dst, env=None):
    return subprocess.run([tool, "klp-post-link", "-o", dst, src],
                          capture_output=True, text=True, errors="replace",
                          env=env, timeout=120)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _compare(inp, out):
    """The differences between input and output that should not be."""
    errs = []
    ph = {i for i, s in enumerate(inp.syms) if s[0].startswith(PREFIX)}
    if {inp.syms[i][0] for i in ph} != set(WANT_SYMS):
        errs.append(f"input placeholders {sorted(inp.syms[i][0] for i in ph)}")
    if len(out.syms) != len(inp.syms):
        errs.append("the symbol count changed")
        return errs
    for i, (a, b) in enumerate(zip(inp.syms, out.syms)):
        if i in ph:
            if b[0] != WANT_SYMS.get(a[0]) or b[3] != SHN_LIVEPATCH:
                errs.append(f"symbol {i} {a[0]} became {b[0]} in {b[3]:#x}")
        elif a != b:
            errs.append(f"symbol {i} {a[0]} changed")
    if out.secs[:len(inp.secs)] and \
            [s["name"] for s in out.secs[:len(inp.secs)]] != \
            [s["name"] for s in inp.secs]:
        errs.append("sections were renumbered")
    moved = {}		# (object, target) -> relocations
    for i, s in enumerate(inp.secs):
        if s["type"] != SHT_RELA or s["link"] != inp.symtab:
            continue
        alloc = inp.secs[s["info"]]["flags"] & SHF_ALLOC
        stay = []
        for r in inp.relas(i):
            name = inp.syms[r[1] >> 32][0]
            if name.startswith(PREFIX) and alloc:
                obj = name[len(PREFIX):].split(".", 1)[0]
                moved.setdefault((obj, s["info"]), []).append(r)
            else:
                stay.append(r)
        if out.relas(i) != stay:
            errs.append(f"{s['name']}: the relocations left are not the "
                        "others, in order")
    new = {}
    for i, s in enumerate(out.secs):
        if not s["flags"] & SHF_RELA_LIVEPATCH:
            continue
        if i < len(inp.secs):
            errs.append(f"{s['name']} replaced a section of the input")
        want_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH
        if s["type"] != SHT_RELA or s["flags"] != want_flags or \
                s["link"] != out.symtab or s["entsize"] != 24:
            errs.append(f"{s['name']}: type {s['type']} flags "
                        f"{s['flags']:#x} link {s['link']}")
        obj = s["name"][len(".klp.rela."):].split(".", 1)[0]
        target = out.secs[s["info"]]["name"]
        if s["name"] != f".klp.rela.{obj}.{target}":
            errs.append(f"{s['name']} applies to {target}")
        new[(obj, s["info"])] = out.relas(i)
    if new != moved:
        errs.append(f"moved {sorted((k[0], out.secs[k[1]]['name'], len(v)) for k, v in new.items())}, "
                    f"wanted {sorted((k[0], inp.secs[k[1]]['name'], len(v)) for k, v in moved.items())}")
    if ("vmlinux", inp.index(".text")) not in moved or \
            ("test_klp_mod", inp.index(".text")) not in moved:
        errs.append("ext.c's calls did not reach .text of both objects")
    return errs


def _refused(tap, tool, arch, src, work, what, needle):
    """The command refuses @src: exit 1, says @needle, writes nothing."""
    before = _read(src)
    out = os.path.join(work, f"{arch}-refused.ko")
    if os.path.exists(out):
        os.unlink(out)
    r = _post_link(tool, src, out)
    inplace = subprocess.run([tool, "klp-post-link", src],
                             capture_output=True, text=True)
    tap.result(r.returncode == 1 and needle in r.stderr and
               not os.path.exists(out) and inplace.returncode == 1 and
               _read(src) == before,
               f"klp-post-link {arch}: refuses {what}, file untouched",
               f"status {r.returncode}/{inplace.returncode}: "
               f"{r.stderr.strip()}")


def _patch_at_reloc(path, placeholder, fn):
    """Rewrite the bytes at the first relocation against @placeholder in
    .text with fn(data, offset_in_file) -> bytes."""
    data = bytearray(_read(path))
    elf = Elf(bytes(data))
    text = elf.index(".text")
    rela = elf.index(".rela.text")
    for off, info, _ in elf.relas(rela):
        if elf.syms[info >> 32][0] == placeholder:
            fn(data, elf.secs[text]["offset"] + off, elf.e)
            break
    else:
        raise RuntimeError(f"no relocation against {placeholder}")
    with open(path, "wb") as f:
        f.write(data)


def _parallel(tap, tool, src, want, work, runs=8):
    """Runs at once on one output (make -j, two build trees on one
    share) each get their own temporary file: every run succeeds, the
    output is a serial run's, nothing is left behind."""
    sub = os.path.join(work, "parallel")
    if os.path.exists(sub):
        shutil.rmtree(sub)
    os.makedirs(sub)
    out = os.path.join(sub, "patch.ko")
    procs = [subprocess.Popen([tool, "klp-post-link", "-o", out, src],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(runs)]
    errs = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        if p.returncode:
            errs.append(f"exit {p.returncode}: {err.strip()}")
    left = sorted(set(os.listdir(sub)) - {"patch.ko"})
    same = os.path.exists(out) and _read(out) == _read(want)
    tap.result(not errs and same and not left,
               f"klp-post-link: {runs} runs at once on one output all "
               "succeed, with a serial run's result",
               f"{'; '.join(errs[:2])} same={same} left={left}")


def check_arch(tap, run, tool, arch, work):
    """The good module and the refusals of one architecture; returns the
    objects to fuzz."""
    obj = os.path.join(work, f"{arch}-klp-ext.o")
    out = os.path.join(work, f"{arch}-klp-ext.ko")
    _compile(run, arch, obj)
    r = _post_link(tool, obj, out)
    ok = r.returncode == 0 and os.path.exists(out)
    tap.result(ok, f"klp-post-link {arch}: exits 0 on a patch module",
               r.stderr.strip())
    if not ok:
        return [obj]
    errs = _compare(Elf(_read(obj)), Elf(_read(out)))
    tap.result(not errs, f"klp-post-link {arch}: .klp.rela sections and "
               ".klp.sym symbols as module-elf-format.rst has them, "
               "nothing else changed", "; ".join(errs[:4]))
    again = os.path.join(work, f"{arch}-klp-again.ko")
    r = _post_link(tool, out, again)
    tap.result(r.returncode == 0 and _read(again) == _read(out),
               f"klp-post-link {arch}: a finalised module is left as it is",
               r.stderr.strip())
    r0 = run.run_tool(tool, [obj])
    r1 = run.run_tool(tool, [out])
    tap.result(r1.returncode != 2 and r0.returncode == r1.returncode,
               f"objtool-ext check {arch}: reads the finalised module as "
               "it read the input", f"{r0.returncode} -> {r1.returncode}: "
               f"{r1.stderr.strip()}")

    if arch == "x86_64":
        _parallel(tap, tool, obj, out, work)

    bad = os.path.join(work, f"{arch}-klp-bad.o")
    _compile(run, arch, bad, "KLP_TEST_NO_MODINFO")
    _refused(tap, tool, arch, bad, work, "a module without livepatch=Y",
             "livepatch=Y")
    _compile(run, arch, bad, "KLP_TEST_BAD_NAME")
    _refused(tap, tool, arch, bad, work, "a placeholder without a position",
             "not <object>.<symbol>.<position>")
    with open(bad, "wb") as f:
        f.write(_read(obj) + b"\0" * 12 + b"~Module signature appended~\n")
    _refused(tap, tool, arch, bad, work, "a module signed already",
             "signed already")
    _compile(run, arch, bad, "KLP_TEST_INIT_REF")
    _refused(tap, tool, arch, bad, work,
             "a module's symbol used from .init.text", ".init.text")
    if arch == "x86_64":
        _compile(run, arch, bad)
        _patch_at_reloc(bad, "__klp_ext.vmlinux.klp_test_static_fn.0",
                        lambda d, o, e: d.__setitem__(o, 1))
        _refused(tap, tool, arch, bad, work,
                 "a relocated field that is not zero", "is not zero")
    if arch == "ppc64le":
        _compile(run, arch, bad)
        _patch_at_reloc(bad, "__klp_ext.vmlinux.klp_test_static_fn.0",
                        lambda d, o, e: struct.pack_into(e + "I", d, o + 4,
                                                         0x7c0802a6))
        _refused(tap, tool, arch, bad, work,
                 "a call without a nop for the TOC restore",
                 "not followed by a nop")
    _compile(run, arch, bad, "KLP_TEST_RODATA_REF")
    if arch == "ppc64le":
        _refused(tap, tool, arch, bad, work,
                 "a module's address in read-only data", "read-only")
    else:
        r = _post_link(tool, bad, out)
        tap.result(r.returncode == 0,
                   f"klp-post-link {arch}: takes a module's address in "
                   "read-only data (written through the text-patching API)",
                   r.stderr.strip())
    _compile(run, arch, bad, "KLP_TEST_RODATA_VMLINUX")
    r = _post_link(tool, bad, out)
    tap.result(r.returncode == 0,
               f"klp-post-link {arch}: takes vmlinux's address in read-only "
               "data (the loader writes it before sealing)", r.stderr.strip())
    return [obj]


def check_usage(tap, tool, work):
    r = subprocess.run([tool, "klp-post-link"], capture_output=True,
                       text=True)
    tap.result(r.returncode == 2 and "klp-post-link" in r.stderr,
               "klp-post-link without a module: usage, exit 2")
    r = _post_link(tool, os.path.join(work, "missing.ko"),
                   os.path.join(work, "out.ko"))
    tap.result(r.returncode == 2 and "missing.ko" in r.stderr and
               not os.path.exists(os.path.join(work, "out.ko")),
               "klp-post-link on a missing file: exit 2 naming it")


def check_fuzz(tap, run, asan, objs, work, count):
    """Mutated patch modules through the sanitizer build (run.fuzz_file)."""
    rng = random.Random(20261203)
    dst = os.path.join(work, "klp-fuzz.ko")
    for obj in objs:
        run.fuzz_file(tap, "klp-post-link", obj, rng, count,
                      os.path.join(work, "klp-fuzz.o"),
                      lambda p: _post_link(asan, p, dst, run.FUZZ_ENV))
