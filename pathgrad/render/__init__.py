"""Renderers: pure functions from an :class:`~pathgrad.explain.Explanation` to text.

Each output format is one small module with a ``render(explanation, ...)``
function returning a string. Renderers format what the explanation holds;
they never compute a derivative or a value.
"""
