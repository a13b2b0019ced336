"""The explanation as Markdown: tables and a Mermaid picture, readable on GitHub as it is.

The graph is a ```` ```mermaid ```` block (GitHub, GitLab and JupyterLab draw
it; anywhere else it stays readable text) with the paths of the first
gradient lit up; every gradient gets a table of its paths (nodes, chain of
partials, factors, product, value, source lines) and its sum. Expressions
are written as the text renderer writes them (``∂``, ``·``, ``^``), inside
code spans, so that no Markdown reader mistakes ``*`` or ``_`` for emphasis.

>>> from pathgrad.explanation import explain
>>> text = render(explain("seed", wrt=["w1"]))
>>> print(text[text.index("| path"):].split("\\n")[0])
| path | nodes | ∂-chain | factors | product | value | lines |
>>> row = text[text.index("| 1 |"):].split("\\n")[0]
>>> print(*row.split(" | "), sep="\\n")
| 1
`L → x5 → w2·x3 → x3 → w1`
`∂L/∂x5 · ∂x5/∂(w2·x3) · ∂(w2·x3)/∂x3 · ∂x3/∂w1`
`(-1) · 1 · w2 · x1`
`-w2·x1`
-2
10, 9, 9, 7 |
"""

from pathgrad.collector import collector_paused
from pathgrad.escaping import visible
from pathgrad.pictures.drawing import draw
from pathgrad.pictures.picture import expr_text, partial
from pathgrad.render.listing import NAMES_NOTE, printed_origins, step_lines, unit_runs
from pathgrad.render.text import LEDGER_LINES, remarks, value_text

#: Leaves named in the header; the rest are counted.
HEADER_LEAVES = 24
#: Items of a long path (partials, factors, lines) kept at each end; the middle is counted.
KEEP = 4


def code(text):
    """A code span that survives a table cell: pipes escaped, backticks fenced.

    >>> code("a|b"), code("x`y")
    ('`a\\\\|b`', '``x`y``')
    """
    text = visible(text).replace("|", "\\|")
    return f"``{text}``" if "`" in text else f"`{text}`"


def plain(text):
    """Text for a table cell or a line of prose, with Markdown's special characters escaped.

    >>> plain("x_1 * 2 <b> &rlm;")
    'x\\\\_1 \\\\* 2 &lt;b&gt; &amp;rlm;'
    """
    out = visible(text).replace("\\", "\\\\").replace("&", "&amp;")  # &rlm; stays text
    for char in "*_`|[]#":
        out = out.replace(char, "\\" + char)
    return out.replace("<", "&lt;").replace(">", "&gt;")


def _factor(expr):
    text = expr_text(expr)
    return f"({text})" if text.startswith("-") or " " in text else text


def _node(name):
    text = expr_text(name)
    return f"({text})" if " " in name else text


def _shortened(items):
    if len(items) <= 3 * KEEP:
        return items
    return [*items[:KEEP], f"… {len(items) - 2 * KEEP:,} more …", *items[-KEEP:]]


def table(head, rows, numeric=()):
    """A GitHub table; the columns numbered in ``numeric`` are right-aligned."""
    rule = ["---:" if i in numeric else "---" for i in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def path_table(g):
    rows = []
    for number, path in enumerate(g.paths, 1):
        route = " → ".join(_node(n) for n in path.nodes)
        via = "".join(f" (through {expr_text(v)})" for v in path.via)
        steps = unit_runs(path.factors)  # a run of unit factors is one step (1 (×4))
        chain = " · ".join(_shortened([partial(path.nodes[i], path.nodes[j]) for i, j, _ in steps]))
        factors = " · ".join(
            _shortened(
                [f"1 (×{j - i})" if unit else _factor(path.factors[i]) for i, j, unit in steps]
            )
        )
        lines = ", ".join(_shortened([step_lines(path.lines[i:j], "×") for i, j, _ in steps]))
        rows.append(
            [
                str(number),
                code(route) + plain(via),
                code(chain or "1"),
                code(factors or "1"),
                code(expr_text(path.product)),
                value_text(path.value, path.undefined),
                lines,
            ]
        )
    head = ["path", "nodes", "∂-chain", "factors", "product", "value", "lines"]
    return table(head, rows, numeric=(0, 5))


def ledger_table(g):
    if g.method == "reverse":
        title = f"Reverse mode, from {g.loss} down: each ∂{g.loss}/∂node once"
        name = lambda node: partial(g.loss, node)
    else:
        title = f"Forward mode, from {g.leaf} up: each ∂node/∂{g.leaf} once"
        name = lambda node: partial(node, g.leaf)
    rows = []
    for step in g.ledger[:LEDGER_LINES]:
        terms = " + ".join(f"{name(other)} · {_factor(f)}" for other, f in step.terms)
        rows.append(
            [
                code(name(step.node)),
                code(terms) if terms else "1 (the loss itself)",
                code(expr_text(step.total)),
                value_text(step.value),
            ]
        )
    out = [
        f"**{plain(title)}**",
        "",
        table(
            ["node", "= Σ neighbour · local derivative", "closed form", "value"], rows, numeric=(3,)
        ),
    ]
    if len(g.ledger) > LEDGER_LINES:
        out += ["", f"… and {len(g.ledger) - LEDGER_LINES} more steps"]
    return "\n".join(out)


def _check(c):
    mark = "" if c.symbolic.startswith("skip") else " ✓" if c.symbolic.startswith("equal") else " ✗"
    fd = "" if c.finite_difference is None else f" {c.finite_difference:#.6g}"
    verdict = {
        "agree": "✓",
        "differ": "✗",
        "kink": "(differs at a kink, where the derivative is a convention)",
    }
    return [
        f"- sympy.diff of the loss: {plain(c.symbolic)}{mark}",
        f"- finite difference:{fd} {verdict.get(c.numeric, plain(c.numeric))}",
    ]


def gradient_section(g):
    plural = "path" if g.path_count == 1 else "paths"
    d = partial(g.loss, g.leaf)
    out = [f"## {plain(d)}: {g.path_count:,} {plural} from {plain(g.loss)} to {plain(g.leaf)}", ""]
    if g.paths:
        out += [path_table(g), ""]
    hidden = g.path_count - g.paths_listed
    if hidden:
        out += [
            f"… and {hidden:,} more {plural} not listed; the sum counts all "
            + f"{g.path_count:,}.",
            "",
        ]
    if g.ledger:
        out += [ledger_table(g), ""]
    value = value_text(g.value, g.undefined)
    out.append(f"**sum** {code(d + ' = ' + expr_text(g.closed_form))} = **{value}**")
    notes = [plain(remark) for remark in remarks(g)]
    out += [f"<br>{note}" for note in notes]
    out.append("")
    if g.check:
        out += [*_check(g.check), ""]
    c = g.costs
    out.append(
        f"Cost: {c['paths']:,} multiplications summing path by path; reverse mode "
        f"{c['reverse']:,} (all leaves), forward mode {c['forward']:,}."
    )
    return "\n".join(out)


def summary(e):
    rows = []
    for g in e.gradients.values():
        check = ""
        if g.check:
            sym = "✓" if g.check.symbolic.startswith("equal") else "✗"
            num = "✓" if g.check.numeric == "agree" else "✗"
            check = f"sympy.diff {sym} finite difference {num}"
        rows.append(
            [
                code(partial(g.loss, g.leaf)),
                f"{g.path_count:,}",
                code(expr_text(g.closed_form)),
                value_text(g.value, g.undefined),
                check,
            ]
        )
    return table(["gradient", "paths", "closed form", "value", "checked"], rows, numeric=(1, 3))


def header(e):
    value = value_text(e.loss_value, e.loss_undefined)
    loss = f"{e.loss} = {expr_text(e.loss_expr)}" + ("" if value == "?" else f" = {value}")
    leaves = [f"{k} = {value_text(v)}" for k, v in e.leaves.items()]
    more = len(leaves) - HEADER_LEAVES
    shown = ", ".join(leaves[:HEADER_LEAVES]) + (f", and {more:,} more leaves" if more > 0 else "")
    title = f"# pathgrad: {plain(e.file + ': ' if e.file else '')}{code(loss)}"
    return "\n".join([title, "", f"at {code(shown)}" if leaves else ""]).rstrip()


def mermaid(e):
    first = next(iter(e.gradients), None)
    lit = f"; the paths of {partial(e.loss, first)} are lit up, one colour each" if first else ""
    return "\n".join(
        [
            "## The graph",
            "",
            f"Every edge carries its local derivative{plain(lit)}.",
            "",
            "```mermaid",
            draw(e, wrt=first).mermaid.rstrip("\n"),
            "```",
        ]
    )


@collector_paused()
def render(explanation):
    """The explanation as GitHub-flavoured Markdown (a string)."""
    e = explanation
    out = [header(e), mermaid(e)]
    if len(e.gradients) > 1:
        out += ["## Closed forms\n\n" + summary(e)]
    out += [gradient_section(g) for g in e.gradients.values()]
    names = printed_origins(e, "\n".join(out))
    if names:
        rows = [[code(name), plain(where)] for name, where in names]
        out.append(
            f"## Names\n\n{NAMES_NOTE[0].upper()}{NAMES_NOTE[1:]}.\n\n"
            + table(["name", "is"], rows)
        )
    if e.torch:
        rows = []
        for number, row in enumerate(e.torch):
            name = row.name if number == 0 else partial(e.loss, row.name)
            rows.append(
                [
                    code(name),
                    value_text(row.pathgrad),
                    value_text(row.torch),
                    "✓" if row.agree else "✗",
                ]
            )
        out.append(
            "## PyTorch (CPU, float64) replaying the same graph\n\n"
            + table(["", "pathgrad", "PyTorch", ""], rows, numeric=(1, 2))
        )
    if e.notes:
        out.append(
            "## Notes\n\n"
            + "\n".join(
                f"- {'line ' + str(n.line) + ': ' if n.line else ''}{plain(n.text)}"
                for n in e.notes
            )
        )
    return "\n\n".join(out) + "\n"
