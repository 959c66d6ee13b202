"""Comparing two runs of the same single-cell pipeline by statements that hold on every computer.

A live run of the recipe (PCA, kNN, moments, velocity models) and the shipped copy made
on another machine agree in substance but not in their last digits. These functions
measure the agreement (shared genes, shared neighbours, correlated velocities), so that
a chapter can state "at least 99% of the neighbours are shared" instead of printing
digits that depend on the CPU.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def shared_share(reference, other) -> float:
    """Share of the items of ``reference`` that also occur in ``other``, in [0, 1].

    With R the set of reference items and O the set of other items: size(R ∩ O) / size(R).
    """
    reference = set(reference)
    if not reference:
        raise ValueError("reference is empty: there is nothing to look for")
    return len(reference & set(other)) / len(reference)


def neighbor_overlap(A, B) -> np.ndarray:
    """Per cell i, the Jaccard index of the neighbour sets of i in two graphs.

    With N_A(i), N_B(i) the neighbours of i in A and B: size(N_A(i) ∩ N_B(i)) / size(N_A(i) ∪ N_B(i)).

    The stored entries of row i of each n x n sparse matrix (e.g. ``obsp['distances']``)
    are the neighbours of i; their values are ignored (explicit zeros count, a duplicated
    entry counts once). Rows empty in both give NaN. Neither input is modified.
    """
    A, B = sp.csr_matrix(A), sp.csr_matrix(B)
    if A.shape != B.shape or A.shape[0] != A.shape[1]:
        raise ValueError(f"A and B must be square matrices of the same shape, got {A.shape} and {B.shape}")
    # copies of indices and indptr: sum_duplicates works in place and must not reach the caller's matrices
    pattern_a = sp.csr_matrix((np.ones(A.nnz), A.indices.copy(), A.indptr.copy()), shape=A.shape)
    pattern_b = sp.csr_matrix((np.ones(B.nnz), B.indices.copy(), B.indptr.copy()), shape=B.shape)
    pattern_a.sum_duplicates()
    pattern_b.sum_duplicates()
    pattern_a.data[:] = 1
    pattern_b.data[:] = 1
    both = np.asarray(pattern_a.multiply(pattern_b).sum(axis=1)).ravel()
    either = np.diff(pattern_a.indptr) + np.diff(pattern_b.indptr) - both
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(either > 0, both / either, np.nan)


def column_correlations(X, Y) -> np.ndarray:
    """Pearson correlation of column g of X with column g of Y (e.g. one gene's velocity in two runs).

    Both (n, G) and finite; computed in float64 with explicitly centred columns. A
    constant column has no correlation: NaN.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    for name, values in (("X", X), ("Y", Y)):
        if values.ndim != 2 or not np.isfinite(values).all():
            raise ValueError(f"{name} must be a finite 2-D array, got shape {values.shape}")
    if X.shape != Y.shape:
        raise ValueError(f"X and Y must have the same shape, got {X.shape} and {Y.shape}")
    X = X - X.mean(axis=0)
    Y = Y - Y.mean(axis=0)
    norm = np.linalg.norm(X, axis=0) * np.linalg.norm(Y, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (X * Y).sum(axis=0) / norm, np.nan)
