"""The graph's story, step by step: built forward, then swept backward.

Forward, the leaves come first, then one frame per traced operation in the
order it ran. Backward, the sweep starts at the loss (∂L/∂L = 1) and visits
the operations from the loss down; each passes its ∂loss/∂node along its
edges, times the edge's local derivative, to its operands. A node's
∂loss/∂node is complete when its last consumer has passed, and where two or
more edges bring a contribution, paths meet: that frame records the sum.
With ``wrt``, only the nodes on paths to that leaf take part.

The numbers are :func:`pathgrad.passes.reverse`'s, the one reverse pass that
``backward()`` and :func:`pathgrad.sums.paths.adjoint_values` run too.

>>> from pathgrad.explanation import explain
>>> g = explain("seed").graph
>>> story = frames(g, wrt=2)
>>> [f.kind for f in story[:2]], len([f for f in story if f.phase == "forward"])
(['leaves', 'operation'], 7)
>>> meet = [f for f in story if f.meets][0]
>>> meet.meets  # at w1: -6 through x4 and -2 through x3
((2, (((6, 2, 0), -6.0), ((5, 2, 0), -2.0))),)
>>> meet.adjoints[2]
-8.0
"""

import itertools
from dataclasses import dataclass, field

import networkx as nx

from pathgrad.passes import reverse
from pathgrad.sums.paths import operations


@dataclass(frozen=True)
class Frame:
    """One step. Fields hold what *changes* in this step; replay them to get the state.

    ``kind`` is "leaves" or "operation" (forward), "start", "send" or "done"
    (backward). ``new``: nodes that appear. ``edges``: edges that take part
    (the new node's operand edges; the edges the sender passes along).
    ``sends``: ``(edge, ∂loss/∂consumer, edge value, contribution)``.
    ``adjoints``: the accumulated ∂loss/∂node of the nodes that changed.
    ``complete``: nodes whose ∂loss/∂node is final from now on. ``meets``:
    ``(node, ((edge, contribution), ...))`` where several edges met.
    """

    phase: str
    kind: str
    node: int | None = None
    line: int | None = None
    new: tuple = ()
    edges: tuple = ()
    sends: tuple = ()
    adjoints: dict = field(default_factory=dict)
    complete: tuple = ()
    meets: tuple = ()


def forward_frames(graph):
    """The leaves, then each operation in the order it was traced."""
    nodes = sorted(graph)
    leaves = tuple(n for n in nodes if graph.nodes[n]["kind"] == "leaf")
    out = [Frame("forward", "leaves", new=leaves)]
    for node in nodes:
        if graph.nodes[node]["kind"] != "leaf":
            out.append(
                Frame(
                    "forward",
                    "operation",
                    node,
                    graph.nodes[node]["line"],
                    (node,),
                    tuple(graph.out_edges(node, keys=True)),
                )
            )
    return out


def backward_frames(graph, wrt=None):
    """The backward sweep from the loss; with ``wrt`` (a node), only towards that leaf.

    One frame per consumer, from :func:`pathgrad.passes.reverse`: the numbers are the
    reverse pass's own, so the last frame's adjoints are
    :func:`pathgrad.sums.paths.adjoint_values`'s.
    """
    loss = graph.graph["loss"]
    taking_part = set(graph) if wrt is None else nx.ancestors(graph, wrt) | {wrt}
    waiting = {n: sum(1 for c, _ in graph.in_edges(n) if c in taking_part) for n in taking_part}
    arrived = {}
    line = graph.nodes[loss]["line"]
    out = [Frame("backward", "start", loss, line, adjoints={loss: 1.0}, complete=(loss,))]
    sends = reverse(operations(graph), loss)
    for consumer, group in itertools.groupby(sends, key=lambda send: send.consumer):
        if consumer not in taking_part:
            continue
        shown, changed, complete, meets = [], {}, [], []
        for send in group:
            if send.operand not in taking_part:
                continue
            edge = (consumer, send.operand, send.position)
            arrived.setdefault(send.operand, []).append((edge, send.contribution))
            shown.append((edge, send.adjoint, graph.edges[edge]["value"], send.contribution))
            changed[send.operand] = send.after
            waiting[send.operand] -= 1
            if not waiting[send.operand]:
                complete.append(send.operand)
                if len(arrived[send.operand]) > 1:
                    meets.append((send.operand, tuple(arrived[send.operand])))
        out.append(_send_frame(graph, consumer, shown, changed, complete, meets))
    out.append(Frame("backward", "done", wrt))
    return out


def _send_frame(graph, consumer, sends, changed, complete, meets):
    return Frame(
        "backward",
        "send",
        consumer,
        graph.nodes[consumer]["line"],
        edges=tuple(s[0] for s in sends),
        sends=tuple(sends),
        adjoints=changed,
        complete=tuple(complete),
        meets=tuple(meets),
    )


def frames(graph, wrt=None):
    """Every step: :func:`forward_frames`, then :func:`backward_frames`."""
    return forward_frames(graph) + backward_frames(graph, wrt)


def replay(story, upto):
    """The state after frame ``upto``: visible nodes, ∂loss/∂node so far, complete nodes."""
    visible, adjoints, complete = set(), {}, set()
    for frame in story[: upto + 1]:
        visible.update(frame.new)
        adjoints.update(frame.adjoints)
        complete.update(frame.complete)
    if story[upto].phase == "backward":
        visible = set().union(*(f.new for f in story))
    return visible, adjoints, complete
