"""``velocity_graph``: scVelo's cosine-correlation graph, vectorised over neighbour pairs."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from anndata import AnnData
    from numpy.typing import ArrayLike

from .._checks import positive_int
from ..graph import locality_order, pair_similarities
from ..neighbors import knn_pattern, recursive_neighbors
from ._access import (
    FINGERPRINT_KEY,
    boolean_column,
    check_vkey,
    dense_layer,
    distances,
    fingerprint,
    gene_mask,
    not_supported,
    require_anndata,
    uns_params,
)


def knn_indices_from_distances(D: sp.csr_matrix, n_neighbors=None) -> np.ndarray:
    """scVelo's ``get_indices``: the k nearest stored neighbours of each cell, as an (n, k) array.

    k = min over cells of the number of stored neighbours (and of ``n_neighbors``);
    rows with more keep their k smallest distances.
    """
    D = D.copy()
    D.sort_indices()
    D.data = D.data + 1e-6  # stored zero distances (duplicate cells) still count as neighbours
    counts = np.diff(D.indptr)
    if counts.min() == 0:
        cell = int(np.argmin(counts))
        raise ValueError(f"cell {cell} has no neighbours in adata.obsp['distances']; "
                         "recompute with sc.pp.neighbors(adata)")
    k = int(counts.min() if n_neighbors is None else min(counts.min(), n_neighbors))
    indices = np.empty((D.shape[0], k), dtype=np.int64)
    for_trim = np.flatnonzero(counts > k)
    uniform = np.flatnonzero(counts == k)
    starts = D.indptr[:-1]
    indices[uniform] = D.indices[starts[uniform, None] + np.arange(k)]
    for row in for_trim:  # only rows with surplus neighbours; scanpy graphs have none
        lo, hi = D.indptr[row], D.indptr[row + 1]
        keep = np.sort(lo + np.argsort(D.data[lo:hi])[:k])
        indices[row] = D.indices[keep]
    return indices


def select_genes(adata, vkey, xkey, gene_subset):
    """States X and velocities V (float32, dense) on the genes scVelo uses.

    Genes: ``gene_subset`` if given (instead of, not intersected with, the
    velocity genes), else ``var['<vkey>_genes']``, else all; then genes whose
    velocity has a NaN in any cell are dropped. The layers are read, never
    written; when every gene is used and a layer is already dense float32, no
    copy is made (it matters at a million cells): callers must not write to X or V.
    """
    if adata.n_vars == 0:
        raise ValueError("adata has no genes (n_vars = 0): the velocity graph compares velocities over genes")
    if gene_subset is not None:
        mask = gene_mask(adata, gene_subset)
    elif f"{vkey}_genes" in adata.var:
        mask = boolean_column(adata.var[f"{vkey}_genes"], f"adata.var['{vkey}_genes']")
        if not mask.any():
            raise ValueError(f"adata.var['{vkey}_genes'] is False for every gene: no velocity gene to compare. "
                             f"Rerun scv.tl.velocity(adata) (its min_r2 / min_likelihood filters decide the velocity "
                             f"genes), or pass gene_subset=")
    else:
        mask = np.ones(adata.n_vars, dtype=bool)
    columns = None if mask.all() else mask
    X = np.asarray(dense_layer(adata, xkey, columns), dtype=np.float32)
    V = np.asarray(dense_layer(adata, vkey, columns), dtype=np.float32)
    finite_genes = ~np.isnan(V.sum(axis=0, dtype=np.float64))
    if not finite_genes.any():
        raise ValueError(f"every selected gene has NaN in adata.layers['{vkey}']: no gene is left to compare")
    if not finite_genes.all():
        X, V = X[:, finite_genes], V[:, finite_genes]
    return X, V


def compute_velocity_graph(adata, *, vkey="velocity", xkey="Ms", n_neighbors=None, n_recurse_neighbors=None,
                           sqrt_transform=None, gene_subset=None, min_genes=1):
    """The graph computation without writing anything: returns (graph, graph_neg, self_prob, n_recurse).

    ``min_genes``: fewer usable genes raise ValueError (``velocity_graph`` asks for 2: a
    Pearson correlation over one gene is undefined and the graph would be empty).
    """
    check_vkey(vkey)
    check_vkey(xkey, "xkey")
    if n_neighbors is not None:
        n_neighbors = positive_int(n_neighbors, "n_neighbors")
    X, V = select_genes(adata, vkey, xkey, gene_subset)
    if X.shape[1] < min_genes:
        raise ValueError(f"only {X.shape[1]} gene is left to compare (the selected genes minus those with NaN in "
                         f"adata.layers['{vkey}']): a Pearson correlation over one gene is undefined (its centred "
                         f"vector is 0), so every edge of the graph would be missing and the arrows NaN. Select at "
                         f"least 2 genes (gene_subset=, or adata.var['{vkey}_genes'])")
    if sqrt_transform is None:
        sqrt_transform = uns_params(adata, vkey).get("mode") == "stochastic"
    if n_recurse_neighbors is None:
        n_recurse_neighbors = 1 if n_neighbors is not None else 2
    n_recurse_neighbors = positive_int(n_recurse_neighbors, "n_recurse_neighbors")

    indices = knn_indices_from_distances(distances(adata), n_neighbors)
    pattern = recursive_neighbors(indices, n_recurse_neighbors)  # includes each cell itself
    # Pearson of f(Ms_j - Ms_i) and f(v_i) in float32 like scVelo (differences ~1e-7).
    # The cell itself gives a zero displacement and a cell with zero (centred)
    # velocity a zero norm: both come out 0 and are dropped below, as in scVelo.
    n = adata.n_obs
    knn = knn_pattern(indices)
    values = pair_similarities(X, V, pattern.indptr, pattern.indices, center=True,
                               variance_stabilize=bool(sqrt_transform),
                               order=locality_order(knn.indptr, knn.indices)).astype(np.float32)
    graph = sp.csr_matrix((np.clip(values, 0, 1), pattern.indices, pattern.indptr), shape=(n, n))
    graph_neg = sp.csr_matrix((np.clip(values, -1, 0), pattern.indices.copy(), pattern.indptr.copy()), shape=(n, n))
    del values, pattern
    graph.eliminate_zeros()  # the cell itself, zero displacements, and the other sign
    graph_neg.eliminate_zeros()
    return graph, graph_neg, self_transition_probability(graph), n_recurse_neighbors


def self_transition_probability(graph) -> np.ndarray:
    """s_i = clip(P98(c) - c_i, 0, 1) with c_i = max_j graph_ij (0 for an empty row)."""
    confidence = graph.max(axis=1).toarray().ravel()
    return np.clip(np.percentile(confidence, 98) - confidence, 0, 1)


def velocity_graph(data: AnnData, vkey: str = "velocity", xkey: str = "Ms", tkey: str | None = None,
                   basis: str | None = None, n_neighbors: int | None = None, n_recurse_neighbors: int | None = None,
                   random_neighbors_at_max: int | None = None, sqrt_transform: bool | None = None,
                   variance_stabilization: bool | None = None, gene_subset: ArrayLike | None = None,
                   compute_uncertainties: bool | None = None, approx: bool | None = None,
                   mode_neighbors: str = "distances", copy: bool = False, n_jobs: int | None = None,
                   backend: str = "loky", show_progress_bar: bool = True) -> AnnData | None:
    r"""Velocity graph exactly as ``scv.tl.velocity_graph`` computes it.

    For every cell i and every j in its neighbourhood N_i (i itself, its kNN and,
    with the default ``n_recurse_neighbors=2``, their kNN):

    .. math:: \pi_{ij} = \mathrm{corr}_{\text{genes}}\big(f(Ms_j - Ms_i),\ f(v_i)\big)

    a **Pearson** correlation over genes (both vectors centred; scVelo's docstring
    says cosine), with f = sign*sqrt when ``sqrt_transform`` (default: True exactly
    when ``uns['<vkey>_params']['mode'] == 'stochastic'``), else the identity. Genes:
    ``gene_subset`` (names or a boolean mask; it replaces, not intersects, the
    velocity genes) or ``var['<vkey>_genes']``, minus genes with any NaN velocity.
    Undefined values (the cell itself, zero displacement) and exact zeros are not
    stored; a cell whose centred velocity is zero gets no edges.

    Writes (unless ``copy``): ``uns['<vkey>_graph']`` = clip(pi, 0, 1) and
    ``uns['<vkey>_graph_neg']`` = clip(pi, -1, 0), float32 CSR;
    ``obs['<vkey>_self_transition']`` = clip(P98(c) - c_i, 0, 1) with c_i the row
    maximum; ``uns['<vkey>_params']`` gets ``mode_neighbors`` and
    ``n_recurse_neighbors`` (and loses ``embeddings``, as in scVelo), and, unlike scVelo,
    ``graph_cells_sha256``: a fingerprint of the cells in order (their names, their rows of
    ``obsp['distances']``) and of the graph itself (``velograph.tl._access.fingerprint``),
    so that every later reader refuses the graph on a reordered or subset copy instead of
    using it, accepts it after a rename, and trusts a graph that another tool rewrote later
    as scVelo would. Nothing is written unless every check passed.

    Runs in one process: ``n_jobs``, ``backend`` and ``show_progress_bar`` are
    accepted for compatibility and ignored. ``tkey``, ``basis``, ``n_neighbors``
    above the stored k, ``random_neighbors_at_max``, ``compute_uncertainties=True``,
    ``approx=True`` and ``mode_neighbors='connectivities'`` raise NotImplementedError
    (``approx=False`` and ``compute_uncertainties=False`` select the path implemented
    here and are accepted). Fewer than 2 usable genes raise ValueError (a Pearson
    correlation over one gene is undefined).
    Nothing upstream is computed: missing ``layers[xkey]``, ``layers[vkey]`` or
    ``obsp['distances']`` raise KeyError naming the call that makes them.

    Parameters
    ----------
    data : anndata.AnnData
        With ``layers[xkey]``, ``layers[vkey]`` and ``obsp['distances']`` (from
        ``sc.pp.neighbors``).
    vkey : str
        Layer of the velocities; also the prefix of every key written.
    xkey : str
        Layer of the states (scVelo's kNN-smoothed ``Ms``).
    tkey, basis
        Not supported (NotImplementedError unless None).
    n_neighbors : int, optional
        Use only the first ``n_neighbors`` of the stored kNN (at most the stored k).
    n_recurse_neighbors : int, optional
        Neighbourhood depth: 2 (the default) adds the neighbours' neighbours; 1 when
        ``n_neighbors`` is given.
    random_neighbors_at_max : int, optional
        Not supported (NotImplementedError unless None).
    sqrt_transform : bool, optional
        Apply f = sign*sqrt (None: True exactly for stochastic-mode velocities).
    variance_stabilization : bool, optional
        scVelo's older name of ``sqrt_transform``, used when that is None.
    gene_subset : list of str or boolean mask, optional
        The genes to compare (instead of the velocity genes).
    compute_uncertainties, approx
        Not supported (NotImplementedError unless None or False).
    mode_neighbors : {'distances'}
        Only ``'distances'`` is supported.
    copy : bool
        Return a modified copy instead of writing to ``data``.
    n_jobs, backend, show_progress_bar
        Accepted for compatibility and ignored (one process).

    Returns
    -------
    anndata.AnnData or None
        The copy with the keys written when ``copy``, else None (``data`` is updated).

    Raises
    ------
    TypeError
        If ``data`` is not an AnnData.
    KeyError
        If ``layers[xkey]``, ``layers[vkey]`` or ``obsp['distances']`` is missing (the
        message names the call that makes it), or a name of ``gene_subset`` is unknown.
    ValueError
        If an input is malformed (no velocity gene, a neighbour graph of another object,
        a non-positive count).
    NotImplementedError
        For the options scVelo has and velograph does not reproduce (listed above).

    Examples
    --------
    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> vtl.velocity_graph(adata)
    >>> graph, graph_neg = adata.uns["velocity_graph"], adata.uns["velocity_graph_neg"]
    >>> print(type(graph).__name__, graph.dtype, graph.nnz, graph_neg.nnz)
    csr_matrix float32 14 14
    >>> print(np.round((graph + graph_neg)[:3, :5].toarray(), 3))
    [[ 0.     0.997  0.983  0.956  0.   ]
     [-0.986  0.     0.982  0.959  0.   ]
     [-0.962 -0.986  0.     0.993  0.97 ]]
    >>> print(np.round(adata.obs["velocity_self_transition"].to_numpy(), 3))
    [0.003 0.018 0.007 0.045 0.    0.    0.016 1.   ]

    The last cell has no neighbour ahead of it: its largest similarity is low, so its
    self-transition probability is 1.
    """
    adata = require_anndata(data, "data")
    not_supported(
        tkey=(tkey, None, "time-point neighbours"),
        basis=(basis, None, "neighbours recomputed on an embedding"),
        random_neighbors_at_max=(random_neighbors_at_max, None, "scVelo samples these without a seed"),
        compute_uncertainties=(compute_uncertainties, (None, False), "uncertainty graphs"),
        approx=(approx, (None, False), "the PCA approximation"),
        mode_neighbors=(mode_neighbors, "distances", "connectivity neighbourhoods"),
    )
    check_vkey(vkey)
    old_params = uns_params(adata, vkey)  # checked before anything is computed or written
    if sqrt_transform is None:
        sqrt_transform = variance_stabilization
    if n_neighbors is not None:
        n_neighbors = positive_int(n_neighbors, "n_neighbors")
        neighbors_uns = adata.uns.get("neighbors", {})
        params = neighbors_uns.get("params", {}) if isinstance(neighbors_uns, Mapping) else {}
        params = params if isinstance(params, Mapping) else {}
        if "n_neighbors" in params:
            stored, source = params["n_neighbors"], "uns['neighbors']['params']['n_neighbors']"
            if isinstance(stored, bool) or not isinstance(stored, numbers.Integral | np.integer):
                raise TypeError(f"adata.uns['neighbors']['params']['n_neighbors'] must be an integer, got "
                                f"{type(stored).__name__} {stored!r}; rerun sc.pp.neighbors(adata)")
        else:  # no uns['neighbors'] (e.g. a graph built by hand): the graph itself says how many
            stored = int(np.diff(distances(adata).indptr).min()) + 1
            source = "adata.obsp['distances'], counting the cell"
        if n_neighbors > stored:
            raise NotImplementedError(
                f"n_neighbors={n_neighbors} exceeds the stored neighbour graph ({stored}, from {source}); scVelo "
                "would recompute neighbours here. Run sc.pp.neighbors(adata, n_neighbors=...) first"
            )
    graph, graph_neg, self_prob, n_recurse = compute_velocity_graph(
        adata, vkey=vkey, xkey=xkey, n_neighbors=n_neighbors, n_recurse_neighbors=n_recurse_neighbors,
        sqrt_transform=sqrt_transform, gene_subset=gene_subset, min_genes=2,
    )
    # Every check has passed: only now is anything written (to a copy with ``copy``). The
    # parameters are a new dict: the old one may be shared with a parent object (a view).
    params = {key: value for key, value in old_params.items() if key != "embeddings"}
    params["mode_neighbors"] = mode_neighbors
    params["n_recurse_neighbors"] = n_recurse
    # Not written by scVelo: lets every reader detect a reordered or subset copy.
    params[FINGERPRINT_KEY] = fingerprint(adata, graph)
    adata = adata.copy() if copy else adata
    adata.uns[f"{vkey}_graph"] = graph
    adata.uns[f"{vkey}_graph_neg"] = graph_neg
    adata.obs[f"{vkey}_self_transition"] = self_prob
    adata.uns[f"{vkey}_params"] = params
    return adata if copy else None


def graph_inputs(adata: AnnData, vkey: str = "velocity", xkey: str = "Ms",
                 gene_subset: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, V): the float32 states and velocities on the genes ``velocity_graph`` uses.

    For reproducing the graph by hand, e.g. with :func:`velograph.cosine_graph`. Always new
    arrays: editing them never edits ``adata.layers``.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``layers[xkey]`` and ``layers[vkey]``; read, never written.
    vkey : str
        Layer of the velocities.
    xkey : str
        Layer of the states.
    gene_subset : list of str or boolean mask, optional
        As in :func:`velograph.tl.velocity_graph`.

    Returns
    -------
    tuple of numpy.ndarray
        (X, V), each (n_obs, n_genes used), float32. They may share memory with the layers:
        do not write to them.

    Raises
    ------
    KeyError, ValueError, TypeError
        As :func:`velograph.tl.velocity_graph` for the same inputs.

    Examples
    --------
    The arrays reproduce the stored graph with the array-level :func:`velograph.pearson_graph`:

    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> import velograph
    >>> vtl.velocity_graph(adata)
    >>> X, V = vtl.graph_inputs(adata)
    >>> print(X.dtype, X.shape)
    float32 (8, 4)
    >>> graph = velograph.pearson_graph(X, V, vtl.neighborhoods(adata))
    >>> stored = adata.uns["velocity_graph"] + adata.uns["velocity_graph_neg"]
    >>> bool(abs(graph - stored).max() < 1e-6)
    True
    """
    require_anndata(adata)
    check_vkey(vkey)
    check_vkey(xkey, "xkey")
    X, V = select_genes(adata, vkey, xkey, gene_subset)
    layers = (adata.layers[xkey], adata.layers[vkey])
    return tuple(M.copy() if isinstance(layer, np.ndarray) and np.shares_memory(M, layer) else M
                 for M, layer in zip((X, V), layers, strict=True))


def neighborhoods(adata: AnnData, n_recurse_neighbors: int = 2, n_neighbors: int | None = None) -> sp.csr_matrix:
    """The neighbour sets N_i that ``velocity_graph`` scans, without each cell itself.

    A boolean CSR pattern: row i marks i's kNN (from ``obsp['distances']``) and, with
    ``n_recurse_neighbors=2``, their kNN. Pass it as ``neighbors`` to
    :func:`velograph.cosine_graph` to compute textbook variants on the same pairs.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``obsp['distances']``; read, never written.
    n_recurse_neighbors : int
        1: the kNN only; 2: also their kNN.
    n_neighbors : int, optional
        Use only the first ``n_neighbors`` of the stored kNN.

    Returns
    -------
    scipy.sparse.csr_matrix, bool, n_obs x n_obs
        Row i marks the cells of N_i (i itself excluded).

    Raises
    ------
    KeyError
        If there is no neighbour graph.
    TypeError, ValueError
        If ``adata`` is not an AnnData, a count is not a positive integer, or the neighbour
        graph is malformed.

    Examples
    --------
    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> pattern = vtl.neighborhoods(adata)
    >>> print(pattern[:3].toarray().astype(int))
    [[0 1 1 1 0 0 0 0]
     [1 0 1 1 0 0 0 0]
     [1 1 0 1 1 0 0 0]]
    >>> vtl.neighborhoods(adata, n_recurse_neighbors=1).nnz  # the 2 nearest of each of the 8 cells
    16
    """
    require_anndata(adata)
    n_neighbors = None if n_neighbors is None else positive_int(n_neighbors, "n_neighbors")
    n_recurse_neighbors = positive_int(n_recurse_neighbors, "n_recurse_neighbors")
    pattern = recursive_neighbors(knn_indices_from_distances(distances(adata), n_neighbors), n_recurse_neighbors)
    pattern = sp.csr_matrix(pattern, dtype=bool)
    pattern.setdiag(False)
    pattern.eliminate_zeros()
    return pattern
