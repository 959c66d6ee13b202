"""Section C: projecting velocities onto a low-dimensional embedding (UMAP, t-SNE, PCA).

All functions take a transition matrix T (n x n sparse; row i holds the weights
pi~_ij of cell i's neighbours) and embedding coordinates X_emb (n x d, in the
embedding's units) and return an (n, d) array of arrows nu_i. Only the stored
off-diagonal entries of T are used: they define the neighbours J_i of cell i.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

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


def unit_directions(X_emb: ArrayLike, i: int, neighbours: ArrayLike) -> np.ndarray:
    """Unit vectors from cell i to each listed neighbour in the embedding.

    delta_hat_ij = (x_j - x_i) / ‖x_j - x_i‖; a zero displacement gives the zero vector.

    Parameters
    ----------
    X_emb : array_like, shape (n_cells, d)
        Embedding coordinates x (finite), in the embedding's units.
    i : int
        The cell the directions start from.
    neighbours : array_like of int, shape (k,)
        The cells j the directions point to.

    Returns
    -------
    numpy.ndarray, shape (k, d), float64
        Row m is delta_hat from cell i to ``neighbours[m]``: unit length (dimensionless),
        or zero where x_j == x_i. Lengths are computed on rescaled rows, so tiny or huge
        finite coordinates neither underflow nor overflow.

    Raises
    ------
    TypeError, ValueError
        If ``X_emb`` is not a finite 2-D array of numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph import unit_directions
    >>> X_emb = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, -2.0], [0.0, 0.0]])
    >>> print(np.round(unit_directions(X_emb, 0, [1, 2, 3]), 4))
    [[ 0.6  0.8]
     [ 0.  -1. ]
     [ 0.   0. ]]
    """
    X_emb = as_float_matrix(X_emb, "X_emb")
    return _unit_vectors(X_emb[np.asarray(neighbours)] - X_emb[i])[0]


def _row_sums(rows, values, n):
    """Per-row sums of per-pair vectors: out[i] = sum over pairs p of row i of values[p]."""
    return np.stack([np.bincount(rows, weights=values[:, k], minlength=n) for k in range(values.shape[1])], axis=1)


def project_velocity(T: sp.spmatrix | sp.sparray | ArrayLike, X_emb: ArrayLike, *,
                     correction: str | None = "uniform") -> np.ndarray:
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

    Parameters
    ----------
    T : sparse matrix or 2-D array, shape (n_cells, n_cells)
        Transition matrix pi~ (e.g. :func:`velograph.transition_matrix`). Its stored
        off-diagonal entries, explicit zeros included, are the neighbours J_i; a dense
        array marks its nonzero entries.
    X_emb : array_like, shape (n_cells, d)
        Embedding coordinates x_i (finite), in the embedding's units.
    correction : {'uniform', 'mean', None}
        The density correction c_i (see above).

    Returns
    -------
    numpy.ndarray, shape (n_cells, d), float64
        The arrows nu_i; NaN rows for cells without neighbours.

    Raises
    ------
    TypeError, ValueError
        If ``correction`` is not one of the three options, ``T`` is not a square
        matrix of finite numbers with a consistent sparse structure, ``X_emb`` is not
        a finite 2-D array, or the two do not have the same number of cells.

    Examples
    --------
    Cell 0 sits at the origin with neighbours to the right (weight 0.8) and above (0.2);
    cell 2 has no neighbours.

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph import project_velocity
    >>> X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> T = sp.csr_matrix(np.array([[0.0, 0.8, 0.2],
    ...                             [0.4, 0.0, 0.2],
    ...                             [0.0, 0.0, 0.0]]))
    >>> print(np.round(project_velocity(T, X_emb, correction=None), 4))
    [[ 0.8     0.2   ]
     [-0.5414  0.1414]
     [    nan     nan]]
    >>> print(np.round(project_velocity(T, X_emb), 4))
    [[ 0.3    -0.3   ]
     [ 0.3121 -0.2121]
     [    nan     nan]]

    Row 1 sums to 0.6, not 1, so scVelo's correction differs from the uniform one there:

    >>> print(np.round(project_velocity(T, X_emb, correction="mean"), 4))
    [[ 0.3    -0.3   ]
     [-0.0293 -0.0707]
     [    nan     nan]]
    """
    choice(correction, "correction", CORRECTIONS)
    T, X_emb = _checked(T, X_emb)
    return project_velocity_csr(T, X_emb, correction=correction)


def project_velocity_csr(T: sp.csr_matrix, X_emb: ArrayLike, *, correction: str | None = "uniform") -> np.ndarray:
    """:func:`velograph.project_velocity` for callers that already hold a CSR ``T`` and a finite ``X_emb``.

    The internal entry point of ``velograph.tl.velocity_embedding``: ``T`` is not copied or
    converted (at a million cells that matters), only checked for what the compiled
    kernel relies on (an n x n shape matching ``X_emb``, a consistent ``indptr``,
    column indices in range: O(stored entries)). Stored entries count as neighbours
    whatever their value, so drop explicit zeros first if they are not neighbours.
    The arithmetic is :func:`velograph.reference.project_velocity_numpy`, compiled.

    Parameters
    ----------
    T : scipy.sparse.csr_matrix, shape (n_cells, n_cells)
        Transition matrix; its stored off-diagonal entries are the neighbours J_i.
        Read, never copied or modified.
    X_emb : array_like, shape (n_cells, d)
        Embedding coordinates, finite (not checked here: the caller guarantees it).
    correction : {'uniform', 'mean', None}
        The density correction, as in :func:`velograph.project_velocity`.

    Returns
    -------
    numpy.ndarray, shape (n_cells, d), float64
        nu_i as in :func:`velograph.project_velocity`; NaN rows for cells without neighbours.

    Raises
    ------
    ValueError
        If ``correction`` is not one of the three options, ``T`` is not a CSR matrix of
        shape (n_cells, n_cells), or its ``indptr`` or column indices are inconsistent
        or out of range.
    TypeError
        If the indices of ``T`` are not integers.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph.projection import project_velocity_csr
    >>> X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> T = sp.csr_matrix(np.array([[0.0, 0.8, 0.2],
    ...                             [0.4, 0.0, 0.2],
    ...                             [0.0, 0.0, 0.0]]))
    >>> print(np.round(project_velocity_csr(T, X_emb, correction="mean"), 4))
    [[ 0.3    -0.3   ]
     [-0.0293 -0.0707]
     [    nan     nan]]
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


def project_velocity_distance_weighted(T: sp.spmatrix | sp.sparray | ArrayLike, X_emb: ArrayLike, *,
                                       bandwidth: float | None = None, normalize: str = "blog") -> np.ndarray:
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

    Parameters
    ----------
    T : sparse matrix or 2-D array, shape (n_cells, n_cells)
        Transition matrix pi~; its stored off-diagonal entries are the neighbours.
    X_emb : array_like, shape (n_cells, d)
        Embedding coordinates (finite), in the embedding's units.
    bandwidth : float > 0, optional
        h, in embedding units; None: the mean neighbour distance (1 if every
        neighbour sits on its cell).
    normalize : {'blog', 'weights'}
        Divide by sum_j K_ij (the blog's formula) or by sum_j K_ij pi~_ij.

    Returns
    -------
    numpy.ndarray, shape (n_cells, d), float64
        The arrows nu_i (dimensionless); NaN rows where the denominator is 0.
        Inputs are not modified.

    Raises
    ------
    TypeError, ValueError
        If ``normalize`` is not one of the two options, ``bandwidth`` is not a positive
        finite number, or ``T`` and ``X_emb`` are not valid (as in
        :func:`velograph.project_velocity`).

    Examples
    --------
    Every cell has the other two as neighbours, with weight 1/2 each. The blog's
    normalisation halves the arrows (k = 2 neighbours of similar distance weight):

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph import project_velocity_distance_weighted
    >>> X_emb = np.array([[0.0, 0.0], [2.0, 1.0], [1.0, 3.0]])
    >>> T = sp.csr_matrix(np.array([[0.0, 0.5, 0.5],
    ...                             [0.5, 0.0, 0.5],
    ...                             [0.5, 0.5, 0.0]]))
    >>> print(np.round(project_velocity_distance_weighted(T, X_emb), 4))
    [[ 0.3302  0.3251]
     [-0.3354  0.1118]
     [ 0.0691 -0.4582]]
    >>> print(np.round(project_velocity_distance_weighted(T, X_emb, normalize="weights"), 4))
    [[ 0.6604  0.6501]
     [-0.6708  0.2236]
     [ 0.1383 -0.9164]]

    A narrow bandwidth favours the nearest neighbour:

    >>> print(np.round(project_velocity_distance_weighted(T, X_emb, bandwidth=1.0, normalize="weights"), 4))
    [[ 0.8506  0.4853]
     [-0.6708  0.2236]
     [ 0.3893 -0.8985]]
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


def project_velocity_confidence_weighted(T: sp.spmatrix | sp.sparray | ArrayLike, X_emb: ArrayLike,
                                         confidence: ArrayLike | sp.spmatrix | sp.sparray, *,
                                         normalize: str = "blog") -> np.ndarray:
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

    Parameters
    ----------
    T : sparse matrix or 2-D array, shape (n_cells, n_cells)
        Transition matrix pi~; its stored off-diagonal entries are the neighbours.
    X_emb : array_like, shape (n_cells, d)
        Embedding coordinates (finite), in the embedding's units.
    confidence : array_like, shape (n_cells,), or sparse matrix, shape (n_cells, n_cells)
        Per-cell confidences c_j (the target's) or pairwise c_ij, all >= 0.
    normalize : {'blog', 'weights'}
        Divide by sum_j c_ij (the blog's formula) or by sum_j c_ij pi~_ij.

    Returns
    -------
    numpy.ndarray, shape (n_cells, d), float64
        The arrows nu_i (dimensionless); NaN rows where the denominator is 0.
        Inputs are not modified.

    Raises
    ------
    TypeError, ValueError
        If ``normalize`` is not one of the two options, ``confidence`` has the wrong
        length or shape, a negative or non-finite value, or ``T`` and ``X_emb`` are not
        valid (as in :func:`velograph.project_velocity`).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph import project_velocity_confidence_weighted
    >>> X_emb = np.array([[0.0, 0.0], [2.0, 1.0], [1.0, 3.0]])
    >>> T = sp.csr_matrix(np.array([[0.0, 0.5, 0.5],
    ...                             [0.5, 0.0, 0.5],
    ...                             [0.5, 0.5, 0.0]]))
    >>> confidence = [1.0, 0.5, 0.25]
    >>> print(np.round(project_velocity_confidence_weighted(T, X_emb, confidence), 4))
    [[ 0.3508  0.3072]
     [-0.4025 -0.0894]
     [-0.0309 -0.4653]]
    >>> print(np.round(project_velocity_confidence_weighted(T, X_emb, confidence, normalize="weights"), 4))
    [[ 0.7017  0.6144]
     [-0.805  -0.1789]
     [-0.0617 -0.9306]]
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
