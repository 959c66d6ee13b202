"""Readable reference versions of the library's formulas, never run by the library itself.

Two kinds, both for reading beside the blog's formulas and for testing:

* per-cell loops (``*_loop``): one Python loop each; they densify and are slow;
* NumPy versions of the compiled functions (``*_numpy``): the same arithmetic as
  ``velograph._compiled`` written as vectorised float64 NumPy, sparse and O(pairs).
  numba is a hard dependency, so the library always runs the compiled functions; these
  are the readable specification that the tests hold the compiled code to.

The tests check that the functions in ``graph``, ``kernel``, ``projection`` and
``reconstruct`` give the same numbers as these. Do not use them on real data.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .similarity import constant_tolerance, cosine_similarity, pearson_similarity, sign_sqrt

# Pairs are processed in blocks so that the (pairs x genes) displacement block
# stays near 64 MB whatever the number of cells.
_BLOCK_BYTES = 64 * 2**20


def scaled_rows(M: np.ndarray) -> np.ndarray:
    """Each row multiplied by the power of two that puts its largest absolute entry in [0.5, 1).

    Exact (a power of two), and it changes no cosine or Pearson correlation, but no
    square of the result can under- or overflow. Zero rows stay zero.
    """
    largest = np.abs(M).max(axis=1, keepdims=True)
    exponent = np.frexp(largest)[1]
    return np.ldexp(M, -exponent)


def prepared_velocities(V, center, variance_stabilize):
    """f(V) scaled row by row (:func:`scaled_rows`), centred over genes when ``center``."""
    Vf = scaled_rows(sign_sqrt(V) if variance_stabilize else np.asarray(V, np.float64))
    if center:
        Vf = centred_rows(Vf)
    return Vf


def centred_rows(M: np.ndarray) -> np.ndarray:
    """Each row minus its mean; rows constant up to rounding become exactly 0.

    A row counts as constant when its centred sum of squares is at most
    :func:`velograph.similarity.constant_tolerance` (16 (G eps)^2, float64) times its
    uncentred one, as in :func:`velograph.pearson_similarity` and the compiled graph.
    """
    centred = M - M.mean(axis=1, keepdims=True)
    constant = np.einsum("pg,pg->p", centred, centred) <= constant_tolerance(M.shape[1]) * np.einsum("pg,pg->p", M, M)
    centred[constant] = 0.0
    return centred


def pair_similarities_numpy(X, V, indptr, indices, *, center=False, variance_stabilize=False) -> np.ndarray:
    """The compiled ``velograph.graph.pair_similarities`` in float64 NumPy, block by block.

    For each stored pair (i, j): d = f(X[j] - X[i]) scaled (:func:`scaled_rows`),
    centred if ``center`` (a row constant up to rounding becomes 0: :func:`centred_rows`);
    the similarity d.w / (‖d‖ ‖w‖) with w the prepared velocity of i; 0 where either
    vector is zero.
    """
    X = np.asarray(X, np.float64)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    cols = np.asarray(indices)
    Vf = prepared_velocities(V, center, variance_stabilize)
    v_norm = np.linalg.norm(Vf, axis=1)
    out = np.zeros(len(rows), dtype=np.float64)
    block = max(1, _BLOCK_BYTES // (8 * max(1, X.shape[1])))
    for start in range(0, len(rows), block):
        r, c = rows[start:start + block], cols[start:start + block]
        d = 0.5 * X[c] - 0.5 * X[r]  # halved: cannot overflow, and a positive factor changes nothing
        d = scaled_rows(sign_sqrt(d) if variance_stabilize else d)
        if center:
            d = centred_rows(d)
        dot = np.einsum("pg,pg->p", d, Vf[r])
        norm = np.linalg.norm(d, axis=1) * v_norm[r]
        ok = norm > 0
        out[start:start + block][ok] = dot[ok] / norm[ok]
    # Rounding can push |pi| a hair above 1 for parallel vectors.
    return np.clip(out, -1.0, 1.0)


def project_velocity_numpy(T, X_emb, correction="uniform") -> np.ndarray:
    """The compiled projection behind ``project_velocity`` in NumPy, on a CSR T (n x n) and X_emb (n x d)."""
    from .projection import _neighbour_directions, _row_sums

    T, rows, delta_hat, _ = _neighbour_directions(sp.csr_matrix(T), X_emb)
    n = T.shape[0]
    expected = _row_sums(rows, T.data[:, None] * delta_hat, n)
    n_i = np.diff(T.indptr).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if correction is None:
            nu = expected
        else:
            total = _row_sums(rows, delta_hat, n)
            if correction == "uniform":
                factor = 1.0 / n_i
            else:
                factor = np.bincount(rows, weights=T.data, minlength=n) / n_i
            nu = expected - factor[:, None] * total
    nu[n_i == 0] = np.nan
    return nu


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
