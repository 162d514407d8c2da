# SPDX-License-Identifier: GPL-2.0
"""Small helpers shared by the harness stages: commands, stages, stamps."""

import contextlib
import hashlib
import os
import subprocess
import sys
import time


class HarnessError(Exception):
    """A stage could not do its work; the message says which and why."""


def say(msg):
    print(msg, flush=True)


def tail(path, lines=25):
    """The last lines of a text file, for error reports."""
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def clean_env(env=None):
    """The environment for child commands, without the variables of the
    make that started the harness: its command-line variables (O=, CORE=,
    ARCHES=) must not leak into the kernel's own make."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES",
                             "O", "ARCH", "CROSS_COMPILE")}
    if env:
        full_env.update(env)
    return full_env


def run(cmd, log=None, cwd=None, env=None, check=True):
    """Run a command; with a log file, its output goes there, not to the
    terminal, and a failure quotes the log's last lines."""
    full_env = clean_env(env)
    if log is None:
        res = subprocess.run(cmd, cwd=cwd, env=full_env,
                             stdin=subprocess.DEVNULL)
    else:
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "ab") as f:
            f.write(("$ " + " ".join(cmd) + "\n").encode())
            f.flush()
            res = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=f,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    if check and res.returncode != 0:
        where = f"\n--- last lines of {log} ---\n{tail(log)}" if log else ""
        raise HarnessError(f"command failed ({res.returncode}): "
                           f"{' '.join(cmd)}{where}")
    return res.returncode


def output(cmd, cwd=None, env=None):
    full_env = clean_env(env)
    return subprocess.run(cmd, cwd=cwd, env=full_env, check=True,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          text=True).stdout.strip()


class Timer:
    """Records how long each stage took, for the run's stage table."""

    def __init__(self):
        self.rows = []

    @contextlib.contextmanager
    def stage(self, name, what, quiet_below=None):
        """Print what a long stage does and how long it took.

        quiet_below: stages that turn out faster than this many seconds
        (nothing to do) print nothing at all.
        """
        start = time.monotonic()
        if quiet_below is None:
            say(f"==> {what}")
        yield
        secs = time.monotonic() - start
        self.rows.append((name, secs))
        if quiet_below is None:
            say(f"    {what}: done in {secs:.1f} s")
        elif secs >= quiet_below:
            say(f"==> {what}: done in {secs:.1f} s")

    def write(self, path):
        with open(path, "a") as f:
            for name, secs in self.rows:
                f.write(f"{name}\t{secs:.1f}\n")


def digest(*parts):
    """A short stable hash of strings and file contents (paths as bytes)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            h.update(part)
        else:
            h.update(str(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def file_digest(*paths):
    contents = []
    for p in paths:
        with open(p, "rb") as f:
            contents.append(p.encode() + b"\0" + f.read())
    return digest(*contents)


def tree_digest(root):
    """Hash of every file's path, mode and content below root."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            h.update(os.path.relpath(path, root).encode() + b"\0")
            h.update(str(os.stat(path).st_mode).encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def read_stamp(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def write_stamp(path, value):
    with open(path, "w") as f:
        f.write(value + "\n")


def err(msg):
    print(f"error: {msg}", file=sys.stderr, flush=True)
