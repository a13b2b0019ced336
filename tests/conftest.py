"""Hypothesis profiles: the suite is deterministic unless you ask it to explore.

``ci`` (the default) draws the same examples on every run and keeps no database, so a
failure in CI is a failure on every machine, never a flake. ``explore`` draws new
examples on every run (and 1,000 where a test does not set its own count), to look for
new failures:

    HYPOTHESIS_PROFILE=explore python -m pytest -q tests/test_properties.py
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
