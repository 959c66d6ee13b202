"""velograph: the RNA-velocity velocity graph, step by step.

Array-level functions (numpy/scipy only, the textbook formulas):

* section A: :func:`cosine_similarity`, :func:`pearson_similarity`, :func:`sign_sqrt`, :func:`cosine_graph`
  (a Pearson graph with ``center=True``, also :func:`pearson_graph`)
* section B: :func:`transition_matrix`
* section C: :func:`project_velocity` and its distance- and confidence-weighted variants
* section D: :func:`reconstructability_score`
* edge cells of a 2-D embedding: :func:`empty_sector`, :func:`points_into_sector`

``velograph.tl`` reproduces scVelo's post hoc chain on AnnData objects; it is
imported on demand, and importing velograph never imports scVelo. The book's own
helpers (printing, figures, toy data, prepared inputs) live in the separate package
``velograph_book``, which this library never imports.
"""

from ._threading import prefer_fork_safe_threading_layer
from .graph import cosine_graph, pearson_graph
from .kernel import DEFAULT_SIGMA, transition_matrix
from .projection import (
    project_velocity,
    project_velocity_confidence_weighted,
    project_velocity_distance_weighted,
    unit_directions,
)
from .reconstruct import reconstructability_score, row_correlations
from .sectors import empty_sector, points_into_sector
from .similarity import cosine_similarity, pearson_similarity, sign_sqrt

__version__ = "0.1.0"

# Before other packages' numba code can start GNU OpenMP, which a fork child cannot survive.
prefer_fork_safe_threading_layer()

__all__ = [
    "DEFAULT_SIGMA",
    "cosine_graph",
    "cosine_similarity",
    "empty_sector",
    "pearson_graph",
    "pearson_similarity",
    "points_into_sector",
    "project_velocity",
    "project_velocity_confidence_weighted",
    "project_velocity_distance_weighted",
    "reconstructability_score",
    "row_correlations",
    "sign_sqrt",
    "transition_matrix",
    "unit_directions",
]


def __getattr__(name):
    # `velograph.tl` needs anndata; load it only when asked for.
    if name in ("tl", "datasets", "reference"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'velograph' has no attribute {name!r}")
