"""``reconstructability``: section D on an AnnData (not part of scVelo)."""

from __future__ import annotations

from ..reconstruct import reconstructability_score
from ._access import choice_of, require_anndata
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
    """
    adata = require_anndata(adata)
    choice_of(matrix, "matrix", MATRICES)
    options = dict(vkey=vkey, xkey=xkey, sqrt_transform=sqrt_transform, n_recurse_neighbors=n_recurse_neighbors)
    full = compute_velocity_graph(adata, **options)
    sub = compute_velocity_graph(adata, gene_subset=gene_subset, **options)
    if matrix == "graph":
        rows_full, rows_sub = full[0] + full[1], sub[0] + sub[1]
    else:
        rows_full, rows_sub = kernel(full[0], full[1]), kernel(sub[0], sub[1])
    return reconstructability_score(rows_full, rows_sub, over=over, per_cell=per_cell)
