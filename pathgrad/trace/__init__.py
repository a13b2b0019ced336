"""Tracing: traced values, PyTorch's autograd on them, and running an expression file.

``traced`` records each operation define-by-run; ``autograd`` gives ``backward()``,
``.grad`` and ``no_grad()``; ``loader`` loads a file (or a folder's example): ``reading``
reads its text, ``running`` runs it with traced values and binds its names, ``loss``
chooses its loss. The op table they apply is :mod:`pathgrad.ops`.

Small tensors are made of those scalars: ``shapes`` reads nested lists and checks shapes
in PyTorch's words, ``elements`` holds a tensor's elements (their names and ``parts``,
views, ``.grad``), ``arrays`` gives it PyTorch's operations and ``array_functions`` the
functions a file calls on it (``softmax``, ``cross_entropy``, ``mse``, ``stack`` ...).
"""
