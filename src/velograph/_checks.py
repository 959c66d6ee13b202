"""Argument checks shared by the public functions.

Every check raises an error that names the argument and says what was expected,
so that a reader who passed the wrong thing knows what to fix. Checks never
modify their input: they return a (possibly converted) new object.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from ._sparse import canonical_csr, check_structure


def as_float_matrix(x, name: str, *, ndim: int = 2, allow_empty: bool = False,
                    allow_nonfinite: bool = False) -> np.ndarray:
    """Return ``x`` as a finite float64 array of ``ndim`` dimensions (a new array if converted).

    Integer, bool, float16 and float32 inputs are accepted and converted to float64;
    sparse matrices are densified (they hold per-cell vectors, not N x N graphs).
    ``allow_nonfinite`` lets NaN and inf through, for inputs where they mean "undefined".
    """
    if sp.issparse(x):
        x = x.toarray()
    try:
        arr = np.asarray(x)
    except Exception as err:  # pragma: no cover - exotic objects
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}") from err
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.ndim != ndim:
        shape_word = "a vector (1-D)" if ndim == 1 else f"a {ndim}-D array"
        raise ValueError(f"{name} must be {shape_word}, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); expected at least one value")
    arr = arr.astype(np.float64, copy=False)
    if not allow_nonfinite:
        check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ValueError naming the first non-finite entry (row and column) of ``arr``."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(arr[where]) else "inf"
        place = f"row {where[0]}, column {where[1]}" if len(where) == 2 else f"index {where[0]}"
        raise ValueError(f"{name} contains {what} at {place} ({int(bad.sum())} non-finite values in all)")


def square_sparse(m, name: str, *, n: int | None = None, bounded: bool = False) -> sp.csr_matrix:
    """Return ``m`` as a new float64 CSR matrix with sorted indices, checking shape and values.

    A sparse ``m`` is checked first (``indptr`` and index ranges, O(stored entries)),
    before anything reads through its indices; its stored entries, explicit zeros
    included, are kept. A dense ``m`` becomes the CSR of its **nonzero** entries: a
    dense array cannot mark a stored 0, so an entry that is exactly 0 is not stored
    (for a graph: not a neighbour). ``bounded`` demands values in [-1, 1] (a
    similarity graph); a float32 rounding margin of 1e-6 is allowed.
    """
    if not (sp.issparse(m) or isinstance(m, np.ndarray)):
        raise TypeError(f"{name} must be a scipy sparse matrix or a 2-D numpy array, got {type(m).__name__}")
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"{name} must be a square n x n matrix, got shape {m.shape}")
    if n is not None and m.shape[0] != n:
        raise ValueError(f"{name} is {m.shape[0]} x {m.shape[1]} but there are {n} cells")
    if m.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {m.shape}); expected at least one cell")
    dtype = m.dtype
    if dtype == np.dtype(object) or not (np.issubdtype(dtype, np.number) or dtype == np.dtype(bool)):
        raise TypeError(f"{name} must hold numbers, got dtype {dtype}")
    if sp.issparse(m):
        check_structure(m, name)
    out = canonical_csr(m, dtype=np.float64)
    if not np.isfinite(out.data).all():
        bad = int(np.flatnonzero(~np.isfinite(out.data))[0])
        row = int(np.searchsorted(out.indptr, bad, side="right") - 1)
        raise ValueError(f"{name} contains a non-finite value at row {row}, column {int(out.indices[bad])}")
    if bounded and out.nnz and (out.data.min() < -1 - 1e-6 or out.data.max() > 1 + 1e-6):
        raise ValueError(
            f"{name} must hold similarities in [-1, 1], found values in "
            f"[{out.data.min():.6g}, {out.data.max():.6g}]"
        )
    return out


def positive_scalar(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a positive real number, got {type(x).__name__}")
    x = float(x)
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a positive, finite number, got {x}")
    return x


def positive_int(x, name: str) -> int:
    """``x`` as a positive Python int; bools, floats, strings and numbers < 1 raise an error naming ``name``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {type(x).__name__} {x!r}")
    if x < 1:
        raise ValueError(f"{name} must be a positive integer, got {x}")
    return int(x)


def choice(value, name: str, options) -> None:
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
