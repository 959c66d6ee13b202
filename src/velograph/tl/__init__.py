"""scVelo-compatible post hoc tools on AnnData: a drop-in for scVelo 0.3.4's chain.

On an ``adata`` that has been through scVelo's preprocessing and ``scv.tl.velocity``::

    import velograph.tl as vtl          # instead of scvelo.tl
    vtl.velocity_graph(adata)           # writes uns['velocity_graph'], uns['velocity_graph_neg'],
                                        # obs['velocity_self_transition']
    T = vtl.transition_matrix(adata)    # returns the matrix, like scv.tl.transition_matrix
    vtl.velocity_embedding(adata, basis="umap")   # writes obsm['velocity_umap']
    r = vtl.reconstructability(adata, gene_subset=top_genes)   # not in scVelo

Each function's docstring has a small example that runs as a doctest.

Same arguments, defaults, results (to float32 rounding) and written keys as
scVelo; everything runs in one process without a worker pool, and nothing
upstream (neighbours, moments, velocities, embeddings) is ever computed
implicitly: a missing input raises an error naming the call that makes it.
"""

from ._calibrated import (
    consensus_across_settings,
    density_direction,
    density_lean,
    edge_cell_check,
    edge_cells,
    matched_gene_sets,
    reconstructability_vs_matched,
    velocity_variance_share,
)
from ._confidence import velocity_confidence
from ._embedding import quiver_autoscale, velocity_embedding
from ._graph import graph_inputs, neighborhoods, velocity_graph
from ._reconstruct import reconstructability, reconstructability_many, reconstructability_readings
from ._transition import transition_matrix

__all__ = [
    "consensus_across_settings",
    "density_direction",
    "density_lean",
    "edge_cell_check",
    "edge_cells",
    "graph_inputs",
    "matched_gene_sets",
    "neighborhoods",
    "quiver_autoscale",
    "reconstructability",
    "reconstructability_many",
    "reconstructability_readings",
    "reconstructability_vs_matched",
    "transition_matrix",
    "velocity_confidence",
    "velocity_embedding",
    "velocity_graph",
    "velocity_variance_share",
]
