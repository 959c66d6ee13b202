"""Which pairs (i, j) the velocity graph looks at.

A neighbour structure is given either as an (n, k) integer array whose row i
lists the k neighbours of cell i, or as an n x n sparse matrix whose stored
entries (whatever their values) mark the neighbours. Both become the same
sorted list of pairs (rows[p], cols[p]) with rows ascending and, within a row,
cols ascending: the CSR layout of the graph.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._sparse import canonical_csr, check_index_range, check_structure, row_of_each_entry


def neighbor_pairs(neighbors, n_cells: int, name: str = "neighbors") -> tuple[np.ndarray, np.ndarray]:
    """Return (rows, cols) of every neighbour pair, in CSR order.

    Raises ValueError for indices out of range, negative, not finite, repeated within
    a row, or equal to the cell itself (the similarity of a cell to itself is
    undefined: its displacement is zero), and for a dense n x n adjacency matrix
    (pass it as a sparse matrix). A sparse matrix's structure is checked before use.
    """
    if sp.issparse(neighbors):
        if neighbors.shape != (n_cells, n_cells):
            raise ValueError(f"{name} as a sparse matrix must be {n_cells} x {n_cells}, got {neighbors.shape}")
        check_structure(neighbors, name)
        pattern = canonical_csr(neighbors)
        rows = row_of_each_entry(pattern)
        cols = pattern.indices.astype(np.int64)
    else:
        try:
            idx = np.asarray(neighbors)
        except ValueError as err:  # numpy: "inhomogeneous shape" for lists of unequal lengths
            raise ValueError(f"{name} is ragged (its rows have different lengths): pass an (n_cells, k) integer array "
                             f"with the same k for every cell, or an n x n sparse matrix whose stored entries mark "
                             f"each cell's neighbours (any number per cell)") from err
        if idx.dtype == np.dtype(object) and idx.ndim == 1 and idx.size and all(np.ndim(row) == 1 for row in idx):
            raise ValueError(f"{name} is ragged (its rows have different lengths): pass an (n_cells, k) integer "
                             "array with the same k for every cell, or an n x n sparse matrix whose stored entries "
                             "mark each cell's neighbours (any number per cell)")
        if idx.ndim != 2 or idx.shape[0] != n_cells:
            raise ValueError(
                f"{name} must be an (n_cells, k) index array with n_cells={n_cells} rows "
                f"or an n x n sparse matrix, got shape {idx.shape}"
            )
        if n_cells > 1 and idx.shape == (n_cells, n_cells):
            # k = n would list every cell, the cell itself included: this is an adjacency matrix.
            raise ValueError(
                f"{name} is a dense {n_cells} x {n_cells} array: an adjacency matrix, not an (n_cells, k) index "
                f"array. Pass it as a sparse matrix (scipy.sparse.csr_matrix({name})), whose stored entries "
                "mark the neighbours, or pass the (n_cells, k) indices of each cell's neighbours"
            )
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            if not np.issubdtype(idx.dtype, np.floating):
                raise TypeError(f"{name} must hold integer cell indices, got dtype {idx.dtype}")
            if not np.isfinite(idx).all():
                bad = np.argwhere(~np.isfinite(idx))[0]
                raise ValueError(f"{name}[{bad[0]}, {bad[1]}] = {idx[bad[0], bad[1]]} is not a cell index "
                                 f"(indices must be finite integers in 0..{n_cells - 1})")
            if not np.all(idx == np.round(idx)):
                raise TypeError(f"{name} must hold integer cell indices, got dtype {idx.dtype}")
            if idx.size and (idx.min() < 0 or idx.max() >= n_cells):
                bad = np.argwhere((idx < 0) | (idx >= n_cells))[0]
                raise ValueError(
                    f"{name}[{bad[0]}, {bad[1]}] = {idx[bad[0], bad[1]]:g} is not a cell index in 0..{n_cells - 1}"
                )
            idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n_cells):
            bad = np.argwhere((idx < 0) | (idx >= n_cells))[0]
            raise ValueError(
                f"{name}[{bad[0]}, {bad[1]}] = {idx[bad[0], bad[1]]} is not a cell index in 0..{n_cells - 1}"
            )
        k = idx.shape[1]
        rows = np.repeat(np.arange(n_cells), k)
        cols = idx.astype(np.int64).ravel()
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        repeated = (rows[1:] == rows[:-1]) & (cols[1:] == cols[:-1])
        if repeated.any():
            p = int(np.flatnonzero(repeated)[0])
            raise ValueError(f"{name} lists neighbour {cols[p]} twice for cell {rows[p]}; "
                             "each neighbour must appear once")
    self_pairs = rows == cols
    if self_pairs.any():
        i = int(rows[np.flatnonzero(self_pairs)[0]])
        raise ValueError(
            f"{name} lists cell {i} as its own neighbour; a cell's displacement to itself is zero. "
            "Drop the self column (e.g. the first column of a kNN index array that includes each cell)"
        )
    return rows, cols


def knn_pattern(indices: np.ndarray, *, include_self: bool = False) -> sp.csr_matrix:
    """An (n, k) kNN index array as an n x n int8 CSR pattern (row i marks i's neighbours).

    ``include_self`` also marks each cell itself (the adjacency plus the identity).
    """
    n, k = indices.shape
    if include_self:
        indices, k = np.concatenate([np.arange(n)[:, None], indices], axis=1), k + 1
    pattern = sp.csr_matrix((np.ones(n * k, dtype=np.int8), np.asarray(indices).ravel(), np.arange(0, n * k + 1, k)),
                            shape=(n, n))
    pattern.sum_duplicates()
    pattern.sort_indices()
    return pattern


#: Neighbourhood pairs allowed for n_recurse > 2 (or n (1 + k + k^2), the most two hops can
#: reach, if that is larger): ~2^28 pairs are ~5 GB through the graph computation.
MAX_PAIRS = 2**28


def recursive_neighbors(indices: np.ndarray, n_recurse: int) -> sp.csr_matrix:
    """Neighbourhoods after ``n_recurse`` hops, as a boolean CSR pattern including each cell.

    With A the kNN adjacency plus the identity, the r-hop neighbourhood of i is the
    support of row i of A^r: {i} u K(i) u K(K(i)) u ... . This is scVelo's
    ``get_iterative_indices`` for all cells at once. The indices are checked to lie in
    0..n-1 before the compiled two-hop function reads through them. Hops stop early once
    the pattern stops growing (any larger ``n_recurse`` gives the same result), and a
    pattern that would exceed ``MAX_PAIRS`` pairs raises ValueError naming the largest
    ``n_recurse`` that fits (scVelo runs out of memory instead).
    """
    indices = np.asarray(indices)
    n, k = indices.shape
    check_index_range(indices, n, "the kNN index array", "cell index")
    if n_recurse == 2 and n > 0 and k > 0:
        return _two_hop_compiled(np.ascontiguousarray(indices, dtype=np.int64))
    adjacency = knn_pattern(indices, include_self=True).astype(np.float32)
    budget = max(MAX_PAIRS, n * (1 + k + k * k))  # never below what the default two hops may need
    reach = adjacency
    for hop in range(2, n_recurse + 1):
        grown = reach @ adjacency
        grown.data[:] = 1  # only the support matters (entries would count paths, and overflow)
        if grown.nnz == reach.nnz:
            break  # every neighbourhood is closed (a whole connected component): more hops add nothing
        if grown.nnz > budget:
            raise ValueError(
                f"n_recurse_neighbors={n_recurse} is too large: after {hop} hops the neighbourhoods already hold "
                f"{grown.nnz:,} pairs, more than the {budget:,} allowed (each pair costs a similarity over every "
                f"gene and ~20 bytes). Use n_recurse_neighbors <= {hop - 1} (scVelo's default is 2)")
        reach = grown
    reach = sp.csr_matrix(reach)
    reach.sort_indices()
    reach.data = np.ones(reach.nnz, dtype=np.int8)
    return reach


def _two_hop_compiled(indices: np.ndarray) -> sp.csr_matrix:
    """The two-hop pattern without a sparse matrix product: count, then fill each row (numba)."""
    import os

    from ._compiled import two_hop

    n = len(indices)
    chunks = max(1, min(n, 4 * (os.cpu_count() or 1)))
    counts = np.zeros(n, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    out = np.empty(0, dtype=np.int32 if n < 2**31 else np.int64)
    two_hop(indices, chunks, counts, indptr, out, False)
    np.cumsum(counts, out=indptr[1:])
    out = np.empty(indptr[-1], dtype=out.dtype)
    two_hop(indices, chunks, counts, indptr, out, True)
    index_dtype = np.int32 if indptr[-1] < 2**31 else np.int64
    return sp.csr_matrix((np.ones(len(out), dtype=np.int8), out, indptr.astype(index_dtype)), shape=(n, n))
