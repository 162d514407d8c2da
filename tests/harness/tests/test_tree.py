# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the preparation of a kernel tree (kernel.prepare_tree)."""

import os
import tempfile
import unittest

from klpharness import arches, kernel

OLD = 1_000_000_000     # the pristine files' time: long before any build


def _write(path, text):
    """Write path as a new file (a new inode), as patch(1) does."""
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "w") as f:
        f.write(text)


def _step(name, rel, text):
    return (name, lambda tree: _write(os.path.join(tree, rel), text), False)


class PrepareTreeTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.paths = kernel.Paths(self._tmp.name, self._tmp.name)
        os.makedirs(os.path.join(self.paths.src, "fs"))
        for rel in ("fs/base.c", "fs/other.c"):
            p = os.path.join(self.paths.src, rel)
            _write(p, f"pristine {rel}\n")
            os.utime(p, (OLD, OLD))
        with open(os.path.join(self.paths.o, "src", ".extracted"), "w") as f:
            f.write("pristine\n")
        self.arch = arches.lookup(["x86_64"])[0]

    def tearDown(self):
        self._tmp.cleanup()

    def test_file_patched_before_is_newer_than_its_objects(self):
        """A tree redone without the patch that changed a file (another
        branch, an edited patch): an object built from the patched file
        is newer than the pristine file's time, so the file must get a
        time of its own, or make keeps the stale object."""
        steps = [_step("core patch", "fs/base.c", "patched\n")]
        tree = kernel.prepare_tree(self.paths, "klpcore", self.arch, steps)
        base = os.path.join(tree, "fs", "base.c")
        with open(base) as f:
            self.assertEqual(f.read(), "patched\n")
        built = os.stat(base).st_mtime     # an object built just now

        tree = kernel.prepare_tree(self.paths, "klpcore", self.arch, [])
        self.assertEqual(tree, self.paths.src)   # no steps: pristine
        steps = [_step("arch patch", "fs/other.c", "patched other\n")]
        tree = kernel.prepare_tree(self.paths, "klpcore", self.arch, steps)
        with open(base) as f:
            self.assertEqual(f.read(), "pristine fs/base.c\n")
        self.assertGreaterEqual(os.stat(base).st_mtime, built)
        # The pristine tree itself is left as it was.
        src = os.path.join(self.paths.src, "fs", "base.c")
        self.assertEqual(os.stat(src).st_mtime, OLD)
        self.assertNotEqual(os.stat(src).st_ino, os.stat(base).st_ino)

    def test_untouched_files_stay_linked(self):
        """Files no step ever changed keep the pristine inode and time:
        make rebuilds nothing for them."""
        tree = kernel.prepare_tree(
            self.paths, "klpcore", self.arch,
            [_step("a", "fs/base.c", "patched\n")])
        tree = kernel.prepare_tree(
            self.paths, "klpcore", self.arch,
            [_step("b", "fs/base.c", "patched again\n")])
        other = os.path.join(tree, "fs", "other.c")
        src = os.path.join(self.paths.src, "fs", "other.c")
        self.assertEqual(os.stat(other).st_ino, os.stat(src).st_ino)
        self.assertEqual(os.stat(other).st_mtime, OLD)


if __name__ == "__main__":
    unittest.main()
