# SPDX-License-Identifier: GPL-2.0
"""Kernel source, prepared trees, configs, builds and the selftests built
from the same tree.

Layout under the build directory O:
  src/linux-source-6.12/     pristine source, extracted once, never written
  trees/<core>-<arch>/       prepared tree of a core that changes the source
  kernels/<core>-<arch>-<flavour>/    the O= build directory of a kernel
  selftests/<core>-<arch>-<flavour>/  selftests built against it, installed
  logs/                      build logs
"""

import filecmp
import os
import re
import shutil
import stat

from . import objtoolext, util
from .util import HarnessError

TARBALL = "/usr/src/linux-source-6.12.tar.xz"
SRC_NAME = "linux-source-6.12"

SKIP_OPTION = "CONFIG_LIVEPATCH"


class ArchSkipped(Exception):
    """The architecture cannot run the tests with this core; not a failure."""


class Paths:
    def __init__(self, build_dir, repo):
        self.o = os.path.abspath(build_dir)
        self.repo = os.path.abspath(repo)

    @property
    def src(self):
        return os.path.join(self.o, "src", SRC_NAME)

    def tree(self, core, arch):
        return os.path.join(self.o, "trees", f"{core}-{arch.name}")

    def kbuild(self, core, arch, flavour):
        return os.path.join(self.o, "kernels",
                            f"{core}-{arch.name}-{flavour.name}")

    def selftests(self, core, arch, flavour):
        return os.path.join(self.o, "selftests",
                            f"{core}-{arch.name}-{flavour.name}")

    def log(self, name):
        return os.path.join(self.o, "logs", name + ".log")


def build_env(paths):
    """Environment of every kernel make: ccache sees paths relative to the
    build directory, so a fresh clone elsewhere still hits the cache, and
    the build stamps are fixed so that unchanged input gives equal output."""
    return {
        "CCACHE_BASEDIR": paths.o,
        "CCACHE_NOHASHDIR": "1",
        "KBUILD_BUILD_TIMESTAMP": "2024-11-17",
        "KBUILD_BUILD_USER": "klpcore",
        "KBUILD_BUILD_HOST": "harness",
    }


def extract_source(paths):
    """Extract the pristine source once; again only if the tarball changed."""
    if not os.path.exists(TARBALL):
        raise HarnessError(f"{TARBALL} is missing (package linux-source-6.12)")
    st = os.stat(TARBALL)
    want = f"{st.st_size}:{int(st.st_mtime)}"
    stamp = os.path.join(paths.o, "src", ".extracted")
    if util.read_stamp(stamp) == want and os.path.isdir(paths.src):
        return False
    if os.path.exists(paths.src):
        shutil.rmtree(paths.src)
    os.makedirs(os.path.dirname(paths.src), exist_ok=True)
    util.run(["tar", "-xf", TARBALL, "-C", os.path.dirname(paths.src)],
             log=paths.log("extract"))
    if not os.path.isdir(paths.src):
        raise HarnessError(f"{TARBALL} did not contain {SRC_NAME}/")
    util.write_stamp(stamp, want)
    return True


def kernel_version(paths):
    return util.output(["make", "-s", "-C", paths.src, "kernelversion"])


def kernel_release(kbuild):
    """The release string of a built kernel (what uname -r will say)."""
    path = os.path.join(kbuild, "include", "config", "kernel.release")
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        raise HarnessError(f"cannot read the kernel release: {e}")


_KUNIT_SUITE = re.compile(
    r"struct\s+kunit_suite\s+\w+\s*=\s*\{[^}]*?\.name\s*=\s*\"([^\"]+)\"",
    re.S)


def kunit_suite_names(text):
    """Names of the KUnit suites a C file defines."""
    return _KUNIT_SUITE.findall(text)


def kunit_suites(repo, arch, core, config):
    """The KUnit suites a kernel must run: klpcore's, when its kernel is
    built with them (core/ and the backend's *kunit*.c files)."""
    if core != "klpcore" or config.get("CONFIG_KLPCORE_KUNIT_TEST") != "y":
        return ()
    files = [os.path.join(repo, "core", "kunit.c")]
    backend = os.path.join(repo, "arch", arch.karch)
    if os.path.isdir(backend):
        files += [os.path.join(backend, f) for f in sorted(os.listdir(backend))
                  if "kunit" in f and f.endswith(".c")]
    names = []
    for path in files:
        with open(path) as f:
            names += kunit_suite_names(f.read())
    return tuple(names)


# Preparation of a tree ------------------------------------------------------
#
# A core other than "upstream" is a hard-linked copy of the pristine tree
# with a list of steps applied, each one self-contained: put klpcore in
# kernel/livepatch, or apply a patch. A step is (name, apply, every_run):
# the name goes into the tree's stamp; an every_run step is idempotent and
# re-applied on each run (copies of the project's files). Patched files
# are written as new files (patch(1) does, and mirror() copies replace
# whole files), so the pristine tree's inodes are never modified. When a
# tree is redone (its steps changed: another branch, an edited patch), a
# file that the old steps changed and the new ones do not is given a copy
# of its own, newer than the objects built from the changed file.

def _own_copy(src, dst):
    """Write dst as a copy of src with an inode and a time of its own:
    never through a hard link to the pristine tree."""
    if os.path.lexists(dst):
        os.unlink(dst)
    shutil.copyfile(src, dst)
    shutil.copymode(src, dst)


def mirror(src, dst):
    """Make dst a copy of src (file or directory): copy what differs and
    remove what src no longer has. A file that is the same keeps its
    time, so make rebuilds nothing for it; a file that changed gets the
    time of the copy, never src's: an object built from the previous copy
    may be newer than src's edit, and make would keep it."""
    if os.path.isfile(src):
        if not (os.path.isfile(dst) and filecmp.cmp(src, dst, shallow=False)):
            _own_copy(src, dst)
        return
    os.makedirs(dst, exist_ok=True)
    want = set(os.listdir(src))
    for name in os.listdir(dst):
        if name not in want:
            p = os.path.join(dst, name)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
    for name in want:
        if name == "__pycache__":
            continue
        mirror(os.path.join(src, name), os.path.join(dst, name))


def step_klpcore(repo):
    """Step: kernel/livepatch/ becomes klpcore's: the project's Kbuild and
    core/Kconfig, and copies of its core/ and arch/ folders. Nothing of
    the stock directory stays. Patch modules built against the tree get
    core/klp-extern.h as <linux/klp-extern.h>.

    Copies, not links: ccache resolves links when it makes paths relative,
    which would give the core's files a __FILE__ outside the tree and hide
    them from dynamic debug's "file kernel/livepatch/*" queries. The copy
    is refreshed on every run (only changed files are written)."""
    parts = {"Kbuild": os.path.join(repo, "Kbuild"),
             "Kconfig": os.path.join(repo, "core", "Kconfig"),
             "core": os.path.join(repo, "core"),
             "arch": os.path.join(repo, "arch")}

    def apply(tree):
        d = os.path.join(tree, "kernel", "livepatch")
        if os.path.islink(d) or (os.path.exists(d) and not
                                 os.path.exists(os.path.join(d, "core"))):
            if os.path.islink(d):
                os.unlink(d)
            else:
                shutil.rmtree(d)
        os.makedirs(d, exist_ok=True)
        for name, src in parts.items():
            dst = os.path.join(d, name)
            if os.path.islink(dst):
                os.unlink(dst)
            mirror(src, dst)
        mirror(os.path.join(repo, "core", "klp-extern.h"),
               os.path.join(tree, "include", "linux", "klp-extern.h"))
    return (f"klpcore {repo}", apply, True)


def check_klpcore_objects(kbuild, flavour=None):
    """The objects built in kernel/livepatch must all come from klpcore's
    core/ and arch/: a stale or stock object is an error. In a KCSAN
    flavour, core/transition.o must call KCSAN's __tsan_* hooks."""
    top = os.path.join(kbuild, "kernel", "livepatch")
    stray = []
    for dirpath, _, files in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        for f in files:
            if not f.endswith(".o"):
                continue
            if rel == "." and f == "livepatch.o":
                continue
            if rel.split(os.sep)[0] in ("core", "arch"):
                continue
            stray.append(os.path.join(rel, f))
    if stray:
        raise HarnessError("kernel/livepatch has objects that are not "
                           "klpcore's: " + " ".join(sorted(stray)))
    transition = os.path.join(top, "core", "transition.o")
    if not os.path.exists(transition):
        raise HarnessError("klpcore's core/ was not built into the kernel")
    if flavour is not None and flavour.kcsan:
        calls = util.output(["nm", "-u", transition]).split()
        if not any(c.startswith("__tsan_") for c in calls):
            raise HarnessError(
                f"klpcore is not instrumented in flavour {flavour.name}: "
                "core/transition.o calls no __tsan_* function")


def klpcore_functions(kbuild):
    """The names of the functions built into kernel/livepatch: of every
    object there (check_klpcore_objects() vouches that they are all
    klpcore's; a built-in kernel keeps no livepatch.o, only a thin
    built-in.a)."""
    top = os.path.join(kbuild, "kernel", "livepatch")
    objs = sorted(os.path.join(d, f) for d, _, files in os.walk(top)
                  for f in files if f.endswith(".o"))
    if not objs:
        raise HarnessError(f"no objects in {top}")
    names = set()
    out = util.output(["nm", "--defined-only"] + objs)
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tT":
            names.add(f[2])
    return frozenset(names)


def step_patch(patch, log):
    """Step: apply one patch file (-p1) to the tree."""
    def apply(tree):
        util.run(["patch", "-p1", "--forward", "--batch", "-i", patch],
                 cwd=tree, log=log)
    return (f"patch {patch} {util.file_digest(patch)}", apply, False)


def prepare_tree(paths, core, arch, steps):
    """Return the source tree for core on arch, prepared by steps.

    With no steps the pristine tree itself is used (builds are out of tree,
    so it stays pristine). The prepared copy is redone whenever the list of
    steps or the pristine source changes.
    """
    if not steps:
        return paths.src
    tree = paths.tree(core, arch)
    src_stamp = util.read_stamp(os.path.join(paths.o, "src", ".extracted"))
    want = util.digest(src_stamp, *[name for name, _, _ in steps])
    stamp = tree + ".stamp"
    if util.read_stamp(stamp) == want and os.path.isdir(tree):
        for _, apply, every_run in steps:
            if every_run:
                apply(tree)
        return tree
    changed = []
    if os.path.exists(tree):
        changed = _changed_files(tree, paths.src)
        shutil.rmtree(tree)
    os.makedirs(os.path.dirname(tree), exist_ok=True)
    util.run(["cp", "-al", paths.src, tree], log=paths.log(f"tree-{core}"))
    for _, apply, _ in steps:
        apply(tree)
    _renew_pristine(tree, paths.src, changed)
    util.write_stamp(stamp, want)
    return tree


def _linked(tree, src, rel):
    """Is tree's file rel still the pristine one (a hard link to it)?
    None when either side has no such file."""
    try:
        return (os.lstat(os.path.join(tree, rel)).st_ino ==
                os.lstat(os.path.join(src, rel)).st_ino)
    except FileNotFoundError:
        return None


def _changed_files(tree, src):
    """The files of tree that its steps replaced (paths relative to
    tree); files that a step added go with the old tree."""
    out = []
    for dirpath, _, files in os.walk(tree):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), tree)
            if _linked(tree, src, rel) is False:
                out.append(rel)
    return out


def _renew_pristine(tree, src, rels):
    """A file that the previous tree had changed and the new one has
    pristine again gets a copy of its own, with the time of the copy:
    the objects built from the changed file are newer than the pristine
    file's time, and make would keep them."""
    for rel in rels:
        if _linked(tree, src, rel):
            _own_copy(os.path.join(src, rel), os.path.join(tree, rel))


# Configuration ---------------------------------------------------------------

_OPT = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


def parse_config(text):
    """Map of option -> value ('n' for '# CONFIG_X is not set')."""
    opts = {}
    for line in text.splitlines():
        line = line.strip()
        m = _OPT.match(line)
        if m:
            opts[m.group(1)] = m.group(2)
            continue
        m = _UNSET.match(line)
        if m:
            opts[m.group(1)] = "n"
    return opts


def unmet(wanted, actual):
    """Options of the fragments that the final .config does not have."""
    out = []
    for name, value in wanted.items():
        have = actual.get(name, "n")
        if have != value:
            out.append((name, value, have))
    return out


def fragments(paths, arch, core, flavour):
    """base.config, then the architecture's, then the core's if it has
    one (options that only exist with that core), then the flavour's:
    each of its fragments, followed by that fragment's arch part if there
    is one."""
    d = os.path.join(paths.repo, "tests", "configs")
    out = [os.path.join(d, "base.config"),
           os.path.join(d, arch.name + ".config")]
    if os.path.exists(os.path.join(d, core + ".config")):
        out.append(os.path.join(d, core + ".config"))
    for name in flavour.fragments:
        frag = os.path.join(d, "flavours", name + ".config")
        if not os.path.exists(frag):
            raise HarnessError(f"flavour {flavour.name}: {frag} is missing")
        out.append(frag)
        own = os.path.join(d, "flavours", f"{name}-{arch.name}.config")
        if os.path.exists(own):
            out.append(own)
    return out


def configure(paths, tree, core, arch, flavour, extra=()):
    """tinyconfig + the fragments (and extra ones) + olddefconfig, redone
    only when an input changed; then check that every option of the
    fragments took effect (a later fragment overrides an earlier one)."""
    kbuild = paths.kbuild(core, arch, flavour)
    frags = fragments(paths, arch, core, flavour) + list(extra)
    tree_id = util.read_stamp(tree + ".stamp") if tree != paths.src else \
        util.read_stamp(os.path.join(paths.o, "src", ".extracted"))
    want = util.digest(tree, tree_id, util.file_digest(*frags))
    stamp = os.path.join(kbuild, ".klp-config.stamp")
    config = os.path.join(kbuild, ".config")
    log = paths.log(f"config-{core}-{arch.name}-{flavour.name}")
    if util.read_stamp(stamp) != want or not os.path.exists(config):
        os.makedirs(kbuild, exist_ok=True)
        mk = ["make", "-C", tree, f"O={kbuild}"] + arch.make_vars()
        util.run(mk + ["tinyconfig"], log=log, env=build_env(paths))
        util.run([os.path.join(tree, "scripts/kconfig/merge_config.sh"),
                  "-m", "-O", kbuild, config] + frags, cwd=tree, log=log)
        util.run(mk + ["olddefconfig"], log=log, env=build_env(paths))
        util.write_stamp(stamp, want)

    wanted = {}
    for frag in frags:
        with open(frag) as f:
            wanted.update(parse_config(f.read()))
    with open(config) as f:
        actual = parse_config(f.read())
    bad = unmet(wanted, actual)
    if any(name == SKIP_OPTION for name, _, _ in bad):
        if actual.get("CONFIG_HAVE_LIVEPATCH", "n") != "y":
            why = (f"{arch.karch} does not select HAVE_LIVEPATCH in this "
                   f"kernel, so CONFIG_LIVEPATCH cannot be enabled")
        else:
            deps = [n for n in ("CONFIG_DYNAMIC_FTRACE_WITH_REGS",
                                "CONFIG_DYNAMIC_FTRACE_WITH_ARGS")
                    if actual.get(n, "n") == "y"]
            why = ("CONFIG_LIVEPATCH cannot be enabled (dependencies: "
                   f"{', '.join(deps) or 'no ftrace with regs/args'})")
        raise ArchSkipped(why)
    if bad:
        lines = [f"  {n}={v} wanted, .config has {h}" for n, v, h in bad]
        raise HarnessError(f"{arch.name}: config fragments not satisfied "
                           f"(see {log}):\n" + "\n".join(lines))
    return actual


def build(paths, tree, core, arch, flavour, jobs):
    """Build the boot image and the in-tree modules (incremental)."""
    kbuild = paths.kbuild(core, arch, flavour)
    log = paths.log(f"build-{core}-{arch.name}-{flavour.name}")
    if os.path.exists(log):
        os.unlink(log)
    cmd = (["make", "-C", tree, f"O={kbuild}", f"-j{jobs}"]
           + arch.make_vars() + [arch.target, "modules"])
    # Once seen here: a parallel build that lost one object. make is
    # incremental, so a second run costs little; a real error fails again.
    if util.run(cmd, log=log, env=build_env(paths), check=False) != 0:
        util.say(f"    build of {arch.name} failed, retrying once "
                 f"(see {log})")
        util.run(cmd, log=log, env=build_env(paths))
    image = os.path.join(kbuild, arch.image)
    if not os.path.exists(image):
        raise HarnessError(f"{arch.name}: build produced no {arch.image}")
    return image


def refused(paths, tree, core, arch, flavour, subdir, jobs):
    """Compile one directory of a configured kernel that must not build:
    returns (refused, log). prepare comes first, so that a failure is the
    directory's own."""
    kbuild = paths.kbuild(core, arch, flavour)
    log = paths.log(f"refusal-{core}-{arch.name}-{flavour.name}")
    if os.path.exists(log):
        os.unlink(log)
    mk = (["make", "-C", tree, f"O={kbuild}", f"-j{jobs}"]
          + arch.make_vars())
    util.run(mk + ["prepare"], log=log, env=build_env(paths))
    rc = util.run(mk + [subdir.rstrip("/") + "/"], log=log,
                  env=build_env(paths), check=False)
    return rc != 0, log


# Selftests -----------------------------------------------------------------

def make_list(makefile_text, var):
    """Words of a Makefile variable assignment (':=', '=', '+='), with
    backslash continuations. Enough for the selftest Makefiles."""
    words = []
    lines = makefile_text.splitlines()
    i = 0
    pat = re.compile(r"^\s*" + re.escape(var) + r"\s*(:=|\+=|=)\s*(.*)$")
    while i < len(lines):
        m = pat.match(lines[i])
        if not m:
            i += 1
            continue
        value = m.group(2)
        while value.endswith("\\"):
            value = value[:-1]
            i += 1
            value += " " + (lines[i] if i < len(lines) else "")
        words.extend(value.split())
        i += 1
    return words


def sync_tree(src, dst):
    """Copy src over dst keeping modification times, so that make in dst
    rebuilds only what really changed."""
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True,
                    copy_function=shutil.copy2)


def _make_modules(paths, kbuild, arch, moddir, log):
    util.run(["make", "-C", kbuild, f"M={moddir}"] + arch.make_vars()
             + ["modules"], log=log, env=build_env(paths))
    return sorted(f for f in os.listdir(moddir) if f.endswith(".ko"))


def _cross_gcc(paths, arch, src, out, log):
    if (os.path.exists(out)
            and os.path.getmtime(out) >= os.path.getmtime(src)):
        return
    util.run(["ccache", arch.cross + "gcc", "-O2", "-Wall", "-D_GNU_SOURCE=",
              "-o", out, src], log=log, env=build_env(paths))


def _post_link(paths, work, mods, log):
    """Finalise the patch modules: "objtool-ext klp-post-link" on every
    module but those named in the directory's post-link-skip (one per
    line, '#' comments). A module without placeholders is left as it
    is; one the command refuses fails the build."""
    skip = set()
    listing = os.path.join(work, "post-link-skip")
    if os.path.exists(listing):
        with open(listing) as f:
            skip = {ln.split("#", 1)[0].strip() for ln in f} - {""}
    unknown = skip - set(mods)
    if unknown:
        raise HarnessError(f"{listing}: no module {' '.join(sorted(unknown))}")
    tool, _ = objtoolext.build(paths)
    for m in mods:
        if m not in skip:
            util.run([tool, "klp-post-link", os.path.join(work, m)], log=log)


def _build_dir_suite(paths, kbuild, arch, src, work, dst, log):
    """A directory of kselftest-style tests: its executable *.sh, the other
    *.sh they source, and the modules of its Kbuild built against the
    kernel, finalised (_post_link()). Returns the test scripts."""
    if os.path.exists(work):
        shutil.rmtree(work)
    sync_tree(src, work)
    # <linux/klp-extern.h> for a kernel tree without it (the stock core's),
    # with "ccflags-y += -I$(src)/include" in the Kbuild.
    os.makedirs(os.path.join(work, "include", "linux"), exist_ok=True)
    mirror(os.path.join(paths.repo, "core", "klp-extern.h"),
           os.path.join(work, "include", "linux", "klp-extern.h"))
    mods = []
    if (os.path.exists(os.path.join(work, "Kbuild"))
            or os.path.exists(os.path.join(work, "Makefile"))):
        mods = _make_modules(paths, kbuild, arch, work, log)
        _post_link(paths, work, mods, log)
    progs = sorted(f for f in os.listdir(work)
                   if f.endswith(".sh")
                   and os.stat(os.path.join(work, f)).st_mode & stat.S_IXUSR)
    if not progs:
        raise HarnessError(f"no executable *.sh in {src}")
    os.makedirs(dst)
    for f in os.listdir(work):
        p = os.path.join(work, f)
        if os.path.isfile(p) and (f.endswith(".sh") or f in mods
                                  or f == "settings"):
            shutil.copy2(p, dst)
    return progs


class Suite:
    """A kselftest collection installed for the guest."""

    def __init__(self, name, collection, tests):
        self.name = name              # row name in the summary
        self.collection = collection  # kselftest collection directory
        self.tests = tests            # test scripts, in order


def build_selftests(paths, tree, core, arch, flavour, extra_dir, wanted):
    """Build and install the selftests for one kernel.

    Returns (install_dir, suites). The kernel's own livepatch selftests are
    built from the same tree as the kernel; EXTRA_SELFTESTS is a directory
    of kselftest-style scripts (executable *.sh) and, optionally, test
    module sources with a Kbuild obj-m list.
    """
    base = paths.selftests(core, arch, flavour)
    kbuild = paths.kbuild(core, arch, flavour)
    work = os.path.join(base, "build")
    inst = os.path.join(base, "install")
    log = paths.log(f"selftests-{core}-{arch.name}-{flavour.name}")
    if os.path.exists(log):
        os.unlink(log)
    ksrc = os.path.join(tree, "tools", "testing", "selftests")
    suites = []

    if os.path.exists(inst):
        shutil.rmtree(inst)
    os.makedirs(os.path.join(inst, "kselftest"))
    shutil.copy2(os.path.join(ksrc, "run_kselftest.sh"), inst)
    for f in ("runner.sh", "prefix.pl", "module.sh", "ktap_helpers.sh"):
        shutil.copy2(os.path.join(ksrc, "kselftest", f),
                     os.path.join(inst, "kselftest"))

    if "upstream-livepatch" in wanted:
        lp_src = os.path.join(ksrc, "livepatch")
        lp = os.path.join(work, "livepatch")
        sync_tree(lp_src, lp)
        with open(os.path.join(lp, "Makefile")) as f:
            mk = f.read()
        progs = make_list(mk, "TEST_PROGS")
        if not progs:
            raise HarnessError(f"no TEST_PROGS in {lp_src}/Makefile")
        mods = _make_modules(paths, kbuild, arch,
                             os.path.join(lp, "test_modules"), log)
        for gen in make_list(mk, "TEST_GEN_FILES"):
            _cross_gcc(paths, arch, os.path.join(lp, gen + ".c"),
                       os.path.join(lp, gen), log)
        dst = os.path.join(inst, "livepatch")
        os.makedirs(os.path.join(dst, "test_modules"))
        for f in (progs + make_list(mk, "TEST_PROGS_EXTENDED")
                  + make_list(mk, "TEST_FILES")
                  + make_list(mk, "TEST_GEN_FILES")):
            shutil.copy2(os.path.join(lp, f), dst)
        for m in mods:
            shutil.copy2(os.path.join(lp, "test_modules", m),
                         os.path.join(dst, "test_modules"))
        suites.append(Suite("upstream-livepatch", "livepatch", progs))

    dirs = []
    if "klpcore-selftests" in wanted:
        dirs.append(("klpcore-selftests", "klpcore",
                     os.path.join(paths.repo, "tests", "selftests")))
    if "extra" in wanted:
        if not extra_dir:
            raise HarnessError("suite 'extra' needs EXTRA_SELFTESTS=DIR")
        if not os.path.isdir(extra_dir):
            raise HarnessError(f"EXTRA_SELFTESTS: {extra_dir} is not a "
                               "directory")
        dirs.append(("extra", "extra", extra_dir))
    for name, collection, src in dirs:
        progs = _build_dir_suite(paths, kbuild, arch, src,
                                 os.path.join(work, collection),
                                 os.path.join(inst, collection), log)
        suites.append(Suite(name, collection, progs))

    with open(os.path.join(inst, "kselftest-list.txt"), "w") as f:
        for s in suites:
            for t in s.tests:
                f.write(f"{s.collection}:{t}\n")
    return inst, suites
