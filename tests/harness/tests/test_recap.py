# SPDX-License-Identifier: GPL-2.0
"""The recap of failures printed under make check's closing table."""

import unittest

from klpharness import main, results


class RecapLines(unittest.TestCase):
    def test_result_line_and_last_output(self):
        lines = ["# selftests: klpcore: test-a.sh"]
        lines += [f"# line {i}" for i in range(10)]
        lines += ["not ok 1 selftests: klpcore: test-a.sh # exit=1",
                  "# selftests: klpcore: test-b.sh", "# fine",
                  "ok 2 selftests: klpcore: test-b.sh",
                  "# selftests: klpcore: test-c.sh", "# not ok: why",
                  "not ok 3 selftests: klpcore: test-c.sh # exit=1"]
        got = main.recap_lines(results.failure_context(lines))
        want = ["not ok 1 selftests: klpcore: test-a.sh # exit=1"]
        want += [f"# line {i}" for i in range(10 - main.RECAP_LINES, 10)]
        want += ["not ok 3 selftests: klpcore: test-c.sh # exit=1",
                 "# not ok: why"]
        self.assertEqual(got, want)

    def test_nothing_failed(self):
        self.assertEqual(main.recap_lines([]), [])


if __name__ == "__main__":
    unittest.main()
