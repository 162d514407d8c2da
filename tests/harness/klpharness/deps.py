# SPDX-License-Identifier: GPL-2.0
"""Install the Debian packages the harness needs, and only when missing.

When everything is present this costs one dpkg-query and prints nothing.
"""

import os
import shutil
import subprocess

from .util import HarnessError, say

# Needed whatever the architectures: kernel build prerequisites, the
# pristine source, ccache, the root filesystem builder.
COMMON = (
    "make", "gcc", "libc6-dev", "bc", "bison", "flex", "perl", "python3",
    "libelf-dev", "libssl-dev", "cpio", "xz-utils", "kmod", "ccache",
    "linux-source-6.12", "mmdebstrap", "debian-archive-keyring", "sparse",
    # objtool-ext: libelf (above) and a disassembler for the four ISAs.
    "libcapstone-dev",
)


def missing(packages):
    """Packages of the list that dpkg does not know as installed."""
    if not shutil.which("dpkg-query"):
        raise HarnessError("this harness needs a Debian system (no "
                           "dpkg-query found)")
    res = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n"]
        + list(packages), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, stdin=subprocess.DEVNULL)
    installed = set()
    for line in res.stdout.splitlines():
        name, _, status = line.partition(" ")
        if status == "installed":
            installed.add(name.split(":")[0])
    return [p for p in packages if p not in installed]


def ensure(packages, log):
    """Install what is missing with apt-get, or stop with a clear message."""
    packages = list(dict.fromkeys(packages))
    need = missing(packages)
    if not need:
        return
    if os.geteuid() != 0:
        raise HarnessError("missing packages: " + " ".join(need) +
                           "\n  run as root, or: apt-get install " +
                           " ".join(need))
    say("==> installing missing packages: " + " ".join(need))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "ab") as f:
        for cmd in (["apt-get", "update"],
                    ["apt-get", "install", "-y", "--no-install-recommends"]
                    + need):
            res = subprocess.run(cmd, env=env, stdout=f,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
            if res.returncode != 0 and cmd[1] == "install":
                break
    still = missing(need)
    if still:
        raise HarnessError("could not install: " + " ".join(still) +
                           f" (apt-get's output is in {log})")
