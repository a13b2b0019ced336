"""Safe mode: untrusted files validated and interpreted, never executed, in a bounded worker.

``sandbox`` is the door (``validate``, then ``interpret``); ``subset`` writes down what a
file may contain, as data; ``validator`` checks a tree against it before anything runs;
``interpreter`` walks the validated tree itself (``statements``, ``expressions``,
``calls``); ``limits`` holds the bounds; ``worker`` runs a whole job in a bounded process.
"""
