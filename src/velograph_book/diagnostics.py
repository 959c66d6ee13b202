"""Small summaries the book uses to compare graphs, kernels and arrows.

Each returns plain numbers or per-cell arrays; none modifies its input.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._pairs import drop_diagonal, row_of_each_entry


def _without_diagonal(M, include_diagonal: bool) -> sp.csr_matrix:
    """M as float64 CSR; with ``include_diagonal=False``, its stored diagonal entries dropped."""
    if not isinstance(include_diagonal, bool):
        raise TypeError(f"include_diagonal must be True or False, got {include_diagonal!r}")
    M = sp.csr_matrix(M, dtype=np.float64)
    return M if include_diagonal else drop_diagonal(M)[0]


def row_entropy(T, *, include_diagonal: bool = True) -> np.ndarray:
    r"""Shannon entropy :math:`H_i = -\sum_j p_{ij}\log p_{ij}` of each row (nats), over its stored entries.

    The entries are used as they are (not renormalised): pass a transition matrix, whose
    rows sum to 1. A row spread evenly over n entries has entropy log n; a row on one
    entry, 0; an empty row, 0. ``include_diagonal=False`` leaves out the stored
    diagonal (the self-transition T_ii): the entropy over the neighbours only.
    """
    T = _without_diagonal(T, include_diagonal)
    p = T.data
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return np.bincount(row_of_each_entry(T), weights=terms, minlength=T.shape[0])


def stored_per_row(M, *, include_diagonal: bool = True) -> np.ndarray:
    """Number of stored entries in each row (explicit zeros included), an integer array.

    ``include_diagonal=False`` does not count a stored diagonal entry: n_i, the number of
    neighbours of cell i in a graph or transition matrix (a cell is never its own neighbour).
    """
    return np.diff(_without_diagonal(M, include_diagonal).indptr)


def offdiagonal_row_sums(T) -> np.ndarray:
    """sum_{j != i} T_ij for every row i."""
    T = sp.csr_matrix(T, dtype=np.float64)
    return np.asarray(T.sum(axis=1)).ravel() - T.diagonal()


def edge_agreement(G1, G2) -> tuple[float, float]:
    """(Pearson correlation, fraction of opposite signs) of two graphs over the entries stored in G1.

    Both graphs must store the same pairs (e.g. cosine and Pearson on one neighbourhood).
    """
    G1, G2 = sp.csr_matrix(G1, dtype=np.float64), sp.csr_matrix(G2, dtype=np.float64)
    a = G1.data
    rows = row_of_each_entry(G1)
    b = np.asarray(G2[rows, G1.indices]).ravel()
    return float(np.corrcoef(a, b)[0, 1]), float(np.mean(np.sign(a) != np.sign(b)))


def dense_kernel_outside_mass(graph, sigma) -> np.ndarray:
    """Per row, the share of z_i that a *dense* exp(pi/sigma^2) would give to non-neighbours.

    Non-stored entries have pi = 0 and would each add e^0 = 1 to z_i:
    (N - n_i) / (sum_{j in N_i} e^{pi_ij/sigma^2} + N - n_i). Computed without densifying.
    """
    G = sp.csr_matrix(graph, dtype=np.float64)
    n = G.shape[0]
    inside = np.bincount(row_of_each_entry(G), weights=np.exp(G.data / sigma**2), minlength=n)
    outside = n - np.diff(G.indptr)
    return outside / (inside + outside)
