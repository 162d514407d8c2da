# SPDX-License-Identifier: GPL-2.0
"""What the harness knows about each architecture it builds and boots."""

import dataclasses
import platform


@dataclasses.dataclass(frozen=True)
class Arch:
    """One target architecture.

    name:      the harness's name (ARCHES=...), also the config fragment name
    karch:     the kernel's ARCH=
    cross:     CROSS_COMPILE prefix of the Debian cross toolchain
    image:     boot image, relative to the kernel build directory
    target:    make target that produces the image
    debian:    Debian architecture of the guest's root filesystem
    qemu:      QEMU binary and machine options (always TCG)
    console:   the kernel console device
    packages:  Debian packages needed to build and boot this architecture
    accel:     QEMU's -accel (always TCG; KLP_QEMU_ACCEL overrides it)
    """

    name: str
    karch: str
    cross: str
    image: str
    target: str
    debian: str
    qemu: tuple
    console: str
    packages: tuple
    accel: str = "tcg"

    def make_vars(self):
        """Variables for every kernel make invocation of this architecture."""
        gcc = self.cross + "gcc"
        return [f"ARCH={self.karch}", f"CROSS_COMPILE={self.cross}",
                f"CC=ccache {gcc}", "HOSTCC=ccache gcc"]


def _cross(triplet, host_machine):
    """The cross prefix, or none when the host already is that machine."""
    if platform.machine() == host_machine:
        return ""
    return triplet + "-"


ARCHES = {
    "x86_64": Arch(
        name="x86_64", karch="x86_64",
        cross=_cross("x86_64-linux-gnu", "x86_64"),
        image="arch/x86/boot/bzImage", target="bzImage", debian="amd64",
        qemu=("qemu-system-x86_64", "-M", "q35"),
        console="ttyS0",
        packages=("qemu-system-x86",)
        + (() if platform.machine() == "x86_64"
           else ("gcc-x86-64-linux-gnu", "libc6-dev-amd64-cross")),
        # One host thread for both vCPUs: with QEMU 7.2's multi-threaded
        # TCG, an SMP x86_64 guest oopsed on an int3 in irqentry_exit
        # while static calls were being rewritten (text_poke_bp) at the
        # end of the first transition; single-threaded it passes. The
        # guest is still SMP (two CPUs, IPIs, cross-CPU switching), but
        # its CPUs interleave instead of running at once.
        # Documentation/harness.rst says what is known.
        accel="tcg,thread=single"),
    "arm64": Arch(
        name="arm64", karch="arm64",
        cross=_cross("aarch64-linux-gnu", "aarch64"),
        image="arch/arm64/boot/Image", target="Image", debian="arm64",
        qemu=("qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72"),
        console="ttyAMA0",
        packages=("qemu-system-arm", "gcc-aarch64-linux-gnu",
                  "libc6-dev-arm64-cross")),
    "ppc64le": Arch(
        name="ppc64le", karch="powerpc",
        cross=_cross("powerpc64le-linux-gnu", "ppc64le"),
        image="vmlinux", target="vmlinux", debian="ppc64el",
        qemu=("qemu-system-ppc64", "-M", "pseries,x-vof=on", "-cpu", "power9"),
        console="hvc0",
        packages=("qemu-system-ppc", "gcc-powerpc64le-linux-gnu",
                  "libc6-dev-ppc64el-cross")),
    "s390x": Arch(
        name="s390x", karch="s390",
        cross=_cross("s390x-linux-gnu", "s390x"),
        image="arch/s390/boot/bzImage", target="bzImage", debian="s390x",
        qemu=("qemu-system-s390x", "-M", "s390-ccw-virtio", "-cpu", "qemu"),
        console="ttysclp0",
        packages=("qemu-system-misc", "gcc-s390x-linux-gnu",
                  "libc6-dev-s390x-cross")),
}

DEFAULT_ARCHES = ("x86_64", "arm64", "ppc64le", "s390x")


def lookup(names):
    """Map a list of names to Arch objects; unknown names raise ValueError."""
    out = []
    for name in names:
        if name not in ARCHES:
            raise ValueError(f"unknown architecture '{name}' "
                             f"(known: {' '.join(DEFAULT_ARCHES)})")
        out.append(ARCHES[name])
    return out
