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
import time

from . import util
from .util import HarnessError

SUITE = "bookworm"
MERGED_USR_HOOK = "/usr/share/mmdebstrap/hooks/merged-usr"


def host_mirrors(suite=SUITE, root="/"):
    """URIs of the host's apt sources that serve exactly `suite`.

    Only the release suite is used for guests: the -security and -updates
    indices change under a mirror sync and are not needed by the tests. The
    URIs come from the host's own apt configuration, never from this repo.
    """
    uris = []
    d = os.path.join(root, "etc", "apt", "sources.list.d")
    files = [os.path.join(d, f) for f in sorted(os.listdir(d))] \
        if os.path.isdir(d) else []
    for path in files + [os.path.join(root, "etc", "apt", "sources.list")]:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in text.split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
                if ("deb" in fields.get("types", [])
                        and suite in fields.get("suites", [])
                        and fields.get("enabled", ["yes"])[0] != "no"):
                    uris.extend(fields.get("uris", []))
        elif path.endswith(".list"):
            for line in text.splitlines():
                words = line.split("#", 1)[0].split()
                if len(words) >= 3 and words[0] == "deb":
                    if words[1].startswith("["):
                        while words and not words[0].endswith("]"):
                            words.pop(0)
                        words = ["deb"] + words[1:]
                    if len(words) >= 3 and words[2] == suite:
                        uris.append(words[1])
    return list(dict.fromkeys(uris))


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
    cmd = ["mmdebstrap", "--variant=extract",
           f"--architectures={arch.debian}", "--include=" + ",".join(pkgs),
           f"--hook-dir={MERGED_USR_HOOK}", SUITE, work] + host_mirrors()
    # A mirror in the middle of a sync fails apt's update: try again.
    for attempt in range(3):
        if os.path.exists(work):
            shutil.rmtree(work)
        if util.run(cmd, log=log, check=attempt == 2) == 0:
            break
        time.sleep(10)
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
