"""pathgrad benchmarks: figures and ratios against a baseline measured in the same run.

    python benchmarks/run.py           # the full suite (ten minutes or so)
    python benchmarks/run.py --quick   # small sizes: only checks that everything runs
    python benchmarks/run.py --json    # the figures as one JSON document (text to stderr)

Not timed tests: these machines are shared and noisy, so the script prints
figures and ratios (each against a baseline run in the same process or
command) and the targets they are read against; it fails only when a
computed answer is wrong, never on a time.
"""

import argparse
import contextlib
import json
import math
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scaling  # noqa: E402  (benchmarks/scaling.py, beside this file)
import sympy  # noqa: E402

from pathgrad.explanation import explain_graph  # noqa: E402
from pathgrad.explanation.model import Options  # noqa: E402
from pathgrad.graph import build_graph  # noqa: E402
from pathgrad.leaf_forms import leaf_form  # noqa: E402
from pathgrad.sums.paths import adjoint_values, iter_paths  # noqa: E402
from pathgrad.trace.functions import tanh  # noqa: E402
from pathgrad.trace.traced import leaf  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from grading import grading  # noqa: E402
from tensors import compare  # noqa: E402


def timed(function, repeat=1):
    """Median wall time of ``function()`` over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_memory(function):
    """Peak Python memory (bytes) allocated while ``function()`` runs, and its result."""
    tracemalloc.start()
    try:
        result = function()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def report(name, figure, baseline, target):
    ratio = figure / baseline
    verdict = "meets" if ratio <= target else "MISSES"
    print(
        f"  {name}: {figure:.3f} s vs baseline {baseline:.3f} s = {ratio:.2f}x "
        f"(target <= {target}x: {verdict})"
    )
    return ratio


def process(args):
    """A function that runs ``python ARGS`` in the repository and returns its output's bytes."""
    return lambda: len(
        subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout
    )


IMPORT_BASELINE = ["-c", "import sympy, networkx"]


# -- 1. start-up ---------------------------------------------------------------------
def startup(repeat):
    print('1. seed example, whole CLI process vs `python -c "import sympy, networkx"`')
    base, _ = timed(process(IMPORT_BASELINE), repeat)
    ours, _ = timed(process(["-m", "pathgrad", "explain", "examples/seed.py"]), repeat)
    report("pathgrad explain examples/seed.py", ours, base, 1.2)


# -- 2. the MLP --------------------------------------------------------------------------
def mlp(sizes, seed=0):
    """A tanh MLP with squared loss on one example, traced with pathgrad's leaves."""
    rng = random.Random(seed)
    layer = [leaf(f"x{i}", rng.uniform(-1, 1)) for i in range(sizes[0])]
    for depth in range(1, len(sizes)):
        out = []
        for j in range(sizes[depth]):
            total = leaf(f"b{depth}_{j}", rng.uniform(-1, 1))
            for i, x in enumerate(layer):
                total = total + leaf(f"w{depth}_{j}_{i}", rng.uniform(-1, 1)) * x
            out.append(tanh(total) if depth < len(sizes) - 1 else total)
        layer = out
    return (layer[0] - 0.5) ** 2


def mlp_gradients(sizes, with_sympy):
    print(
        f"2. {'-'.join(map(str, sizes))} tanh MLP, squared loss: every leaf's gradient "
        "(value and closed form in the graph's names)"
    )
    loss = mlp(sizes)
    graph = build_graph(loss)
    edges = graph.number_of_edges()
    print(f"  graph: {len(graph)} nodes, {edges} edges")

    def ours():
        g = build_graph(mlp(sizes))
        return explain_graph(g, Options(max_paths=0, in_terms_of="locals"))

    seconds, e = timed(ours)
    print(f"  pathgrad (trace + graph + all {len(e.gradients)} gradients): {seconds:.2f} s")
    if not with_sympy:
        return e
    expr = leaf_form(graph, graph.graph["loss"])[0]
    symbols = [graph.nodes[n]["symbol"] for n in graph if graph.nodes[n]["kind"] == "leaf"]
    base, derivatives = timed(lambda: [sympy.diff(expr, s) for s in symbols])
    report("pathgrad vs looping sympy.diff over every leaf", seconds, base, 0.1)
    # the answers agree: compare values of sympy's derivatives with ours at the leaf values
    point = {
        graph.nodes[n]["symbol"]: graph.nodes[n]["value"]
        for n in graph
        if graph.nodes[n]["kind"] == "leaf"
    }
    for symbol, derivative in list(zip(symbols, derivatives))[:20]:
        ours_value = e.gradients[str(symbol)].value
        assert math.isclose(
            float(derivative.xreplace(point)), ours_value, rel_tol=1e-9, abs_tol=1e-12
        ), symbol
    print("  values agree with sympy.diff (first 20 leaves checked)")
    return e


# -- 3. chains of diamonds ---------------------------------------------------------------
def diamonds(n):
    x = leaf("x", 0.5)
    for _ in range(n):
        x = x.sin() + x.cos()
    return x


def diamond_chains(levels):
    print("3. chains of n diamonds (x = sin(x) + cos(x)): exact count and gradient")
    rows = []
    for n in levels:

        def run(n=n):
            return explain_graph(build_graph(diamonds(n)), Options(max_paths=2))

        seconds, e = timed(run)
        memory, _ = peak_memory(run)
        g = e.gradients["x"]
        x, expected = 0.5, 1.0
        for _ in range(n):
            expected *= math.cos(x) - math.sin(x)
            x = math.sin(x) + math.cos(x)
        assert g.path_count == 2**n, n
        assert math.isclose(g.value, expected, rel_tol=1e-12, abs_tol=1e-300), n
        rows.append((n, seconds, memory))
        print(
            f"  n={n:4d}: 2**{n} paths, gradient {g.value:.6g} (exact), "
            f"{seconds:.3f} s, peak {memory / 1e6:.1f} MB, {seconds / n * 1e3:.2f} ms per level"
        )
    first, last = rows[0], rows[-1]
    growth = (last[1] / first[1]) / (last[0] / first[0])
    print(
        f"  time grows {growth:.2f}x as fast as n from n={first[0]} to n={last[0]} "
        "(1.0 = linear; 2**n would be astronomically more)"
    )


# -- 4. streaming enumeration -----------------------------------------------------------------
def streaming(counts):
    print("4. streaming enumeration with symbolic products (diamonds, n=20: 2**20 paths)")
    graph = build_graph(diamonds(20))
    for count in counts:

        def walk(count=count):
            listed = 0
            for edges in iter_paths(graph, 0):
                sympy.Mul(*[graph.edges[e]["local_derivative"] for e in edges])
                listed += 1
                if listed == count:
                    break
            return listed

        seconds, listed = timed(walk)
        memory, _ = peak_memory(walk)
        print(f"  {listed} paths: {listed / seconds:,.0f} paths/s, peak {memory / 1e3:.0f} kB")
    print("  (peak memory stays flat as the number of paths grows: one path is held at a time)")


# -- 5. the cheap-gradient ratio -----------------------------------------------------------------
def cheap_gradient(sizes, repeat):
    print(
        f"5. cheap-gradient ratio on the {'-'.join(map(str, sizes))} MLP: all gradient values "
        "by reverse mode / the forward trace"
    )
    forward, loss = timed(lambda: mlp(sizes), repeat)
    graph = build_graph(loss)
    reverse, _ = timed(lambda: adjoint_values(graph), repeat)
    from pathgrad.trace.autograd import gradient_values

    direct, _ = timed(lambda: gradient_values(loss), repeat)
    ratio = reverse / forward
    print(
        f"  forward trace {forward * 1e3:.1f} ms; reverse over the networkx graph "
        f"{reverse * 1e3:.1f} ms ({ratio:.2f}x, target <= 5x: "
        f"{'meets' if ratio <= 5 else 'MISSES'}); reverse over the traced values "
        f"{direct * 1e3:.1f} ms ({direct / forward:.2f}x)"
    )
    return {
        "forward_seconds": forward,
        "reverse_graph_seconds": reverse,
        "reverse_traced_seconds": direct,
        "ratio": ratio,
        "target": 5.0,
        "verdict": "meets" if ratio <= 5 else "MISSES",
    }


# -- 6. lecture size -------------------------------------------------------------------------
LECTURE = [
    ("3-4-4-1 network of a slide", "benchmarks/programs/mlp_3_4_4_1.py"),
    ("bundled mlp example", "mlp"),
    ("bundled micrograd example", "micrograd"),
]


def paired(command, repeat):
    """Median seconds of ``python COMMAND`` and of the import baseline, run in turns (so
    that a change in the machine's load falls on both), and the command's output bytes."""
    ours, base, size = [], [], 0
    for _ in range(repeat):
        seconds, _ = timed(process(IMPORT_BASELINE))
        base.append(seconds)
        seconds, size = timed(process(command))
        ours.append(seconds)
    return statistics.median(ours), statistics.median(base), size


def verdict(ok):
    return "meets" if ok else "MISSES"


def lecture(repeat):
    print(
        "6. lecture size: `pathgrad explain FILE` with default options, whole process, vs "
        '`python -c "import sympy, networkx"` run in turns with it, and vs that plus looping '
        "sympy.diff over the leaves (what a teacher could do by hand)"
    )
    from pathgrad.trace.loader import load

    for title, path in LECTURE:
        graph = build_graph(load(path).loss)
        expr = leaf_form(graph, graph.graph["loss"])[0]
        symbols = [d["symbol"] for _, d in graph.nodes(data=True) if d["kind"] == "leaf"]
        by_diff, _ = timed(lambda e=expr, ss=symbols: [sympy.diff(e, s) for s in ss], repeat)
        print(f"  {title} ({len(symbols)} leaves), sympy.diff loop {by_diff:.3f} s")
        for fmt in ("json", "text"):
            command = ["-m", "pathgrad", "explain", path, "--format", fmt]
            seconds, base, size = paired(command, repeat)
            ratio = seconds / base
            line = (
                f"    --format {fmt:<4} {seconds:.2f} s vs import {base:.2f} s = {ratio:.2f}x "
                f"(target <= 2x: {verdict(ratio <= 2)}), {seconds / (base + by_diff):.2f}x "
                f"the import and the sympy.diff loop; {size / 1e3:.1f} kB"
            )
            if fmt == "text":
                line += f" (target < 60 kB: {verdict(size < 60_000)})"
            print(line)


# -- 7. growth with the graph (issue 13) ----------------------------------------------------
def growth(quick):
    print(
        "7. growth with the graph: `pathgrad explain FILE --format json` per family and size "
        "(benchmarks/scaling.py), time, peak memory, output and growth exponent"
    )
    document = scaling.run(quick)
    scaling.show(document)
    return document


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; only checks it runs")
    parser.add_argument(
        "--json", action="store_true", help="print the figures as JSON (the text goes to stderr)"
    )
    args = parser.parse_args(argv)
    figures = {}
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        print(
            f"pathgrad benchmarks{' (quick)' if args.quick else ''}, Python "
            f"{sys.version.split()[0]}, sympy {sympy.__version__}"
        )
        startup(1 if args.quick else 7)
        mlp_gradients([3, 4, 4, 1] if args.quick else [3, 16, 16, 1], with_sympy=True)
        diamond_chains([10, 20] if args.quick else [10, 20, 40, 200])
        streaming([1_000, 3_000] if args.quick else [5_000, 20_000])
        sizes = [3, 4, 4, 1] if args.quick else [8, 64, 64, 1]
        figures["cheap_gradient"] = cheap_gradient(sizes, 1 if args.quick else 5)
        lecture(1 if args.quick else 3)
        figures["scaling"] = growth(args.quick)
        grading(4 if args.quick else 40)
        compare([3, 4, 4, 1] if args.quick else [3, 16, 16, 1])
    if args.json:
        print(json.dumps(figures, indent=1))
    return 1 if scaling.failures(figures["scaling"]) else 0


if __name__ == "__main__":
    sys.exit(main())
