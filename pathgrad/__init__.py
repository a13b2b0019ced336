"""pathgrad: see why a gradient is what it is.

Trace a forward computation into a graph whose edges carry symbolic local
derivatives, then explain each gradient as a sum over paths.

>>> from pathgrad import leaf, explain_tensor
>>> x1, x2, w1, w2, w3 = (leaf(n, v) for n, v in zip(["x1", "x2", "w1", "w2", "w3"], [1, 2, 1, 2, 3]))
>>> L = 1 - (w2 * (w1 * x1) + w3 * (w1 * x2))
>>> g = explain_tensor(L, wrt=["w1"]).gradients["w1"]
>>> g.closed_form, g.value, g.path_count
(-w2*x1 - w3*x2, -8.0, 2)

Names are imported on first use, so ``import pathgrad`` (and ``pathgrad
--help``) stays fast and does not load sympy until it is needed.
"""

import importlib

__version__ = "0.1.0"

_WHERE = {
    "Tensor": "trace.traced",
    "leaf": "trace.traced",
    "exp": "trace.array_functions",
    "log": "trace.array_functions",
    "sqrt": "trace.array_functions",
    "sin": "trace.array_functions",
    "cos": "trace.array_functions",
    "tanh": "trace.array_functions",
    "sigmoid": "trace.array_functions",
    "relu": "trace.array_functions",
    "max": "trace.array_functions",
    "min": "trace.array_functions",
    "tensor": "trace.array_functions",
    "Array": "trace.arrays",
    "softmax": "trace.array_functions",
    "log_softmax": "trace.array_functions",
    "cross_entropy": "trace.array_functions",
    "mse": "trace.array_functions",
    "stack": "trace.array_functions",
    "cat": "trace.array_functions",
    "no_grad": "trace.autograd",
    "draw": "pictures.drawing",
    "steps": "pictures.drawing",
    "save_steps": "pictures.drawing",
    "Drawing": "pictures.drawing",
    "Steps": "pictures.drawing",
    "from_torch": "torch_bridge",
    "build_graph": "graph",
    "load": "trace.loader",
    "load_source": "trace.loader",
    "explain": "explanation",
    "explain_tensor": "explanation",
    "explain_program": "explanation",
    "Explanation": "explanation",
    "Gradient": "explanation",
    "Path": "explanation",
    "PathgradError": "errors",
    "TraceError": "errors",
    "LoadError": "errors",
    "NameNotFound": "errors",
    "SYMPY_NAMES": "functions",
    "sympy_names": "render.json",
}

abs = abs  # noqa: A001 - abs(x) on a traced value is traced through __abs__

__all__ = sorted([*_WHERE, "abs"])


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pathgrad' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """``%load_ext pathgrad`` in Jupyter: registers the ``%%pathgrad`` cell magic."""
    from pathgrad.magic import load_ipython_extension as load  # IPython only when a notebook asks

    load(ipython)


def __dir__():
    return __all__
