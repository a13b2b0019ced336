"""How pathgrad's cost grows with its graphs: time, peak memory and output per family.

    python benchmarks/scaling.py              # the issue's sizes (several minutes)
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


def mlp(width, inputs=8):
    """An 8-width-width-1 tanh MLP written with loops and leaf(), squared loss."""
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


def mlp_leaves(width, inputs=8):
    """The leaves of :func:`mlp`: inputs, weights and biases."""
    return inputs + width * (inputs + 1) + width * (width + 1) + width + 1


FAMILIES = {
    # name: (writer, default sizes, quick sizes); sizes grow by 2x and 5x from the first
    "diamond": (diamond_chain, [1000, 2000, 5000], [10, 20, 50]),
    "sum": (sum_of_terms, [1000, 2000, 5000, 10000], [10, 20, 50]),
    "product": (product_chain, [1000, 2000, 5000], [10, 20, 50]),
    "rnn": (rnn, [10, 20, 50], [1, 2, 5]),
    "mlp": (mlp, [8, 16, 40, 64], [1, 2, 5]),
}

#: What the growth exponent is fitted against (the family's n unless said here).
GROWS_WITH = {"mlp": mlp_leaves}

#: The issue's targets, each read in one run. Growth: time(5n) / time(n) (RNN: time(2n) /
#: time(n)), from the first size. Scale: at the size named (the largest with --quick),
#: within 20x the import baseline and under 500 MB.
GROWTH_TARGETS = {"diamond": (5, 6.0), "sum": (5, 6.0), "product": (5, 6.0), "rnn": (2, 3.0)}
SCALE_TARGETS = {"diamond": 5000, "sum": 10000, "rnn": 20, "mlp": 64}
SCALE_TIMES, SCALE_MB = 20.0, 500

#: Figures before issue 13's work, from the issue (same machine, `pathgrad explain FILE
#: --format json`): (seconds, peak MB, output MB); None where the run printed nothing.
BEFORE = {
    ("diamond", 1000): (8, 111, 3.6),
    ("diamond", 2000): (45, 158, 7.4),
    ("diamond", 5000): (452, 342, 18.6),
    ("rnn", 10): (516, 347, None),
    ("sum", 1000): (32, 662, 76),
    ("product", 1000): (26, 355, 44),
    ("mlp", 64): (109, 1000, 126),
}


# -- measuring one process -----------------------------------------------------------------
#: Runs ``python -m pathgrad ARGS`` and writes the process's own peak resident memory to
#: stderr as it exits (Linux: VmHWM, which exec starts afresh). The rusage of a child counts
#: the memory it was forked with too: the parent's, when the parent has imported sympy.
PEAK = """import atexit, runpy, sys
def peak():
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM"))
    sys.stderr.write(f"\\npeak-kB {kb}\\n")
atexit.register(peak)
sys.argv[0] = "pathgrad"
runpy.run_module("pathgrad", run_name="__main__", alter_sys=True)
"""


def pathgrad_command(*args):
    """The command that runs ``pathgrad ARGS`` and reports its own peak memory."""
    if os.path.exists("/proc/self/status"):
        return [sys.executable, "-c", PEAK, *args]
    return [sys.executable, "-m", "pathgrad", *args]


def run_process(args, timeout):
    """Wall seconds, peak RSS in bytes, stdout bytes and exit status of one command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err)
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
        err.seek(0)
        said = err.read().decode(errors="replace").split()
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    if "peak-kB" in said:
        peak = int(said[said.index("peak-kB") + 1]) * 1024
    return {
        "seconds": seconds,
        "peak_bytes": peak,
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
    """Least-squares slope of log(time) against log(size) over the rows that finished."""
    points = [(math.log(r["size"]), math.log(r["seconds"])) for r in rows if r["seconds"]]
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
        args = pathgrad_command("explain", str(path), "--format", "json")
        size = GROWS_WITH.get(family, lambda n: n)(n)
        rows.append({"family": family, "n": n, "size": size, **run_process(args, timeout)})
    return rows


def targets(results, base, quick):
    """Each target's figure, limit and verdict, from the rows of one run."""
    out = []
    for family, (factor, limit) in GROWTH_TARGETS.items():
        rows = {r["n"]: r for r in results.get(family, [])}
        if not rows:
            continue
        first = min(rows)
        a, b = rows[first], rows.get(first * factor)
        figure = b["seconds"] / a["seconds"] if b and a["seconds"] and b["seconds"] else None
        name = f"{family}: time(n={first * factor:,}) / time(n={first:,})"
        out.append(_verdict(name, figure, limit, "x"))
    for family, n in SCALE_TARGETS.items():
        rows = {r["n"]: r for r in results.get(family, [])}
        if not rows:
            continue
        row = rows[max(rows)] if quick else rows.get(n)
        seconds = row and row["seconds"]
        name = f"{family} n={row['n'] if row else n:,}"
        out.append(_verdict(f"{name}: time / import", seconds and seconds / base, SCALE_TIMES, "x"))
        peak = seconds and row["peak_bytes"] / 2**20
        out.append(_verdict(f"{name}: peak memory", peak, SCALE_MB, " MB"))
    return out


def _verdict(name, figure, limit, unit):
    verdict = "not run" if figure is None else ("meets" if figure <= limit else "MISSES")
    return {"target": name, "figure": figure, "limit": limit, "unit": unit, "verdict": verdict}


def print_targets(checks):
    print("targets (issue 13), read in this run:")
    for c in checks:
        figure = "-" if c["figure"] is None else f"{c['figure']:.2f}{c['unit']}"
        print(f"  {c['target']}: {figure} (target <= {c['limit']:g}{c['unit']}: {c['verdict']})")


def print_table(results, base):
    print(f'baseline: python -c "import sympy, networkx" = {base:.2f} s')
    print(
        f"{'family':<9}{'n':>7}{'time':>10}{'x base':>9}{'peak MB':>9}{'output':>10}  status"
        "  (before issue 13: time, peak, output)"
    )
    for family, rows in results.items():
        for r in rows:
            before = BEFORE.get((family, r["n"]))
            was = ""
            if before:
                out = "nothing" if before[2] is None else f"{before[2]:g} MB"
                was = f"  (was {before[0]:g} s, {before[1]:g} MB, {out})"
            if r["seconds"] is None:
                print(
                    f"{family:<9}{r['n']:>7}{'-':>10}{'-':>9}{'-':>9}{'-':>10}  {r['status']}{was}"
                )
                continue
            print(
                f"{family:<9}{r['n']:>7}{r['seconds']:>9.2f}s{r['seconds'] / base:>8.1f}x"
                f"{r['peak_bytes'] / 2**20:>9.0f}{r['output_bytes'] / 1e3:>8.0f}kB  {r['status']}"
                f"{was}"
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


def run(quick=False, families=None, sizes=None, timeout=600):
    """Measure the families; the whole run as one JSON-ready document (rows, growth
    exponents, targets)."""
    families = families or list(FAMILIES)
    base = baseline(1 if quick else 5)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for family in families:
            chosen = sizes or FAMILIES[family][2 if quick else 1]
            results[family] = measure(family, chosen, timeout, folder)
    return {
        "baseline_seconds": base,
        "families": {
            f: {"rows": rows, "growth_exponent": growth_exponent(rows)}
            for f, rows in results.items()
        },
        "targets": targets(results, base, quick),
    }


def show(document):
    """The document as the table, the growth exponents and the targets."""
    results = {f: d["rows"] for f, d in document["families"].items()}
    print_table(results, document["baseline_seconds"])
    print_targets(document["targets"])


def failures(document):
    """The runs that failed (a timeout is a figure, not a failure)."""
    rows = [r for d in document["families"].values() for r in d["rows"]]
    return [r for r in rows if r["status"] not in ("ok", "timeout")]


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
    if args.sizes and len(args.family or FAMILIES) != 1:
        parser.error("--sizes needs exactly one --family")
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    document = run(args.quick, args.family, sizes, args.timeout)
    if args.json:
        print(json.dumps(document, indent=1))
    else:
        show(document)
    return 1 if failures(document) else 0


if __name__ == "__main__":
    sys.exit(main())
