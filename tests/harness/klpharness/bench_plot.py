# SPDX-License-Identifier: GPL-2.0
"""Plots of bench.tsv: run as /usr/bin/python3 bench_plot.py TSV OUTDIR.

Separate from the harness (standard library only) because it needs
Debian's python3-matplotlib, which belongs to the system Python. One PNG
per plotted metric, one panel per architecture, one line per core.
Prints the files it wrote.
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PLOTS = {
    "converge_ms": ("Transition convergence",
                    "sleeping tasks N", "ms from enable to transition 0"),
    "enable_transition_ms": ("Enable latency",
                             "patched functions F",
                             "ms from module load to transition 0"),
}
STYLE = {"upstream": ("tab:blue", "o", "stock 6.12 core"),
         "klpcore": ("tab:orange", "s", "klpcore")}


def main(tsv, outdir):
    rows = []
    with open(tsv) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    written = []
    for metric, (title, xlabel, ylabel) in PLOTS.items():
        mine = [r for r in rows if r["metric"] == metric]
        arches = sorted({r["arch"] for r in mine})
        if not arches:
            continue
        fig, axes = plt.subplots(1, len(arches),
                                 figsize=(4.2 * len(arches), 3.8),
                                 squeeze=False)
        for ax, arch in zip(axes[0], arches):
            for core, (color, marker, label) in STYLE.items():
                pts = sorted((float(r["param"]), float(r["value"]))
                             for r in mine
                             if r["arch"] == arch and r["core"] == core)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts],
                            color=color, marker=marker, label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(arch)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize="small")
        fig.suptitle(title, fontsize="medium")
        fig.text(0.01, 0.01, "QEMU TCG: compare the lines, not the ms",
                 fontsize="x-small", alpha=0.7)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        out = f"{outdir}/bench-{metric}.png"
        fig.savefig(out, dpi=100)
        plt.close(fig)
        written.append(out)
    print("\n".join(written))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
