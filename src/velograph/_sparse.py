"""Sparse-matrix helpers shared by every section (private).

The compiled functions (``velograph._compiled``) trust every index they are given, so
each sparse input is checked here first: shape, ``indptr`` and index ranges, in
O(stored entries), with an error that names the argument. Nothing here writes to its
input: a matrix that needs sorting or summing of duplicates is copied first (inputs
may be read-only, or live in ``adata.uns``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def row_of_each_entry(matrix) -> np.ndarray:
    """The row index of every stored entry of a CSR matrix (the COO row array)."""
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


def indptr_from_rows(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """CSR ``indptr`` for entries whose (ascending) row indices are ``rows``."""
    return np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))]).astype(np.int64)


def drop_diagonal(T: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """(T without its stored diagonal entries, the row of each remaining entry), for a CSR T.

    The diagonal is never a neighbour (a cell's displacement to itself is zero);
    off-diagonal entries stored with value 0 stay: they are neighbours with zero weight.
    """
    rows = row_of_each_entry(T)
    keep = rows != T.indices
    if keep.all():
        return T, rows
    rows = rows[keep]
    return sp.csr_matrix((T.data[keep], T.indices[keep], indptr_from_rows(rows, T.shape[0])), shape=T.shape), rows


def _first(mask) -> int:
    return int(np.flatnonzero(mask)[0])


def check_index_range(values, upper: int, name: str, what: str) -> None:
    """Raise ValueError unless every entry of the integer array ``values`` lies in 0..upper-1."""
    values = np.asarray(values)
    if values.size == 0:
        return
    if not np.issubdtype(values.dtype, np.integer):
        raise TypeError(f"{name} must hold integer {what}, got dtype {values.dtype}")
    low, high = values.min(), values.max()
    if low < 0 or high >= upper:
        p = _first((values < 0) | (values >= upper))
        raise ValueError(f"{name} has {what} {int(values.flat[p])} at position {p}, outside 0..{upper - 1}")


def check_compressed(indptr, indices, n_major: int, n_minor: int, name: str, axes=("row", "column")) -> None:
    """Check a CSR (or CSC) structure: indptr of length n_major + 1, from 0, non-decreasing,
    ending within ``indices``; every index in 0..n_minor-1. O(n_major + stored entries)."""
    major, minor = axes
    indptr = np.asarray(indptr)
    indices = np.asarray(indices)
    if indptr.ndim != 1 or len(indptr) != n_major + 1:
        raise ValueError(f"{name} has an inconsistent sparse structure: indptr has length {len(indptr)}, "
                         f"expected n_{major}s + 1 = {n_major + 1}")
    if not np.issubdtype(indptr.dtype, np.integer):
        raise TypeError(f"{name} has an inconsistent sparse structure: indptr has dtype {indptr.dtype}")
    if indptr[0] != 0:
        raise ValueError(f"{name} has an inconsistent sparse structure: indptr starts at {int(indptr[0])}, not 0")
    steps = np.diff(indptr)
    if (steps < 0).any():
        r = _first(steps < 0)
        raise ValueError(f"{name} has an inconsistent sparse structure: indptr decreases at {major} {r} "
                         f"({int(indptr[r])} -> {int(indptr[r + 1])})")
    if indptr[-1] > len(indices):
        raise ValueError(f"{name} has an inconsistent sparse structure: indptr ends at {int(indptr[-1])} "
                         f"but only {len(indices)} indices are stored")
    stored = indices[: int(indptr[-1])]
    if stored.size:
        if not np.issubdtype(stored.dtype, np.integer):
            raise TypeError(f"{name} must hold integer {minor} indices, got dtype {stored.dtype}")
        low, high = stored.min(), stored.max()
        if low < 0 or high >= n_minor:
            p = _first((stored < 0) | (stored >= n_minor))
            r = int(np.searchsorted(indptr, p, side="right") - 1)
            raise ValueError(f"{name} has {minor} index {int(stored[p])} in {major} {r}, outside 0..{n_minor - 1} "
                             f"(a malformed sparse matrix, or one from another object)")


def check_structure(m, name: str) -> None:
    """Check the stored structure of any scipy sparse matrix or array against its shape."""
    n_rows, n_cols = m.shape
    fmt = m.format
    if fmt == "csr":
        check_compressed(m.indptr, m.indices, n_rows, n_cols, name)
    elif fmt == "csc":
        check_compressed(m.indptr, m.indices, n_cols, n_rows, name, axes=("column", "row"))
    elif fmt == "bsr":
        r, c = m.blocksize
        check_compressed(m.indptr, m.indices, n_rows // r, n_cols // c, name, axes=("block row", "block column"))
    else:
        coo = m if fmt == "coo" else m.tocoo()
        check_index_range(coo.row, n_rows, name, "row index")
        check_index_range(coo.col, n_cols, name, "column index")
    if fmt in ("csr", "csc", "bsr") and len(m.data) < m.indptr[-1]:
        raise ValueError(f"{name} has an inconsistent sparse structure: {len(m.data)} values for "
                         f"{int(m.indptr[-1])} stored entries")


def canonical_csr(m, dtype=None) -> sp.csr_matrix:
    """A CSR copy of a checked sparse matrix with summed duplicates and sorted indices.

    Always a new matrix (the input is never sorted in place); ``dtype`` converts the values.
    """
    out = sp.csr_matrix(m, dtype=dtype, copy=True)
    out.sum_duplicates()
    out.sort_indices()
    return out


def sorted_csr(m) -> sp.csr_matrix:
    """``m`` as CSR with sorted indices and no duplicates, copied only when it is not already.

    For read-only use of large matrices (``adata.uns`` graphs): the input is never written,
    and the check is scipy's O(stored entries) scan on a fresh object (a cached flag could
    be stale if someone edited the index arrays).
    """
    csr = m if m.format == "csr" else m.tocsr()
    fresh = sp.csr_matrix((csr.data, csr.indices, csr.indptr), shape=csr.shape)
    if fresh.has_canonical_format:
        return fresh
    out = fresh.copy()
    out.sum_duplicates()
    out.sort_indices()
    return out
