# SPDX-License-Identifier: GPL-2.0
"""Boot a guest under QEMU (TCG only) with hard time limits.

A guest that stops printing for idle_timeout seconds, or runs longer than
timeout seconds, is killed: a hang of the guest is a failure of the run,
never a hang of make.
"""

import os
import select
import signal
import subprocess
import time

from .results import parse_console


class Boot:
    """Outcome of one boot: the parsed console and how the guest ended."""

    def __init__(self, run, ended, message, seconds):
        self.run = run          # results.GuestRun
        self.ended = ended      # done | panic | timeout | idle | exited
        self.message = message  # one line for the failure, or ""
        self.seconds = seconds

    @property
    def ok(self):
        return self.ended == "done"


def command(arch, image, initrd, append, memory="1G", cpus=2, cpu=None):
    """The QEMU command line; cpu replaces the architecture's -cpu."""
    machine = list(arch.qemu)
    if cpu:
        if "-cpu" in machine:
            machine[machine.index("-cpu") + 1] = cpu
        else:
            machine += ["-cpu", cpu]
    return machine + [
        "-accel", os.environ.get("KLP_QEMU_ACCEL", arch.accel), "-m", memory,
        "-smp", str(cpus),
        "-display", "none", "-monitor", "none", "-serial", "stdio",
        "-no-reboot", "-kernel", image, "-initrd", initrd,
        "-append", append]


# The kernel log must hold the whole run, from the first line of the boot
# to the dump at its end: the harness fails a log that wrapped. Debug
# kernels print much more than the default 128 KiB; 4 MiB costs about
# 18 MiB of boot memory with the ring's descriptors (16 MiB would cost 72).
LOG_BUF_LEN = "4M"


def kernel_cmdline(arch, extra=""):
    # loglevel=1 keeps kernel messages from interleaving with the result
    # lines; oopses and panics raise the console level themselves, and the
    # whole kernel log is dumped at the end of the run.
    args = [f"console={arch.console}", "panic=-1", "oops=panic",
            "loglevel=1", f"log_buf_len={LOG_BUF_LEN}"]
    if extra:
        args.append(extra)
    return " ".join(args)


def classify(run, timed_out, returncode, seconds):
    if run.done:
        return "done", ""
    if run.panic:
        return "panic", f"guest panicked: {run.panic}"
    if timed_out == "idle":
        return "idle", (f"guest hung: no console output for "
                        f"{seconds:.0f} s, killed")
    if timed_out == "total":
        return "timeout", f"guest timed out after {seconds:.0f} s, killed"
    return "exited", (f"guest stopped before finishing its tests "
                      f"(qemu exit status {returncode})")


def boot(cmd, console_log, timeout, idle_timeout, echo=None):
    """Run QEMU, tee its console into console_log, parse it.

    echo: a callable given each console line as it arrives (for make demo).
    """
    start = time.monotonic()
    stamped = []
    partial = b""
    timed_out = None
    last_output = start
    os.makedirs(os.path.dirname(console_log), exist_ok=True)
    with open(console_log, "wb") as log:
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        fd = proc.stdout.fileno()
        while True:
            now = time.monotonic()
            if now - start > timeout:
                timed_out = "total"
                break
            if now - last_output > idle_timeout:
                timed_out = "idle"
                break
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            last_output = time.monotonic()
            log.write(chunk)
            log.flush()
            partial += chunk
            *lines, partial = partial.split(b"\n")
            for raw in lines:
                text = raw.decode("utf-8", "replace")
                stamped.append((last_output, text))
                if echo:
                    echo(text.rstrip("\r"))
        if timed_out:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()
        returncode = proc.wait()
        if partial:
            stamped.append((time.monotonic(),
                            partial.decode("utf-8", "replace")))
    seconds = time.monotonic() - start
    run = parse_console(stamped)
    silent = time.monotonic() - last_output if timed_out == "idle" \
        else seconds
    ended, message = classify(run, timed_out, returncode, silent)
    return Boot(run, ended, message, seconds)
