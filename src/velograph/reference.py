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

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from .similarity import constant_tolerance, cosine_similarity, pearson_similarity, sign_sqrt

# Pairs are processed in blocks so that the (pairs x genes) displacement block
# stays near 64 MB whatever the number of cells.
_BLOCK_BYTES = 64 * 2**20


def scaled_rows(M: np.ndarray) -> np.ndarray:
    """Each row multiplied by the power of two that puts its largest absolute entry in [0.5, 1).

    Exact (a power of two), and it changes no cosine or Pearson correlation, but no
    square of the result can under- or overflow. Zero rows stay zero.

    Parameters
    ----------
    M : numpy.ndarray, shape (n, m)
        Finite rows (vectors over genes). Not modified.

    Returns
    -------
    numpy.ndarray, shape (n, m), float64
        The scaled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.reference import scaled_rows
    >>> M = np.array([[3.0, -1.0, 0.5], [0.0, 0.0, 0.0], [1e-300, 2e-300, 0.0]])
    >>> print(np.round(scaled_rows(M), 4))
    [[ 0.75   -0.25    0.125 ]
     [ 0.      0.      0.    ]
     [ 0.3348  0.6697  0.    ]]
    """
    largest = np.abs(M).max(axis=1, keepdims=True)
    exponent = np.frexp(largest)[1]
    return np.ldexp(M, -exponent)


def prepared_velocities(V: ArrayLike, center: bool, variance_stabilize: bool) -> np.ndarray:
    """f(V) scaled row by row (:func:`scaled_rows`), centred over genes when ``center``.

    Parameters
    ----------
    V : array_like, shape (n_cells, n_genes)
        Velocities. Not modified.
    center : bool
        Centre each row over genes (:func:`centred_rows`: a row constant up to rounding
        becomes 0).
    variance_stabilize : bool
        f = sign*sqrt (else the identity), applied before scaling.

    Returns
    -------
    numpy.ndarray, shape (n_cells, n_genes), float64
        The prepared velocities the compiled graph compares displacements with.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.reference import prepared_velocities
    >>> V = np.array([[1.0, 4.0, -9.0]])
    >>> print(prepared_velocities(V, center=False, variance_stabilize=True))
    [[ 0.25  0.5  -0.75]]
    >>> print(np.round(prepared_velocities(V, center=True, variance_stabilize=False), 4))
    [[ 0.1458  0.3333 -0.4792]]
    """
    Vf = scaled_rows(sign_sqrt(V) if variance_stabilize else np.asarray(V, np.float64))
    if center:
        Vf = centred_rows(Vf)
    return Vf


def centred_rows(M: np.ndarray) -> np.ndarray:
    """Each row minus its mean; rows constant up to rounding become exactly 0.

    A row counts as constant when its centred sum of squares is at most
    ``velograph.similarity.constant_tolerance`` (16 (G eps)^2, float64) times its
    uncentred one, as in :func:`velograph.pearson_similarity` and the compiled graph.

    Parameters
    ----------
    M : numpy.ndarray, shape (n, G)
        Rows to centre. Not modified.

    Returns
    -------
    numpy.ndarray, shape (n, G), float64
        The centred rows.

    Examples
    --------
    The second row's computed mean is not exactly 0.1, but the row is still constant:

    >>> import numpy as np
    >>> from velograph.reference import centred_rows
    >>> print(centred_rows(np.array([[1.0, 2.0, 6.0], [0.1, 0.1, 0.1]])))
    [[-2. -1.  3.]
     [ 0.  0.  0.]]
    """
    centred = M - M.mean(axis=1, keepdims=True)
    constant = np.einsum("pg,pg->p", centred, centred) <= constant_tolerance(M.shape[1]) * np.einsum("pg,pg->p", M, M)
    centred[constant] = 0.0
    return centred


def pair_similarities_numpy(X: ArrayLike, V: ArrayLike, indptr: ArrayLike, indices: ArrayLike, *,
                            center: bool = False, variance_stabilize: bool = False) -> np.ndarray:
    """The compiled ``velograph.graph.pair_similarities`` in float64 NumPy, block by block.

    For each stored pair (i, j): d = f(X[j] - X[i]) scaled (:func:`scaled_rows`),
    centred if ``center`` (a row constant up to rounding becomes 0: :func:`centred_rows`);
    the similarity d.w / (‖d‖ ‖w‖) with w the prepared velocity of i; 0 where either
    vector is zero.

    Parameters
    ----------
    X : array_like, shape (n_cells, n_genes)
        Cell states (computed in float64).
    V : array_like, shape (n_cells, n_genes)
        Velocities.
    indptr : array_like of int, shape (n_cells + 1,)
        CSR row pointers of the pair pattern.
    indices : array_like of int, shape (n_pairs,)
        The neighbours j. Neither is checked: this is a specification, not a library
        entry point.
    center : bool
        Centre both vectors over genes (Pearson instead of cosine).
    variance_stabilize : bool
        f = sign*sqrt (else the identity).

    Returns
    -------
    numpy.ndarray, shape (n_pairs,), float64
        One similarity per stored pair, in [-1, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.graph import pair_similarities
    >>> from velograph.reference import pair_similarities_numpy
    >>> X = np.array([[0.0, 0.0, 1.0], [1.0, 0.5, 1.0], [2.0, 1.0, 0.0], [0.5, 2.0, 1.0]])
    >>> V = np.array([[1.0, 0.5, 0.0], [1.0, 0.5, -0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.5]])
    >>> indptr, indices = np.array([0, 2, 3, 3, 4]), np.array([1, 3, 2, 0])
    >>> print(np.round(pair_similarities_numpy(X, V, indptr, indices), 4))
    [ 1.      0.6508  0.9526 -0.8677]
    >>> compiled = pair_similarities(X, V, indptr, indices, center=True)
    >>> bool(np.allclose(pair_similarities_numpy(X, V, indptr, indices, center=True), compiled, rtol=0, atol=1e-14))
    True
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


def project_velocity_numpy(T: sp.spmatrix | sp.sparray | ArrayLike, X_emb: ArrayLike,
                           correction: str | None = "uniform") -> np.ndarray:
    """The compiled projection behind ``project_velocity`` in NumPy, on a CSR T (n x n) and X_emb (n x d).

    Parameters
    ----------
    T : sparse matrix or 2-D array, shape (n, n)
        Transition matrix; its stored off-diagonal entries are the neighbours J_i.
    X_emb : array_like, shape (n, d)
        Embedding coordinates.
    correction : {'uniform', 'mean', None}
        The density correction, as in :func:`velograph.project_velocity`.

    Returns
    -------
    numpy.ndarray, shape (n, d), float64
        nu_i; NaN rows for cells without neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph.reference import project_velocity_numpy
    >>> X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> T = sp.csr_matrix(np.array([[0.0, 0.8, 0.2],
    ...                             [0.4, 0.0, 0.2],
    ...                             [0.0, 0.0, 0.0]]))
    >>> print(np.round(project_velocity_numpy(T, X_emb), 4))
    [[ 0.3    -0.3   ]
     [ 0.3121 -0.2121]
     [    nan     nan]]
    """
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


def cosine_graph_loop(X: ArrayLike, V: ArrayLike, neighbors: ArrayLike, *, center: bool = False,
                      variance_stabilize: bool = False) -> np.ndarray:
    """Dense n x n pi with pi[i, j] = sim(f(X[j] - X[i]), f(V[i])) for j in neighbors[i].

    Parameters
    ----------
    X : array_like, shape (n, n_genes)
        Cell states.
    V : array_like, shape (n, n_genes)
        Velocities.
    neighbors : sequence of sequences of int
        ``neighbors[i]``: the neighbours j of cell i.
    center : bool
        sim is :func:`velograph.pearson_similarity` (else :func:`velograph.cosine_similarity`).
    variance_stabilize : bool
        f = sign*sqrt (else the identity).

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        pi, 0 outside the neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.reference import cosine_graph_loop
    >>> X = np.array([[0.0, 0.0, 1.0], [1.0, 0.5, 1.0], [2.0, 1.0, 0.0], [0.5, 2.0, 1.0]])
    >>> V = np.array([[1.0, 0.5, 0.0], [1.0, 0.5, -0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.5]])
    >>> print(np.round(cosine_graph_loop(X, V, [[1, 3], [0, 2], [1, 3], [0, 1]]), 4))
    [[ 0.      1.      0.      0.6508]
     [-0.9129  0.      0.9526  0.    ]
     [ 0.     -0.6667  0.     -0.7276]
     [-0.8677 -0.8485  0.      0.    ]]
    """
    X, V = np.asarray(X, float), np.asarray(V, float)
    f = sign_sqrt if variance_stabilize else (lambda x: x)
    similarity = pearson_similarity if center else cosine_similarity
    pi = np.zeros((len(X), len(X)))
    for i, neighbours in enumerate(neighbors):
        for j in neighbours:
            pi[i, j] = similarity(f(X[j] - X[i]), f(V[i]))
    return pi


def transition_matrix_loop(pi: ArrayLike, support: ArrayLike, sigma: float) -> np.ndarray:
    """Dense pi~ with pi~[i, j] = exp(pi[i, j]/sigma^2)/z_i for support[i, j], else 0.

    z_i is the sum of exp(pi[i, k]/sigma^2) over the support of row i.

    Parameters
    ----------
    pi : array_like, shape (n, n)
        Similarities.
    support : array_like of bool, shape (n, n)
        The neighbours N_i of each row.
    sigma : float
        Kernel width (no overflow protection: keep pi/sigma^2 moderate).

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        pi~; rows without support stay 0.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.reference import transition_matrix_loop
    >>> pi = np.array([[0.0, 0.3, -0.2], [0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])
    >>> print(np.round(transition_matrix_loop(pi, pi != 0, sigma=np.sqrt(0.1)), 4))
    [[0.     0.9933 0.0067]
     [0.5    0.     0.5   ]
     [0.     0.     0.    ]]
    """
    pi, support = np.asarray(pi, float), np.asarray(support, bool)
    T = np.zeros_like(pi)
    for i in range(len(pi)):
        w = np.where(support[i], np.exp(pi[i] / sigma**2), 0.0)
        if w.sum() > 0:
            T[i] = w / w.sum()
    return T


def project_velocity_loop(T: ArrayLike, support: ArrayLike, X_emb: ArrayLike,
                          correction: str | None = "uniform") -> np.ndarray:
    """nu_i = sum_j T_ij d_ij - c_i over j in support[i], j != i, as in project_velocity.

    Parameters
    ----------
    T : array_like, shape (n, n)
        Dense transition matrix.
    support : array_like of bool, shape (n, n)
        The neighbours J_i of each row (the diagonal is skipped).
    X_emb : array_like, shape (n, d)
        Embedding coordinates.
    correction : {'uniform', 'mean', None}
        The density correction c_i, as in :func:`velograph.project_velocity`.

    Returns
    -------
    numpy.ndarray, shape (n, d), float64
        nu_i; NaN rows for cells without neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.reference import project_velocity_loop
    >>> X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> T = np.array([[0.0, 0.8, 0.2], [0.4, 0.0, 0.2], [0.0, 0.0, 0.0]])
    >>> print(np.round(project_velocity_loop(T, T != 0, X_emb, correction="mean"), 4))
    [[ 0.3    -0.3   ]
     [-0.0293 -0.0707]
     [    nan     nan]]
    """
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


def reconstructability_loop(T_full: ArrayLike, T_sub: ArrayLike, over: str = "all") -> tuple[float, np.ndarray]:
    """(median, per-cell) Pearson correlations of matching rows, as in reconstructability_score.

    Parameters
    ----------
    T_full, T_sub : array_like, shape (n, n)
        Dense matrices whose rows are compared.
    over : {'all', 'neighbors'}
        Compare every column, or only the columns nonzero in either row.

    Returns
    -------
    tuple of (float, numpy.ndarray)
        The median over the defined correlations (NaN-aware), and the n per-cell
        correlations (NaN for a row constant in either matrix, or fewer than 2 columns).

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.reference import reconstructability_loop
    >>> T_full = np.array([[0.0, 0.7, 0.3, 0.0], [0.5, 0.0, 0.25, 0.25],
    ...                    [0.2, 0.2, 0.0, 0.6], [0.0, 0.0, 1.0, 0.0]])
    >>> T_sub = np.array([[0.0, 0.6, 0.4, 0.0], [0.1, 0.0, 0.6, 0.3],
    ...                   [0.2, 0.2, 0.0, 0.6], [0.0, 0.0, 1.0, 0.0]])
    >>> r, per_cell = reconstructability_loop(T_full, T_sub)
    >>> print(f"r = {r:.4f}", np.round(per_cell, 4))
    r = 0.9858 [0.9715 0.1543 1.     1.    ]
    """
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
