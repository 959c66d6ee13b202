"""Cosines and angles between vectors, row by row: the book's one implementation of each.

Every chapter that compares two arrows (or an arrow with a displacement) goes through
these functions, so an angle printed in chapter 1 and one printed in chapter 8 are
computed the same way. Angles are in degrees; cosines are dimensionless, in [-1, 1].

Each row is first divided by a power of two near its largest entry (exact in binary
floating point), then by its length, so the unit vectors are accurate for any finite
scale: tiny (1e-200) or huge (1e200) arrows neither underflow to "no direction" nor
overflow to NaN.
"""

from __future__ import annotations

import numpy as np


def _rows(A, B) -> tuple[np.ndarray, np.ndarray, bool]:
    """(A, B) as 2-D float64 arrays of broadcastable rows, and whether both were single vectors."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    for name, values in (("A", A), ("B", B)):
        if values.ndim not in (1, 2):
            raise ValueError(f"{name} must be a vector or an (m, d) array of row vectors, got shape {values.shape}")
    single = A.ndim == 1 and B.ndim == 1
    A2, B2 = np.atleast_2d(A), np.atleast_2d(B)
    if A2.shape[1] != B2.shape[1]:
        raise ValueError(f"A and B must have vectors of the same length, got {A2.shape[1]} and {B2.shape[1]}")
    if A2.shape[0] != B2.shape[0] and 1 not in (A2.shape[0], B2.shape[0]):
        raise ValueError(f"A and B must have the same number of rows (or one of them a single vector), "
                         f"got {A2.shape[0]} and {B2.shape[0]}")
    return A2, B2, single


def _unit_rows(A: np.ndarray) -> np.ndarray:
    """Each row divided by its length; NaN rows where a row is zero or not finite (no direction)."""
    largest = np.max(np.abs(A), axis=1, keepdims=True) if A.shape[1] else np.zeros((A.shape[0], 1))
    ok = np.isfinite(A).all(axis=1, keepdims=True) & (largest > 0)
    # 2**e with largest in [2**(e-1), 2**e): dividing by it is exact and brings the entries into [-1, 1].
    _, exponent = np.frexp(np.where(ok, largest, 1.0))
    scaled = np.ldexp(np.where(ok, A, 0.0), -exponent)
    length = np.linalg.norm(scaled, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, scaled / np.where(ok, length, 1.0), np.nan)


def rowwise_cosine(A, B) -> np.ndarray | float:
    r"""Cosine between row i of A and row i of B: :math:`\hat a_i \cdot \hat b_i`, clipped to [-1, 1].

    .. math:: \cos\theta_i = \frac{a_i \cdot b_i}{\|a_i\|\,\|b_i\|}

    computed from the unit vectors :math:`\hat a_i = a_i/\|a_i\|`. ``A`` and ``B`` are two
    (m, d) arrays compared row by row, or one of them a single d-vector compared with every
    row of the other (e.g. one arrow against the displacements to its neighbours); two
    d-vectors give a float. NaN where a row is zero or not finite (it has no direction).
    Dimensionless.
    """
    A, B, single = _rows(A, B)
    out = np.clip(np.sum(_unit_rows(A) * _unit_rows(B), axis=1), -1.0, 1.0)
    return float(out[0]) if single else out


def rowwise_angle_degrees(A, B) -> np.ndarray | float:
    r"""Unsigned angle between row i of A and row i of B, in degrees in [0, 180] (0: same direction).

    .. math:: \theta_i = 2\arctan\frac{\|\hat a_i - \hat b_i\|}{\|\hat a_i + \hat b_i\|}
              \;\Big(= \arccos \frac{a_i\cdot b_i}{\|a_i\|\,\|b_i\|}\Big)

    The arctan form (atan2 of the two lengths) keeps full relative accuracy at every
    angle; the arccos of a cosine loses half the digits near 0 and 180 degrees (an angle
    of 1e-8 rad has a cosine of 1 - 5e-17, which rounds to exactly 1). Inputs as for
    :func:`rowwise_cosine` (two d-vectors give a float). NaN where a row is zero or not
    finite.
    """
    A, B, single = _rows(A, B)
    a, b = _unit_rows(A), _unit_rows(B)
    out = np.degrees(2.0 * np.arctan2(np.linalg.norm(a - b, axis=1), np.linalg.norm(a + b, axis=1)))
    return float(out[0]) if single else out


def signed_angle_degrees(arrows, reference) -> np.ndarray:
    r"""Signed angle from the 2-D vector ``reference`` to each 2-D arrow, in degrees, in (-180, 180].

    .. math:: \phi_i = \operatorname{atan2}(r \times \nu_i,\ r \cdot \nu_i),
              \qquad r \times \nu = r_x \nu_y - r_y \nu_x

    Counter-clockwise is positive: with ``reference`` = up (0, 1), an arrow that leans
    left has a positive angle, one that leans right a negative one. A different concept
    from :func:`rowwise_angle_degrees` (unsigned, any dimension): it says which way an
    arrow turns in a plane. ``arrows`` is (m, 2) or one 2-vector (returns an array of
    length m, or 1); NaN for a zero or non-finite arrow.
    """
    arrows = np.atleast_2d(np.asarray(arrows, dtype=np.float64))
    reference = np.asarray(reference, dtype=np.float64)
    if arrows.ndim != 2 or arrows.shape[1] != 2:
        raise ValueError(f"arrows must be 2-D vectors, (m, 2) or (2,), got shape {arrows.shape}")
    if reference.shape != (2,) or not np.isfinite(reference).all() or not np.any(reference):
        raise ValueError(f"reference must be one finite, non-zero 2-vector, got {reference!r}")
    cross = reference[0] * arrows[:, 1] - reference[1] * arrows[:, 0]
    dot = arrows @ reference
    out = np.degrees(np.arctan2(cross, dot))
    out[out == -180.0] = 180.0
    out[~np.isfinite(arrows).all(axis=1) | ~np.any(arrows, axis=1)] = np.nan
    return out
