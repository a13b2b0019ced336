"""What an explanation says beside the sums: notes on the program and the graph.

Each function returns :class:`pathgrad.explanation.model.Note` lines (or problems) for one kind of
thing a reader should know: a leaf updated in place, a ``.grad`` summed over several
``backward()`` calls, a branch taken on a traced value, a likely typo, an intermediate
whose value is infinite, a value that is inf or nan and why.
"""

import difflib

from pathgrad.errors import PathgradError
from pathgrad.explanation.model import Note
from pathgrad.graph import leaves
from pathgrad.kernels import special_name
from pathgrad.ops import OPS
from pathgrad.sums.paths import operand_values
from pathgrad.trace.traced import Tensor


def accumulated_notes(program, explanation):
    """A leaf whose ``.grad`` sums several backward() calls (never zeroed between them):
    PyTorch's number is not the gradient of the last loss, which is what is explained."""
    notes = []
    for name, t in program.namespace.items():
        weight = isinstance(t, Tensor) and t.is_leaf and t.version > 0  # updated in place
        if weight and t.grad_calls > 1 and t.grad is not None:
            explained = explanation.gradients.get(name)
            now = f" (the last loss's is {explained.value:g})" if explained else ""
            notes.append(
                Note(
                    None,
                    f"{name}.grad is {float(t.grad):g}, the sum of {t.grad_calls} backward() "
                    f"calls: it was not zeroed between them{now}; zero it with "
                    f"{name}.grad = None or {name}.grad.zero_() after each update",
                )
            )
    return notes


def versions(t):
    """A leaf and what it was before each in-place update, newest first."""
    while t is not None:
        yield t
        t = t.earlier


def version_notes(graph, gradients):
    """A leaf updated in place between two uses is two leaves here and one in PyTorch."""
    notes = []
    for _node, data in sorted(graph.nodes(data=True)):
        if "same_leaf_as" not in data:
            continue
        now = graph.nodes[data["same_leaf_as"]]
        before, after = gradients.get(data["name"]), gradients.get(now["name"])
        total = ""
        if before is not None and after is not None and None not in (before.value, after.value):
            total = f": {before.value:g} + {after.value:g} = {before.value + after.value:g}"
        notes.append(
            Note(
                now["line"],
                f"{data['name']} is {now['name']} as it was before its in-place update; "
                f"PyTorch has one leaf, whose .grad adds both gradients{total}",
            )
        )
    return notes


def graph_notes(graph):
    """Notes on the graph itself: named intermediates, kinks, PyTorch's conventions at the
    values given, cut values, and symbolic leaves without a value."""
    nodes = sorted(graph.nodes(data=True))
    return [
        *(_named_note(data) for _, data in nodes if data.get("named_for")),
        *(_kink_note(data) for _, data in nodes if data["kink"]),
        *filter(None, (_convention_note(graph, node, data) for node, data in nodes)),
        *(_cut_note(data) for _, data in nodes if data["cut"] in _CUT_WHY),
        *_unknown_note(graph),
    ]


def _named_note(data):
    return Note(
        data["line"],
        f"{data['name']} stands for {data['named_for']} (a name of its own, "
        "as the value has no variable and its formula is long, or would be written "
        "as an infinity)",
    )


def _kink_note(data):
    rule = OPS[data["op"]].kink_rule
    text = f"{data['name']} is at its kink; the derivative there follows PyTorch: {rule}"
    return Note(data["line"], text)


def _convention_note(graph, node, data):
    convention = OPS[data["op"]].convention if data["kind"] == "operation" else None
    inputs = operand_values(graph, node)
    if not convention or None in inputs:
        return None
    rule = convention(*inputs, [not isinstance(o, float) for o in data["operands"]])
    return Note(data["line"], f"{data['name']} = {data['formula']}: {rule}") if rule else None


_CUT_WHY = {
    "no_grad": "was computed under no_grad()",
    "detach": "is detached",
    "constant": "depends on nothing that requires grad",
}


def _cut_note(data):
    return Note(
        data["line"],
        f"{data['name']} = {data['formula']} {_CUT_WHY[data['cut']]}: gradients stop "
        "there, so paths end at it (a cut leaf)",
    )


def _unknown_note(graph):
    unknown = [
        d["name"] for _, d in graph.nodes(data=True) if d["kind"] == "leaf" and d["value"] is None
    ]
    if not unknown:
        return []
    return [
        Note(
            None,
            "symbolic leaves with no value: "
            + ", ".join(unknown)
            + "; closed forms are exact, values that depend on them are unknown",
        )
    ]


def program_notes(program):
    notes = []
    for kind, line, text, result in program.notes:
        if kind == "loss":
            last, why = result
            what = "the value the file " + why if why.startswith("called") else "taken by its name"
            notes.append(
                Note(
                    line,
                    f"the loss is {text} ({what}), not {last}, the last name assigned "
                    "(choose another with --loss NAME)",
                )
            )
        elif kind == "comparison":
            notes.append(
                Note(
                    line,
                    f"{text} is {result} at these values, so the "
                    f"{'branch taken' if result else 'branch not taken'} "
                    "decides the graph",
                )
            )
        else:
            notes.append(
                Note(
                    line,
                    f"{text} is used as the whole number {result} "
                    "(a count or an index), which is not differentiated",
                )
            )
    return notes + _typo_notes(program) + _rebound_leaf_notes(program) + _branch_notes(program)


def _branch_notes(program):
    """A number assigned inside an if/else branch is a leaf that requires grad, as at the top
    level; a reader often means a constant there (``else: r2 = 1.0``)."""
    used = {(t.name, t.line): t.value for t in program.leaves if t.requires_grad}
    return [
        Note(
            line,
            f"{name} is a number assigned inside an if/else branch, so it is a leaf that "
            f"gets a gradient; if it is a constant, write {name} = const({used[name, line]:g}) "
            f"or pass --const {name}",
        )
        for name, line in program.number_leaves
        if line in program.branch_lines and (name, line) in used
    ]


def exponent_notes(graph):
    """A leaf with a whole-number value used only as an exponent (``x ** p``) is probably a
    constant: as a leaf it gets a gradient (``x**p·log(x)``, nan for a negative x)."""
    notes = []
    for node in leaves(graph):
        data = graph.nodes[node]
        uses = list(graph.in_edges(node, keys=True))
        if not (data["requires_grad"] and data["value"] is not None and uses):
            continue
        exponent = all(graph.nodes[c]["op"] == "pow" and key == 1 for c, _, key in uses)
        if exponent and float(data["value"]).is_integer():
            name, value = data["name"], int(data["value"])
            notes.append(
                Note(
                    data["line"],
                    f"{name} is used only as an exponent, so it gets a gradient too; if it "
                    f"is a constant, write {name} = const({value}) or pass --const {name}",
                )
            )
    return notes


def _typo_notes(program):
    """A symbolic leaf whose name is close to an assigned one is probably a typo."""
    assigned = sorted({name for name, _ in program.assigned})
    notes = []
    for name in program.symbolic:
        close = difflib.get_close_matches(name, assigned, n=1, cutoff=0.6)
        if close:
            line = program.namespace[name].line if name in program.namespace else None
            notes.append(
                Note(
                    line,
                    f"{name} is never assigned, so it is a symbolic leaf; did you mean {close[0]}?",
                )
            )
    return notes


def _rebound_leaf_notes(program):
    """``total = 0``, then ``total = total + ...``: a leaf that is likely only a start value."""
    first, later = {}, set()
    for name, line in program.assigned:
        if name in first:
            later.add(name)
        else:
            first[name] = line
    leaves = {t.name for t in program.leaves if t.requires_grad and t.value == 0}
    # ... but a weight a training loop updates in place (w -= lr * w.grad) is still a leaf.
    later = {name for name in later if not _is_leaf(program.namespace.get(name))}
    return [
        Note(
            first[name],
            f"{name} starts as a number, so that first {name} is a leaf with "
            "a gradient of its own; if it is only a starting value, write "
            f"{name} = leaf({name!r}, 0, requires_grad=False)",
        )
        for name in sorted(later & leaves, key=first.get)
    ]


def _is_leaf(value):
    return isinstance(value, Tensor) and value.op is None


def problems_of(graph, file):
    """Where the loss's value became inf or nan (a pole, an overflow, an underflow).

    Only the loss's value makes a problem: a gradient that is inf or nan is
    PyTorch's answer too, shown with its cause in a note (:func:`special_notes`).
    """
    loss = graph.graph["loss"]
    if not graph.nodes[loss]["undefined"]:
        return []
    for _node, data in sorted(graph.nodes(data=True)):
        operands = [o for o in data["operands"] if not isinstance(o, float)]
        inherited = any(graph.nodes[o]["undefined"] for o in operands)
        if data["undefined"] == graph.nodes[loss]["undefined"] and not inherited:
            return [
                PathgradError(
                    f"{data['undefined']} at the given values, so the loss "
                    f"{graph.nodes[loss]['name']} is "
                    f"{special_name(graph.nodes[loss]['value'])} (values are "
                    "shown as PyTorch computes them; closed forms are still "
                    "shown)",
                    file=file,
                    line=data["line"],
                )
            ]
    return []


def special_notes(graph):
    """A note for each local derivative that is inf or nan where its operation's value is not."""
    notes = []
    for node, data in sorted(graph.nodes(data=True)):
        if data["undefined"]:
            continue
        for _, _, edge in graph.out_edges(node, data=True):
            if edge["undefined"]:
                notes.append(Note(data["line"], f"{edge['undefined']}, as in PyTorch"))
                break
    return notes
