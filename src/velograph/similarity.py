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

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from ._checks import as_float_matrix


def sign_sqrt(x: ArrayLike) -> np.ndarray | np.float64:
    """Variance-stabilising transform sign(x) * sqrt(abs(x)), elementwise.

    It keeps each sign and shrinks large magnitudes, so one gene with a large
    change no longer dominates the angle. Note that ‖sign_sqrt(x)‖² = Σ_g abs(x_g):
    the squared Euclidean norm of the transformed vector is the L1 norm of x.

    Parameters
    ----------
    x : array_like
        A number or an array of any shape (integers, booleans and float16/32 are
        converted); NaN stays NaN. Not modified.

    Returns
    -------
    numpy.ndarray or numpy.float64
        A new float64 array of the shape of ``x`` (a numpy.float64 for a number), in
        the square root of the units of x.

    Raises
    ------
    TypeError
        If ``x`` does not hold real numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph import sign_sqrt
    >>> print(sign_sqrt([-4.0, 0.0, 2.25, 9]))
    [-2.   0.   1.5  3. ]
    >>> x = np.array([3.0, -4.0])
    >>> print(np.sum(sign_sqrt(x) ** 2), np.sum(np.abs(x)))
    7.0 7.0
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


def cosine_similarity(a: ArrayLike, b: ArrayLike) -> float:
    """Cosine of the angle between a and b: a·b / (‖a‖ ‖b‖), in [-1, 1].

    Each vector is rescaled by a power of two before the norms, so any finite scale
    works (1e-300 and 1e300 included) and the result stays in [-1, 1].

    Parameters
    ----------
    a, b : array_like, shape (m,)
        1-D, of equal length, finite (integers, float16/32 and lists are converted to
        float64). Neither input is modified.

    Returns
    -------
    float
        The cosine (dimensionless), in [-1, 1]; 0.0 when either vector is zero (the
        angle is undefined).

    Raises
    ------
    TypeError, ValueError
        If either input is not a finite, non-empty 1-D array of real numbers, or their
        lengths differ.

    Examples
    --------
    >>> from velograph import cosine_similarity
    >>> print(f"{cosine_similarity([1.0, 0.0], [1.0, 1.0]):.4f}")
    0.7071
    >>> print(f"{cosine_similarity([1e-300, 0.0], [1e300, 1e300]):.4f}")
    0.7071
    >>> cosine_similarity([0.0, 0.0], [1.0, 1.0])
    0.0
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


def pearson_similarity(a: ArrayLike, b: ArrayLike) -> float:
    """Pearson correlation over entries: the cosine of a - mean(a) and b - mean(b).

    This is what scVelo's velocity graph computes between a displacement and a
    velocity (both centred across genes), although its docstring says "cosine".
    Returns 0.0 when either centred vector is zero: a constant vector, or one constant
    up to rounding (``[0.1, 0.1, 0.1]``, whose computed mean is not exactly 0.1), i.e.
    whose centred sum of squares is at most 16 (m eps)^2 times its sum of squares
    (m entries, eps = 2.2e-16; ``velograph.similarity.constant_tolerance``).

    Parameters
    ----------
    a, b : array_like, shape (m,)
        1-D, of equal length, finite (converted to float64). Neither input is modified.

    Returns
    -------
    float
        The correlation (dimensionless), in [-1, 1]; 0.0 when either centred vector is
        zero.

    Raises
    ------
    TypeError, ValueError
        If either input is not a finite, non-empty 1-D array of real numbers, or their
        lengths differ.

    Examples
    --------
    A common offset changes the cosine but not the Pearson correlation:

    >>> from velograph import cosine_similarity, pearson_similarity
    >>> d, v = [1.0, 2.0, 3.0], [11.0, 12.0, 13.5]
    >>> print(f"cosine {cosine_similarity(d, v):.4f}, Pearson {pearson_similarity(d, v):.4f}")
    cosine 0.9541, Pearson 0.9934
    >>> pearson_similarity([0.1, 0.1, 0.1], [1.0, 2.0, 3.0])  # constant up to rounding
    0.0
    """
    a, b = _vectors(a, b)
    a, b = _scaled(a), _scaled(b)  # before centring, so that the mean cannot overflow
    return _cosine(_centred(a), _centred(b))
