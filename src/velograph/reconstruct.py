"""Section D: how well a gene subset reconstructs the velocity graph of all genes."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from ._checks import choice, square_sparse
from ._sparse import row_of_each_entry

OVER = ("all", "neighbors")


def row_correlations(A: sp.spmatrix | sp.sparray | ArrayLike, B: sp.spmatrix | sp.sparray | ArrayLike, *,
                     over: str = "all") -> np.ndarray:
    r"""Pearson correlation of row i of A with row i of B, for every i, without densifying.

    Over the m_i entries compared in row i (entries not stored are 0), with means
    mu_a, mu_b and deviations e_j = a_j - mu_a, f_j = b_j - mu_b:

    .. math:: \mathrm{corr}_i = \frac{\sum_j e_j f_j}{\sqrt{\sum_j e_j^2 \, \sum_j f_j^2}}

    ``over="all"``: m_i = N, every column, the zeros of non-neighbours included
    (the blog's "row vector ... to all other cells"). ``over="neighbors"``:
    m_i = number of columns stored in row i of A or of B.

    Computed in two passes (means first, then sums of products of deviations, with the
    corrected two-pass term -(sum e)(sum f)/m of Chan, Golub and LeVeque), never as the
    one-pass m S_aa - S_a^2, which loses every digit on nearly constant rows (a
    transition matrix with a huge sigma). Columns outside the stored union each add
    mu_a mu_b to the covariance and mu_a^2, mu_b^2 to the variances, so nothing N x N
    is built: O(stored entries). A row that is constant over the compared entries (up to
    rounding) has no correlation: NaN.

    Parameters
    ----------
    A, B : sparse matrix or 2-D array, shape (n, n)
        The two matrices whose rows are compared (e.g. the velocity graph or transition
        matrix from all genes and from a gene subset). Stored entries, explicit zeros
        included, count as stored; a dense array stores its nonzero entries. Not modified.
    over : {'all', 'neighbors'}
        Which entries of each row are compared (see above).

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        corr_i in [-1, 1] (dimensionless), NaN where undefined: a row constant over the
        compared entries (up to rounding: variance at most 16 (m eps)^2 of the sum of
        squares), or fewer than 2 compared entries.

    Raises
    ------
    TypeError, ValueError
        If ``over`` is not one of the two options, or ``A`` and ``B`` are not square
        matrices of finite numbers of the same size (the messages name them ``T_full``
        and ``T_sub``).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph import row_correlations
    >>> A = sp.csr_matrix(np.array([[0.0, 0.7, 0.3, 0.0],
    ...                             [0.5, 0.0, 0.25, 0.25],
    ...                             [0.2, 0.2, 0.0, 0.6],
    ...                             [0.0, 0.0, 1.0, 0.0]]))
    >>> B = sp.csr_matrix(np.array([[0.0, 0.6, 0.4, 0.0],
    ...                             [0.1, 0.0, 0.6, 0.3],
    ...                             [0.2, 0.2, 0.0, 0.6],
    ...                             [0.0, 0.0, 1.0, 0.0]]))
    >>> print(np.round(row_correlations(A, B), 4))
    [0.9715 0.1543 1.     1.    ]

    Over the stored entries only, row 3 has one entry (no correlation) and row 0 two
    (whose correlation can only be +1 or -1):

    >>> print(np.round(row_correlations(A, B, over="neighbors"), 4))
    [ 1.    -0.803  1.       nan]
    """
    choice(over, "over", OVER)
    A = square_sparse(A, "T_full")
    B = square_sparse(B, "T_sub", n=A.shape[0])
    n = A.shape[0]
    rows, a, b = _on_union(A, B)
    union = np.bincount(rows, minlength=n).astype(np.float64)
    m = np.full(n, float(n)) if over == "all" else union
    outside = m - union  # compared entries that are 0 in both rows
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a = np.bincount(rows, weights=a, minlength=n) / m
        mean_b = np.bincount(rows, weights=b, minlength=n) / m
        e, f = a - mean_a[rows], b - mean_b[rows]
        sum_e = np.bincount(rows, weights=e, minlength=n) - outside * mean_a
        sum_f = np.bincount(rows, weights=f, minlength=n) - outside * mean_b
        var_a = np.bincount(rows, weights=e * e, minlength=n) + outside * mean_a**2 - sum_e**2 / m
        var_b = np.bincount(rows, weights=f * f, minlength=n) + outside * mean_b**2 - sum_f**2 / m
        cov = np.bincount(rows, weights=e * f, minlength=n) + outside * mean_a * mean_b - sum_e * sum_f / m
        # A constant row leaves only rounding noise in its variance, of relative size
        # ~(m eps)^2 of the sum of squares: treat anything below 16 (m eps)^2 as zero.
        tolerance = 16 * (m * np.finfo(np.float64).eps) ** 2
        defined = (var_a > tolerance * np.bincount(rows, weights=a * a, minlength=n)) & \
                  (var_b > tolerance * np.bincount(rows, weights=b * b, minlength=n)) & (m > 1)
        corr = np.where(defined, cov / np.sqrt(np.abs(var_a * var_b)), np.nan)
    return np.clip(corr, -1.0, 1.0)


def _on_union(A: sp.csr_matrix, B: sp.csr_matrix):
    """(rows, a, b) over the union of the stored entries of two canonical CSR matrices, in CSR order.

    a and b hold each matrix's value at every union position (0 where it stores nothing).
    """
    n = A.shape[0]
    key_a = row_of_each_entry(A) * np.int64(n) + A.indices
    key_b = row_of_each_entry(B) * np.int64(n) + B.indices
    # Each key array is sorted (CSR rows in order, indices sorted within rows), so a stable
    # sort of the two concatenated runs is a linear merge; np.union1d's quicksort is ~100x slower.
    keys = np.concatenate([key_a, key_b])
    keys.sort(kind="stable")
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    a = np.zeros(len(keys))
    b = np.zeros(len(keys))
    a[np.searchsorted(keys, key_a)] = A.data
    b[np.searchsorted(keys, key_b)] = B.data
    return keys // n, a, b


def reconstructability_score(T_full: sp.spmatrix | sp.sparray | ArrayLike, T_sub: sp.spmatrix | sp.sparray | ArrayLike,
                             *, over: str = "all", per_cell: bool = False) -> float | np.ndarray:
    r"""Reconstructability r = median_i corr(pi_i, pi'_i).

    pi_i is row i of the graph (or transition matrix) built from all genes,
    pi'_i the same row built from a gene subset; corr is the Pearson
    correlation of :func:`row_correlations` (``over`` says which entries are
    compared). Cells whose correlation is undefined (NaN) are left out of the
    median. r is dimensionless, in [-1, 1]; 1 means the subset reproduces every
    row up to a positive affine map.

    Never builds a dense N x N matrix; inputs are not modified.

    Parameters
    ----------
    T_full : sparse matrix or 2-D array, shape (n, n)
        Graph or transition matrix built from all genes.
    T_sub : sparse matrix or 2-D array, shape (n, n)
        The same built from the gene subset.
    over : {'all', 'neighbors'}
        Which entries of each row are compared, as in :func:`row_correlations`.
    per_cell : bool
        Return the n per-cell correlations instead of their median.

    Returns
    -------
    float or numpy.ndarray
        The median r (a float; NaN, with a RuntimeWarning, when every row correlation
        is undefined), or with ``per_cell=True`` the array of the n per-cell
        correlations (NaN where undefined).

    Raises
    ------
    TypeError, ValueError
        As :func:`row_correlations`.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph import reconstructability_score
    >>> T_full = sp.csr_matrix(np.array([[0.0, 0.7, 0.3, 0.0],
    ...                                  [0.5, 0.0, 0.25, 0.25],
    ...                                  [0.2, 0.2, 0.0, 0.6],
    ...                                  [0.0, 0.0, 1.0, 0.0]]))
    >>> T_sub = sp.csr_matrix(np.array([[0.0, 0.6, 0.4, 0.0],
    ...                                 [0.1, 0.0, 0.6, 0.3],
    ...                                 [0.2, 0.2, 0.0, 0.6],
    ...                                 [0.0, 0.0, 1.0, 0.0]]))
    >>> print(np.round(reconstructability_score(T_full, T_sub, per_cell=True), 4))
    [0.9715 0.1543 1.     1.    ]
    >>> print(f"r = {reconstructability_score(T_full, T_sub):.4f}")
    r = 0.9858
    """
    corr = row_correlations(T_full, T_sub, over=over)
    if per_cell:
        return corr
    if np.isnan(corr).all():
        warnings.warn("every row correlation is undefined (constant rows): r is NaN", RuntimeWarning, stacklevel=2)
        return float("nan")
    return float(np.nanmedian(corr))
