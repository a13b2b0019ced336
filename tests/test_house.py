"""The house: data flows one way, file → trace → graph → sums → explanation → renderers.

These tests read pathgrad's own source (ast, no imports run) and hold the rules that
keep the flow visible: no circle among module-level imports, no module-level import up
the layers, no import of another module's private names, modules under 400 lines.
A function-level import of pathgrad is allowed only where a comment says why (a display
hook, or the optional PyTorch bridge), and the allowed ones are listed here.
"""

import ast
import functools
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pathgrad"

#: The layers, lowest first; a module may import its own layer and those below it.
LAYERS = [
    # what an operation is, the passes any computation runs, the collector paused
    ("collector", "errors", "escaping", "expressions", "functions", "kernels", "ops", "passes"),
    # reading and running a file: traced values, autograd, the safe interpreter
    ("trace", "safe"),
    ("graph", "leaf_forms"),
    ("sums",),
    ("explanation",),
    # everything that shows an explanation, and the bridges to optional worlds
    ("render", "pictures", "notebook", "torch_bridge", "torch_rebuild", "torch_modules", "grade"),
    (
        "cli_arguments",
        "cli_parser",
        "cli_requests",
        "cli_commands",
        "cli",
        "magic",
        "__main__",
        "__init__",
    ),
]

#: Function-level imports of pathgrad allowed, (module, imported module): display hooks
#: and lazy optional worlds, each with its reason in a comment beside it.
LAZY = {
    ("pathgrad", "pathgrad.magic"),  # IPython only when a notebook loads the extension
    ("pathgrad.cli", "pathgrad.cli_commands"),  # --help and --version without sympy
    ("pathgrad.explanation.model", "pathgrad.notebook"),  # Jupyter's display protocol
    ("pathgrad.explanation.model", "pathgrad.pictures.drawing"),  # Explanation.draw / .steps
    ("pathgrad.explanation", "pathgrad.torch_bridge"),  # --check torch: the bridge is above
    # .grad_expr after backward(): the closed form is the explanation's, above the trace
    ("pathgrad.trace.autograd", "pathgrad.explanation"),
    ("pathgrad.trace.autograd", "pathgrad.graph"),
    ("pathgrad.trace.autograd", "pathgrad.explanation.model"),
    ("pathgrad.trace.autograd", "pathgrad.sums.methods"),
    # explain does not wait for the pictures and the grading to be imported
    ("pathgrad.cli_commands", "pathgrad.pictures"),
    ("pathgrad.cli_commands", "pathgrad.pictures.drawing"),
    ("pathgrad.cli_commands", "pathgrad.grade"),
    ("pathgrad.cli_requests", "pathgrad.pictures.drawing"),
}


def _modules():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "examples":  # expression files a user runs, not modules
            continue
        name = ".".join(("pathgrad", *parts)).removesuffix(".__init__")
        found[name] = path
    return found


MODULES = _modules()


def _resolve(name):
    """The module an import names (``pathgrad.sums.paths.tree_size`` → ``pathgrad.sums.paths``)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


@functools.cache
def _imports(module):
    """``(imported module, names, function level?, line)`` for each pathgrad import."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("pathgrad"):
                for alias in child.names:
                    target = _resolve(f"{child.module}.{alias.name}")
                    found.append((target, alias.name, inner, child.lineno))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("pathgrad"):
                        found.append((_resolve(alias.name), None, inner, child.lineno))
            visit(child, inner)

    visit(tree, False)
    return tuple(found)


def _layer(module):
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    for number, names in enumerate(LAYERS):
        if key in names:
            return number
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_house.py")


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_no_circle_among_module_level_imports():
    graph = nx.DiGraph()
    for module in MODULES:
        for target, _, lazy, _ in _imports(module):
            if not lazy and target != module and target != "pathgrad":
                graph.add_edge(module, target)
    assert list(nx.simple_cycles(graph)) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_level_imports_never_go_up_the_layers(module):
    upward = [
        f"line {line}: {target}"
        for target, _, lazy, line in _imports(module)
        if not lazy and target != "pathgrad" and _layer(target) > _layer(module)
    ]
    assert upward == [], f"{module} imports up the flow"


def test_function_level_imports_are_the_listed_lazy_ones():
    lazy = {
        (module, target)
        for module in MODULES
        for target, _, in_function, _ in _imports(module)
        if in_function and target != module
    }
    assert lazy <= LAZY, sorted(lazy - LAZY)


def test_no_module_imports_another_modules_private_names():
    private = [
        f"{module}: {name} from {target}"
        for module in MODULES
        for target, name, _, _ in _imports(module)
        if name and name.startswith("_") and not name.startswith("__") and target != module
    ]
    assert private == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_under_400_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines < 400, f"{module} has {lines} lines: split it along its seams"
