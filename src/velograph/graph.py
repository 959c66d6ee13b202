"""Section A at scale: the velocity graph of similarities pi_ij for every neighbour pair."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._checks import as_float_matrix
from .neighbors import neighbor_pairs
from .similarity import sign_sqrt

# Pairs are processed in blocks so that the (pairs x genes) displacement block
# stays near 64 MB whatever the number of cells.
_BLOCK_BYTES = 64 * 2**20


def _prepared_velocities(V, center, variance_stabilize):
    """f(V), centred over genes when ``center``, in the dtype of V: the velocity side of every pair."""
    Vf = np.sign(V) * np.sqrt(np.abs(V)) if variance_stabilize else V.copy()
    if center:
        Vf -= Vf.mean(axis=1, keepdims=True, dtype=np.float64).astype(Vf.dtype)
    return Vf


def _pair_similarities_numpy(X, V, indptr, indices, *, center=False, variance_stabilize=False,
                             order=None) -> np.ndarray:
    """Readable reference: the similarity of each stored pair from explicit displacement blocks (float64)."""
    X, V = np.asarray(X, np.float64), np.asarray(V, np.float64)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    cols = np.asarray(indices)
    Vf = _prepared_velocities(V, center, variance_stabilize)
    v_norm = np.linalg.norm(Vf, axis=1)
    out = np.zeros(len(rows), dtype=np.float64)
    block = max(1, _BLOCK_BYTES // (8 * max(1, X.shape[1])))
    for start in range(0, len(rows), block):
        r, c = rows[start:start + block], cols[start:start + block]
        d = X[c] - X[r]
        if variance_stabilize:
            d = sign_sqrt(d)
        if center:
            d -= d.mean(axis=1, keepdims=True)
        dot = np.einsum("pg,pg->p", d, Vf[r])
        norm = np.linalg.norm(d, axis=1) * v_norm[r]
        ok = norm > 0
        out[start:start + block][ok] = dot[ok] / norm[ok]
    # Rounding can push |pi| a hair above 1 for parallel vectors.
    return np.clip(out, -1.0, 1.0)


def locality_order(indptr, indices) -> np.ndarray:
    """Reverse Cuthill-McKee order of the pair pattern: neighbouring cells come close together."""
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    n = len(indptr) - 1
    pattern = sp.csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n, n))
    return reverse_cuthill_mckee(pattern, symmetric_mode=False).astype(np.int64)


def _pair_similarities_compiled(X, V, indptr, indices, *, center=False, variance_stabilize=False,
                                order=None) -> np.ndarray:
    from ._compiled import csr_pair_similarities, prepare_velocities

    out = np.zeros(len(indices), dtype=np.float64)
    if len(indices) == 0 or X.shape[1] == 0:
        return out
    V = np.ascontiguousarray(V, dtype=X.dtype)
    Vf, v_norm = np.empty_like(V), np.empty(len(V), dtype=np.float64)
    prepare_velocities(V, bool(center), bool(variance_stabilize), Vf, v_norm)
    csr_pair_similarities(np.ascontiguousarray(X), Vf, v_norm,
                          np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int64),
                          locality_order(indptr, indices) if order is None else np.asarray(order, dtype=np.int64),
                          bool(center), bool(variance_stabilize), out)
    return out


ENGINES = {"numpy": _pair_similarities_numpy, "numba": _pair_similarities_compiled}


def default_engine() -> str:
    """'numba' when numba imports, else 'numpy' (same numbers, slower)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return "numpy"
    return "numba"


def pair_similarities(X, V, indptr, indices, *, center=False, variance_stabilize=False, engine=None,
                      order=None) -> np.ndarray:
    """Similarity of f(X[j] - X[i]) and f(V[i]) for every stored pair (i, j) of a CSR pattern.

    The pairs of row i are ``indices[indptr[i]:indptr[i+1]]``. f is sign*sqrt when
    ``variance_stabilize``; ``center`` subtracts each transformed vector's mean over
    genes first (Pearson instead of cosine). Undefined similarities (a zero
    vector) are 0. This is the kernel behind :func:`velograph.cosine_graph` and
    :func:`velograph.tl.velocity_graph`. ``engine`` is 'numba' (compiled, one pass
    over the genes per pair, threads; sums in the dtype of X, so pass float64 for
    ~1e-15 and float32 for scVelo's precision) or 'numpy' (readable float64
    blocks). ``order`` (compiled engine only) is the order in which cells are
    visited, for cache locality; by default the ``locality_order`` of the pattern.
    Returns float64 values, one per stored pair; memory O(pairs).
    """
    engine = engine or default_engine()
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {sorted(ENGINES)}, got {engine!r}")
    return ENGINES[engine](X, V, indptr, indices, center=center, variance_stabilize=variance_stabilize, order=order)


def cosine_graph(X, V, neighbors, *, center=False, variance_stabilize=False) -> sp.csr_matrix:
    r"""The velocity graph: pi_ij = sim(f(s_j - s_i), f(v_i)) for every neighbour j of i.

    .. math:: \pi_{ij} = \frac{f(\delta_{ij})^\top f(v_i)}{\|f(\delta_{ij})\|\,\|f(v_i)\|},
              \quad \delta_{ij} = s_j - s_i

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
        Inputs are not modified.
    """
    X = as_float_matrix(X, "X")
    V = as_float_matrix(V, "V")
    if X.shape != V.shape:
        raise ValueError(f"X and V must have the same shape (cells x genes), got {X.shape} and {V.shape}")
    n = X.shape[0]
    rows, cols = neighbor_pairs(neighbors, n)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    values = pair_similarities(X, V, indptr, cols, center=center, variance_stabilize=variance_stabilize)
    return sp.csr_matrix((values, cols, indptr), shape=(n, n))
