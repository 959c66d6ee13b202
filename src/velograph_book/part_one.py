"""Small row-by-row readings that Part I (chapters 1-4) states in its prose.

Each function turns a sentence of a chapter ("the random row picks the full row's
second choice") into a number the chapter prints and asserts. Inputs are sparse
n x n matrices whose stored off-diagonal entries of row i are the neighbours of
cell i (a velocity graph or a transition matrix); nothing is modified in place.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _csr(M, name: str) -> sp.csr_matrix:
    if not sp.issparse(M):
        raise TypeError(f"{name} must be a scipy sparse matrix, got {type(M).__name__}")
    M = sp.csr_matrix(M, dtype=np.float64, copy=True)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"{name} must be a square n x n matrix, got shape {M.shape}")
    if not np.isfinite(M.data).all():
        raise ValueError(f"{name} has non-finite stored entries")
    M = (sp.triu(M, 1) + sp.tril(M, -1)).tocsr()  # the cell itself is never a neighbour
    M.eliminate_zeros()
    M.sort_indices()
    return M


def peak_rank(reference, other) -> np.ndarray:
    r"""For each row, where ``other`` puts its largest entry in ``reference``'s ranking.

    .. math:: \rho_i = 1 + \#\{j : R_{ij} > R_{i,p_i}\},\qquad p_i = \arg\max_j Q_{ij}

    with R = ``reference`` and Q = ``other``, over the stored off-diagonal entries of
    row i: :math:`\rho_i = 1` when both rows
    peak at the same neighbour, 2 when ``other``'s peak is ``reference``'s second
    choice, and so on (ties in ``reference`` share the better rank; a tie for
    ``other``'s largest entry takes the first such column). Returns an int array of
    length n; 0 for a row where ``other`` stores nothing or peaks at a column that
    ``reference`` does not store. A rank is a count of cells, dimensionless.

    Parameters
    ----------
    reference, other : scipy.sparse matrix, shape (n, n)
        Two graphs or transition matrices on the same cells (same shape).

    Returns
    -------
    numpy.ndarray of int, shape (n,)

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> full = sp.csr_matrix([[0, 0.6, 0.3, 0.1], [0.5, 0, 0.5, 0],
    ...                       [0.2, 0.8, 0, 0], [0, 0, 1.0, 0]])
    >>> subset = sp.csr_matrix([[0, 0.1, 0.7, 0.2], [0.9, 0, 0.1, 0],
    ...                         [0.4, 0.6, 0, 0], [0, 0, 0, 0]])
    >>> peak_rank(full, subset).tolist()
    [2, 1, 1, 0]
    """
    R, Q = _csr(reference, "reference"), _csr(other, "other")
    if R.shape != Q.shape:
        raise ValueError(f"reference and other must have the same shape, got {R.shape} and {Q.shape}")
    ranks = np.zeros(R.shape[0], dtype=np.int64)
    for i in range(R.shape[0]):
        o_cols, o_vals = Q.indices[Q.indptr[i]:Q.indptr[i + 1]], Q.data[Q.indptr[i]:Q.indptr[i + 1]]
        if o_cols.size == 0:
            continue
        peak = o_cols[np.argmax(o_vals)]
        r_cols, r_vals = R.indices[R.indptr[i]:R.indptr[i + 1]], R.data[R.indptr[i]:R.indptr[i + 1]]
        at = np.flatnonzero(r_cols == peak)
        if at.size:
            ranks[i] = 1 + int(np.sum(r_vals > r_vals[at[0]]))
    return ranks
