"""Section D: how well a gene subset reconstructs the velocity graph of all genes."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from ._checks import choice, square_sparse

OVER = ("all", "neighbors")


def row_correlations(A, B, *, over="all") -> np.ndarray:
    r"""Pearson correlation of row i of A with row i of B, for every i, without densifying.

    With m_i entries compared per row, and sums over them (entries not stored are 0):

    .. math:: \mathrm{corr}_i = \frac{m_i S_{ab} - S_a S_b}
              {\sqrt{(m_i S_{aa} - S_a^2)(m_i S_{bb} - S_b^2)}}

    ``over="all"``: m_i = N, every column, the zeros of non-neighbours included
    (the blog's "row vector ... to all other cells"). ``over="neighbors"``:
    m_i = number of columns stored in row i of A or of B. A row that is constant
    over the compared entries has no correlation: NaN.
    """
    choice(over, "over", OVER)
    A = square_sparse(A, "T_full")
    B = square_sparse(B, "T_sub", n=A.shape[0])
    n = A.shape[0]
    s_a, s_b = np.asarray(A.sum(axis=1)).ravel(), np.asarray(B.sum(axis=1)).ravel()
    s_aa = np.asarray(A.multiply(A).sum(axis=1)).ravel()
    s_bb = np.asarray(B.multiply(B).sum(axis=1)).ravel()
    s_ab = np.asarray(A.multiply(B).sum(axis=1)).ravel()
    if over == "all":
        m = np.full(n, float(n))
    else:
        pattern_a = sp.csr_matrix((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)
        pattern_b = sp.csr_matrix((np.ones(B.nnz), B.indices, B.indptr), shape=B.shape)
        m = np.diff((pattern_a + pattern_b).indptr).astype(np.float64)
    cov = m * s_ab - s_a * s_b
    var = (m * s_aa - s_a**2) * (m * s_bb - s_b**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Relative tolerance: a variance that is rounding noise means a constant row.
        scale = (m * s_aa) * (m * s_bb)
        corr = np.where(var > 1e-24 * scale, cov / np.sqrt(np.maximum(var, 0)), np.nan)
    return np.clip(corr, -1.0, 1.0)


def reconstructability_score(T_full, T_sub, *, over="all", per_cell=False):
    r"""Reconstructability r = median_i corr(pi_i, pi'_i).

    pi_i is row i of the graph (or transition matrix) built from all genes,
    pi'_i the same row built from a gene subset; corr is the Pearson
    correlation of :func:`row_correlations` (``over`` says which entries are
    compared). Cells whose correlation is undefined (NaN) are left out of the
    median. r is dimensionless, in [-1, 1]; 1 means the subset reproduces every
    row up to a positive affine map.

    Returns the median (a float), or with ``per_cell=True`` the array of the n
    per-cell correlations. Never builds a dense N x N matrix; inputs are not modified.
    """
    corr = row_correlations(T_full, T_sub, over=over)
    if per_cell:
        return corr
    if np.isnan(corr).all():
        warnings.warn("every row correlation is undefined (constant rows): r is NaN", RuntimeWarning, stacklevel=2)
        return float("nan")
    return float(np.nanmedian(corr))
