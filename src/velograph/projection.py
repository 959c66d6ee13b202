"""Section C: projecting velocities onto a low-dimensional embedding (UMAP, t-SNE, PCA).

All functions take a transition matrix T (n x n sparse; row i holds the weights
pi~_ij of cell i's neighbours) and embedding coordinates X_emb (n x d, in the
embedding's units) and return an (n, d) array of arrows nu_i. Only the stored
off-diagonal entries of T are used: they define the neighbours J_i of cell i.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._checks import as_float_matrix, choice, positive_scalar, square_sparse
from .kernel import row_of_each_entry

CORRECTIONS = ("uniform", "mean", None)


def _neighbour_directions(T, X_emb, name="T"):
    """Off-diagonal stored pairs of T with the unit directions between them.

    Returns (T_offdiag, rows, delta_hat, distance) where delta_hat[p] =
    (x_j - x_i)/‖x_j - x_i‖ for pair p = (i, j), and 0 when x_j == x_i
    (a zero displacement has no direction).
    """
    X_emb = as_float_matrix(X_emb, "X_emb")
    T = square_sparse(T, name, n=X_emb.shape[0])
    rows = row_of_each_entry(T)
    # The diagonal is not a neighbour (its displacement is zero). Off-diagonal
    # entries stored with weight 0 stay: they are neighbours with zero weight.
    keep = rows != T.indices
    rows = rows[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=T.shape[0]))])
    T = sp.csr_matrix((T.data[keep], T.indices[keep], indptr), shape=T.shape)
    delta_hat, distance = _unit_vectors(X_emb[T.indices] - X_emb[rows])
    return T, rows, delta_hat, distance


def _unit_vectors(displacement):
    """(unit vectors, lengths) of the rows of ``displacement``; a zero row stays zero (no direction)."""
    length = np.linalg.norm(displacement, axis=1)
    unit = np.divide(displacement, length[:, None], out=np.zeros_like(displacement), where=length[:, None] > 0)
    return unit, length


def unit_directions(X_emb, i, neighbours):
    """Unit vectors from cell i to each listed neighbour in the embedding, shape (k, d).

    delta_hat_ij = (x_j - x_i) / ‖x_j - x_i‖; a zero displacement gives the zero vector.
    """
    X_emb = as_float_matrix(X_emb, "X_emb")
    return _unit_vectors(X_emb[np.asarray(neighbours)] - X_emb[i])[0]


def _row_sums(rows, values, n):
    """Per-row sums of per-pair vectors: out[i] = sum over pairs p of row i of values[p]."""
    return np.stack([np.bincount(rows, weights=values[:, k], minlength=n) for k in range(values.shape[1])], axis=1)


def project_velocity(T, X_emb, *, correction="uniform") -> np.ndarray:
    r"""Embedded velocity: expected unit direction under T minus a density correction.

    .. math:: \nu_i = \sum_{j \in J_i} \tilde\pi_{ij}\,\hat\delta_{ij} - c_i,
              \qquad \hat\delta_{ij} = \frac{x_j - x_i}{\|x_j - x_i\|}

    with J_i the stored off-diagonal entries of row i (n_i of them) and

    * ``correction="uniform"`` (the blog, CellRank, velocyto): c_i = (1/n_i) sum_j delta_hat_ij,
      the expected direction if every neighbour were equally likely;
    * ``correction="mean"`` (scVelo): c_i = mean_j(pi~_ij) * sum_j delta_hat_ij, which equals the
      uniform term only when the weights over J_i sum to 1;
    * ``correction=None``: c_i = 0 (no density correction).

    Units: nu_i is a dimensionless combination of unit vectors (‖nu_i‖ <= 2); scVelo
    rescales it for plotting. A cell with no neighbours gets a NaN row (no direction
    is defined). Inputs are not modified.
    """
    choice(correction, "correction", CORRECTIONS)
    X_emb = as_float_matrix(X_emb, "X_emb")
    T = square_sparse(T, "T", n=X_emb.shape[0])
    return _project(T, X_emb, correction)


def _project(T: sp.csr_matrix, X_emb: np.ndarray, correction, engine=None) -> np.ndarray:
    """project_velocity on checked inputs: the compiled kernel, or the readable NumPy version."""
    from .graph import default_engine

    if (engine or default_engine()) == "numba":
        from ._compiled import csr_project

        out = np.empty(X_emb.shape, dtype=np.float64)
        code = {None: 0, "uniform": 1, "mean": 2}[correction]
        csr_project(np.asarray(T.data, dtype=np.float64), T.indptr.astype(np.int64), T.indices.astype(np.int64),
                    np.ascontiguousarray(X_emb, dtype=np.float64), code, out)
        return out
    T, rows, delta_hat, _ = _neighbour_directions(T, X_emb)
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


NORMALIZATIONS = ("blog", "weights")


def _weighted_projection(T, rows, delta_hat, w, normalize):
    """sum_j w_ij pi~_ij delta_hat_ij over sum_j w_ij ("blog") or over sum_j w_ij pi~_ij ("weights")."""
    n = T.shape[0]
    numerator = _row_sums(rows, (w * T.data)[:, None] * delta_hat, n)
    denominator = np.bincount(rows, weights=w if normalize == "blog" else w * T.data, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return numerator / denominator[:, None]


def project_velocity_distance_weighted(T, X_emb, *, bandwidth=None, normalize="blog") -> np.ndarray:
    r"""The blog's distance-weighted variant (section C.7, there called "kernel-weighted").

    Nearby neighbours count more, through a Gaussian *distance weight* (not the
    exponential transition kernel of section B):

    .. math:: K_{ij} = \exp\!\left(-\frac{\|x_j - x_i\|^2}{2h^2}\right)

    over the stored off-diagonal neighbours j of i, and

    * ``normalize="blog"`` (default; the blog's C.7 formula)

      .. math:: \nu_i = \frac{\sum_j K_{ij}\,\tilde\pi_{ij}\,\hat\delta_{ij}}{\sum_j K_{ij}}

      which is **mis-normalised**: the effective weights K_ij pi~_ij / sum_j K_ij sum
      to sum_j K_ij pi~_ij / sum_j K_ij, about 1/k for k neighbours with similar K
      (the pi~ already sum to 1), so the arrows are about k times too short;
    * ``normalize="weights"``: a proper weighted average of the unit directions,
      with weights summing to 1,

      .. math:: \nu_i = \frac{\sum_j K_{ij}\,\tilde\pi_{ij}\,\hat\delta_{ij}}{\sum_j K_{ij}\,\tilde\pi_{ij}}.

    ``bandwidth`` h is in embedding units; by default it is the mean neighbour
    distance over all pairs (one global h, like scVelo's
    ``transition_matrix(basis=...)``). There is no density correction. scVelo's
    ``velocity_embedding`` has no such option. Rows without neighbours (or whose
    denominator is 0) are NaN.
    """
    choice(normalize, "normalize", NORMALIZATIONS)
    T, rows, delta_hat, distance = _neighbour_directions(T, X_emb)
    h = positive_scalar(bandwidth, "bandwidth") if bandwidth is not None else float(distance.mean()) if len(distance) else 1.0
    if h <= 0:
        h = 1.0  # every neighbour sits on top of its cell: all distance weights are 1
    return _weighted_projection(T, rows, delta_hat, np.exp(-0.5 * (distance / h) ** 2), normalize)


def project_velocity_confidence_weighted(T, X_emb, confidence, *, normalize="blog") -> np.ndarray:
    r"""The blog's confidence-weighted variant (section C.7).

    * ``normalize="blog"`` (default; the blog's formula)

      .. math:: \nu_i = \frac{\sum_j c_{ij}\,\tilde\pi_{ij}\,\hat\delta_{ij}}{\sum_j c_{ij}}

      which is **mis-normalised** like the distance-weighted one: its effective
      weights c_ij pi~_ij / sum_j c_ij sum to about 1/k;
    * ``normalize="weights"``: a proper weighted average,

      .. math:: \nu_i = \frac{\sum_j c_{ij}\,\tilde\pi_{ij}\,\hat\delta_{ij}}{\sum_j c_{ij}\,\tilde\pi_{ij}}.

    ``confidence`` is either a length-n vector of per-cell confidences (then
    c_ij = c_j, the confidence of the target cell, e.g. scVelo's
    ``obs['velocity_confidence']``), or an n x n sparse matrix of pairwise c_ij
    >= 0 (entries outside it are 0). No density correction. Rows whose
    denominator is 0 are NaN.
    """
    choice(normalize, "normalize", NORMALIZATIONS)
    T, rows, delta_hat, _ = _neighbour_directions(T, X_emb)
    n = T.shape[0]
    if sp.issparse(confidence) or np.ndim(confidence) == 2:
        C = square_sparse(confidence, "confidence", n=n)
        w = np.asarray(C[rows, T.indices]).ravel()
    else:
        c = as_float_matrix(confidence, "confidence", ndim=1)
        if len(c) != n:
            raise ValueError(f"confidence must have one value per cell ({n}), got {len(c)}")
        w = c[T.indices]
    if (w < 0).any():
        raise ValueError("confidence must be non-negative")
    return _weighted_projection(T, rows, delta_hat, w, normalize)
