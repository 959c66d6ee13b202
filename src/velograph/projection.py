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
from ._sparse import check_compressed, drop_diagonal

CORRECTIONS = ("uniform", "mean", None)


def _neighbour_directions(T, X_emb, name="T"):
    """Off-diagonal stored pairs of T with the unit directions between them.

    Returns (T_offdiag, rows, delta_hat, distance) where delta_hat[p] =
    (x_j - x_i)/‖x_j - x_i‖ for pair p = (i, j), and 0 when x_j == x_i
    (a zero displacement has no direction).
    """
    T, X_emb = _checked(T, X_emb, name)
    T, rows = drop_diagonal(T)
    delta_hat, distance = _unit_vectors(X_emb[T.indices] - X_emb[rows])
    return T, rows, delta_hat, distance


def _checked(T, X_emb, name="T"):
    """(T as a new canonical float64 CSR, X_emb as finite float64), with one cell per row of both."""
    X_emb = as_float_matrix(X_emb, "X_emb")
    T = square_sparse(T, name)
    if T.shape[0] != X_emb.shape[0]:
        raise ValueError(f"X_emb has {X_emb.shape[0]} rows but {name} is {T.shape[0]} x {T.shape[1]}: "
                         "both must describe the same cells")
    return T, X_emb


def _unit_vectors(displacement):
    """(unit vectors, lengths) of the rows of ``displacement``; a zero row stays zero (no direction).

    Lengths are computed on rows scaled by their largest absolute component, so that tiny or
    huge (but finite) coordinates neither underflow to 0 nor overflow to inf.
    """
    largest = np.abs(displacement).max(axis=1) if displacement.size else np.zeros(len(displacement))
    scaled = np.divide(displacement, largest[:, None], out=np.zeros_like(displacement), where=largest[:, None] > 0)
    length = largest * np.linalg.norm(scaled, axis=1)
    unit = np.divide(scaled, np.linalg.norm(scaled, axis=1)[:, None], out=np.zeros_like(displacement),
                     where=largest[:, None] > 0)
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
    T, X_emb = _checked(T, X_emb)
    return project_velocity_csr(T, X_emb, correction=correction)


def project_velocity_csr(T: sp.csr_matrix, X_emb: np.ndarray, *, correction="uniform") -> np.ndarray:
    """:func:`velograph.project_velocity` for callers that already hold a CSR ``T`` and a finite ``X_emb``.

    The internal entry point of ``velograph.tl.velocity_embedding``: ``T`` is not copied or
    converted (at a million cells that matters), only checked for what the compiled
    kernel relies on (an n x n shape matching ``X_emb``, a consistent ``indptr``,
    column indices in range: O(stored entries)). Stored entries count as neighbours
    whatever their value, so drop explicit zeros first if they are not neighbours.
    The arithmetic is :func:`velograph.reference.project_velocity_numpy`, compiled.
    """
    from ._compiled import csr_project

    choice(correction, "correction", CORRECTIONS)
    X_emb = np.ascontiguousarray(X_emb, dtype=np.float64)
    n = X_emb.shape[0]
    if not sp.issparse(T) or T.format != "csr" or T.shape != (n, n):
        raise ValueError(f"T must be a CSR matrix of shape ({n}, {n}) (one row and column per row of X_emb), "
                         f"got {type(T).__name__} of shape {getattr(T, 'shape', None)}")
    check_compressed(T.indptr, T.indices, n, n, "T")
    out = np.empty(X_emb.shape, dtype=np.float64)
    code = {None: 0, "uniform": 1, "mean": 2}[correction]
    csr_project(np.asarray(T.data, dtype=np.float64), T.indptr.astype(np.int64), T.indices.astype(np.int64),
                X_emb, code, out)
    return out


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
    if bandwidth is not None:
        h = positive_scalar(bandwidth, "bandwidth")
    else:
        h = float(distance.mean()) if len(distance) else 1.0
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
