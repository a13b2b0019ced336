"""A deterministic layered layout: leaves on the left, the loss on the right.

Edges point from a consumer to its operands, so every node is drawn in a
column left of its consumers and a path from the loss to a leaf reads right
to left, the way ``explain`` writes it (``L → x5 → … → w1``). The steps are
Sugiyama's:

1. **Columns.** Longest path from the leaves, then every node slides, within
   the room its operands and consumers leave, towards the side with more
   edges: a leaf sits just left of its first consumer, a value used by many
   sits just left of the first of them.
2. **Dummy points** split an edge that crosses columns, one per column.
3. **Order** within columns: depth first from the loss (operands in order),
   then barycentre sweeps; the order with the fewest crossings is kept.
4. **Coordinates.** Each column is a band: a strip for edge labels, then the
   nodes. Vertical positions are pulled towards their neighbours by isotonic
   regression, which keeps the order and the spacing.
5. **Routes.** An edge leaves its consumer at a port (its operand position),
   runs straight past its label, bends only between bands, passes dummy
   points straight, and ends on its own point of the operand's right side,
   so the two edges of ``a * a`` are two separate curves.

Top to bottom (``direction="TB"``) is the same layout turned a quarter: the
columns become rows, leaves at the top and the loss at the bottom, edges
leave a consumer's top and end on an operand's bottom side, and each label
is written beside its edge (left of the first operand's edge, right of the
second's), so a row needs room for one line of labels, not for their width.

Everything depends on the graph and the sizes only, so the same graph gives
the same layout, to the last digit.

>>> import networkx as nx
>>> g = nx.MultiDiGraph([(1, 0, 0), (1, 0, 1), (2, 1, 0), (2, 0, 1)])  # L = a*a + a
>>> lay = layered_layout(g, {n: (40, 30) for n in g})
>>> lay.layers
((0,), (1,), (2,))
>>> lay.boxes[0].x < lay.boxes[1].x < lay.boxes[2].x
True
>>> a, b = lay.routes[1, 0, 0], lay.routes[1, 0, 1]  # the two edges of a*a
>>> a.points[0][1] < b.points[0][1] and a.tip[1] != b.tip[1]
True
>>> down = layered_layout(g, {n: (40, 30) for n in g}, direction="TB")
>>> down.boxes[0].y < down.boxes[1].y < down.boxes[2].y, down.boxes[0].width
(True, 40)
"""

from dataclasses import dataclass

from pathgrad.pictures.layering import Layered, assign_layers, order_columns, ports

MARGIN = 16  # around the drawing
NODE_GAP = 18  # between two nodes of a column
DUMMY_GAP = 12  # between an edge passing a column and anything else
ARRIVAL_GAP = 8  # between edges arriving at one operand
ARROW = 9  # length of an arrowhead
LABEL_PAD = 10  # between a label and its consumer, and before the bend
CURVE_MIN, CURVE_MAX = 36, 140  # width of the gap where edges bend between columns
PLACE_SWEEPS = 8
#: Directions of the forward pass, in Graphviz's names: leaves left, loss right (LR), or
#: leaves at the top, loss at the bottom (TB).
DIRECTIONS = ("LR", "TB")
LABEL_GAP = 5  # between an edge and a label written beside it (top to bottom)
LABEL_HEIGHT = 15  # one line of edge labels (top to bottom)


@dataclass(frozen=True)
class Box:
    """A node's box: centre ``x, y`` and size."""

    x: float
    y: float
    width: float
    height: float

    @property
    def left(self):
        return self.x - self.width / 2

    @property
    def right(self):
        return self.x + self.width / 2

    @property
    def top(self):
        return self.y - self.height / 2

    @property
    def bottom(self):
        return self.y + self.height / 2


@dataclass(frozen=True)
class Route:
    """How one edge is drawn.

    ``points`` run from the consumer's port to the base of the arrowhead;
    between two points the edge is a curve with horizontal tangents (a
    straight line when both have the same ``y``; top to bottom, vertical
    tangents and the same ``x``). ``tip`` is where the arrowhead touches the
    operand. ``label`` is the point on the edge's line just before the
    consumer, and ``side`` says where the label sits: "above" or "below" the
    line, ending at that point (left to right), or "left" or "right" of it
    (top to bottom).
    """

    points: tuple
    tip: tuple
    label: tuple
    side: str


@dataclass(frozen=True)
class Layout:
    boxes: dict
    routes: dict
    layers: tuple
    width: float
    height: float
    direction: str = "LR"


def _isotonic(targets, weights):
    """The non-decreasing sequence closest to ``targets`` (pool adjacent violators)."""
    blocks = []
    for t, w in zip(targets, weights):
        blocks.append([t, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return [v for v, _, n in blocks for _ in range(n)]


def _separation(proper, a, b):
    gap = DUMMY_GAP if proper.is_dummy(a) or proper.is_dummy(b) else NODE_GAP
    return proper.extent[a][1] + proper.extent[b][0] + gap


def _widen(proper, beside):
    """Make room along a column for labels written beside their edges (top to bottom).

    A label goes on the side of its port away from the other port (the first
    operand's before, the second's after), as :func:`_routes` puts it.
    """
    for edge, width in beside.items():
        if not width:
            continue
        rank, count = proper.port[edge]
        offset = proper.offset(edge)
        before, after = proper.extent[edge[0]]
        if count == 1 or rank < count / 2:
            before = max(before, LABEL_GAP + width - offset)
        else:
            after = max(after, LABEL_GAP + width + offset)
        proper.extent[edge[0]] = (before, after)


def _place_column(column, proper, y, sides):
    """Move a column's items towards their neighbours, keeping order and spacing."""
    targets, weights, offset = [], [], 0.0
    for i, item in enumerate(column):
        if i:
            offset += _separation(proper, column[i - 1], item)
        pulls = []
        for side in sides:
            for other, port, *_ in getattr(proper, side)[item]:
                # A port sits at the consumer's y + port: align the port with the operand.
                pulls.append(y[other] + port if side == "right" else y[other] - port)
        if pulls:
            weight = len(pulls) * (2 if proper.is_dummy(item) else 1)
            targets.append(sum(pulls) / len(pulls) - offset)
        else:
            weight = 0.25
            targets.append(y[item] - offset)
        weights.append(weight)
    fitted = _isotonic(targets, weights)
    offset = 0.0
    for i, item in enumerate(column):
        if i:
            offset += _separation(proper, column[i - 1], item)
        y[item] = fitted[i] + offset


def _vertical(order, proper):
    y = {}
    for column in order:
        offset = 0.0
        for i, item in enumerate(column):
            if i:
                offset += _separation(proper, column[i - 1], item)
            y[item] = offset
    for _ in range(PLACE_SWEEPS):
        for column in order[1:]:
            _place_column(column, proper, y, ("left",))
        for column in reversed(order[:-1]):
            _place_column(column, proper, y, ("right",))
    for column in order:
        _place_column(column, proper, y, ("left", "right"))
    return y


def _label_room(graph, proper, column, label_widths, width):
    """How far a column's band reaches left of its nodes, for the edge labels."""
    room = 0.0
    for item in column:
        if proper.is_dummy(item) or not graph.out_degree(item):
            continue
        label = max((label_widths.get(e, 0) for e in ports(graph, item)), default=0)
        inset = (width - proper.size[item][0]) / 2
        room = max(room, LABEL_PAD + (label + LABEL_PAD if label else 0) - inset)
    return room


def _horizontal(graph, proper, order, y, label_widths):
    """Left and right ends of every column's band, and each column's node strip."""
    band_left, band_right, node_left, widths = [], [], [], []
    x = MARGIN
    for i, column in enumerate(order):
        width = max((proper.size[item][0] for item in column), default=0)
        if i:
            jump = max(
                (abs(y[r] - y[left]) for r in column for left, *_ in proper.left[r]), default=0
            )
            x += min(CURVE_MAX, CURVE_MIN + 0.08 * jump)
        band_left.append(x)
        x += _label_room(graph, proper, column, label_widths, width)
        node_left.append(x)
        widths.append(width)
        x += width + ARROW
        band_right.append(x)
    return band_left, band_right, node_left, widths


def _routes(graph, proper, boxes, y, band_left, band_right):
    routes, arrivals = {}, {}
    for edge, chain in proper.chains.items():
        consumer, operand, _ = edge
        rank, count = proper.port[edge]
        box = boxes[consumer]
        port_y = box.y + proper.offset(edge)
        points = [(box.left, port_y), (band_left[proper.layer[consumer]], port_y)]
        for dummy in chain[1:-1]:
            column = proper.layer[dummy]
            points += [(band_right[column], y[dummy]), (band_left[column], y[dummy])]
        side = "above" if count == 1 or rank < count / 2 else "below"
        routes[edge] = (points, side, (box.left - LABEL_PAD / 2, port_y))
        arrivals.setdefault(operand, []).append((points[-1][1], consumer, edge[2], edge))
    finished = {}
    for operand, incoming in arrivals.items():
        box = boxes[operand]
        incoming.sort(key=lambda a: a[:3])
        m = len(incoming)
        gap = min(ARRIVAL_GAP, (box.height - 12) / (m - 1)) if m > 1 else 0.0
        for j, (*_, edge) in enumerate(incoming):
            arrive = box.y + (j - (m - 1) / 2) * gap
            points, side, label = routes[edge]
            column = proper.layer[operand]
            points = [*points, (band_right[column], arrive), (box.right + ARROW, arrive)]
            finished[edge] = Route(tuple(points), (box.right, arrive), label, side)
    return {e: finished[e] for e in proper.chains}


def layered_layout(graph, sizes, label_widths=None, direction="LR", label_height=LABEL_HEIGHT):
    """Lay out a DAG whose edges point from consumers to operands.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        Edges consumer → operand, keyed by operand position (parallel edges allowed).
    sizes : dict
        ``node -> (width, height)`` of each node's box, in pixels.
    label_widths : dict, optional
        ``(consumer, operand, key) -> width`` of each edge's label; room is
        made for it just before the consumer.
    direction : str
        "LR": leaves on the left, the loss on the right; "TB": leaves at the
        top, the loss at the bottom.
    label_height : float
        The height of a line of labels (top to bottom only).

    Returns
    -------
    Layout
        ``boxes[node]`` (:class:`Box`), ``routes[edge]`` (:class:`Route`),
        ``layers`` (the nodes of each column, or row, in order), ``width``, ``height``
        and ``direction``.
    """
    return layered_layouts(graph, sizes, label_widths, (direction,), label_height)[direction]


def layered_layouts(
    graph, sizes, label_widths=None, directions=DIRECTIONS, label_height=LABEL_HEIGHT
):
    """:func:`layered_layout` in each of ``directions``, as a dict: the columns and their
    order, the costly part, are found once for all.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph([(1, 0, 0), (2, 1, 0), (2, 0, 1)])
    >>> both = layered_layouts(g, {n: (60, 30) for n in g})
    >>> [(d, lay.width > lay.height) for d, lay in both.items()]
    [('LR', True), ('TB', False)]
    """
    for direction in directions:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r}: use one of {', '.join(DIRECTIONS)}")
    label_widths = label_widths or {}
    if graph.number_of_nodes() == 0:
        return {d: Layout({}, {}, (), 2 * MARGIN, 2 * MARGIN, d) for d in directions}
    layer, order, out = assign_layers(graph), None, {}
    for direction in directions:
        if direction == "LR":
            proper, label_room = Layered(graph, layer, sizes), label_widths
        else:  # lay out sideways: sizes across and along swap; the result is turned
            proper = Layered(graph, layer, {n: (h, w) for n, (w, h) in sizes.items()})
            label_room = {e: label_height for e, w in label_widths.items() if w}
            _widen(proper, label_widths)
        if order is None:  # the order does not depend on the sizes: found once
            order = order_columns(graph, proper, 1 + max(proper.layer.values()))
        layout = _place(graph, proper, order, label_room)
        out[direction] = layout if direction == "LR" else _turned(layout)
    return out


def _place(graph, proper, order, label_room):
    """Coordinates and routes of the ordered columns, left to right."""
    y = _vertical([list(column) for column in order], proper)
    items = [item for column in order for item in column]
    top = min(y[item] - proper.extent[item][0] for item in items)
    y = {item: v - top + MARGIN for item, v in y.items()}
    band_left, band_right, node_left, widths = _horizontal(graph, proper, order, y, label_room)
    boxes = {}
    for i, column in enumerate(order):
        for item in column:
            if not proper.is_dummy(item):
                w, h = proper.size[item]
                boxes[item] = Box(node_left[i] + widths[i] / 2, y[item], w, h)
    routes = _routes(graph, proper, boxes, y, band_left, band_right)
    height = max(y[item] + proper.extent[item][1] for item in items) + MARGIN
    layers = tuple(tuple(i for i in column if not proper.is_dummy(i)) for column in order)
    return Layout(dict(sorted(boxes.items())), routes, layers, band_right[-1] + MARGIN, height)


def _turned(layout):
    """A left-to-right layout turned into a top-to-bottom one: ``x`` and ``y`` swap."""

    def flip(point):
        return point[1], point[0]

    sides = {"above": "left", "below": "right"}
    return Layout(
        {n: Box(b.y, b.x, b.height, b.width) for n, b in layout.boxes.items()},
        {
            e: Route(tuple(map(flip, r.points)), flip(r.tip), flip(r.label), sides[r.side])
            for e, r in layout.routes.items()
        },
        layout.layers,
        layout.height,
        layout.width,
        "TB",
    )
