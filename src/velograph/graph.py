"""Section A at scale: the velocity graph of similarities pi_ij for every neighbour pair."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from ._checks import as_float_matrix
from ._sparse import check_compressed, check_index_range, indptr_from_rows
from .neighbors import neighbor_pairs
from .similarity import constant_tolerance


def locality_order(indptr, indices) -> np.ndarray:
    """Reverse Cuthill-McKee order of the pair pattern: neighbouring cells come close together."""
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    n = len(indptr) - 1
    pattern = sp.csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n, n))
    return reverse_cuthill_mckee(pattern, symmetric_mode=False).astype(np.int64)


def pair_similarities(X: ArrayLike, V: ArrayLike, indptr: ArrayLike, indices: ArrayLike, *, center: bool = False,
                      variance_stabilize: bool = False, order: ArrayLike | None = None) -> np.ndarray:
    """Similarity of f(X[j] - X[i]) and f(V[i]) for every stored pair (i, j) of a CSR pattern.

    This is the computation behind :func:`velograph.cosine_graph` and
    :func:`velograph.tl.velocity_graph`, always in compiled code
    (``velograph._compiled``: one pass over the genes per pair, numba threads), with
    sums in the dtype of X: float64 gives ~1e-15, float32 scVelo's precision. Values
    do not depend on the units of X or V: extreme scales (1e-300 to 1e300) are
    recomputed on rescaled vectors.

    The readable NumPy version, :func:`velograph.reference.pair_similarities_numpy`,
    is never run by the library; the tests check that both agree. Indices are
    checked before the compiled code runs; memory O(pairs).

    Parameters
    ----------
    X : array_like, shape (n_cells, n_genes)
        Cell states; float32 and float64 are kept (the sums run in that dtype), other
        dtypes become float64.
    V : array_like, shape (n_cells, n_genes)
        Velocities, converted to the dtype of X.
    indptr : array_like of int, shape (n_cells + 1,)
        CSR row pointers: the pairs of row i are ``indices[indptr[i]:indptr[i+1]]``.
    indices : array_like of int, shape (n_pairs,)
        The neighbours j, in 0..n_cells - 1.
    center : bool
        Subtract each transformed vector's mean over genes first (Pearson instead of
        cosine).
    variance_stabilize : bool
        f is sign*sqrt (else the identity).
    order : array_like of int, shape (n_cells,), optional
        The order in which cells are visited, for cache locality (a permutation of the
        cells; by default the ``locality_order`` of the pattern). It does not change
        the values.

    Returns
    -------
    numpy.ndarray, shape (n_pairs,), float64
        One similarity per stored pair, in [-1, 1]. Undefined similarities (a zero
        vector, or with ``center`` a vector constant up to rounding: centred sum of squares
        at most 16 (G eps)^2 of the uncentred one, eps of the dtype of X) are 0.

    Raises
    ------
    ValueError
        If X and V are not 2-D arrays of the same shape, the pattern
        (``indptr``, ``indices``) is inconsistent or has an index out of range, or
        ``order`` is not a permutation of the cells.
    TypeError
        If the indices are not integers.

    Examples
    --------
    Pairs (0, 1), (0, 3), (1, 2) and (3, 0); cell 2 has none:

    >>> import numpy as np
    >>> from velograph.graph import pair_similarities
    >>> X = np.array([[0.0, 0.0, 1.0], [1.0, 0.5, 1.0], [2.0, 1.0, 0.0], [0.5, 2.0, 1.0]])
    >>> V = np.array([[1.0, 0.5, 0.0], [1.0, 0.5, -0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.5]])
    >>> indptr, indices = np.array([0, 2, 3, 3, 4]), np.array([1, 3, 2, 0])
    >>> print(np.round(pair_similarities(X, V, indptr, indices), 4))
    [ 1.      0.6508  0.9526 -0.8677]
    >>> print(np.round(pair_similarities(X, V, indptr, indices, center=True), 4))
    [ 1.      0.2402  0.9959 -0.7206]
    """
    from ._compiled import csr_pair_similarities, exponent_limits, prepare_velocities

    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim != 2 or np.shape(V) != X.shape:
        raise ValueError(f"X and V must be 2-D arrays of the same shape, got {X.shape} and {np.shape(V)}")
    n = X.shape[0]
    indptr, indices = np.asarray(indptr), np.asarray(indices)
    check_compressed(indptr, indices, n, n, "the pair pattern (indptr, indices)")
    if order is not None:
        order = np.asarray(order)
        check_index_range(order, n, "order", "cell index")
        if order.shape != (n,) or (np.bincount(order, minlength=n) != 1).any():
            raise ValueError(f"order must be a permutation of the {n} cells")
    out = np.zeros(len(indices), dtype=np.float64)
    if len(indices) == 0 or X.shape[1] == 0:
        return out
    X = np.ascontiguousarray(X)
    V = np.ascontiguousarray(V, dtype=X.dtype)
    Vf, v_norm = np.empty_like(V), np.empty(len(V), dtype=np.float64)
    tolerance = constant_tolerance(X.shape[1], X.dtype)  # vectors constant up to rounding: Pearson 0
    prepare_velocities(V, bool(center), bool(variance_stabilize), tolerance, Vf, v_norm)
    lo, hi = exponent_limits(X.dtype)
    csr_pair_similarities(X, Vf, v_norm, indptr.astype(np.int64), indices.astype(np.int64),
                          locality_order(indptr, indices) if order is None else order.astype(np.int64),
                          bool(center), bool(variance_stabilize), X.dtype.type(lo), X.dtype.type(hi), tolerance, out)
    return out


def cosine_graph(X: ArrayLike | sp.spmatrix | sp.sparray, V: ArrayLike | sp.spmatrix | sp.sparray,
                 neighbors: ArrayLike | sp.spmatrix | sp.sparray, *, center: bool = False,
                 variance_stabilize: bool = False) -> sp.csr_matrix:
    r"""The velocity graph: pi_ij = sim(f(s_j - s_i), f(v_i)) for every neighbour j of i.

    .. math:: \pi_{ij} = \frac{f(\delta_{ij})^\top f(v_i)}{\|f(\delta_{ij})\|\,\|f(v_i)\|},
              \quad \delta_{ij} = s_j - s_i

    With ``center=False`` a **cosine** graph; with ``center=True`` a **Pearson**
    (correlation) graph, which is what scVelo computes (also available as
    :func:`pearson_graph`). The name follows the textbook's cosine; scVelo's own
    docstring says cosine although it centres.

    Parameters
    ----------
    X : (n_cells, n_genes) array or sparse matrix
        Cell states s_i (expression; scVelo uses the kNN-smoothed ``Ms``).
    V : (n_cells, n_genes) array or sparse matrix
        Velocities v_i, in expression units per unit time. Both must be finite
        (a NaN or inf is reported with its row and column); integer, float16 and
        float32 inputs are converted to float64, sparse ones densified.
    neighbors : (n_cells, k) integer array, or n x n sparse matrix
        The neighbours j of each cell i (stored entries of a sparse matrix mark
        them; their values are ignored). A cell may not be its own neighbour.
    center : bool
        Subtract each vector's mean over genes before the cosine, i.e. compute
        the Pearson correlation. scVelo always does this.
    variance_stabilize : bool
        Apply f(x) = sign(x) sqrt(abs(x)) to both vectors first (before centring).
        scVelo does this by default after stochastic-mode velocities only.

    Returns
    -------
    scipy.sparse.csr_matrix, n x n, float64
        One stored entry per neighbour pair, values in [-1, 1]. Undefined
        similarities (zero displacement or zero velocity) are stored as an
        explicit 0, so the pair stays a neighbour with kernel weight e^0;
        scVelo instead drops such entries (see :func:`velograph.tl.velocity_graph`).
        Values do not depend on the units of V (any positive factor, 1e-170 included)
        nor on a common positive factor of X. Inputs are not modified.

    Raises
    ------
    TypeError, ValueError
        If X or V is not a finite 2-D array of numbers, their shapes differ, or
        ``neighbors`` is not a valid neighbour list for the cells (an index out of
        range, a cell listed as its own neighbour or a neighbour listed twice, a sparse
        matrix of the wrong shape).

    Examples
    --------
    Four cells, three genes, two neighbours each:

    >>> import numpy as np
    >>> from velograph import cosine_graph
    >>> X = np.array([[0.0, 0.0, 1.0], [1.0, 0.5, 1.0], [2.0, 1.0, 0.0], [0.5, 2.0, 1.0]])
    >>> V = np.array([[1.0, 0.5, 0.0], [1.0, 0.5, -0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.5]])
    >>> neighbors = np.array([[1, 3], [0, 2], [1, 3], [0, 1]])
    >>> graph = cosine_graph(X, V, neighbors)
    >>> graph.nnz
    8
    >>> print(np.round(graph.toarray(), 4))
    [[ 0.      1.      0.      0.6508]
     [-0.9129  0.      0.9526  0.    ]
     [ 0.     -0.6667  0.     -0.7276]
     [-0.8677 -0.8485  0.      0.    ]]

    Cell 1 moves towards cell 0 exactly (similarity 1); with ``center=True`` (scVelo's
    Pearson graph) and the variance-stabilising transform:

    >>> print(np.round(cosine_graph(X, V, neighbors, center=True).toarray(), 4))
    [[ 0.      1.      0.      0.2402]
     [-0.982   0.      0.9959  0.    ]
     [ 0.     -0.6934  0.     -1.    ]
     [-0.7206 -0.9608  0.      0.    ]]
    >>> print(np.round(cosine_graph(X, V, neighbors, variance_stabilize=True).toarray(), 4))
    [[ 0.      1.      0.      0.8815]
     [-0.866   0.      0.987   0.    ]
     [ 0.     -0.6325  0.     -0.6547]
     [-0.7303 -0.7071  0.      0.    ]]
    """
    X = as_float_matrix(X, "X")
    V = as_float_matrix(V, "V")
    if X.shape != V.shape:
        raise ValueError(f"X and V must have the same shape (cells x genes), got {X.shape} and {V.shape}")
    n = X.shape[0]
    rows, cols = neighbor_pairs(neighbors, n)
    indptr = indptr_from_rows(rows, n)
    values = pair_similarities(X, V, indptr, cols, center=center, variance_stabilize=variance_stabilize)
    return sp.csr_matrix((values, cols, indptr), shape=(n, n))


def pearson_graph(X: ArrayLike | sp.spmatrix | sp.sparray, V: ArrayLike | sp.spmatrix | sp.sparray,
                  neighbors: ArrayLike | sp.spmatrix | sp.sparray, *,
                  variance_stabilize: bool = False) -> sp.csr_matrix:
    """The Pearson velocity graph, scVelo's: ``cosine_graph(X, V, neighbors, center=True, ...)``.

    pi_ij = corr_genes(f(s_j - s_i), f(v_i)), the cosine of both vectors after
    subtracting each one's mean over genes. Same arguments and result as
    :func:`cosine_graph` with ``center=True``.

    Parameters
    ----------
    X : (n_cells, n_genes) array or sparse matrix
        Cell states s_i, as in :func:`cosine_graph`.
    V : (n_cells, n_genes) array or sparse matrix
        Velocities v_i, as in :func:`cosine_graph`.
    neighbors : (n_cells, k) integer array, or n x n sparse matrix
        The neighbours j of each cell i, as in :func:`cosine_graph`.
    variance_stabilize : bool
        Apply f(x) = sign(x) sqrt(abs(x)) to both vectors before centring.

    Returns
    -------
    scipy.sparse.csr_matrix, n x n, float64
        One stored entry per neighbour pair, values in [-1, 1] (undefined ones stored
        as an explicit 0). Inputs are not modified.

    Raises
    ------
    TypeError, ValueError
        As :func:`cosine_graph`.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph import pearson_graph
    >>> X = np.array([[0.0, 0.0, 1.0], [1.0, 0.5, 1.0], [2.0, 1.0, 0.0], [0.5, 2.0, 1.0]])
    >>> V = np.array([[1.0, 0.5, 0.0], [1.0, 0.5, -0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.5]])
    >>> neighbors = np.array([[1, 3], [0, 2], [1, 3], [0, 1]])
    >>> print(np.round(pearson_graph(X, V, neighbors).toarray(), 4))
    [[ 0.      1.      0.      0.2402]
     [-0.982   0.      0.9959  0.    ]
     [ 0.     -0.6934  0.     -1.    ]
     [-0.7206 -0.9608  0.      0.    ]]
    """
    return cosine_graph(X, V, neighbors, center=True, variance_stabilize=variance_stabilize)
