"""Which paths an answer's terms are: sums of terms matched with paths, and near misses.

The terms of an answer (its outermost sum, as the student wrote it) are
compared with the path products at a few random points
(:mod:`pathgrad.grade.compare`): a group of terms summing to a path is that
path; a term that is a path times a number or a simple factor is a near miss
(a wrong sign, a missing factor); anything else is on no path. A term that
holds paths only once expanded (``-(w2 + 1)*(x1 - 2)`` holds ``-w2*x1``) is
kept as one :class:`Piece`: the paths inside it and the rest of it.

>>> import sympy
>>> w1, w2, x1 = sympy.symbols("w1 w2 x1")
>>> matcher = PathMatcher([-w2 * x1, -w1 * x1], -w2 * x1 + w1 * x1, {}, seed=0)
>>> matcher.run([-w2 * x1, w1 * x1])
([0], [], [(1, (Piece(term=1, expr=w1*x1, inside=()),), -1)])
"""

import itertools
from dataclasses import dataclass

import sympy

from pathgrad.grade.compare import MAX_TERMS, close, valid_points, value_at
from pathgrad.sums.simplify import expanded_terms

#: Sets of terms tried, in all, when matching an answer's terms with paths.
MATCH_BUDGET = 50_000


#: Term-path pairs compared symbolically when looking for near misses.
NEAR_MISS_BUDGET = 200


@dataclass(frozen=True)
class Piece:
    """What is left of the answer's term number ``term`` (from 0) once paths are taken out.

    ``inside`` are the paths (from 0) found in its expansion, ``expr`` the rest of
    it: the term itself, unexpanded, when no path was found in it.
    """

    term: int
    expr: sympy.Expr
    inside: tuple = ()


def _monomials(term):
    """A term expanded into monomials, where that stays small; else the term itself."""
    if expanded_terms(term) > MAX_TERMS:
        return [term]
    return [t for t in sympy.Add.make_args(sympy.expand(term)) if t != 0]


def _subset_summing(columns, target, budget):
    """Indices of the fewest (at most 4) columns whose sum is ``target`` at every point.

    ``budget`` is a one-item list: the combinations still allowed, shared by every call.
    """
    for size in range(1, min(4, len(columns)) + 1):
        for chosen in itertools.combinations(range(len(columns)), size):
            budget[0] -= 1
            if budget[0] < 0:
                return None
            sums = [sum(columns[i][k] for i in chosen) for k in range(len(target))]
            if all(close(s, t) for s, t in zip(sums, target)):
                return chosen
    return None


class PathMatcher:
    """Which paths an answer's terms sum to, compared at a few random points.

    Paths with equal products form one group; a group of k paths is matched
    c times (c = k, k-1, ..., 1) by the fewest terms summing to c × product,
    first with the answer's terms as written, then with what is left
    expanded into monomials. What is still left, term by term, is compared
    with each unmatched path: a term that is a path times a number or a
    simple factor is a near miss (a wrong sign, a missing factor), anything
    else is extra.
    """

    def __init__(self, products, answer, values, seed):
        self.products = products
        self.points, _ = valid_points([*products, answer], values, seed)
        self.budget = [MATCH_BUDGET]

    def column(self, expr):
        values = [value_at(expr, point) for point in self.points]
        return None if None in values else values

    def run(self, terms):
        """``(matched path indices, extra pieces, near misses)`` for the answer's ``terms``
        (a near miss is ``(path, pieces, ratio)``, the pieces summing to ratio × path), or
        ``None`` when the answer has a value at too few points to compare."""
        if len(self.points) < 2:
            return None
        groups = self._groups()
        matched = [
            i for column, members in groups if all(close(v, 0) for v in column) for i in members
        ]  # a path whose product is 0 is in every answer
        groups = [g for g in groups if not all(close(v, 0) for v in g[0])]
        left, found = self._assign(groups, [(t, i) for i, t in enumerate(terms) if t != 0], matched)
        matched += [path for path, _ in found]
        groups = [g for g in groups if not set(g[1]) <= set(matched)]
        inside = {}
        if groups and left:  # what is left, expanded: kept only if that matches more
            monomials = [(m, origin) for term, origin in left for m in _monomials(term)]
            rest, found = self._assign(groups, monomials, matched)
            if found:
                left, matched = rest, matched + [path for path, _ in found]
                for path, origins in found:
                    for origin in origins:
                        inside.setdefault(origin, []).append(path)
        missing = [i for i in range(len(self.products)) if i not in matched]
        return (sorted(matched), *self._near(_pieces(terms, left, inside), missing))

    def _groups(self):
        """``[product column, path indices]`` for each set of paths with equal products."""
        groups = []
        for i, product in enumerate(self.products):
            column = self.column(product)
            for group in groups:
                if all(close(a, b) for a, b in zip(group[0], column)):
                    group[1].append(i)
                    break
            else:
                groups.append([column, [i]])
        return groups

    def _assign(self, groups, items, matched):
        """Paths matched by sums of ``items`` (``(expr, term number)``): the items left,
        and ``[(path, term numbers of the items that sum to it), ...]``."""
        columns = [self.column(expr) for expr, _ in items]
        usable = [i for i, c in enumerate(columns) if c is not None]
        found = []
        for column, members in groups:
            members = [m for m in members if m not in matched]
            for count in range(len(members), 0, -1):
                chosen = _subset_summing(
                    [columns[i] for i in usable], [count * v for v in column], self.budget
                )
                if chosen is not None:
                    origins = sorted({items[usable[j]][1] for j in chosen})
                    found += [(member, origins) for member in members[:count]]
                    usable = [u for j, u in enumerate(usable) if j not in chosen]
                    break
        left = set(usable) | {i for i, c in enumerate(columns) if c is None}
        return [item for i, item in enumerate(items) if i in left], found

    def _near(self, pieces, missing):
        """Near misses and extra pieces: first all that is left at once, then piece by piece."""
        if not pieces or not missing or len(pieces) * len(missing) > NEAR_MISS_BUDGET:
            return pieces, []
        candidates = [(i, self.products[i]) for i in missing]
        whole = _near_miss(sympy.Add(*(p.expr for p in pieces)), candidates)
        if whole is not None and len(pieces) > 1:
            return [], [(whole[0], tuple(pieces), whole[2])]
        near, extra = [], []
        for piece in pieces:
            taken = {n[0] for n in near}
            miss = _near_miss(piece.expr, [(i, p) for i, p in candidates if i not in taken])
            if miss:
                near.append((miss[0], (piece,), miss[2]))
            else:
                extra.append(piece)
        return extra, near


def _pieces(terms, left, inside):
    """What is left of each term: the term itself if no path was found in it, else the sum
    of its monomials left (nothing when they are all paths)."""
    pieces = []
    for number, term in enumerate(terms):
        if number in inside:
            rest = sympy.Add(*(expr for expr, origin in left if origin == number))
            if rest != 0:
                pieces.append(Piece(number, rest, tuple(sorted(inside[number]))))
        elif any(origin == number for _, origin in left):
            pieces.append(Piece(number, term))
    return pieces


def _ratio(term, product):
    """``term / product`` with common factors cancelled, if it is simple, else ``None``.

    Simple: a number, or (up to sign) a few factors too many or too few.
    """
    ratio = sympy.factor_terms(term) / sympy.factor_terms(product)
    if not ratio.is_number and expanded_terms(ratio) <= MAX_TERMS:
        cancelled = sympy.cancel(ratio)
        ratio = cancelled if sympy.count_ops(cancelled) < sympy.count_ops(ratio) else ratio
    if ratio == 0 or ratio.has(sympy.zoo, sympy.nan):
        return None
    if ratio.is_number:
        return ratio
    numerator, denominator = sympy.fraction(ratio)
    if unsigned(numerator)[1] == 1 and sympy.count_ops(denominator) <= 8:
        return ratio
    if unsigned(denominator)[1] == 1 and sympy.count_ops(numerator) <= 8:
        return ratio
    return None


def _near_miss(term, candidates):
    """``(path, term, ratio)`` for the candidate path that ``term`` is closest to, or ``None``."""
    best = None
    for i, product in candidates:
        if product == 0 or term == 0:
            continue
        ratio = _ratio(term, product)
        if ratio is not None and (
            best is None or sympy.count_ops(ratio) < sympy.count_ops(best[2])
        ):
            best = (i, term, ratio)
    return best


def unsigned(expr):
    """``(negative, |expr|)`` for a product with a numeric coefficient: -w1 -> (True, w1)."""
    coefficient, rest = expr.as_coeff_Mul()
    return coefficient < 0, abs(coefficient) * rest
