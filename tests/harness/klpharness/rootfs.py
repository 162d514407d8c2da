# SPDX-License-Identifier: GPL-2.0
"""Guest root filesystems from Debian packages, and the per-run overlay.

The base image is extracted by mmdebstrap (--variant=extract, no
emulation) and cached as a cpio archive keyed by the architecture and the
package list. Each run appends an overlay cpio that carries /init and the
tests. The overlay never has a real lib/ directory: that would replace the
base's /lib -> usr/lib link.
"""

import os
import shutil
import subprocess

from . import util
from .util import HarnessError

SUITE = "bookworm"
MERGED_USR_HOOK = "/usr/share/mmdebstrap/hooks/merged-usr"


def packages(repo):
    path = os.path.join(repo, "tests", "rootfs.packages")
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
    return out


def cpio_dir(directory, out):
    """Pack a directory as a newc cpio owned by root."""
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        find = subprocess.Popen(["find", ".", "-mindepth", "1", "-print0"],
                                cwd=directory, stdout=subprocess.PIPE)
        res = subprocess.run(["cpio", "--null", "--quiet", "-o", "-H", "newc",
                              "-R", "0:0"], cwd=directory, stdin=find.stdout,
                             stdout=f, stderr=subprocess.PIPE)
        find.stdout.close()
        find.wait()
    if res.returncode != 0 or find.returncode != 0:
        raise HarnessError(f"cpio of {directory} failed: "
                           f"{res.stderr.decode(errors='replace').strip()}")
    os.replace(tmp, out)


def base_image(paths, arch):
    """Path of the cached base cpio for arch, built when missing."""
    pkgs = packages(paths.repo)
    key = util.digest(arch.debian, SUITE, *sorted(pkgs))
    out = os.path.join(paths.o, "rootfs", f"{arch.debian}-{key}.cpio")
    if os.path.exists(out):
        return out, False
    work = os.path.join(paths.o, "rootfs", f"{arch.debian}-{key}.d")
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    log = paths.log(f"rootfs-{arch.debian}")
    util.run(["mmdebstrap", "--quiet", "--variant=extract",
              f"--architectures={arch.debian}",
              "--include=" + ",".join(pkgs),
              f"--hook-dir={MERGED_USR_HOOK}", SUITE, work], log=log)
    awk = os.path.join(work, "usr", "bin", "awk")
    if not os.path.lexists(awk):
        os.symlink("gawk", awk)
    sh = os.path.join(work, "usr", "bin", "sh")
    if not os.path.lexists(sh):
        os.symlink("dash", sh)
    for d in ("dev", "proc", "sys", "tmp", "run"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    cpio_dir(work, out)
    shutil.rmtree(work)
    return out, True


def initrd(paths, base, overlay_dir, out):
    """Concatenate the base image and the overlay into one initrd."""
    overlay = out + ".overlay"
    cpio_dir(overlay_dir, overlay)
    with open(out + ".tmp", "wb") as f:
        for part in (base, overlay):
            with open(part, "rb") as p:
                shutil.copyfileobj(p, f, 1 << 20)
    os.replace(out + ".tmp", out)
    os.unlink(overlay)
    return out
