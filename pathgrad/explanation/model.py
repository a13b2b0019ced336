"""The explanation's data model: what every renderer reads.

An :class:`Explanation` of one loss holds a :class:`Gradient` for each leaf asked
about, each with the :class:`Path` objects it lists, its closed form, value, method
and checks, and the :class:`Note` lines the reader should see. Renderers
(:mod:`pathgrad.render`, :mod:`pathgrad.pictures`, :mod:`pathgrad.notebook`) are pure
functions of these objects; :mod:`pathgrad.explanation` builds them.
"""

from dataclasses import dataclass, field

import sympy

from pathgrad.errors import PathgradError
from pathgrad.sums.check import Check
from pathgrad.sums.methods import METHODS

#: Paths listed per gradient unless asked otherwise.
MAX_PATHS = 20


#: Factors the listed paths of all gradients may take together (``--path-budget``):
#: the output stays readable however many leaves and however long the paths.
PATH_BUDGET = 2_000


#: Closed forms in leaf symbols larger than this are given in the graph's own names instead.
MAX_LEAF_FORM = 600


#: Symbols a closed form may take written out (its tree, not its shared DAG); past this,
#: printing it would take longer than anyone can wait, so the gradient is refused by name.
MAX_WRITTEN_FORM = 1_000_000


FORMS = ("auto", "leaves", "locals")


@dataclass(frozen=True)
class Options:
    """What to explain and how.

    ``method``: "auto" (list and sum the paths when there are at most
    ``max_paths`` and all of them fit in ``path_budget``, else reverse mode), "paths",
    "reverse" or "forward". ``path_budget``: how many factors the paths listed for every
    gradient may take together.
    ``in_terms_of``: "auto" (leaf symbols while the closed form stays small,
    else the graph's own names), "leaves" or "locals". ``check``: ``True`` or
    "sympy" (sympy.diff and finite differences), "torch" (replay in PyTorch),
    or "all".
    """

    wrt: tuple | None = None
    max_paths: int = MAX_PATHS
    path_budget: int = PATH_BUDGET
    check: bool | str = False
    method: str = "auto"
    in_terms_of: str = "auto"
    substitute_constants: bool = False

    @property
    def check_sympy(self):
        return self.check in (True, "sympy", "all")

    @property
    def check_torch(self):
        return self.check in ("torch", "all")

    def __post_init__(self):
        if self.check not in (False, True, "sympy", "torch", "all"):
            raise PathgradError(f"--check {self.check}: choose sympy, torch or all")
        if self.method not in METHODS:
            raise PathgradError(f"--method {self.method}: choose one of {', '.join(METHODS)}")
        if self.in_terms_of not in FORMS:
            raise PathgradError(
                f"--in-terms-of {self.in_terms_of}: choose one of {', '.join(FORMS)}"
            )
        if self.wrt is not None:
            object.__setattr__(self, "wrt", tuple(self.wrt))


@dataclass
class Path:
    """One path from the loss to a leaf and the product of its local derivatives.

    ``via`` names, for each edge of a reused operand (``h * h``), which
    operand the path goes through, so that parallel paths can be told apart.
    """

    nodes: list
    edges: list
    factors: list
    factor_values: list
    lines: list
    product: sympy.Expr
    value: float | None
    via: list = field(default_factory=list)
    undefined: str | None = None


@dataclass
class Gradient:
    """∂loss/∂leaf: its paths, their sum as a closed form, and its value.

    ``method`` is how the sum of all paths was computed: "paths" (the listed
    paths are all of them), "reverse" or "forward" (the same sum regrouped;
    ``ledger`` then holds its steps when that method was asked for).
    ``in_terms_of`` is "leaves", or "locals" when the closed form uses the
    graph's intermediate names. ``costs`` counts the multiplications each
    method needs (see :func:`pathgrad.sums.paths.multiplication_counts`).
    """

    leaf: str
    loss: str
    path_count: int
    paths: list
    closed_form: sympy.Expr
    in_terms_of: str
    method: str
    value: float | None
    undefined: str | None = None
    kinks: list = field(default_factory=list)
    check: Check | None = None
    costs: dict = field(default_factory=dict)
    ledger: list = field(default_factory=list)
    simplified: str = ""
    locals_reason: str = ""

    @property
    def paths_listed(self):
        return len(self.paths)

    # Jupyter's display protocol; pathgrad.notebook is imported only when a notebook asks.
    def _repr_html_(self):
        from pathgrad.notebook import gradient_html

        return gradient_html(self)

    def _repr_latex_(self):
        from pathgrad.notebook import gradient_latex

        return gradient_latex(self)

    def _repr_pretty_(self, printer, cycle):
        from pathgrad.notebook import gradient_text, pretty

        pretty(gradient_text(self), printer, cycle)


@dataclass
class Note:
    """Something the reader should know, tied to a source line."""

    line: int | None
    text: str


@dataclass
class Explanation:
    """Everything pathgrad says about one loss: what every renderer reads."""

    file: str | None
    graph: object
    loss: str
    loss_expr: str
    loss_value: float | None
    loss_undefined: str | None
    leaves: dict
    gradients: dict
    notes: list
    problems: list
    options: Options = field(default_factory=Options)
    torch: list | None = None
    #: For each tensor leaf, its matrix-calculus form as text (``((h − y) ⊙ (𝟙 − h^2))·xᵀ``),
    #: checked element by element against the path sums; ``None`` where none was found.
    matrix_forms: dict = field(default_factory=dict)
    #: Adjoint names (``∂L/∂x_3``) the closed forms and ledgers use, each with its
    #: definition: one sum over the node's consumers (past the size bound only).
    adjoints: dict = field(default_factory=dict)

    # Pictures read the model, so they are imported when asked for (a display hook)
    def draw(self, wrt=None, values=False, format="svg", direction="auto"):
        """A picture of the graph (see :func:`pathgrad.pictures.drawing.draw`)."""
        from pathgrad.pictures.drawing import draw

        return draw(self, wrt=wrt, values=values, format=format, direction=direction)

    def steps(self, wrt=None, values=False, direction="auto", present=False):
        """The graph built step by step, then the backward sweep (:func:`pathgrad.pictures.drawing.steps`)."""
        from pathgrad.pictures.drawing import steps

        return steps(self, wrt=wrt, values=values, direction=direction, present=present)

    # Jupyter's display protocol; pathgrad.notebook is imported only when a notebook asks.
    def _repr_html_(self):
        from pathgrad.notebook import explanation_html

        return explanation_html(self)

    def _repr_pretty_(self, printer, cycle):
        from pathgrad.notebook import explanation_text, pretty

        pretty(explanation_text(self), printer, cycle)
