"""Section A: how well a displacement agrees with a velocity.

For a cell i with expression s_i and velocity v_i, and a neighbour j, the
displacement is delta_ij = s_j - s_i (same units as s: expression). The
velocity graph asks how well delta_ij points along v_i, measured by

* the cosine   cos(d, v) = d.v / (‖d‖ ‖v‖)                      (the textbook),
* the Pearson  corr(d, v) = cos(d - mean(d), v - mean(v))       (what scVelo computes),

optionally after the variance-stabilising transform sign(x) * sqrt(abs(x)).
All three are dimensionless and lie in [-1, 1].
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_matrix


def sign_sqrt(x):
    """Variance-stabilising transform sign(x) * sqrt(abs(x)), elementwise.

    It keeps each sign and shrinks large magnitudes, so one gene with a large
    change no longer dominates the angle. Note that ‖sign_sqrt(x)‖² = Σ_g abs(x_g):
    the squared Euclidean norm of the transformed vector is the L1 norm of x.
    Accepts a number or an array of any shape (integers and float16/32 are
    converted); NaN stays NaN. Returns a new float64 array; ``x`` is not modified.
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"x must hold numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"x must be real, got complex dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    return np.sign(arr) * np.sqrt(np.abs(arr))


def _vectors(a, b):
    a = as_float_matrix(a, "a", ndim=1)
    b = as_float_matrix(b, "b", ndim=1)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length, got {a.shape[0]} and {b.shape[0]}")
    return a, b


def _scaled(a: np.ndarray) -> np.ndarray:
    """a times the power of two that puts the largest absolute a_g in [0.5, 1): exact, and no angle changes."""
    largest = np.abs(a).max()
    return np.ldexp(a, -np.frexp(largest)[1]) if largest > 0 else a


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    # Scale first: the squares of tiny (1e-170) or huge (1e170) entries would under- or
    # overflow and the cosine of valid vectors come out 0 or above 1.
    a, b = _scaled(a), _scaled(b)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    # A zero vector has no direction: the similarity is undefined and reported as 0,
    # which is also what scVelo stores (it sets NaN similarities to 0).
    return float(np.clip(a @ b / norm, -1.0, 1.0)) if norm > 0 else 0.0


def cosine_similarity(a, b) -> float:
    """Cosine of the angle between a and b: a·b / (‖a‖ ‖b‖), in [-1, 1].

    ``a`` and ``b`` are 1-D, of equal length, finite (integers, float16/32 and
    lists are converted to float64). Returns 0.0 when either vector is zero (the
    angle is undefined). Each vector is rescaled by a power of two before the norms,
    so any finite scale works (1e-300 and 1e300 included) and the result stays in
    [-1, 1]. Neither input is modified.
    """
    a, b = _vectors(a, b)
    return _cosine(a, b)


def constant_tolerance(n_entries: int, dtype=np.float64) -> float:
    """Relative tolerance below which a centred vector counts as zero: 16 (m eps)^2.

    A vector of m entries that is constant up to rounding does not centre to exactly 0:
    the computed mean is off by up to ~m eps of the entries, so the centred sum of
    squares is rounding noise of relative size ~(m eps)^2 of the uncentred sum of
    squares (eps: the machine epsilon of ``dtype``). Below 16 (m eps)^2 of it the
    vector is treated as constant, the rule :func:`velograph.row_correlations` uses for
    rows. Used alike by :func:`pearson_similarity`, the compiled graph and
    ``velograph.reference``.
    """
    return 16.0 * (n_entries * float(np.finfo(dtype).eps)) ** 2


def _centred(a: np.ndarray) -> np.ndarray:
    """a - mean(a), or exactly 0 when a is constant up to rounding (see :func:`constant_tolerance`)."""
    centred = a - a.mean()
    if centred @ centred <= constant_tolerance(len(a)) * (a @ a):
        return np.zeros_like(a)
    return centred


def pearson_similarity(a, b) -> float:
    """Pearson correlation over entries: the cosine of a - mean(a) and b - mean(b).

    This is what scVelo's velocity graph computes between a displacement and a
    velocity (both centred across genes), although its docstring says "cosine".
    Returns 0.0 when either centred vector is zero: a constant vector, or one constant
    up to rounding (``[0.1, 0.1, 0.1]``, whose computed mean is not exactly 0.1), i.e.
    whose centred sum of squares is at most 16 (m eps)^2 times its sum of squares
    (m entries, eps = 2.2e-16; :func:`constant_tolerance`).
    """
    a, b = _vectors(a, b)
    a, b = _scaled(a), _scaled(b)  # before centring, so that the mean cannot overflow
    return _cosine(_centred(a), _centred(b))
