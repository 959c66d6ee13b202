"""Small summaries the book uses to compare graphs, kernels and arrows.

Each returns plain numbers or per-cell arrays; none modifies its input.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._pairs import row_of_each_entry


def row_entropy(T) -> np.ndarray:
    """Shannon entropy -sum_j p_ij log p_ij of each row (nats), over its stored entries.

    A row spread evenly over n neighbours has entropy log n; a row on one neighbour, 0.
    """
    T = sp.csr_matrix(T, dtype=np.float64)
    p = T.data
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return np.bincount(row_of_each_entry(T), weights=terms, minlength=T.shape[0])


def stored_per_row(M) -> np.ndarray:
    """Number of stored entries in each row."""
    return np.diff(sp.csr_matrix(M).indptr)


def offdiagonal_row_sums(T) -> np.ndarray:
    """sum_{j != i} T_ij for every row i."""
    T = sp.csr_matrix(T, dtype=np.float64)
    return np.asarray(T.sum(axis=1)).ravel() - T.diagonal()


def rowwise_cosine(A, B) -> np.ndarray:
    """Cosine between row i of A and row i of B (e.g. two arrow fields); NaN where a row is zero or NaN."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    norm = np.linalg.norm(A, axis=1) * np.linalg.norm(B, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (A * B).sum(axis=1) / norm, np.nan)


def rowwise_angle_degrees(A, B) -> np.ndarray:
    """Angle between row i of A and row i of B, in degrees in [0, 180]: arccos of :func:`rowwise_cosine`.

    NaN where either row is zero or NaN (no direction).
    """
    return np.degrees(np.arccos(np.clip(rowwise_cosine(A, B), -1.0, 1.0)))


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
