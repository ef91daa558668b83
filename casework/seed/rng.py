"""Seeded random generators, one per thing made, so that the same seed gives the same LA."""

from __future__ import annotations

import random


def seeded(*parts: object) -> random.Random:
    """A generator for one named thing (e.g. seed, "pupil", urn, index): same parts, same draws.

    A string seed is hashed with SHA-512 by `random`, independent of PYTHONHASHSEED.
    """
    # Synthetic data, not secrets: a reproducible generator is the whole point here.
    return random.Random(":".join(str(p) for p in parts))  # noqa: S311
