# SPDX-License-Identifier: GPL-2.0
"""Unit tests of make bench's host side: parsing, ratios, the table, the
TSV, and the generated modules."""

import os
import tempfile
import unittest

from klpharness import bench


class ParseTest(unittest.TestCase):
    def test_lines_become_rows(self):
        rows = bench.parse(["bench call_ns 0 19.5 ns", "# a note",
                            "bench converge_ms 100 x ms",
                            "bench end", "bench call_ns 1 80 ns"],
                           "x86_64", "klpcore")
        self.assertEqual([(r["metric"], r["param"], r["value"])
                          for r in rows],
                         [("call_ns", "0", 19.5), ("call_ns", "1", 80.0)])
        self.assertEqual(rows[0]["arch"], "x86_64")
        self.assertEqual(rows[0]["core"], "klpcore")


class RatioTest(unittest.TestCase):
    def rows(self):
        mk = (lambda core, metric, param, value: {
            "arch": "s390x", "core": core, "metric": metric,
            "param": param, "value": value, "unit": "ms"})
        return [mk("upstream", "converge_ms", "100", 40.0),
                mk("klpcore", "converge_ms", "100", 10.0),
                mk("klpcore", "converge_ms", "1000", 30.0),
                mk("upstream", "enable_ms", "1", 0.0),
                mk("klpcore", "enable_ms", "1", 5.0)]

    def test_ratio_is_klpcore_over_upstream(self):
        r = bench.ratios(self.rows())
        self.assertEqual(r[0][4:], (40.0, 10.0, 0.25))

    def test_missing_or_zero_side_has_no_ratio(self):
        r = bench.ratios(self.rows())
        self.assertIsNone(r[1][6])      # no upstream value
        self.assertIsNone(r[2][6])      # upstream 0
        table = bench.table(self.rows())
        self.assertIn("0.25", table)
        self.assertEqual(table.count("\n"), 1 + len(r))

    def test_samples_are_shown_without_a_ratio(self):
        mk = (lambda core, metric, param, value: {
            "arch": "x86_64", "core": core, "metric": metric,
            "param": param, "value": value, "unit": "ms"})
        rows = [mk("upstream", "converge_ms_sample", "1000/1", 1400.0),
                mk("klpcore", "converge_ms_sample", "1000/1", 12.0),
                mk("upstream", "converge_ms", "1000", 1400.0),
                mk("klpcore", "converge_ms", "1000", 12.0)]
        r = bench.ratios(rows)
        self.assertEqual(r[0][4:], (1400.0, 12.0, None))
        self.assertAlmostEqual(r[1][6], 12.0 / 1400.0)
        table = bench.table(rows).splitlines()
        self.assertIn("1000/1", table[2])
        self.assertTrue(table[2].rstrip().endswith("-"))

    def test_jiffies_runs_are_flagged(self):
        rows = self.rows() + [{"arch": "x86_64", "core": "upstream",
                               "metric": "clock_jiffies", "param": "0",
                               "value": 1.0, "unit": "flag"}]
        table = bench.table(rows)
        self.assertIn("warning: upstream/x86_64 ran on the jiffies", table)
        self.assertNotIn("clock_jiffies", table)
        self.assertNotIn("warning", bench.table(self.rows()))

    def test_tsv_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bench.tsv")
            bench.write_tsv(path, self.rows())
            with open(path) as f:
                self.assertEqual(f.readline(),
                                 "arch\tcore\tmetric\tparam\tvalue\tunit\n")
            back = bench.read_tsv(path)
        self.assertEqual(back, self.rows())


class GeneratedModulesTest(unittest.TestCase):
    def test_patch_of_f_functions(self):
        src = bench.function_patch(3)
        self.assertEqual(src.count(".old_name = \"klp_bench_t3_"), 3)
        self.assertIn('.name = "klp_bench_t3"', src)
        self.assertTrue(src.startswith("// SPDX-License-Identifier"))

    def test_target_defines_what_the_patch_names(self):
        target = bench.target_module(100)
        for i in (0, 57, 99):
            self.assertIn(f"int klp_bench_t100_{i}(int x)", target)
        self.assertNotIn("klp_bench_t100_100(", target)

    def test_only_the_replace_patch_replaces(self):
        self.assertIn("\t.replace = true,\n", bench.replace_patch())
        self.assertIn('.old_name = "klp_bench_fn"', bench.replace_patch())
        self.assertNotIn(".replace", bench.function_patch(3))
        self.assertNotIn(".replace", bench.stacked_patch(1))

    def test_stacked_patches_differ_only_in_names(self):
        a, b = bench.stacked_patch(1), bench.stacked_patch(2)
        self.assertNotEqual(a, b)
        self.assertEqual(a.replace("_1", "_2").replace("patch 1", "patch 2"),
                         b)


if __name__ == "__main__":
    unittest.main()
