"""Readable per-cell versions of the library's formulas, one Python loop each.

These are for reading beside the blog's formulas and for testing: the tests
check that the vectorised functions in ``graph``, ``kernel``, ``projection`` and
``reconstruct`` give the same numbers. They densify and are slow; do not use
them on real data.
"""

from __future__ import annotations

import numpy as np

from .similarity import cosine_similarity, pearson_similarity, sign_sqrt


def cosine_graph_loop(X, V, neighbors, *, center=False, variance_stabilize=False) -> np.ndarray:
    """Dense n x n pi with pi[i, j] = sim(f(X[j] - X[i]), f(V[i])) for j in neighbors[i]."""
    X, V = np.asarray(X, float), np.asarray(V, float)
    f = sign_sqrt if variance_stabilize else (lambda x: x)
    similarity = pearson_similarity if center else cosine_similarity
    pi = np.zeros((len(X), len(X)))
    for i, neighbours in enumerate(neighbors):
        for j in neighbours:
            pi[i, j] = similarity(f(X[j] - X[i]), f(V[i]))
    return pi


def transition_matrix_loop(pi, support, sigma) -> np.ndarray:
    """Dense pi~ with pi~[i, j] = exp(pi[i, j]/sigma^2)/z_i for support[i, j], else 0."""
    pi, support = np.asarray(pi, float), np.asarray(support, bool)
    T = np.zeros_like(pi)
    for i in range(len(pi)):
        w = np.where(support[i], np.exp(pi[i] / sigma**2), 0.0)
        if w.sum() > 0:
            T[i] = w / w.sum()
    return T


def project_velocity_loop(T, support, X_emb, correction="uniform") -> np.ndarray:
    """nu_i = sum_j T_ij d_ij - c_i over j in support[i], j != i, as in project_velocity."""
    T, support, X_emb = np.asarray(T, float), np.asarray(support, bool), np.asarray(X_emb, float)
    nu = np.full(X_emb.shape, np.nan)
    for i in range(len(T)):
        J = [j for j in np.flatnonzero(support[i]) if j != i]
        if not J:
            continue
        d = X_emb[J] - X_emb[i]
        norm = np.linalg.norm(d, axis=1, keepdims=True)
        d = np.divide(d, norm, out=np.zeros_like(d), where=norm > 0)
        p = T[i, J]
        c = {"uniform": d.sum(0) / len(J), "mean": p.mean() * d.sum(0), None: 0.0}[correction]
        nu[i] = p @ d - c
    return nu


def reconstructability_loop(T_full, T_sub, over="all"):
    """(median, per-cell) Pearson correlations of matching rows, as in reconstructability_score."""
    A, B = np.asarray(T_full, float), np.asarray(T_sub, float)
    corr = np.full(len(A), np.nan)
    for i in range(len(A)):
        a, b = A[i], B[i]
        if over == "neighbors":
            cols = (a != 0) | (b != 0)
            a, b = a[cols], b[cols]
        if len(a) > 1 and a.std() > 0 and b.std() > 0:
            corr[i] = np.corrcoef(a, b)[0, 1]
    return np.nanmedian(corr), corr
