# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the kernel flavours: plans, guest setups, fragments."""

import os
import unittest

from klpharness import arches, flavours, kernel

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..",
                                    ".."))


class PlanTest(unittest.TestCase):
    def test_default_plan(self):
        runs = flavours.plan(flavours.lookup(flavours.DEFAULT),
                             arches.lookup(arches.DEFAULT_ARCHES))
        got = [(f.name, a.name) for f, a in runs]
        self.assertEqual(got, [("distro", "x86_64"), ("debug", "x86_64"),
                               ("distro", "arm64"), ("debug", "arm64"),
                               ("distro", "ppc64le"), ("distro", "s390x")])

    def test_arches_filter_flavours(self):
        runs = flavours.plan(flavours.lookup(["debug"]),
                             arches.lookup(["ppc64le", "x86_64"]))
        self.assertEqual([(f.name, a.name) for f, a in runs],
                         [("debug", "x86_64")])

    def test_no_run_is_an_error(self):
        with self.assertRaises(ValueError) as e:
            flavours.plan(flavours.lookup(["kcsan"]),
                          arches.lookup(["s390x"]))
        self.assertIn("kcsan runs on x86_64", str(e.exception))

    def test_unknown_flavour(self):
        with self.assertRaises(ValueError):
            flavours.lookup(["fast"])


class GuestSetupTest(unittest.TestCase):
    ARM = arches.ARCHES["arm64"]
    PPC = arches.ARCHES["ppc64le"]

    def test_preempt_only_where_dynamic(self):
        fl = flavours.FLAVOURS["distro"]
        g = flavours.guest_setup(fl, self.ARM,
                                 {"CONFIG_PREEMPT_DYNAMIC": "y"})
        self.assertEqual(g.cmdline, "preempt=voluntary")
        self.assertIn("preemption mode voluntary",
                      [e.what for e in g.expectations])
        g = flavours.guest_setup(fl, self.PPC, {})
        self.assertEqual(g.cmdline, "")
        self.assertNotIn("preemption mode voluntary",
                         [e.what for e in g.expectations])

    def test_facts_are_found_and_missed(self):
        fl = flavours.FLAVOURS["debug"]
        cfg = {"CONFIG_PREEMPT_DYNAMIC": "y",
               "CONFIG_ARM64_PTR_AUTH_KERNEL": "y", "CONFIG_ARM64_BTI": "y"}
        g = flavours.guest_setup(fl, self.ARM, cfg, "klpcore")
        log = ["[    0.1] smp: Brought up 1 node, 2 CPUs",
               "[    0.0] Dynamic Preempt: full",
               "[    0.2] CPU features: detected: Address authentication "
               "(IMP DEF algorithm)",
               "[    0.2] CPU features: detected: Branch Target "
               "Identification",
               "[    0.3] kmemleak: Kernel memory leak detector initialized "
               "(mem pool available: 15714)",
               "[    0.4] livepatch: klpcore on arm64"]
        self.assertEqual([e.what for e in g.expectations
                          if not e.found(log)], [])
        short = [line for line in log if "Branch Target" not in line
                 and "2 CPUs" not in line]
        self.assertEqual(sorted(e.what for e in g.expectations
                                if not e.found(short)),
                         ["2 CPUs online", "BTI in use"])
        self.assertEqual(g.env["KLP_CORE"], "klpcore")
        self.assertEqual(g.env["KLP_KMEMLEAK"], "1")

    def test_stress_cycles_stretch_the_limits(self):
        distro = flavours.FLAVOURS["distro"]
        debug = flavours.FLAVOURS["debug"]
        g = flavours.guest_setup(distro, self.PPC, {})
        self.assertEqual(g.env["KLP_STRESS_CYCLES"],
                         str(distro.stress_cycles))
        self.assertNotIn("KLP_SELFTEST_TIMEOUT", g.env)
        # 120 cycles of 10 s fit in the runner's 1200 s; 121 do not.
        self.assertEqual(flavours.stress_extra_secs(distro, 120), 0)
        g = flavours.guest_setup(distro, self.PPC, {}, stress_cycles=121)
        self.assertEqual(g.env["KLP_STRESS_CYCLES"], "121")
        self.assertEqual(g.env["KLP_SELFTEST_TIMEOUT"], "1210")
        self.assertEqual(g.extra_secs, 10)
        self.assertEqual(flavours.stress_extra_secs(debug, 1000),
                         1000 * 10 * debug.slow - 1200)

    def test_one_cpu_is_not_two(self):
        fl = flavours.FLAVOURS["distro"]
        g = flavours.guest_setup(fl, self.PPC, {})
        cpus = [e for e in g.expectations if e.what == "2 CPUs online"][0]
        self.assertFalse(cpus.found(["smp: Brought up 1 node, 1 CPU"]))
        self.assertTrue(cpus.found(["smp: Brought up 1 node, 2 CPUs"]))


class FragmentTest(unittest.TestCase):
    def test_every_flavour_has_its_fragments(self):
        paths = kernel.Paths("/nonexistent", REPO)
        for fl in flavours.FLAVOURS.values():
            for name in fl.arches:
                frags = kernel.fragments(paths, arches.ARCHES[name],
                                         "klpcore", fl)
                for f in frags:
                    self.assertTrue(os.path.exists(f), f)

    def test_arch_part_follows_its_fragment(self):
        paths = kernel.Paths("/nonexistent", REPO)
        frags = kernel.fragments(paths, arches.ARCHES["arm64"], "klpcore",
                                 flavours.FLAVOURS["debug"])
        names = [os.path.basename(f) for f in frags]
        self.assertEqual(names[:3], ["base.config", "arm64.config",
                                     "klpcore.config"])
        self.assertLess(names.index("distro.config"),
                        names.index("distro-arm64.config"))
        self.assertLess(names.index("distro-arm64.config"),
                        names.index("debug.config"))

    def test_kunit_suites_of_the_source(self):
        text = ('static struct kunit_suite klp_a_suite = {\n'
                '\t.name = "klpcore_a",\n\t.test_cases = c,\n};\n'
                'static struct kunit_suite b = { .name = "klpcore_b" };\n')
        self.assertEqual(kernel.kunit_suite_names(text),
                         ["klpcore_a", "klpcore_b"])
        got = kernel.kunit_suites(REPO, arches.ARCHES["arm64"], "klpcore",
                                  {"CONFIG_KLPCORE_KUNIT_TEST": "y"})
        self.assertIn("klpcore_arm64_walk", got)
        self.assertIn("klpcore_spans", got)
        self.assertEqual(kernel.kunit_suites(REPO, arches.ARCHES["arm64"],
                                             "upstream", {}), ())


if __name__ == "__main__":
    unittest.main()
