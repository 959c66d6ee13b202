"""``reconstructability``: section D on an AnnData (not part of scVelo)."""

from __future__ import annotations

from .._checks import choice
from ..reconstruct import OVER, reconstructability_score
from ._access import require_anndata
from ._graph import compute_velocity_graph
from ._transition import kernel

MATRICES = ("graph", "transition")


def reconstructability(adata, gene_subset, *, vkey="velocity", xkey="Ms", matrix="graph", over="all",
                       per_cell=False, sqrt_transform=None, n_recurse_neighbors=None):
    r"""r = median_i corr(pi_i, pi'_i): how well ``gene_subset`` reproduces the velocity graph.

    pi is computed as :func:`velograph.tl.velocity_graph` does with the default genes
    (``var['<vkey>_genes']``), pi' the same with only ``gene_subset`` (names or a
    boolean mask); both with the same neighbours, ``sqrt_transform`` and
    ``n_recurse_neighbors``. The rows compared are

    * ``matrix="graph"`` (default): the signed correlations graph + graph_neg;
    * ``matrix="transition"``: the default transition matrices (scale 10, self-transitions).

    ``over="all"`` correlates all N entries of each row (the blog's definition);
    ``over="neighbors"`` only the entries stored in either row. Cells whose
    correlation is undefined are left out of the median. Returns the median, or the
    per-cell correlations with ``per_cell=True``. Writes nothing to ``adata``.
    A single gene does not crash (scVelo does, scvelo#292) but gives NaN with a
    RuntimeWarning: a Pearson correlation over one gene is undefined (the centred
    one-gene vector is zero), so the subset graph has no edges.
    """
    return reconstructability_many(adata, [gene_subset], vkey=vkey, xkey=xkey, matrix=matrix, over=over,
                                   per_cell=per_cell, sqrt_transform=sqrt_transform,
                                   n_recurse_neighbors=n_recurse_neighbors)[0]


def reconstructability_many(adata, gene_subsets, *, vkey="velocity", xkey="Ms", matrix="graph", over="all",
                            per_cell=False, sqrt_transform=None, n_recurse_neighbors=None):
    """:func:`reconstructability` for several gene subsets, computing the all-genes graph once.

    Returns a list with one r (or per-cell array) per subset, e.g. for a baseline of
    random gene sets.
    """
    adata = require_anndata(adata)
    choice(matrix, "matrix", MATRICES)
    scores = reconstructability_readings(adata, gene_subsets, readings=[(matrix, over)], per_cell=per_cell, vkey=vkey,
                                         xkey=xkey, sqrt_transform=sqrt_transform,
                                         n_recurse_neighbors=n_recurse_neighbors)
    return [row[0] for row in scores]


def reconstructability_readings(adata, gene_subsets, *, readings, per_cell=False, vkey="velocity", xkey="Ms",
                                sqrt_transform=None, n_recurse_neighbors=None) -> list:
    """r of every gene subset under every reading, each velocity graph computed once.

    A reading is ``(matrix, over)`` with ``matrix`` in ``"graph"``/``"transition"`` and
    ``over`` in ``"all"``/``"neighbors"``, as in :func:`reconstructability`. Returns one list
    per subset with one r (or per-cell array) per reading, in the order given.
    """
    adata = require_anndata(adata)
    readings = [tuple(reading) for reading in readings]
    for matrix, over in readings:
        if matrix not in MATRICES or over not in OVER:
            raise ValueError("a reading is (matrix in 'transition'/'graph', over in 'all'/'neighbors'), "
                             f"got {(matrix, over)}")
    needed = {matrix for matrix, _ in readings}
    options = dict(vkey=vkey, xkey=xkey, sqrt_transform=sqrt_transform, n_recurse_neighbors=n_recurse_neighbors)

    def rows(gene_subset=None):
        graph, graph_neg, _, _ = compute_velocity_graph(adata, gene_subset=gene_subset, **options)
        out = {}
        if "graph" in needed:
            out["graph"] = graph + graph_neg
        if "transition" in needed:
            out["transition"] = kernel(graph, graph_neg)
        return out

    full = rows()
    scores = []
    for subset in gene_subsets:  # one subset's graphs at a time: memory stays at two graphs
        sub = rows(subset)
        scores.append([reconstructability_score(full[m], sub[m], over=o, per_cell=per_cell) for m, o in readings])
    return scores
