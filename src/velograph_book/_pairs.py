"""Stored pairs of a sparse matrix, for the book's helpers: rows, the diagonal, unit directions.

The library keeps its own versions private (its compiled paths need them); the book's
package may use only the library's public API, so it has these few lines of its own.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def row_of_each_entry(matrix) -> np.ndarray:
    """The row index of every stored entry of a CSR matrix (the COO row array)."""
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


def drop_diagonal(matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """(a CSR copy of ``matrix`` without stored diagonal entries, the row of each remaining entry).

    A cell is never its own neighbour (its displacement to itself is zero); off-diagonal
    entries stored with value 0 stay: they are neighbours with zero weight.
    """
    matrix = sp.csr_matrix(matrix, copy=True)
    matrix.sort_indices()
    rows = row_of_each_entry(matrix)
    keep = rows != matrix.indices
    rows = rows[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))])
    kept = sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)
    return kept, rows


def neighbour_directions(T, X_emb):
    """(T without its diagonal, row of each pair, unit direction of each pair, length of each pair).

    For the stored off-diagonal pair p = (i, j): delta_hat[p] = (x_j - x_i) / ||x_j - x_i||, the
    zero vector when x_j == x_i (no direction). Lengths are in the embedding's units.
    """
    X_emb = np.asarray(X_emb, dtype=np.float64)
    if X_emb.ndim != 2 or X_emb.shape[0] != T.shape[0]:
        raise ValueError(f"X_emb must be an (n, d) array with n = {T.shape[0]} rows of T, got shape {X_emb.shape}")
    T, rows = drop_diagonal(T)
    displacement = X_emb[T.indices] - X_emb[rows]
    length = np.linalg.norm(displacement, axis=1)
    unit = np.divide(displacement, length[:, None], out=np.zeros_like(displacement), where=length[:, None] > 0)
    return T, rows, unit, length
