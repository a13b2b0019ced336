"""Python's cyclic garbage collector, paused while pathgrad builds and prints sympy
expressions.

Building a graph, summing its paths and printing the sums makes millions of small sympy
objects and next to no reference cycles, so the cyclic collector frees almost nothing
there. It still runs after every few hundred new objects, and every so often walks
every object alive: on a diamond chain of 5,000 steps that was about a third of the time
of ``pathgrad explain --format json`` (issue 13), for no memory saved. Reference counting
frees everything as before; only the search for cycles waits.

The user's file runs with the collector as the user left it: what a program of theirs
makes is theirs to collect. So does the HTML report, whose MathML printer builds DOM
trees full of cycles (paused, a 20-step RNN's report peaked 23% higher).

>>> import gc
>>> with collector_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

import contextlib
import gc


class collector_paused(contextlib.ContextDecorator):  # noqa: N801 - reads as a context
    """A context (and a decorator) in which the cyclic collector does not run.

    On leaving, the collector is enabled again if it was enabled on entering; nested
    and concurrent uses never leave it disabled when it was not before.
    """

    def _recreate_cm(self):  # a decorated function may call itself: one state per call
        return type(self)()

    def __enter__(self):
        self._was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc):
        if self._was_enabled:
            gc.enable()
        return False
