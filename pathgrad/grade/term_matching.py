"""Which paths an answer's terms are: sums of terms matched with paths, and near misses.

The terms of an answer are compared with the path products at a few random
points (:mod:`pathgrad.grade.compare`): a group of terms summing to a path is
that path; a term that is a path times a number or a simple factor is a near
miss (a wrong sign, a missing factor); anything else is on no path.

>>> import sympy
>>> w1, w2, x1 = sympy.symbols("w1 w2 x1")
>>> PathMatcher([-w2 * x1, -w1 * x1], -w2 * x1 + w1 * x1, {}, seed=0).run(-w2 * x1 + w1 * x1)
([0], [], [(1, w1*x1, -1)])
"""

import itertools

import sympy

from pathgrad.grade.compare import MAX_TERMS, close, valid_points, value_at
from pathgrad.sums.simplify import expanded_terms

#: Sets of terms tried, in all, when matching an answer's terms with paths.
MATCH_BUDGET = 50_000


#: Term-path pairs compared symbolically when looking for near misses.
NEAR_MISS_BUDGET = 200


def _expanded(terms):
    """Each term expanded into monomials, where that stays small."""
    result = []
    for term in terms:
        small = expanded_terms(term) <= MAX_TERMS
        result += sympy.Add.make_args(sympy.expand(term)) if small else [term]
    return [t for t in result if t != 0]


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
    expanded into monomials. What is still left is compared with each
    unmatched path: a term that is a path times a number or a simple factor
    is a near miss (a wrong sign, a missing factor), anything else is extra.
    """

    def __init__(self, products, answer, values, seed):
        self.products = products
        self.points, _ = valid_points([*products, answer], values, seed)
        self.budget = [MATCH_BUDGET]

    def column(self, expr):
        values = [value_at(expr, point) for point in self.points]
        return None if None in values else values

    def run(self, answer):
        """``(matched path indices, extra terms, near misses)``, or ``None`` when the
        answer has a value at too few points to compare."""
        if len(self.points) < 2:
            return None
        groups = self._groups()
        matched = [
            i for column, members in groups if all(close(v, 0) for v in column) for i in members
        ]  # a path whose product is 0 is in every answer
        groups = [g for g in groups if not all(close(v, 0) for v in g[0])]
        terms, found = self._assign(
            groups, [t for t in sympy.Add.make_args(answer) if t != 0], matched
        )
        matched += found
        groups = [g for g in groups if not set(g[1]) <= set(matched)]
        if groups and terms:  # what is left, expanded: kept only if that matches more
            expanded, found = self._assign(groups, _expanded(terms), matched)
            if found:
                terms, matched = expanded, matched + found
        missing = [i for i in range(len(self.products)) if i not in matched]
        return (sorted(matched), *self._near(terms, missing))

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

    def _assign(self, groups, terms, matched):
        columns = [self.column(t) for t in terms]
        usable = [i for i, c in enumerate(columns) if c is not None]
        found = []
        for column, members in groups:
            members = [m for m in members if m not in matched]
            for count in range(len(members), 0, -1):
                chosen = _subset_summing(
                    [columns[i] for i in usable], [count * v for v in column], self.budget
                )
                if chosen is not None:
                    found += members[:count]
                    usable = [u for j, u in enumerate(usable) if j not in chosen]
                    break
        left = set(usable) | {i for i, c in enumerate(columns) if c is None}
        return [t for i, t in enumerate(terms) if i in left], found

    def _near(self, terms, missing):
        """Near misses and extra terms: first all that is left at once, then term by term."""
        if not terms or not missing or len(terms) * len(missing) > NEAR_MISS_BUDGET:
            return terms, []
        whole = _near_miss(sympy.Add(*terms), [(i, self.products[i]) for i in missing])
        if whole is not None and len(terms) > 1:
            return [], [whole]
        near, extra = [], []
        for term in terms:
            taken = {n[0] for n in near}
            miss = _near_miss(term, [(i, self.products[i]) for i in missing if i not in taken])
            (near if miss else extra).append(miss or term)
        return extra, near


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
