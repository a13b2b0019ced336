"""Tensors vs scalar loops: the same network explained from a file written each way.

Run by ``benchmarks/run.py``; alone: ``python benchmarks/tensors.py [--quick]``. The
tensor file gets everything the scalar one does (every element's gradient, value and
closed form) and its matrix forms on top; the target is at most 1.5x the scalar time.
"""

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pathgrad.explanation import explain_program  # noqa: E402
from pathgrad.render.json import render  # noqa: E402
from pathgrad.trace.loader import load_source  # noqa: E402


def weights(sizes, seed=0):
    rng = random.Random(seed)
    return [
        (
            [[round(rng.uniform(-1, 1), 3) for _ in range(n)] for _ in range(m)],
            [round(rng.uniform(-1, 1), 3) for _ in range(m)],
        )
        for n, m in zip(sizes, sizes[1:])
    ]


def tensor_file(sizes, x, layers):
    lines = [f"x = {x}"]
    for k, (w, b) in enumerate(layers, 1):
        lines += [f"W{k} = {w}", f"b{k} = {b}"]
    h = "x"
    for k in range(1, len(layers) + 1):
        z = f"W{k} @ {h} + b{k}"
        h = f"tanh({z})" if k < len(layers) else z
        lines.append(f"h{k} = {h}")
        h = f"h{k}"
    lines.append(f"L = ((h{len(layers)} - 0.5) ** 2).sum()")
    return "\n".join(lines) + "\n"


def scalar_file(sizes, x, layers):
    lines = [f"layer = {tuple(x)}"]
    for k, (w, b) in enumerate(layers, 1):
        rows = ", ".join(
            "[" + ", ".join(f'leaf("W{k}_{j}_{i}", {v})' for i, v in enumerate(row)) + "]"
            for j, row in enumerate(w)
        )
        biases = ", ".join(f'leaf("b{k}_{j}", {v})' for j, v in enumerate(b))
        lines += [f"W{k} = [{rows}]", f"b{k} = [{biases}]"]
    for k in range(1, len(layers) + 1):
        lines += [
            f"sums = [b{k}[j] + sum(w * v for w, v in zip(W{k}[j], layer))"
            f" for j in range(len(W{k}))]",
            "layer = [tanh(s) for s in sums]" if k < len(layers) else "layer = sums",
        ]
    lines.append("L = sum((v - 0.5) ** 2 for v in layer)")
    return "\n".join(lines) + "\n"


def explained(source):
    start = time.perf_counter()
    explanation = explain_program(load_source(source))
    render(explanation)
    return time.perf_counter() - start, explanation


def compare(sizes):
    print(
        f"9. tensors vs scalar loops: a {'-'.join(map(str, sizes))} tanh network explained "
        "(every element's gradient, JSON), written with tensors and with loops of leaf()"
    )
    x = [round(0.3 * i - 0.5, 2) for i in range(sizes[0])]
    layers = weights(sizes)
    scalar_seconds, scalar = explained(scalar_file(sizes, x, layers))
    tensor_seconds, tensor = explained(tensor_file(sizes, x, layers))
    for name, g in scalar.gradients.items():  # W1_0_2 is W1[0,2]; b1_3 is b1[3]
        tensor_name, *index = name.split("_")
        other = tensor.gradients[f"{tensor_name}[{','.join(index)}]"].value
        assert abs(other - g.value) <= 1e-12 * max(1, abs(g.value)), name
    forms = sum(1 for form in tensor.matrix_forms.values() if form)
    ratio = tensor_seconds / scalar_seconds
    print(
        f"  scalar loops {scalar_seconds:.2f} s; tensors {tensor_seconds:.2f} s "
        f"({forms} matrix forms) = {ratio:.2f}x (target <= 1.5x: "
        f"{'meets' if ratio <= 1.5 else 'MISSES'}); all {len(scalar.gradients)} gradients agree"
    )


if __name__ == "__main__":
    compare([3, 4, 4, 1] if "--quick" in sys.argv else [3, 16, 16, 1])
