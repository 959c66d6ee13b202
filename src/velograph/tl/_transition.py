"""``transition_matrix``: scVelo's kernel on the velocity graph, term by term."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from anndata import AnnData

from .._sparse import row_of_each_entry, sorted_csr
from ._access import check_same_cells, check_vkey, embedding, not_supported, require_anndata, stored_square
from ._graph import self_transition_probability


def stored_graphs(adata, vkey="velocity"):
    """(graph, graph_neg) as scVelo's transition_matrix reads them, but never half of a pair.

    The graph from ``obsp`` if there, else ``uns``; graph_neg likewise from ``obsp`` if
    there, else ``uns``, else None. (scVelo finds graph_neg in obsp but then reads it from
    uns, and fails when it is not there; dropping it silently would change T.) Both are checked: a graph
    of another shape than n_obs x n_obs is stale (computed before ``adata[cells].copy()``,
    which does not subset uns) and raises an error saying to rerun ``velocity_graph``, and
    so does a graph that ``velocity_graph`` recorded for other cells or another cell order;
    index ranges are checked before any compiled function reads them.
    """
    key = f"{vkey}_graph"
    rerun = f"Rerun velograph.tl.velocity_graph(adata, vkey={vkey!r}) on this object."
    if key in adata.obsp:
        graph, where = adata.obsp[key], f"adata.obsp['{key}']"
    elif key in adata.uns:
        graph, where = adata.uns[key], f"adata.uns['{key}']"
    else:
        raise KeyError(f"adata.uns['{key}'] not found: run velograph.tl.velocity_graph(adata) "
                       "(or scv.tl.velocity_graph(adata)) first")
    graph = stored_square(adata, graph, where, rerun)
    neg_key = f"{vkey}_graph_neg"
    graph_neg = None
    if neg_key in adata.obsp:
        graph_neg = stored_square(adata, adata.obsp[neg_key], f"adata.obsp['{neg_key}']", rerun)
    elif neg_key in adata.uns:
        graph_neg = stored_square(adata, adata.uns[neg_key], f"adata.uns['{neg_key}']", rerun)
    check_same_cells(adata, vkey, rerun, graph)
    return graph, graph_neg


def finite_real(x, name: str, *, positive: bool = False) -> float:
    """``x`` as a float, refusing None, bools, strings, NaN and inf (and x <= 0 with ``positive``) by name.

    A NaN or infinite ``scale`` makes every kernel weight NaN or inf, so T would hold NaN.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a finite real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x} (the kernel weights would be NaN or inf)")
    if positive and x <= 0:
        raise ValueError(f"{name} must be positive, got {x}")
    return x


def _normalize_abs(T: sp.csr_matrix) -> sp.csr_matrix:
    """Divide each row by the sum of its absolute values (scVelo's ``utils.normalize``)."""
    T = sp.csr_matrix(T)
    z = np.asarray(abs(T).sum(axis=1)).ravel()
    rows = row_of_each_entry(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        T.data = T.data / z[rows]
    return T


def kernel(graph, graph_neg=None, *, scale=10.0, self_transitions=True, use_negative_cosines=False,
           backward=False, perc=None, threshold=None) -> sp.csr_matrix:
    r"""The unnormalised-then-normalised kernel of ``scv.tl.transition_matrix`` (no embedding term).

    With lambda = ``scale`` and s_i the self-transition probability:

    * default: every stored entry becomes e^{lambda pi_ij} (negative pi included: the
      +1 after expm1), the diagonal e^{lambda s_i} when s_i > 0; rows divided by their sums;
    * ``use_negative_cosines``: sign(pi) (e^{lambda abs(pi)} - 1), diagonal e^{lambda s_i} - 1,
      rows divided by the sum of absolute values (a signed matrix);
    * without ``graph_neg`` (or with ``vgraph``): e^{lambda pi} - 1 throughout (no +1).

    The common case (``graph_neg`` given, no ``backward``/``perc``/``threshold``) runs
    in one compiled pass over the rows (:func:`velograph._compiled.signed_kernel`);
    the general case below is the same arithmetic with scipy.sparse operations.
    """
    if graph_neg is not None and not backward and perc is None and threshold is None:
        return _kernel_compiled(graph, graph_neg, scale=scale, self_transitions=self_transitions,
                                use_negative_cosines=use_negative_cosines)
    graph = sp.csr_matrix(graph, dtype=np.float64, copy=True)
    if self_transitions:
        self_prob = self_transition_probability(graph)
        graph.setdiag(self_prob)
        # setdiag stores explicit zeros where s_i = 0; scVelo's later sparse addition
        # drops them, so the diagonal is absent (0), never e^0.
        graph.eliminate_zeros()
    T = graph.copy()
    T.data = np.expm1(scale * T.data)
    if graph_neg is not None:
        neg = sp.csr_matrix(graph_neg, dtype=np.float64, copy=True)
        if use_negative_cosines:
            neg.data = -np.expm1(-scale * neg.data)  # = -(e^{lambda|pi|} - 1) for pi < 0
            T = T + neg
        else:
            neg.data = np.expm1(scale * neg.data)
            T = T + neg
            T.eliminate_zeros()
            T.data += 1
    if perc is not None or threshold is not None:
        if threshold is None:
            threshold = np.percentile(T.data, perc)
        T.data[T.data < threshold] = 0
        T.eliminate_zeros()
    if backward:
        T = T.T.tocsr()
    return _normalize_abs(T)


def _kernel_compiled(graph, graph_neg, *, scale, self_transitions, use_negative_cosines) -> sp.csr_matrix:
    """The default kernel in one compiled pass over the rows; the inputs are only read.

    Any canonical graph pair gives scVelo's result: a stored diagonal (replaced by s_i
    with self-transitions), overlapping positive and negative entries (added), stored
    zeros (dropped). Unsorted or duplicated inputs are sorted on a copy, never in place.
    Each row gets room for all its candidate entries; rows that need fewer (the diagonal
    where s_i = 0, overlaps, zeros) are closed up afterwards, in place.
    """
    from .._compiled import compact, signed_kernel

    pos, neg = sorted_csr(graph), sorted_csr(graph_neg)
    n = pos.shape[0]
    self_prob = self_transition_probability(pos) if self_transitions else np.zeros(n)
    room = np.diff(pos.indptr) + np.diff(neg.indptr) + 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(room, out=indptr[1:])
    index_type = np.int32 if indptr[-1] < 2**31 else np.int64
    indices = np.empty(indptr[-1], dtype=index_type)
    data = np.empty(indptr[-1], dtype=np.float64)
    counts = np.empty(n, dtype=np.int64)
    signed_kernel(pos.indptr, pos.indices, pos.data, neg.indptr, neg.indices, neg.data,
                  np.asarray(self_prob, dtype=np.float64), bool(self_transitions), float(scale),
                  bool(use_negative_cosines), indptr, indices, data, counts)
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=new_indptr[1:])
    compact(indptr, counts, indices, data, new_indptr)
    nnz = new_indptr[-1]
    return sp.csr_matrix((data[:nnz], indices[:nnz], new_indptr.astype(index_type)), shape=(n, n))


def embedding_diffusion(T, X_emb, *, scale_diffusion=1.0, weight_diffusion=0.0) -> sp.csr_matrix:
    """scVelo's ``basis=`` step: multiply by a global Gaussian of embedding distances and renormalise.

    D_ij = ‖x_j - x_i‖ on the support of T > 0 (the diagonal included, with distance 0,
    so it counts in the mean and keeps weight 1), sigma_d = scale_diffusion * mean(D),
    T <- normalise(T * exp(-D^2 / 2 sigma_d^2)). Negative entries of a signed T are
    dropped. With 0 < weight_diffusion < 1, mix in a Gaussian of width sigma_d / 2.
    """
    support = sp.csr_matrix(T > 0)
    support.sort_indices()
    rows = row_of_each_entry(support)
    d = np.linalg.norm(X_emb[support.indices] - X_emb[rows], axis=1)
    sigma = scale_diffusion * d.mean()
    if not sigma > 0:
        raise ValueError("the diffusion width scale_diffusion * mean distance between neighbours in the embedding is "
                         f"{sigma}: every pair of neighbouring cells coincides there, so exp(-d^2 / 2 sigma^2) is "
                         "undefined. Use another basis")
    diffusion = sp.csr_matrix((np.exp(-0.5 * d**2 / sigma**2), support.indices, support.indptr), shape=T.shape)
    T = sp.csr_matrix(T.multiply(diffusion), dtype=np.float64)
    if 0 < weight_diffusion < 1:
        diffusion.data = np.exp(-0.5 * d**2 / (sigma / 2) ** 2)
        T = (1 - weight_diffusion) * T + weight_diffusion * diffusion
    return _normalize_abs(T)


def transition_matrix(adata: AnnData, vkey: str = "velocity", basis: str | None = None, backward: bool = False,
                      self_transitions: bool = True, scale: float = 10, perc: float | None = None,
                      threshold: float | None = None, use_negative_cosines: bool = False, weight_diffusion: float = 0,
                      scale_diffusion: float = 1, weight_indirect_neighbors: float | None = None,
                      n_neighbors: int | None = None, vgraph: sp.spmatrix | sp.sparray | np.ndarray | None = None,
                      basis_constraint: str | None = None) -> sp.csr_matrix:
    r"""Transition matrix exactly as ``scv.tl.transition_matrix`` computes it (returned, not stored).

    Default call, with lambda = ``scale`` = 10 (the blog's 1/sigma^2), N_i the stored
    entries of row i of graph + graph_neg, c_i = max_j graph_ij and
    s_i = clip(P98(c) - c_i, 0, 1):

    .. math:: \tilde\pi_{ij} = \frac{1[j\in N_i]\,e^{\lambda\pi_{ij}} + 1[j=i]\,1[s_i>0]\,e^{\lambda s_i}}
              {\sum_{k\in N_i} e^{\lambda\pi_{ik}} + 1[s_i>0]\,e^{\lambda s_i}}

    Non-stored entries are 0. See ``kernel`` in this module for ``use_negative_cosines`` (a signed
    matrix, rows normalised by absolute sums) and the ``vgraph`` path (expm1, no +1);
    ``backward`` transposes the unnormalised kernel; ``basis`` multiplies by a global
    Gaussian of embedding distances (``embedding_diffusion`` in this module). Returns a CSR
    matrix, float32 (float64 with ``basis``, as in scVelo), canonical (sorted, no duplicates)
    whatever the stored graphs hold: a stored diagonal is replaced by s_i and overlapping
    positive and negative entries are added, as scVelo's sparse arithmetic does. A stored graph
    whose shape is not n_obs x n_obs (e.g. after ``adata[cells].copy()``, which does not subset
    ``uns``) raises an error saying to rerun ``velocity_graph`` on the subset.
    ``weight_indirect_neighbors``, ``n_neighbors`` and ``basis_constraint`` raise NotImplementedError.
    ``scale`` must be a finite number (NaN or inf made every weight NaN), ``scale_diffusion``
    a positive one; an embedding in which all neighbouring cells coincide raises ValueError.
    Reads ``uns['<vkey>_graph']`` (made by :func:`velograph.tl.velocity_graph`) and never writes to ``adata``.

    Parameters
    ----------
    adata : anndata.AnnData
        With the graphs of :func:`velograph.tl.velocity_graph`; read, never written.
    vkey : str
        Prefix of the stored graphs (``uns['<vkey>_graph']``, ``uns['<vkey>_graph_neg']``).
    basis : str, optional
        Embedding ``obsm['X_<basis>']`` whose distances weight the kernel (see above).
    backward : bool
        Transpose the unnormalised kernel (transitions into each cell).
    self_transitions : bool
        Put s_i on the diagonal.
    scale : float
        lambda, the kernel's inverse width (1/sigma^2 of the blog).
    perc, threshold : float, optional
        Set kernel entries below ``threshold`` (or below the ``perc``-th percentile of the
        entries) to 0 before normalising.
    use_negative_cosines : bool
        The signed kernel (see ``kernel`` in this module).
    weight_diffusion, scale_diffusion : float
        The embedding weighting with ``basis``: mixing weight of the narrower Gaussian and
        the factor of its width sigma_d = scale_diffusion * mean distance.
    weight_indirect_neighbors, n_neighbors
        Not supported (NotImplementedError unless None).
    vgraph : sparse matrix, optional
        A graph to use instead of the stored one (no graph_neg: e^{lambda pi} - 1 throughout).
    basis_constraint : str, optional
        Not supported (NotImplementedError unless None).

    Returns
    -------
    scipy.sparse.csr_matrix, n_obs x n_obs
        The transition matrix, float32 (float64 with ``basis``), canonical; each row with
        stored entries sums to 1 (absolute values with ``use_negative_cosines``).

    Raises
    ------
    KeyError
        If there is no stored graph (run :func:`velograph.tl.velocity_graph` first), or no
        ``obsm['X_<basis>']``.
    ValueError
        If a stored graph belongs to other cells, another cell order or another object.
    TypeError
        If ``adata`` is not an AnnData.
    NotImplementedError
        For the unsupported options listed above.

    Examples
    --------
    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> vtl.velocity_graph(adata)
    >>> T = vtl.transition_matrix(adata)
    >>> print(type(T).__name__, T.dtype)
    csr_matrix float32
    >>> print(np.round(T[:3, :5].toarray(), 3))
    [[0.    0.394 0.344 0.262 0.   ]
     [0.    0.    0.558 0.442 0.   ]
     [0.    0.    0.    0.555 0.445]]
    >>> print(np.round(np.asarray(T.sum(axis=1)).ravel(), 4))
    [1. 1. 1. 1. 1. 1. 1. 1.]

    The signed kernel keeps the backward neighbours, with negative weights:

    >>> print(np.round(vtl.transition_matrix(adata, use_negative_cosines=True)[1:3, :5].toarray(), 3))
    [[-0.366  0.     0.353  0.28   0.   ]
     [-0.211 -0.27   0.     0.288  0.231]]
    """
    adata = require_anndata(adata)
    not_supported(
        weight_indirect_neighbors=(weight_indirect_neighbors, None, "indirect-neighbour weighting"),
        n_neighbors=(n_neighbors, None, "connectivity re-weighting"),
        basis_constraint=(basis_constraint, None, "embedding-kNN constraint"),
    )
    check_vkey(vkey)
    scale = finite_real(scale, "scale")
    if basis is not None:
        scale_diffusion = finite_real(scale_diffusion, "scale_diffusion", positive=True)
        weight_diffusion = finite_real(weight_diffusion, "weight_diffusion")
    if perc is not None:
        perc = finite_real(perc, "perc")
        if not 0 <= perc <= 100:
            raise ValueError(f"perc must be a percentile in [0, 100], got {perc}")
    if threshold is not None:
        threshold = finite_real(threshold, "threshold")
    if vgraph is not None:
        graph = stored_square(adata, vgraph, "vgraph", "Pass a graph with one row and column per cell.")
        graph_neg = None
    else:
        graph, graph_neg = stored_graphs(adata, vkey)
    T = kernel(graph, graph_neg, scale=scale, self_transitions=self_transitions,
               use_negative_cosines=use_negative_cosines, backward=backward, perc=perc, threshold=threshold)
    T = sp.csr_matrix(T, dtype=np.float32)
    if not np.isfinite(T.data).all():
        # e^(scale * pi) overflows float32 beyond scale * |pi| ~ 88: the row sums become inf and
        # the rows NaN (scVelo returns them silently)
        raise ValueError(f"scale={scale:g} is too large for this graph: e^(scale * cosine) overflows float32 "
                         f"(beyond scale * |cosine| ~ 88), which would leave NaN rows in T; use a smaller scale "
                         f"(scVelo's default is 10)")
    if basis is not None:
        # scVelo multiplies the float32 kernel by a float64 distance weight: float64 out.
        T = embedding_diffusion(T, embedding(adata, basis), scale_diffusion=scale_diffusion,
                                weight_diffusion=weight_diffusion)
    return T
