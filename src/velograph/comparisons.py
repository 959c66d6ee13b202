"""Comparisons the real-data chapters (6 and 7) make: between arrow fields, corrections and choices.

Every function returns plain numbers or arrays computed from its inputs; none
modifies them and none prints. Angles are in degrees, shares are fractions in [0, 1].
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import display
from .kernel import row_of_each_entry


def _bounded_share(beyond, ambiguous, digits: int, what: str) -> float:
    """The share of ``beyond`` when the ``ambiguous`` entries may fall either way, rounded if that is safe."""
    beyond, ambiguous = np.asarray(beyond, bool), np.asarray(ambiguous, bool)
    if beyond.size == 0:
        raise ValueError("no values: a share of nothing is undefined")
    low = float(np.mean(beyond & ~ambiguous))
    high = low + float(np.mean(ambiguous))
    printed_low, printed_high = display.fmt(low, digits), display.fmt(high, digits)
    if printed_low != printed_high:
        raise ValueError(f"the share lies between {low!r} and {high!r} ({int(ambiguous.sum())} values within the "
                         f"rounding margin of {what}): it prints as {printed_low} or {printed_high}; "
                         "print fewer digits")
    return float(printed_low)


def stable_share(values, threshold: float, *, side: str = "above", digits: int = 4) -> float:
    """Share of ``values`` strictly above (or below) ``threshold``, rounded to ``digits`` decimals.

    For shares over very many values (e.g. the ~740,000 edges of a velocity graph) a
    few values always lie within the rounding margin of the threshold
    (:func:`velograph.display.set_rounding_margin`), where their side could differ on
    another computer, so :func:`velograph.display.share_above` refuses them. Here they
    are counted both ways instead: with ``a`` values clearly beyond the threshold and
    ``m`` ambiguous ones among ``n``, the share lies in [a/n, (a+m)/n] on any computer.
    The rounded share is returned only when both ends print the same at ``digits``
    decimals (each clear of a rounding boundary by the margin); otherwise ValueError:
    print fewer digits. NaN values count as not beyond the threshold.
    """
    if side not in ("above", "below"):
        raise ValueError(f"side must be 'above' or 'below', got {side!r}")
    values = np.asarray(values, dtype=float).ravel()
    ambiguous = np.abs(values - threshold) < display._MARGIN
    beyond = (values > threshold) if side == "above" else (values < threshold)
    return _bounded_share(beyond, ambiguous, digits, f"{threshold:g}")


def edge_values(G1, G2):
    """(a, b): the values of two n x n graphs on the entries stored in ``G1``, as float64 arrays."""
    G1, G2 = sp.csr_matrix(G1, dtype=np.float64), sp.csr_matrix(G2, dtype=np.float64)
    rows = row_of_each_entry(G1)
    return G1.data.copy(), np.asarray(G2[rows, G1.indices]).ravel()


def opposite_sign_share(G1, G2, *, digits: int = 4) -> float:
    """Share of the entries stored in ``G1`` where ``G1`` and ``G2`` have opposite signs (a * b < 0).

    An entry with either value within the rounding margin of 0 has no reliable sign
    and is counted both ways, as in :func:`stable_share`; rounded to ``digits``.
    """
    a, b = edge_values(G1, G2)
    margin = display._MARGIN
    ambiguous = (np.abs(a) < margin) | (np.abs(b) < margin)
    return _bounded_share(np.sign(a) * np.sign(b) < 0, ambiguous, digits, "0")
