"""Golden sweeps that run every case both imperatively and hybridized: ``make test`` runs
one of the two paths per case, alternating from case to case, so both paths and every case
are covered; ``make test-slow`` runs the other half."""

import pytest

__all__ = ["alternating"]

PATHS = ((False, "imperative"), (True, "hybridized"))


def alternating(names, paths=PATHS):
    """``(name, path)`` parameters for every name and both ``paths`` (``(value, label)``
    pairs; default: imperative and hybridized); one of each name's two is marked
    ``slow``."""
    return [pytest.param(name, value, id=f"{name}-{label}",
                         marks=[pytest.mark.slow] if (i + j) % 2 else [])
            for i, name in enumerate(names) for j, (value, label) in enumerate(paths)]
