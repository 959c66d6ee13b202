"""``reconstructability``: section D on an AnnData (not part of scVelo)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from anndata import AnnData
    from numpy.typing import ArrayLike

from .._checks import choice
from ..reconstruct import OVER, reconstructability_score
from ._access import require_anndata
from ._graph import compute_velocity_graph
from ._transition import kernel

MATRICES = ("graph", "transition")


def reconstructability(adata: AnnData, gene_subset: ArrayLike, *, vkey: str = "velocity", xkey: str = "Ms",
                       matrix: str = "graph", over: str = "all", per_cell: bool = False,
                       sqrt_transform: bool | None = None,
                       n_recurse_neighbors: int | None = None) -> float | np.ndarray:
    r"""r = median_i corr(pi_i, pi'_i): how well ``gene_subset`` reproduces the velocity graph.

    pi is computed as :func:`velograph.tl.velocity_graph` does with the default genes
    (``var['<vkey>_genes']``), pi' the same with only ``gene_subset`` (names or a
    boolean mask); both with the same neighbours, ``sqrt_transform`` and
    ``n_recurse_neighbors``. The rows compared are

    * ``matrix="graph"`` (default): the signed correlations graph + graph_neg;
    * ``matrix="transition"``: the default transition matrices (scale 10, self-transitions).

    ``over="all"`` correlates all N entries of each row (the blog's definition);
    ``over="neighbors"`` only the entries stored in either row. Cells whose
    correlation is undefined are left out of the median. Writes nothing to ``adata``.
    A single gene does not crash (scVelo does, scvelo#292) but gives NaN with a
    RuntimeWarning: a Pearson correlation over one gene is undefined (the centred
    one-gene vector is zero), so the subset graph has no edges.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``layers[xkey]``, ``layers[vkey]`` and ``obsp['distances']``; read, never written.
    gene_subset : list of str, or boolean mask over ``var_names``
        The genes of pi'.
    vkey : str
        Layer of the velocities (and prefix of ``var['<vkey>_genes']``).
    xkey : str
        Layer of the states (scVelo's ``Ms``).
    matrix : {'graph', 'transition'}
        Which rows are compared (see above).
    over : {'all', 'neighbors'}
        Which entries of each row are compared (see above).
    per_cell : bool
        Return the per-cell correlations instead of their median.
    sqrt_transform : bool, optional
        As in :func:`velograph.tl.velocity_graph` (None: True exactly for stochastic-mode
        velocities).
    n_recurse_neighbors : int, optional
        As in :func:`velograph.tl.velocity_graph` (None: 2).

    Returns
    -------
    float or numpy.ndarray
        r, the median (dimensionless, in [-1, 1]), or with ``per_cell=True`` the array of
        the n_obs per-cell correlations (NaN where undefined).

    Raises
    ------
    KeyError
        If a layer, the neighbour graph or a gene name is missing (the message names the
        call that makes it).
    ValueError
        If ``matrix`` or ``over`` is not one of its options, or ``gene_subset`` selects no genes.
    TypeError
        If ``adata`` is not an AnnData.

    Examples
    --------
    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> print(f"r = {vtl.reconstructability(adata, ['b', 'd'], matrix='transition'):.3f}")
    r = 0.976
    >>> print(np.round(vtl.reconstructability(adata, ["b", "d"], per_cell=True)[:7], 2))
    [ 1.    1.    1.    1.    1.    0.88 -0.27]
    """
    return reconstructability_many(adata, [gene_subset], vkey=vkey, xkey=xkey, matrix=matrix, over=over,
                                   per_cell=per_cell, sqrt_transform=sqrt_transform,
                                   n_recurse_neighbors=n_recurse_neighbors)[0]


def reconstructability_many(adata: AnnData, gene_subsets: Sequence[ArrayLike], *, vkey: str = "velocity",
                            xkey: str = "Ms", matrix: str = "graph", over: str = "all", per_cell: bool = False,
                            sqrt_transform: bool | None = None,
                            n_recurse_neighbors: int | None = None) -> list[float] | list[np.ndarray]:
    """:func:`reconstructability` for several gene subsets, computing the all-genes graph once.

    Parameters
    ----------
    adata : anndata.AnnData
        As in :func:`reconstructability`; read, never written.
    gene_subsets : sequence of gene subsets
        Each a list of names or a boolean mask over ``var_names``.
    vkey, xkey, matrix, over, per_cell, sqrt_transform, n_recurse_neighbors
        As in :func:`reconstructability`.

    Returns
    -------
    list
        One r (or per-cell array) per subset, in order, e.g. for a baseline of random
        gene sets.

    Raises
    ------
    KeyError, ValueError, TypeError
        As :func:`reconstructability`.

    Examples
    --------
    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> scores = vtl.reconstructability_many(adata, [["a", "d"], ["b", "c"]], matrix="transition")
    >>> print([round(r, 3) for r in scores])
    [0.985, 0.996]
    """
    adata = require_anndata(adata)
    choice(matrix, "matrix", MATRICES)
    scores = reconstructability_readings(adata, gene_subsets, readings=[(matrix, over)], per_cell=per_cell, vkey=vkey,
                                         xkey=xkey, sqrt_transform=sqrt_transform,
                                         n_recurse_neighbors=n_recurse_neighbors)
    return [row[0] for row in scores]


def reconstructability_readings(adata: AnnData, gene_subsets: Sequence[ArrayLike], *,
                                readings: Sequence[tuple[str, str]], per_cell: bool = False, vkey: str = "velocity",
                                xkey: str = "Ms", sqrt_transform: bool | None = None,
                                n_recurse_neighbors: int | None = None) -> list[list]:
    """r of every gene subset under every reading, each velocity graph computed once.

    Parameters
    ----------
    adata : anndata.AnnData
        As in :func:`reconstructability`; read, never written.
    gene_subsets : sequence of gene subsets
        Each a list of names or a boolean mask over ``var_names``.
    readings : sequence of (matrix, over)
        ``matrix`` in ``"graph"``/``"transition"`` and ``over`` in ``"all"``/``"neighbors"``,
        as in :func:`reconstructability`.
    per_cell, vkey, xkey, sqrt_transform, n_recurse_neighbors
        As in :func:`reconstructability`.

    Returns
    -------
    list of lists
        One list per subset with one r (or per-cell array) per reading, in the order given.

    Raises
    ------
    ValueError
        If a reading is not a valid (matrix, over) pair; otherwise as :func:`reconstructability`.

    Examples
    --------
    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> scores = vtl.reconstructability_readings(adata, [["a", "d"], ["b", "d"]],
    ...                                          readings=[("graph", "all"), ("transition", "neighbors")])
    >>> print(np.round(scores, 3))
    [[1.    0.977]
     [1.    0.959]]
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
