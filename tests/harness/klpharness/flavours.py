# SPDX-License-Identifier: GPL-2.0
"""Kernel flavours: which configuration a test kernel gets on top of the
common fragments, how its guest boots, and what the boot must show.

A flavour owns its config fragments (tests/configs/flavours/), the kernel
command line it adds, the guest's memory, the architectures it runs on by
default, and the boot facts the harness checks in the kernel log (two CPUs
online, the preemption mode, PAC and BTI on arm64...). Everything else
about a run (suites, verdicts) is the same for every flavour.
"""

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class Expect:
    """A fact of the boot that the kernel log must show.

    what:   one line for the report ("2 CPUs online")
    regex:  searched in every line of the kernel log
    """

    what: str
    regex: str

    def found(self, dmesg):
        pat = re.compile(self.regex)
        return any(pat.search(line) for line in dmesg)


@dataclasses.dataclass(frozen=True)
class Flavour:
    """One kind of test kernel.

    name:       FLAVOUR=... and the column of summary.tsv
    fragments:  fragment names under tests/configs/flavours/, in merge
                order; for each, <name>-<arch>.config is merged after
                <name>.config when it exists
    arches:     architectures it runs on by default (ARCHES filters them)
    preempt:    the preemption mode it boots (preempt=), where the
                kernel has PREEMPT_DYNAMIC
    cmdline:    other kernel arguments of its guests
    stress_cycles: cycles of klpcore's stress selftest in its guests
    memory:     the guest's memory
    cpus:       the guest's CPUs (all must come online)
    kmemleak:   the guest scans for leaks at the end of the run
    cpu:        QEMU -cpu models that replace the architecture's, as
                (arch, model) pairs
    slow:       how many times slower than distro its guests run (the
                time limits of a guest are multiplied by it)
    kcsan:      a KCSAN kernel: klpcore's objects must call __tsan_*
                (or the build fails), and a KCSAN report fails the run
                only when it names klpcore's code (its functions, or any
                klp_* or test_klp* one); the others are set aside and
                listed, and the guest's tests leave KCSAN to the harness
    """

    name: str
    fragments: tuple
    arches: tuple
    preempt: str = ""
    cmdline: str = ""
    stress_cycles: int = 3
    memory: str = "1G"
    cpus: int = 2
    kmemleak: bool = False
    cpu: tuple = ()
    slow: int = 1
    kcsan: bool = False

    def cpu_model(self, arch):
        """The -cpu model of this flavour's guests on arch, or None."""
        return dict(self.cpu).get(arch.name)


@dataclasses.dataclass
class GuestSetup:
    """How one guest of a flavour boots, given the kernel's .config.

    cmdline:       added to the kernel command line
    env:           variables for the guest's tests (/klp/env)
    expectations:  Expect facts its kernel log must show
    extra_secs:    seconds its time limit grows by (long stress runs)
    """

    cmdline: str
    env: dict
    expectations: list
    extra_secs: int = 0


# The kselftest runner's limit per test (tests/selftests/settings), and
# what one stress cycle may take on a distro guest at worst (measured:
# 0.3-2.8 s; about 4 s under KASAN and lockdep, a flavour with slow=3),
# times the flavour's slowness.
SELFTEST_TIMEOUT = 1200
STRESS_CYCLE_SECS = 10


def stress_extra_secs(flavour, cycles):
    """Seconds that cycles stress cycles may need beyond the runner's
    usual limit per test (0 when they fit in it)."""
    return max(0, cycles * STRESS_CYCLE_SECS * flavour.slow
               - SELFTEST_TIMEOUT)


def guest_setup(flavour, arch, config, core="klpcore", stress_cycles=None):
    """The command line, test environment and boot facts of a guest.

    The preemption mode is chosen on the command line only where the
    kernel can choose it (PREEMPT_DYNAMIC); elsewhere the built-in model
    is what runs, and the log must say nothing about it. stress_cycles
    replaces the flavour's number of stress cycles; the runner's limit
    per test grows to what they may take.
    """
    args = flavour.cmdline.split()
    expect = []
    if flavour.cpus > 1:
        expect.append(Expect(f"{flavour.cpus} CPUs online",
                             rf"smp: Brought up \d+ nodes?, "
                             rf"{flavour.cpus} CPUs"))
    if flavour.preempt and config.get("CONFIG_PREEMPT_DYNAMIC") == "y":
        args.append(f"preempt={flavour.preempt}")
        expect.append(Expect(f"preemption mode {flavour.preempt}",
                             rf"Dynamic Preempt: {flavour.preempt}\b"))
    if (arch.name == "arm64"
            and config.get("CONFIG_ARM64_PTR_AUTH_KERNEL") == "y"):
        expect.append(Expect("PAC in use (pointer authentication)",
                             r"CPU features: detected: Address "
                             r"authentication"))
    if arch.name == "arm64" and config.get("CONFIG_ARM64_BTI") == "y":
        expect.append(Expect("BTI in use",
                             r"CPU features: detected: Branch Target "
                             r"Identification"))
    if flavour.kmemleak:
        expect.append(Expect("kmemleak running",
                             r"kmemleak: Kernel memory leak detector "
                             r"initialized"))
    if core == "klpcore":
        expect.append(Expect("the klpcore core", r"livepatch: klpcore on"))
    cycles = flavour.stress_cycles if stress_cycles is None else stress_cycles
    env = {"KLP_CORE": core, "KLP_FLAVOUR": flavour.name,
           "KLP_KMEMLEAK": "1" if flavour.kmemleak else "0",
           "KLP_STRESS_CYCLES": str(cycles)}
    if flavour.kcsan:
        env["KLP_KCSAN_REPORTS"] = "host"
    extra = stress_extra_secs(flavour, cycles)
    if extra:
        env["KLP_SELFTEST_TIMEOUT"] = str(SELFTEST_TIMEOUT + extra)
    return GuestSetup(" ".join(args), env, expect, extra)


ALL = ("x86_64", "arm64", "ppc64le", "s390x")

# A hung task or a soft lockup panics the guest: with loglevel=1 its
# report would otherwise reach no console, and a guest the harness kills
# as silent would take it along. watchdog_thresh=30 (a soft lockup after
# 60 s) leaves room for a KASAN kernel under TCG.
_LOUD_HANGS = "hung_task_panic=1 softlockup_panic=1 watchdog_thresh=30"

# arm64 with PAC and BTI: "max" has both; the implementation-defined PAC
# algorithm is much cheaper to emulate than QARMA5 and is as real to the
# kernel (it signs and checks every return address).
_PAC_BTI = (("arm64", "max,pauth-impdef=on"),)

FLAVOURS = {
    # Today's minimal kernels: uniprocessor on x86_64, -Os, no preemption
    # choice. Quick iterations only.
    "tiny": Flavour("tiny", (), ALL, cpus=1, stress_cycles=3),
    # What distributions ship, kept small: SMP, PREEMPT_DYNAMIC booted in
    # the mode Debian defaults to (voluntary), -O2, kprobes, the graph
    # tracer, IBT/ORC, PAC/BTI and call ops.
    "distro": Flavour("distro", ("distro",), ALL,
                      preempt="voluntary", cpu=_PAC_BTI, stress_cycles=20),
    # distro plus the kernel's detectors. Booted with full preemption:
    # the other mode of the same PREEMPT_DYNAMIC kernel, so that x86_64
    # and arm64 run the suites in both modes.
    # 100 stress cycles on each of its two architectures (3-4 s a cycle
    # under KASAN and lockdep).
    "debug": Flavour("debug", ("distro", "debug"), ("x86_64", "arm64"),
                     preempt="full", memory="2G", kmemleak=True,
                     stress_cycles=100,
                     cmdline=_LOUD_HANGS, cpu=_PAC_BTI, slow=3),
    # distro plus KCSAN with weak-memory modelling, for the memory
    # ordering claims of Documentation/design.rst. Its own command. The
    # whole kernel is instrumented (the barriers of the locking code must
    # be seen), but 6.12's own code reports dozens of races of its own
    # (hrtimers, nohz, dcache) in the first minutes: only reports that
    # name klpcore's code count.
    "kcsan": Flavour("kcsan", ("distro", "kcsan"), ("x86_64",),
                     preempt="full", memory="2G", cpu=_PAC_BTI,
                     stress_cycles=20, slow=3, kcsan=True),
}

DEFAULT = ("distro", "debug")


def lookup(names):
    """Map FLAVOUR names to Flavour objects; unknown ones raise ValueError."""
    out = []
    for name in names:
        if name not in FLAVOURS:
            raise ValueError(f"unknown flavour '{name}' "
                             f"(known: {' '.join(FLAVOURS)})")
        out.append(FLAVOURS[name])
    return out


def plan(flavours, arches):
    """The (flavour, arch) runs of a make check, architecture by
    architecture: each flavour on those of ARCHES it supports."""
    runs = [(fl, arch) for arch in arches for fl in flavours
            if arch.name in fl.arches]
    if not runs:
        raise ValueError("no run: " + "; ".join(
            f"flavour {fl.name} runs on {' '.join(fl.arches)}"
            for fl in flavours))
    return runs
