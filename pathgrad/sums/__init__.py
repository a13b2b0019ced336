"""Sums over paths: counted and streamed (``paths``), summed three ways (``methods``),
simplified with bounded effort (``simplify``) and checked against sympy.diff and finite
differences (``check``).
"""
