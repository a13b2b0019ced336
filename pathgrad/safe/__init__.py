"""Safe mode: untrusted files validated and interpreted, never executed, in a bounded worker.

``sandbox`` holds the limits, the validator and the bounded worker process;
``interpreter`` walks a validated tree itself.
"""
