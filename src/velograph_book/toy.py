"""The small examples of Part I, in one place so that chapters and tests share them.

Only inputs live here; every number the book states is computed from them.
"""

from __future__ import annotations

import numpy as np

#: The blog's worked example (section A): expression of cells i and j and the velocity of i.
S_I = np.array([2.0, 3.5, 1.0])
S_J = np.array([3.5, 2.5, 1.5])
V_I = np.array([1.2, -0.5, 0.3])


def blog_vectors():
    """(s_i, s_j, v_i) of the blog, as fresh copies."""
    return S_I.copy(), S_J.copy(), V_I.copy()


def one_cell_neighborhood():
    """Section B: similarities pi_ij of one cell to five neighbours (dimensionless)."""
    return np.array([0.9, 0.6, 0.1, -0.3, -0.8])


def crowded_embedding():
    """Section C: a 2-D toy embedding where the neighbours of cell 0 crowd on one side.

    Cell 0 sits at the origin. Eight of its ten neighbours lie to its left
    (x < 0), two to its right, so the unweighted mean direction points left.
    Returns (X_emb, neighbours of cell 0).
    """
    angles_left = np.deg2rad([150, 160, 170, 180, 190, 200, 210, 175])
    radii_left = np.array([1.0, 1.2, 0.9, 1.1, 1.0, 1.3, 0.8, 1.6])
    angles_right = np.deg2rad([10, -15])
    radii_right = np.array([1.0, 1.2])
    left = np.c_[radii_left * np.cos(angles_left), radii_left * np.sin(angles_left)]
    right = np.c_[radii_right * np.cos(angles_right), radii_right * np.sin(angles_right)]
    X_emb = np.vstack([[0.0, 0.0], left, right])
    return X_emb, np.arange(1, len(X_emb))


def toy_expression(n_cells=12, n_genes=6, seed=0):
    """Section D: a toy trajectory in gene space with velocities along it.

    Cells sit at pseudotimes t in [0, 1] along a curve s(t) with noise; the
    velocity of a cell is the curve's tangent plus noise. Returns (X, V, t),
    X and V of shape (n_cells, n_genes), sorted by t.
    """
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 1, n_cells))
    phase = np.linspace(0, np.pi, n_genes)
    X = np.sin(2.0 * t[:, None] + phase) + 0.05 * rng.standard_normal((n_cells, n_genes))
    V = 2.0 * np.cos(2.0 * t[:, None] + phase) + 0.6 * rng.standard_normal((n_cells, n_genes))
    return X, V, t


def knn_indices(X, k):
    """The k nearest other cells of every cell (Euclidean), as an (n, k) index array."""
    X = np.asarray(X, float)
    d = np.linalg.norm(X[:, None, :] - X[None, :, :], axis=2)
    np.fill_diagonal(d, np.inf)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def one_row_matrix(values, columns, n_cells):
    """An n_cells x n_cells sparse matrix whose row 0 holds ``values`` at ``columns``; other rows are empty.

    The chapters use it to study one cell's row of a graph or transition matrix.
    """
    import scipy.sparse as sp

    values = np.asarray(values, dtype=float).ravel()
    columns = np.asarray(columns).ravel()
    if columns.shape != values.shape:
        raise ValueError(f"values and columns must have the same length, got {values.size} and {columns.size}")
    if columns.size and (columns.min() < 0 or columns.max() >= n_cells):
        raise ValueError(f"columns must lie in [0, {n_cells}), got {columns.tolist()}")
    indptr = np.r_[0, np.full(n_cells, len(values))]
    return sp.csr_matrix((values, columns, indptr), shape=(n_cells, n_cells))
