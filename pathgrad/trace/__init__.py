"""Tracing: traced values, PyTorch's autograd on them, and running an expression file.

``traced`` records each operation define-by-run; ``autograd`` gives ``backward()``,
``.grad`` and ``no_grad()``; ``loader`` runs a file (or a folder's example) with traced
values. The op table they apply is :mod:`pathgrad.ops`.
"""
