"""How pathgrad's cost grows with its graphs: time, peak memory and output per family.

    python benchmarks/scaling.py              # the default sizes (minutes)
    python benchmarks/scaling.py --quick      # tiny sizes: only checks that everything runs
    python benchmarks/scaling.py --json       # one JSON document instead of the table
    python benchmarks/scaling.py --family sum --sizes 1000,2000,5000

Each program is written as an expression file and explained the way a user would run it,
``pathgrad explain FILE --format json`` in a fresh process (default options), so the figures
include start-up, tracing, the sums, simplification and printing. For each size it reports
the wall time, the peak resident memory of that process (``os.wait4``), the bytes printed,
and the growth exponent fitted on a log-log scale (1 = linear in the family's size n).
Sizes grow by 2x and 5x from the first, so one run gives both ratios. The baseline is
``python -c "import sympy, networkx"`` measured in the same run: the issue "Linear in the
graph" asks for every family's largest size within 20x of it.

Not a timed test: it prints figures and ratios; it fails only when a run fails.
"""

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- the families: each returns the text of an expression file of size n -------------------
def diamond_chain(n):
    """``x = sin(x) + cos(x)`` n times: 2**n paths, 4n edges."""
    return "x = 0.5\n" + "x = sin(x) + cos(x)\n" * n + "L = x\n"


def sum_of_terms(n):
    """``w_i * x_i`` summed over n terms: 2n leaves, one path to each."""
    rng = random.Random(n)
    lines = [f"w{i} = {rng.uniform(-1, 1):.3f}\nx{i} = {rng.uniform(-1, 1):.3f}" for i in range(n)]
    lines.append("total = w0 * x0")
    lines += [f"total = total + w{i} * x{i}" for i in range(1, n)]
    return "\n".join(lines) + "\nL = total\n"


def product_chain(n):
    """``p = p * a_i`` n times: n + 1 leaves, each a product of n factors."""
    rng = random.Random(n)
    lines = [f"a{i} = {rng.uniform(0.9, 1.1):.3f}" for i in range(n + 1)]
    lines.append("p = a0")
    lines += [f"p = p * a{i}" for i in range(1, n + 1)]
    return "\n".join(lines) + "\nL = p\n"


def rnn(steps, hidden=4):
    """An unrolled tanh RNN, ``h = tanh(W h + u x_t)``, squared loss on the last sum."""
    rng = random.Random(steps)
    lines = []
    for i in range(hidden):
        lines.append(f"u{i} = {rng.uniform(-1, 1):.3f}")
        lines += [f"W{i}_{j} = {rng.uniform(-0.5, 0.5):.3f}" for j in range(hidden)]
    lines += [f"x{t} = {rng.uniform(-1, 1):.3f}" for t in range(steps)]
    lines.append(f"h = [0.0] * {hidden}")
    for t in range(steps):
        for i in range(hidden):
            terms = " + ".join(f"W{i}_{j} * h[{j}]" for j in range(hidden))
            lines.append(f"n{i} = tanh({terms} + u{i} * x{t})")
        lines.append("h = [" + ", ".join(f"n{i}" for i in range(hidden)) + "]")
    lines.append("L = (" + " + ".join(f"h[{i}]" for i in range(hidden)) + ") ** 2")
    return "\n".join(lines) + "\n"


def mlp(width, inputs=3):
    """A 3-width-width-1 tanh MLP written with loops and leaf(), squared loss."""
    return f"""import random
rng = random.Random({width})
layer = [leaf(f"x{{i}}", rng.uniform(-1, 1)) for i in range({inputs})]
for depth, size in enumerate([{width}, {width}, 1], start=1):
    out = []
    for j in range(size):
        total = leaf(f"b{{depth}}_{{j}}", rng.uniform(-1, 1))
        for i, x in enumerate(layer):
            total = total + leaf(f"w{{depth}}_{{j}}_{{i}}", rng.uniform(-1, 1)) * x
        out.append(tanh(total) if size > 1 else total)
    layer = out
L = (layer[0] - 0.5) ** 2
"""


FAMILIES = {
    # name: (writer, default sizes, quick sizes); sizes grow by 2x and 5x from the first
    "diamond": (diamond_chain, [100, 200, 500], [10, 20, 50]),
    "sum": (sum_of_terms, [60, 120, 300], [5, 10, 25]),
    "product": (product_chain, [60, 120, 300], [5, 10, 25]),
    "rnn": (rnn, [1, 2, 5], [1, 2]),
    "mlp": (mlp, [2, 4, 10], [1, 2]),
}


# -- measuring one process -----------------------------------------------------------------
def run_process(args, timeout):
    """Wall seconds, peak RSS in bytes, stdout bytes and exit status of one command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.DEVNULL)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                process.returncode = -9
                return {
                    "seconds": None,
                    "peak_bytes": None,
                    "output_bytes": None,
                    "status": "timeout",
                }
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        size = out.seek(0, os.SEEK_END)
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    scale = 1 if sys.platform == "darwin" else 1024
    return {
        "seconds": seconds,
        "peak_bytes": usage.ru_maxrss * scale,
        "output_bytes": size,
        "status": "ok" if code == 0 else f"exit {code}",
    }


def baseline(repeat):
    """Median seconds of ``python -c "import sympy, networkx"``."""
    runs = [
        run_process([sys.executable, "-c", "import sympy, networkx"], 60)["seconds"]
        for _ in range(repeat)
    ]
    return statistics.median(runs)


def growth_exponent(rows):
    """Least-squares slope of log(time) against log(n) over the rows that finished."""
    points = [(math.log(r["n"]), math.log(r["seconds"])) for r in rows if r["seconds"]]
    if len(points) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


def measure(family, sizes, timeout, folder):
    writer = FAMILIES[family][0]
    rows = []
    for n in sizes:
        path = Path(folder) / f"{family}_{n}.py"
        path.write_text(writer(n), encoding="utf-8")
        args = [sys.executable, "-m", "pathgrad", "explain", str(path), "--format", "json"]
        rows.append({"family": family, "n": n, **run_process(args, timeout)})
    return rows


def print_table(results, base):
    print(f'baseline: python -c "import sympy, networkx" = {base:.2f} s')
    print(f"{'family':<9}{'n':>7}{'time':>10}{'x base':>9}{'peak MB':>9}{'output':>10}  status")
    for family, rows in results.items():
        for r in rows:
            if r["seconds"] is None:
                print(f"{family:<9}{r['n']:>7}{'-':>10}{'-':>9}{'-':>9}{'-':>10}  {r['status']}")
                continue
            print(
                f"{family:<9}{r['n']:>7}{r['seconds']:>9.2f}s{r['seconds'] / base:>8.1f}x"
                f"{r['peak_bytes'] / 2**20:>9.0f}{r['output_bytes'] / 1e3:>8.0f}kB  {r['status']}"
            )
        done = [r for r in rows if r["seconds"]]
        exponent = growth_exponent(rows)
        ratios = (
            ", ".join(
                f"t({r['n']})/t({done[0]['n']}) = {r['seconds'] / done[0]['seconds']:.1f}"
                for r in done[1:]
            )
            if done
            else ""
        )
        print(
            f"{'':<9}growth exponent {exponent:.2f} (1 = linear); {ratios}"
            if exponent is not None
            else f"{'':<9}growth exponent: too few runs finished"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes; only checks it runs")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--family",
        action="append",
        choices=sorted(FAMILIES),
        help="measure only this family (may be repeated)",
    )
    parser.add_argument("--sizes", help="comma-separated sizes (with one --family)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run (600)")
    args = parser.parse_args(argv)
    families = args.family or list(FAMILIES)
    if args.sizes and len(families) != 1:
        parser.error("--sizes needs exactly one --family")
    base = baseline(1 if args.quick else 5)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for family in families:
            sizes = FAMILIES[family][2 if args.quick else 1]
            if args.sizes:
                sizes = [int(s) for s in args.sizes.split(",")]
            results[family] = measure(family, sizes, args.timeout, folder)
    failed = [r for rows in results.values() for r in rows if r["status"] not in ("ok", "timeout")]
    if args.json:
        print(
            json.dumps(
                {
                    "baseline_seconds": base,
                    "families": {
                        f: {"rows": rows, "growth_exponent": growth_exponent(rows)}
                        for f, rows in results.items()
                    },
                },
                indent=1,
            )
        )
    else:
        print_table(results, base)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
