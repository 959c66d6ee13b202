"""Calibrated checks of velocity arrows and of reconstructability, on any AnnData with scVelo's keys.

Each check compares what the data give with what a *null* gives (the same computation
on inputs from which one kind of information has been removed) and returns a pandas
DataFrame whose verdict column follows from stated rules:

* :func:`density_lean`: do the arrows lean towards where the neighbours lie, beyond
  random directions and beyond one shared velocity for every cell?
* :func:`consensus_across_settings`: do known transitions keep their direction across
  analysis settings, with bootstrap intervals, and beyond what one shared velocity scores?
* :func:`edge_cell_check`: do arrows of cells at the edge of their neighbourhood point
  into the empty side more often than random directions or gene-shuffled velocities do?
  (:func:`edge_cells` gives each cell's empty sector and whether it is an edge cell.)
* :func:`reconstructability_vs_matched`: is r of a gene set above that of random gene
  sets carrying the same share of velocity variance?

:func:`density_direction` is the reference direction of :func:`density_lean`.

Monte Carlo p-values are p = (1 + #{null >= observed}) / (1 + n_draws) (never below
1/(n_draws + 1)), each reported with its Monte Carlo standard error
sqrt(p (1 - p) / n_draws). Random draws come from ``numpy.random.default_rng(seed)``.
Nothing is written to the AnnData: every graph and arrow field is computed on the
side from the layers, neighbours and embedding it holds.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

if TYPE_CHECKING:
    from anndata import AnnData
    from numpy.typing import ArrayLike

from .._checks import positive_int
from ..graph import locality_order, pair_similarities
from ..neighbors import knn_pattern, recursive_neighbors
from ..projection import project_velocity_csr
from ..reconstruct import reconstructability_score
from ..sectors import empty_sector, points_into_sector
from ._access import boolean_column, dense_layer, distances, embedding, gene_mask, require_anndata, uns_params
from ._graph import knn_indices_from_distances, select_genes
from ._transition import kernel

CORRECTIONS = ("mean", "uniform", None)
#: An edge arrow no longer than this times the sum of its row's absolute weights has no direction: the
#: float32 rounding of the weights (2**-24 each) moves it by up to ~1e-7 of that sum, so its angle is noise.
NO_DIRECTION = 1e-5
SETTING_KEYS = ("vkey", "xkey", "sqrt_transform", "gene_subset")


# --------------------------------------------------------------------------- argument checks


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def _draws(n_draws, name="n_draws") -> int:
    n_draws = positive_int(n_draws, name)
    if n_draws < 20:
        raise ValueError(f"{name} must be at least 20 (a p-value from fewer draws cannot go below 0.05), "
                         f"got {n_draws}")
    return n_draws


def _alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def _correction(correction):
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of 'mean' (scVelo), 'uniform' (the textbook 1/n) or None, "
                         f"got {correction!r}")
    return correction


def _labels(adata, groupby) -> pd.Categorical:
    if not isinstance(groupby, str):
        raise TypeError(f"groupby must be the name of a column of adata.obs, got {type(groupby).__name__}")
    if groupby not in adata.obs:
        raise KeyError(f"groupby={groupby!r}: adata.obs has no such column (columns: {list(adata.obs.columns)})")
    column = adata.obs[groupby]
    return pd.Categorical(column) if isinstance(column.dtype, pd.CategoricalDtype) else pd.Categorical(
        column.astype(str))


def _p_value(null, observed) -> tuple[float, float]:
    """One-sided Monte Carlo p-value of ``observed`` against ``null`` draws, and its Monte Carlo standard error."""
    null = np.asarray(null, dtype=np.float64)
    n = len(null)
    # a tolerance so that a null equal to the observed value up to float rounding counts as >=
    at_least = int(np.sum(null >= observed - 1e-12))
    p = (1 + at_least) / (1 + n)
    return p, float(np.sqrt(p * (1 - p) / n))


def _min_width(min_width) -> float:
    if isinstance(min_width, bool) or not isinstance(min_width, numbers.Real) or not 0 < min_width < 360:
        raise ValueError(f"min_width must be a number of degrees strictly between 0 and 360, got {min_width!r}")
    return float(min_width)


def _verdict(p, se, alpha, yes, no) -> str:
    if abs(p - alpha) < 2 * se:
        return "cannot tell (p within 2 Monte Carlo SE of alpha: increase n_draws)"
    return yes if p < alpha else no


# --------------------------------------------------------------------------- arrows from arrays


class _ArrowMaker:
    """scVelo's arrows on an embedding for any velocity array, with the neighbourhoods computed once.

    The graph is :func:`velograph.tl.velocity_graph`'s (Pearson of f(x_j - x_i) and f(v_i)
    over the two-hop kNN neighbourhood N_i, float32) and the arrows those of
    :func:`velograph.tl.velocity_embedding` with ``autoscale=False`` for
    ``correction="mean"``; ``"uniform"`` projects the probabilities of the kernel without
    self-transitions with the textbook correction (1/n_i) sum_j delta_hat_ij, and None the
    same probabilities uncorrected.
    """

    def __init__(self, adata, X_emb, *, n_recurse_neighbors=2):
        indices = knn_indices_from_distances(distances(adata))
        self.knn = indices
        self.pattern = recursive_neighbors(indices, n_recurse_neighbors)  # includes each cell itself
        knn = knn_pattern(indices)
        self.order = locality_order(knn.indptr, knn.indices)
        self.X_emb = None if X_emb is None else np.ascontiguousarray(X_emb, dtype=np.float64)
        self.n = adata.n_obs

    def graphs(self, X, V, sqrt_transform, rows=None):
        """graph and graph_neg; with ``rows`` (non-empty, valid cell indices) only those rows, the others empty."""
        indptr, indices = self.pattern.indptr, self.pattern.indices
        order = self.order
        if rows is not None:
            kept = np.unique(rows)  # CSR stores rows in increasing order
            counts = np.zeros(self.n, dtype=np.int64)
            counts[kept] = np.diff(indptr)[kept]
            indices = np.concatenate([indices[indptr[i]:indptr[i + 1]] for i in kept]).astype(indices.dtype)
            indptr = np.concatenate([[0], np.cumsum(counts)]).astype(indptr.dtype)
            order = None  # a few rows: nothing to gain from a locality order
        values = pair_similarities(X, V, indptr, indices, center=True, variance_stabilize=bool(sqrt_transform),
                                   order=order).astype(np.float32)
        shape = (self.n, self.n)
        # copies of the pattern: eliminate_zeros compacts the index arrays in place, and the pattern is reused
        graph = sp.csr_matrix((np.clip(values, 0, 1), indices.copy(), indptr.copy()), shape=shape)
        graph_neg = sp.csr_matrix((np.clip(values, -1, 0), indices.copy(), indptr.copy()), shape=shape)
        graph.eliminate_zeros()
        graph_neg.eliminate_zeros()
        return graph, graph_neg

    def arrows(self, X, V, sqrt_transform, correction="mean", X_emb=None, rows=None) -> np.ndarray:
        """Arrows of every cell, or with ``rows`` (cell indices) of those cells only, in that order.

        The arrow of cell i reads row i of the graphs alone, up to one positive factor: with
        ``correction="mean"`` the kernel's self-transition s_i depends on the 98th percentile
        of every row's largest similarity, and it rescales row i's other entries (rows are
        normalised by their absolute sums), and the arrow with them. ``rows`` therefore gives
        the direction of each arrow (to rounding; its length only up to that factor), at the
        cost of those rows; ``correction="uniform"`` and None have no self-transitions, and
        there the arrows are the same to rounding. Rounding here is that of the float32
        weights, at most about 2 * 2**-24 * sum_j |T_ij| in each arrow: an arrow shorter than
        ``NO_DIRECTION`` * sum_j |T_ij| (e.g. every weight of its row equal, so that the
        correction cancels the sum) has a direction set by that rounding, which the factor
        changes; ``rows`` returns it as 0 (no direction).
        """
        graph, graph_neg = self.graphs(X, V, sqrt_transform, rows)
        X_emb = self.X_emb if X_emb is None else X_emb
        if correction == "mean":
            T = sp.csr_matrix(kernel(graph, graph_neg, use_negative_cosines=True), dtype=np.float32)
        else:
            T = sp.csr_matrix(kernel(graph, graph_neg, self_transitions=False), dtype=np.float32)
        T.setdiag(0)
        T.eliminate_zeros()
        arrows = project_velocity_csr(T, X_emb, correction=correction)
        if rows is None:
            return arrows
        arrows = arrows[rows]
        weight = np.asarray(abs(T).sum(axis=1), dtype=np.float64).ravel()[rows]
        arrows[np.linalg.norm(arrows, axis=1) <= NO_DIRECTION * weight] = 0
        return arrows

    def neighbourhood(self) -> sp.csr_matrix:
        """N_i without the cell itself, as a CSR pattern of ones (velocity-independent)."""
        P = sp.csr_matrix(self.pattern, dtype=np.float64)
        P.setdiag(0)
        P.eliminate_zeros()
        return P


def _setting(adata, options, name="setting"):
    """(X, V, sqrt_transform) of one setting: states and velocities on the genes velocity_graph would use."""
    if not isinstance(options, Mapping):
        raise TypeError(f"{name} must be a mapping of velocity_graph options, got {type(options).__name__}")
    unknown = set(options) - set(SETTING_KEYS)
    if unknown:
        raise ValueError(f"{name} has unknown options {sorted(unknown)}; allowed: {', '.join(SETTING_KEYS)}")
    vkey = options.get("vkey", "velocity")
    xkey = options.get("xkey", "Ms")
    X, V = select_genes(adata, vkey, xkey, options.get("gene_subset"))
    if X.shape[1] < 2:
        # a correlation over one gene is undefined: every arrow would be NaN and every row empty
        raise ValueError(f"{name} selects {X.shape[1]} gene(s) with a finite velocity; the velocity graph "
                         f"needs at least 2 (choose more genes in gene_subset or var['{vkey}_genes'])")
    sqrt = options.get("sqrt_transform")
    if sqrt is None:
        sqrt = uns_params(adata, vkey).get("mode") == "stochastic"
    return X, V, bool(sqrt)


def _shared(V) -> np.ndarray:
    """Every cell given the mean velocity (mean in float64, returned as float32)."""
    mean = np.asarray(V, dtype=np.float64).mean(axis=0, keepdims=True)
    return np.repeat(mean, V.shape[0], axis=0).astype(np.float32)


def _row_cosines(A, B) -> np.ndarray:
    """cos of row i of A and row i of B; NaN where either row is zero or not finite."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    norm = np.linalg.norm(A, axis=1) * np.linalg.norm(B, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (A * B).sum(axis=1) / norm
    return np.where(np.isfinite(c) & (norm > 0), c, np.nan)


def density_direction(adata: AnnData, *, basis: str = "umap") -> np.ndarray:
    r"""The mean unit direction from each cell to the neighbours the velocity graph scans.

    .. math:: d_i = \frac{1}{n_i} \sum_{j \in N_i} \hat\delta_{ij}, \qquad
              \hat\delta_{ij} = \frac{x_j - x_i}{\lVert x_j - x_i \rVert}

    with N_i the kNN of ``obsp['distances']`` and their kNN, without i (n_i of them), on
    the embedding ``obsm['X_<basis>']``. This is the term the textbook density correction
    subtracts from every arrow (section C) and the reference direction of
    :func:`density_lean`: it points towards where i's neighbours lie, its length (at most
    1, dimensionless) says how one-sided they are.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``obsp['distances']`` and ``obsm['X_<basis>']``; read, never written.
    basis : str
        Embedding; all of its columns are used.

    Returns
    -------
    numpy.ndarray, shape (n_obs, n_dims), float64
        d_i per cell; zero when every scanned neighbour sits at the cell's own position
        (such neighbours count in n_i but give no direction).

    Raises
    ------
    TypeError, ValueError, KeyError
        If ``adata`` is not an AnnData or the neighbour graph or the embedding is missing
        or malformed.

    Examples
    --------
    >>> import numpy as np, anndata as ad, scipy.sparse as sp
    >>> X_umap = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    >>> knn = sp.csr_matrix((np.ones(8), [1, 2, 0, 2, 0, 1, 1, 2], [0, 2, 4, 6, 8]), shape=(4, 4))
    >>> a = ad.AnnData(np.zeros((4, 2)), obsm={"X_umap": X_umap}, obsp={"distances": knn})
    >>> print(density_direction(a)[0])  # cell 0 scans cells 1 and 2: (1, 0) and (0, 1) on average
    [0.5 0.5]
    """
    adata = require_anndata(adata)
    return _density_direction(_ArrowMaker(adata, embedding(adata, basis)))


def _density_direction(maker) -> np.ndarray:
    N = maker.neighbourhood()
    counts = np.diff(N.indptr)
    N.data = N.data / np.repeat(np.maximum(counts, 1), counts)
    return project_velocity_csr(N, maker.X_emb, correction=None)


# --------------------------------------------------------------------------- 1. density lean


def density_lean(adata: AnnData, *, groupby: str = "clusters", basis: str = "umap", vkey: str = "velocity",
                 xkey: str = "Ms", sqrt_transform: bool | None = None, gene_subset: ArrayLike | None = None,
                 correction: str | None = "mean", n_draws: int = 200, seed: int | np.random.Generator = 0,
                 alpha: float = 0.05) -> pd.DataFrame:
    r"""Share of arrows pointing towards denser neighbourhoods, per group, against two nulls.

    The **density direction** of cell i is the mean unit direction to its stored
    neighbours on the embedding,

    .. math:: d_i = \frac{1}{n_i}\sum_{j\in N_i}\hat\delta_{ij}, \qquad
              \hat\delta_{ij} = \frac{x_j - x_i}{\lVert x_j - x_i\rVert},

    with N_i the neighbourhood the velocity graph scans (the kNN of ``obsp['distances']``
    and their kNN, without i): exactly the term the textbook density correction subtracts.
    It points to where most of i's neighbours lie, whatever the velocity. A cell's arrow
    *leans towards density* when it lies within 90 degrees of d_i (cos > 0).

    The arrows are scVelo's (``velocity_embedding(autoscale=False)`` of a velocity graph
    computed from ``layers[vkey]`` and ``layers[xkey]``) with ``correction="mean"``; the
    textbook's (kernel probabilities without self-transitions, minus (1/n_i) sum_j
    delta_hat_ij) with ``"uniform"``; the same uncorrected with None.

    Nulls, per group and for all cells:

    * **random directions** (``n_draws`` draws): every cell's arrow replaced by a uniformly
      random direction (normal vectors in the embedding's dimensions). A directionless
      field gives 0.5 up to sampling. p = (1 + #{null share >= share}) / (1 + n_draws).
    * **one shared velocity**: every cell given the mean velocity, the graph and arrows
      recomputed (one deterministic field): how much the population's average direction
      and the map's geometry alone lean towards density. ``p_vs_shared`` is a paired
      randomisation test (McNemar-like): with a_i, b_i the real and shared indicators,
      the statistic mean(a_i - b_i) against ``n_draws`` draws in which a_i and b_i are
      swapped in each cell with probability 1/2.

    What the test can conclude: that the arrows lean towards density beyond chance (and
    beyond the shared velocity). It **cannot** tell whether that lean is an artefact of
    density: a true velocity into a terminal state also points to where cells accumulate.
    No verdict here says "not an artefact".

    Parameters
    ----------
    adata : anndata.AnnData
        With ``layers[xkey]``, ``layers[vkey]``, ``obsp['distances']``,
        ``obsm['X_<basis>']`` and ``obs[groupby]``; read, never written.
    groupby : str
        Column of ``adata.obs`` with the groups (e.g. cell types).
    basis : str
        Embedding ``obsm['X_<basis>']`` (all its columns).
    vkey, xkey, sqrt_transform, gene_subset
        As in :func:`velograph.tl.velocity_graph` (None: scVelo's defaults).
    correction : {'mean', 'uniform', None}
        The density correction of the arrows (see above).
    n_draws : int
        Monte Carlo draws of each random null (at least 20; 200 by default).
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng``; the random directions are drawn first, then
        the swaps.
    alpha : float
        Level of the one-sided tests.

    Returns
    -------
    pandas.DataFrame
        One row per group and a last row ``"all cells"``; columns ``n_cells`` (cells with a
        defined arrow and density direction), ``share`` (share of arrows within 90 degrees
        of the density direction), ``random_mean``, ``random_q025``, ``random_q975`` (the
        random-direction null's mean and 2.5/97.5% quantiles), ``p_random``,
        ``p_random_mc_se``, ``shared_share``, ``p_vs_shared``, ``p_vs_shared_mc_se`` and
        ``verdict``: "leans towards density" when p_random < alpha, "no lean detected"
        otherwise, "cannot tell (...)" when p_random lies within 2 Monte Carlo standard
        errors of alpha; the suffix "; more than the shared velocity" is added when also
        p_vs_shared < alpha (beyond its 2 SE). No correction for testing several groups.

    Examples
    --------
    >>> import numpy as np, anndata as ad, scipy.sparse as sp
    >>> from sklearn.neighbors import kneighbors_graph
    >>> rng = np.random.default_rng(0)
    >>> umap = rng.normal(size=(120, 2))
    >>> Ms = np.abs(rng.normal(size=(120, 20))) + umap[:, :1]
    >>> velocity = rng.normal(size=(120, 20)).astype(np.float32)
    >>> a = ad.AnnData(np.zeros((120, 20)), layers={"Ms": Ms, "velocity": velocity},
    ...                obsm={"X_umap": umap}, obs={"clusters": np.repeat(["a", "b"], 60)})
    >>> a.obsp["distances"] = sp.csr_matrix(kneighbors_graph(Ms, 10, mode="distance"))
    >>> table = density_lean(a, n_draws=100, seed=1)
    >>> list(table.index)
    ['a', 'b', 'all cells']
    >>> bool(table.loc["all cells", "random_q025"] < 0.5 < table.loc["all cells", "random_q975"])
    True
    """
    adata = require_anndata(adata)
    correction = _correction(correction)
    n_draws, alpha, rng = _draws(n_draws), _alpha(alpha), _rng(seed)
    labels = _labels(adata, groupby)
    X_emb = embedding(adata, basis)
    maker = _ArrowMaker(adata, X_emb)
    X, V, sqrt = _setting(adata, {"vkey": vkey, "xkey": xkey, "sqrt_transform": sqrt_transform,
                                  "gene_subset": gene_subset}, "the velocity options")
    density = _density_direction(maker)
    real = _row_cosines(maker.arrows(X, V, sqrt, correction), density)
    shared = _row_cosines(maker.arrows(X, _shared(V), sqrt, correction), density)
    ok = np.isfinite(real) & np.isfinite(shared)
    towards, towards_shared = real > 0, shared > 0
    # random directions: a normal vector per cell is uniform on the sphere of any dimension
    random = np.empty((n_draws, adata.n_obs), dtype=bool)
    for d in range(n_draws):
        random[d] = (rng.normal(size=X_emb.shape) * density).sum(axis=1) > 0
    difference = towards.astype(np.int8) - towards_shared.astype(np.int8)
    swaps = rng.integers(0, 2, size=(n_draws, adata.n_obs), dtype=np.int8) * 2 - 1
    groups = [(str(g), np.asarray(labels == g) & ok) for g in labels.categories] + [("all cells", ok)]
    rows = []
    for name, members in groups:
        m = int(members.sum())
        if m == 0:
            rows.append({"group": name, "n_cells": 0, "verdict": "no cells with a defined arrow"})
            continue
        share = float(towards[members].mean())
        null = random[:, members].mean(axis=1)
        p, se = _p_value(null, share)
        observed_difference = float(difference[members].mean())
        p_shared, se_shared = _p_value((swaps[:, members] * difference[members]).mean(axis=1), observed_difference)
        verdict = _verdict(p, se, alpha, "leans towards density", "no lean detected")
        if verdict == "leans towards density" and p_shared + 2 * se_shared < alpha:
            verdict += "; more than the shared velocity"
        rows.append({"group": name, "n_cells": m, "share": share, "random_mean": float(null.mean()),
                     "random_q025": float(np.quantile(null, 0.025)), "random_q975": float(np.quantile(null, 0.975)),
                     "p_random": p, "p_random_mc_se": se, "shared_share": float(towards_shared[members].mean()),
                     "p_vs_shared": p_shared, "p_vs_shared_mc_se": se_shared, "verdict": verdict})
    return pd.DataFrame(rows).set_index("group")


# --------------------------------------------------------------------------- 2. consensus across settings


def _boundary_scores(arrows, X_emb, labels, knn, source, target):
    """(cells, per-cell score): boundary cells of ``source`` with a kNN neighbour in ``target`` and
    c_i = mean over those neighbours j of cos(nu_i, x_j - x_i)."""
    cells = np.flatnonzero((labels[knn] == target).any(axis=1) & (labels == source))
    if len(cells) == 0:
        return cells, np.empty(0)
    into = labels[knn[cells]] == target
    displacement = X_emb[knn[cells]] - X_emb[cells][:, None, :]
    nu = arrows[cells][:, None, :]
    norm = np.linalg.norm(displacement, axis=2) * np.linalg.norm(nu, axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(norm > 0, (displacement * nu).sum(axis=2) / norm, np.nan)
    cos = np.where(into, cos, np.nan)
    with np.errstate(invalid="ignore"):
        scores = np.nanmean(np.where(np.isnan(cos).all(axis=1, keepdims=True), 0.0, cos), axis=1)
    scores[np.isnan(cos).all(axis=1)] = np.nan
    return cells, scores


def consensus_across_settings(adata: AnnData, transitions: Sequence[tuple[str, str]], settings: Mapping[str, Mapping],
                              *, groupby: str = "clusters", basis: str = "umap", correction: str | None = "mean",
                              n_boot: int = 200, seed: int | np.random.Generator = 0,
                              min_cells: int = 10) -> pd.DataFrame:
    r"""Direction of known transitions under several analysis settings, against one shared velocity.

    For a transition A -> B, the **boundary cells** are the cells of A with at least one
    of their k nearest neighbours (``obsp['distances']``) in B: the same cells in every
    setting. The cross-boundary direction score (Qiao & Huang 2021) is

    .. math:: \mathrm{score} = \mathrm{mean}_{i}\ \mathrm{mean}_{j\in K_i\cap B}
              \cos\big(\nu_i,\ x_j - x_i\big)

    over the boundary cells i (dimensionless, in [-1, 1]; > 0: arrows point from A into
    B). Cells whose arrow is undefined in any field are left out of every field.

    Each setting is a mapping of :func:`velograph.tl.velocity_graph` options (``vkey``,
    ``xkey``, ``sqrt_transform``, ``gene_subset``; missing ones take scVelo's defaults),
    e.g. ``{"sqrt": {"sqrt_transform": True}, "no sqrt": {"sqrt_transform": False},
    "dynamical": {"vkey": "dynamical_velocity"}}``. For each setting its **shared-velocity
    null** gives every cell that setting's mean velocity (same genes, states and options).

    Uncertainty by a paired bootstrap over boundary cells (``n_boot`` resamples, the same
    resamples for every field): the 2.5-97.5% interval of each score, the share of
    resamples whose score has the sign of the point estimate (with its Monte Carlo SE),
    and the interval of the excess s * (score - shared score), s the sign of the score.

    Verdict per transition, in this order:

    1. "too few boundary cells" when fewer than ``min_cells``;
    2. "settings disagree (sign flip)" when one setting's interval lies above 0 and
       another's below 0: a flip counts only if both intervals exclude 0;
    3. "cannot tell (an interval includes 0)" when any setting's interval includes 0;
    4. "cannot tell (shared velocity scores it too)" when, in any setting, the excess
       interval does not lie above 0: one velocity for every cell already scores the
       transition as strongly, so the cells' own velocities are not needed for it;
    5. "forward in every setting, beyond shared velocity" (score > 0) or "backward in
       every setting, beyond shared velocity" (score < 0).

    Agreement across settings is necessary, not sufficient: rule 4 (the shared-velocity
    null) removes most false calls, not all. On simulated data with no velocity at all the
    book measured directional calls for 4 of 21 steps (chapter 7), so calibrate the rule
    on a ground truth like your data before trusting a directional verdict.
    The bootstrap treats boundary cells as independent; neighbouring cells share
    neighbours, so the intervals are, if anything, too narrow.

    Parameters
    ----------
    adata : anndata.AnnData
        With the layers the settings name, ``obsp['distances']``, ``obsm['X_<basis>']``
        and ``obs[groupby]``; read, never written.
    transitions : sequence of (str, str)
        (source group, target group) pairs, e.g. ``[("Ductal", "Ngn3 low EP")]``.
    settings : mapping of str to mapping
        Name -> velocity_graph options (see above); at least one.
    groupby, basis : str
        Groups in ``obs[groupby]``; embedding ``obsm['X_<basis>']``.
    correction : {'mean', 'uniform', None}
        Density correction of the arrows, as in :func:`density_lean`.
    n_boot : int
        Bootstrap resamples (at least 20; 200 by default).
    seed : int or numpy.random.Generator
        Seed of the resampling.
    min_cells : int
        Fewest boundary cells for a verdict.

    Returns
    -------
    pandas.DataFrame
        One row per (transition, setting): ``source``, ``target``, ``setting``,
        ``n_boundary_cells``, ``score``, ``ci_low``, ``ci_high``, ``same_sign_share``,
        ``same_sign_mc_se``, ``shared_score``, ``shared_ci_low``, ``shared_ci_high``,
        ``excess_ci_low``, ``excess_ci_high``, then per transition (repeated)
        ``all_same_sign`` (point estimates of all settings share a sign) and ``verdict``.

    Examples
    --------
    >>> import numpy as np, anndata as ad, scipy.sparse as sp
    >>> from sklearn.neighbors import kneighbors_graph
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 1, 300))                  # a straight trajectory from a to b
    >>> w = rng.normal(size=20)                              # every gene moves along w
    >>> Ms = np.outer(t, w) + 0.05 * rng.normal(size=(300, 20))
    >>> velocity = np.tile(w, (300, 1)) + 0.5 * rng.normal(size=(300, 20))
    >>> a = ad.AnnData(np.zeros((300, 20)), layers={"Ms": Ms, "velocity": velocity.astype(np.float32)},
    ...                obsm={"X_umap": np.c_[t, 0.05 * rng.normal(size=300)]},
    ...                obs={"clusters": np.where(t < 0.5, "a", "b")})
    >>> a.obsp["distances"] = sp.csr_matrix(kneighbors_graph(Ms, 15, mode="distance"))
    >>> table = consensus_across_settings(a, [("a", "b")], {"sqrt": {"sqrt_transform": True},
    ...                                                   "no sqrt": {"sqrt_transform": False}})
    >>> bool((table["score"] > 0).all())                    # arrows point from a into b ...
    True
    >>> table[["setting", "verdict"]].values.tolist()       # ... but so does one shared velocity
    ... # doctest: +NORMALIZE_WHITESPACE
    [['sqrt', 'cannot tell (shared velocity scores it too)'],
     ['no sqrt', 'cannot tell (shared velocity scores it too)']]
    """
    adata = require_anndata(adata)
    correction = _correction(correction)
    n_boot, rng = _draws(n_boot, "n_boot"), _rng(seed)
    min_cells = positive_int(min_cells, "min_cells")
    labels_cat = _labels(adata, groupby)
    labels = np.asarray(labels_cat).astype(str)
    if not isinstance(settings, Mapping) or len(settings) == 0:
        raise ValueError("settings must be a non-empty mapping {name: velocity_graph options}, e.g. "
                         "{'sqrt': {'sqrt_transform': True}, 'no sqrt': {'sqrt_transform': False}}")
    transitions = [tuple(t) for t in transitions] if not isinstance(transitions, str) else None
    if not transitions or any(len(t) != 2 for t in transitions):
        raise ValueError("transitions must be a non-empty list of (source group, target group) pairs")
    known = set(map(str, labels_cat.categories))
    for source, target in transitions:
        for group in (source, target):
            if str(group) not in known:
                raise KeyError(f"transitions: group {group!r} is not in adata.obs[{groupby!r}] "
                               f"(groups: {sorted(known)})")
    X_emb = embedding(adata, basis)
    maker = _ArrowMaker(adata, X_emb)
    fields = {}
    for name, options in settings.items():
        X, V, sqrt = _setting(adata, options, f"settings[{name!r}]")
        fields[name] = (maker.arrows(X, V, sqrt, correction), maker.arrows(X, _shared(V), sqrt, correction))
    knn = maker.knn
    rows = []
    for source, target in transitions:
        cells, _ = _boundary_scores(fields[next(iter(fields))][0], X_emb, labels, knn, str(source), str(target))
        per_cell = {name: (_boundary_scores(real, X_emb, labels, knn, str(source), str(target))[1],
                           _boundary_scores(shared, X_emb, labels, knn, str(source), str(target))[1])
                    for name, (real, shared) in fields.items()}
        ok = np.ones(len(cells), dtype=bool)
        for real, shared in per_cell.values():
            ok &= np.isfinite(real) & np.isfinite(shared)
        m = int(ok.sum())
        resamples = rng.integers(0, max(m, 1), size=(n_boot, m))
        block = []
        for name, (real, shared) in per_cell.items():
            real, shared = real[ok], shared[ok]
            row = {"source": str(source), "target": str(target), "setting": name, "n_boundary_cells": m}
            if m:
                score, shared_score = float(real.mean()), float(shared.mean())
                boot, boot_shared = real[resamples].mean(axis=1), shared[resamples].mean(axis=1)
                sign = 1.0 if score >= 0 else -1.0
                excess = sign * (boot - boot_shared)
                same = float(np.mean(np.sign(boot) == np.sign(score)))
                row.update(score=score, ci_low=float(np.quantile(boot, 0.025)),
                           ci_high=float(np.quantile(boot, 0.975)), same_sign_share=same,
                           same_sign_mc_se=float(np.sqrt(same * (1 - same) / n_boot)), shared_score=shared_score,
                           shared_ci_low=float(np.quantile(boot_shared, 0.025)),
                           shared_ci_high=float(np.quantile(boot_shared, 0.975)),
                           excess_ci_low=float(np.quantile(excess, 0.025)),
                           excess_ci_high=float(np.quantile(excess, 0.975)))
            block.append(row)
        if m < min_cells:
            verdict, same_sign = "too few boundary cells", None
        else:
            scores = np.array([r["score"] for r in block])
            low, high = np.array([r["ci_low"] for r in block]), np.array([r["ci_high"] for r in block])
            same_sign = bool((scores > 0).all() or (scores < 0).all())
            if (low > 0).any() and (high < 0).any():
                verdict = "settings disagree (sign flip)"
            elif not ((low > 0).all() or (high < 0).all()):
                verdict = "cannot tell (an interval includes 0)"
            elif any(r["excess_ci_low"] <= 0 for r in block):
                verdict = "cannot tell (shared velocity scores it too)"
            else:
                direction = "forward" if scores[0] > 0 else "backward"
                verdict = f"{direction} in every setting, beyond shared velocity"
        for row in block:
            row.update(all_same_sign=same_sign, verdict=verdict)
        rows.extend(block)
    columns = ["source", "target", "setting", "n_boundary_cells", "score", "ci_low", "ci_high", "same_sign_share",
               "same_sign_mc_se", "shared_score", "shared_ci_low", "shared_ci_high", "excess_ci_low",
               "excess_ci_high", "all_same_sign", "verdict"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- 3. edge cells


def _edge_geometry(adata, basis):
    """(maker, X2, N, width, start): the first two embedding columns, the scanned neighbours N_i and their sectors."""
    X2 = np.ascontiguousarray(embedding(adata, basis)[:, :2], dtype=np.float64)
    maker = _ArrowMaker(adata, X2)
    N = maker.neighbourhood()
    width, start = empty_sector(N, X2)
    return maker, X2, N, width, start


def edge_cells(adata: AnnData, *, basis: str = "umap", min_width: float = 180.0) -> pd.DataFrame:
    r"""Each cell's empty sector among the neighbours the velocity graph scans, and whether it is an edge cell.

    The geometry that :func:`edge_cell_check` tests, per cell, for plotting and for
    selecting cells: N_i are the stored neighbours of the velocity graph (the kNN of
    ``obsp['distances']`` and their kNN, without i), theta_ij = atan2(x_j - x_i) on the
    first two columns of ``obsm['X_<basis>']``, and the empty sector is the widest gap
    between consecutive theta_ij around the circle (:func:`velograph.empty_sector`). An
    edge cell's sector is wider than ``min_width`` degrees. A cell whose scanned neighbours
    all lie in one direction, or all at its own position, has a 360-degree sector (starting
    at that direction, or at 0 when there is none) and is an edge cell. Test whether an
    arrow points into the sector with :func:`velograph.points_into_sector`.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``obsp['distances']`` and ``obsm['X_<basis>']``; read, never written.
    basis : str
        Embedding; its first two columns are used.
    min_width : float
        Edge-cell threshold on the empty sector's width, in degrees (0 < min_width < 360).

    Returns
    -------
    pandas.DataFrame
        Index ``adata.obs_names``; columns ``sector_width`` (degrees, in (0, 360]),
        ``sector_start`` (radians, in [-pi, pi]: the sector runs counter-clockwise from
        there) and ``edge_cell`` (bool, ``sector_width > min_width``).

    Raises
    ------
    TypeError, ValueError, KeyError
        If ``adata`` is not an AnnData, ``min_width`` is not strictly between 0 and 360,
        or the neighbour graph or the embedding is missing or malformed.

    Examples
    --------
    >>> import numpy as np, anndata as ad, scipy.sparse as sp
    >>> from sklearn.neighbors import kneighbors_graph
    >>> umap = np.random.default_rng(0).uniform(-1, 1, size=(150, 2))
    >>> a = ad.AnnData(np.zeros((150, 3)), obsm={"X_umap": umap})
    >>> a.obsp["distances"] = sp.csr_matrix(kneighbors_graph(umap, 8, mode="distance"))
    >>> cells = edge_cells(a)
    >>> list(cells.columns)
    ['sector_width', 'sector_start', 'edge_cell']
    >>> bool(cells["edge_cell"].any()), bool((cells["sector_width"] > 180).eq(cells["edge_cell"]).all())
    (True, True)
    """
    adata = require_anndata(adata)
    min_width = _min_width(min_width)
    _, _, _, width, start = _edge_geometry(adata, basis)
    return pd.DataFrame({"sector_width": width, "sector_start": start, "edge_cell": width > min_width},
                        index=adata.obs_names.copy())


def edge_cell_check(adata: AnnData, *, basis: str = "umap", vkey: str = "velocity", xkey: str = "Ms",
                    sqrt_transform: bool | None = None, gene_subset: ArrayLike | None = None,
                    correction: str | None = "mean", min_width: float = 180.0, n_draws: int = 200,
                    seed: int | np.random.Generator = 0, alpha: float = 0.05) -> pd.DataFrame:
    r"""Do arrows of edge cells point into their empty sector more often than null arrows do?

    For cell i, the directions theta_ij = atan2(x_j - x_i) to its **stored neighbours**
    j in N_i (the neighbourhood the velocity graph scans: the kNN of ``obsp['distances']``
    and their kNN) on the first two columns of ``obsm['X_<basis>']`` are sorted around the
    circle; the widest gap between consecutive ones is i's **empty sector**. A cell is an
    **edge cell** when that sector is wider than ``min_width`` degrees (180: every stored
    neighbour lies in one half-plane). The sector is empty of *stored neighbours*, not of
    cells: other cells of the map may lie in it (column ``edge_cells_with_cells_in_sector``
    counts edge cells with at least one other cell inside the sector within the distance
    of their farthest stored neighbour). Arrows are those of :func:`density_lean`
    (``correction``), on the same two columns. :func:`edge_cells` gives each cell's
    sector and whether it is an edge cell. Only the edge cells' rows of each graph are
    computed: an arrow's direction reads its own row alone (``correction="mean"``'s
    self-transitions rescale it, never turn it), and the test reads only directions. An
    arrow shorter than 1e-5 times the sum of its row's absolute weights (e.g. all weights
    of its row equal) has a direction set by float32 rounding: it counts as no direction,
    never into the sector.

    Observed: the share of edge cells whose arrow points strictly into the sector. Nulls
    (``n_draws`` draws each, first all random directions, then the shuffles):

    * **random directions**: each edge cell's arrow a uniformly random angle (expected
      share: the mean sector width / 360);
    * **gene-shuffled velocities**: each cell's velocity values permuted over its genes
      (length, signs and values kept, direction in gene space gone), graph and arrows
      recomputed with the same neighbours and options.

    p = (1 + #{null share >= share}) / (1 + n_draws), one-sided. Verdict per null:
    "into the empty sector more often than <null>" when p < alpha, "not distinguishable
    from <null>" otherwise, "cannot tell (...)" when p lies within 2 Monte Carlo SE of
    alpha. A high share says the arrows leave the region where the cell's neighbours lie;
    it does not say where the cell goes.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``layers[xkey]``, ``layers[vkey]``, ``obsp['distances']`` and
        ``obsm['X_<basis>']``; read, never written.
    basis : str
        Embedding; its first two columns are used.
    vkey, xkey, sqrt_transform, gene_subset
        As in :func:`velograph.tl.velocity_graph`.
    correction : {'mean', 'uniform', None}
        Density correction of the arrows.
    min_width : float
        Edge-cell threshold on the empty sector's width, in degrees (0 < min_width < 360).
    n_draws : int
        Draws of each null (at least 20; 200 by default).
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng``.
    alpha : float
        Level of the one-sided tests.

    Returns
    -------
    pandas.DataFrame
        Index ``null`` ("random directions", "gene-shuffled velocities"); columns
        ``n_cells``, ``n_edge_cells``, ``edge_cells_with_cells_in_sector``,
        ``mean_sector_width`` (degrees), ``share`` (observed), ``null_mean``, ``null_q025``,
        ``null_q975``, ``p``, ``p_mc_se``, ``verdict``.

    Examples
    --------
    >>> import numpy as np, anndata as ad, scipy.sparse as sp
    >>> from sklearn.neighbors import kneighbors_graph
    >>> rng = np.random.default_rng(0)
    >>> umap = rng.uniform(-1, 1, size=(150, 2))
    >>> Ms = np.abs(rng.normal(size=(150, 20))) + umap[:, :1]
    >>> velocity = rng.normal(size=(150, 20)).astype(np.float32)
    >>> a = ad.AnnData(np.zeros((150, 20)), layers={"Ms": Ms, "velocity": velocity}, obsm={"X_umap": umap})
    >>> a.obsp["distances"] = sp.csr_matrix(kneighbors_graph(umap, 8, mode="distance"))
    >>> table = edge_cell_check(a, n_draws=50, seed=2)
    >>> list(table.index)
    ['random directions', 'gene-shuffled velocities']
    """
    adata = require_anndata(adata)
    correction = _correction(correction)
    n_draws, alpha, rng = _draws(n_draws), _alpha(alpha), _rng(seed)
    min_width = _min_width(min_width)
    maker, X2, N, width, start = _edge_geometry(adata, basis)
    X, V, sqrt = _setting(adata, {"vkey": vkey, "xkey": xkey, "sqrt_transform": sqrt_transform,
                                  "gene_subset": gene_subset}, "the velocity options")
    edge = np.flatnonzero(width > min_width)
    if len(edge) == 0:
        raise ValueError(f"no edge cell: no cell has an empty sector wider than min_width={min_width} degrees")
    # only the edge cells' arrows are read, and only their directions: their rows of the graph suffice
    # (_ArrowMaker.arrows), which makes each gene-shuffled draw cost the edge rows, not the whole graph
    share = float(points_into_sector(maker.arrows(X, V, sqrt, correction, rows=edge), width[edge], start[edge]).mean())
    with_cells = 0
    for i in edge:  # other cells of the map inside the sector, within the farthest stored neighbour's distance
        neighbours = N.indices[N.indptr[i]:N.indptr[i + 1]]
        reach = np.linalg.norm(X2[neighbours] - X2[i], axis=1).max()
        others = np.setdiff1d(np.flatnonzero(np.linalg.norm(X2 - X2[i], axis=1) <= reach), np.r_[neighbours, i])
        if len(others) and points_into_sector(X2[others] - X2[i], np.full(len(others), width[i]),
                                              np.full(len(others), start[i])).any():
            with_cells += 1
    nulls = {"random directions": np.array([
        points_into_sector(rng.normal(size=(len(edge), 2)), width[edge], start[edge]).mean() for _ in range(n_draws)])}
    shuffled = np.empty(n_draws)
    for d in range(n_draws):
        arrows = maker.arrows(X, rng.permuted(V, axis=1), sqrt, correction, rows=edge)
        shuffled[d] = points_into_sector(arrows, width[edge], start[edge]).mean()
    nulls["gene-shuffled velocities"] = shuffled
    rows = []
    for name, null in nulls.items():
        p, se = _p_value(null, share)
        rows.append({"null": name, "n_cells": adata.n_obs, "n_edge_cells": len(edge),
                     "edge_cells_with_cells_in_sector": with_cells, "mean_sector_width": float(width[edge].mean()),
                     "share": share, "null_mean": float(null.mean()), "null_q025": float(np.quantile(null, 0.025)),
                     "null_q975": float(np.quantile(null, 0.975)), "p": p, "p_mc_se": se,
                     "verdict": _verdict(p, se, alpha, f"into the empty sector more often than {name}",
                                         f"not distinguishable from {name}")})
    return pd.DataFrame(rows).set_index("null")


# --------------------------------------------------------------------------- 4. r against magnitude-matched sets


def velocity_variance_share(adata: AnnData, gene_subset: ArrayLike, *, vkey: str = "velocity") -> float:
    r"""Share of the velocity variance that a gene set carries among the velocity genes.

    .. math:: \frac{\sum_{g \in S} \mathrm{Var}_i(v_{ig})}{\sum_{g \in G} \mathrm{Var}_i(v_{ig})}

    with G the velocity genes (``var['<vkey>_genes']``, all genes if absent) whose velocity
    has no NaN, S the given set intersected with G, and Var the variance over cells
    (float64, ``ddof=0``) of ``layers[vkey]``. Dimensionless, in [0, 1].

    Parameters
    ----------
    adata : anndata.AnnData
        With ``layers[vkey]``.
    gene_subset : list of str or boolean mask
        The gene set S.
    vkey : str
        Velocity layer.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, anndata as ad
    >>> a = ad.AnnData(np.zeros((4, 3)), layers={"velocity": np.array([[0, 1, 2], [0, -1, -2]] * 2, float)})
    >>> a.var_names = ["g0", "g1", "g2"]
    >>> velocity_variance_share(a, ["g2"])   # variances 0, 1, 4
    0.8
    """
    adata = require_anndata(adata)
    pool, variance = _velocity_variances(adata, vkey)
    mask = gene_mask(adata, gene_subset) & pool
    return float(variance[mask].sum() / variance[pool].sum())


def _velocity_variances(adata, vkey):
    V = dense_layer(adata, vkey)
    variance = np.asarray(V, dtype=np.float64).var(axis=0)
    pool = np.isfinite(variance)
    if f"{vkey}_genes" in adata.var:
        pool &= boolean_column(adata.var[f"{vkey}_genes"], f"adata.var['{vkey}_genes']")
    if not pool.any() or variance[pool].sum() <= 0:
        raise ValueError(f"no velocity gene with a finite, nonzero variance in adata.layers['{vkey}']")
    return pool, variance


def matched_gene_sets(adata: AnnData, gene_subset: ArrayLike, *, n_sets: int = 200,
                      seed: int | np.random.Generator = 0, vkey: str = "velocity", n_bins: int = 10,
                      tolerance: float = 0.1, exclude_subset: bool = True, max_tries: int = 1000) -> list[list[str]]:
    r"""Random gene sets of the size of ``gene_subset`` carrying the same share of velocity variance.

    The velocity genes G (see :func:`velocity_variance_share`) are split into ``n_bins``
    quantile bins of their velocity variance; ``gene_subset``'s genes are counted per
    bin (by their variance, so genes outside G are placed too), and a candidate set takes
    as many genes from each bin, uniformly without replacement (from G minus the subset
    with ``exclude_subset``). A candidate is kept when its variance share lies within
    ``tolerance`` (relative) of the subset's: ``abs(share - target) <= tolerance * target``.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``layers[vkey]``.
    gene_subset : list of str or boolean mask
        The set to match.
    n_sets : int
        Sets to return.
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng``.
    vkey : str
        Velocity layer.
    n_bins : int
        Variance strata.
    tolerance : float
        Relative tolerance on the variance share (> 0).
    exclude_subset : bool
        Draw only genes outside ``gene_subset`` (matched bystanders).
    max_tries : int
        Candidates per requested set before giving up.

    Returns
    -------
    list of list of str
        ``n_sets`` gene-name lists.

    Examples
    --------
    >>> import numpy as np, anndata as ad
    >>> rng = np.random.default_rng(0)
    >>> a = ad.AnnData(np.zeros((50, 40)), layers={"velocity": rng.normal(size=(50, 40)) * np.linspace(1, 3, 40)})
    >>> sets = matched_gene_sets(a, list(a.var_names[[0, 10, 20, 30, 39]]), n_sets=3, seed=0, n_bins=4,
    ...                          tolerance=0.3)
    >>> [len(s) for s in sets]
    [5, 5, 5]
    """
    adata = require_anndata(adata)
    n_sets, n_bins, max_tries = positive_int(n_sets, "n_sets"), positive_int(n_bins, "n_bins"), positive_int(
        max_tries, "max_tries")
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not tolerance > 0:
        raise ValueError(f"tolerance must be a positive number (relative), got {tolerance!r}")
    rng = _rng(seed)
    pool, variance = _velocity_variances(adata, vkey)
    subset = gene_mask(adata, gene_subset)
    names = np.asarray(adata.var_names)
    total = variance[pool].sum()
    target = variance[subset & pool].sum() / total
    edges = np.quantile(variance[pool], np.linspace(0, 1, n_bins + 1)[1:-1])
    bin_of = np.searchsorted(edges, variance, side="right")
    candidates = pool & ~subset if exclude_subset else pool
    need = np.bincount(bin_of[subset], minlength=n_bins)
    members = [np.flatnonzero(candidates & (bin_of == b)) for b in range(n_bins)]
    short = [b for b in range(n_bins) if need[b] > len(members[b])]
    if short:
        b = short[0]
        raise ValueError(f"gene_subset has {need[b]} genes in velocity-variance bin {b + 1} of {n_bins}, which holds "
                         f"only {len(members[b])} other velocity genes: use fewer n_bins, or exclude_subset=False")
    sets = []
    for _ in range(n_sets * max_tries):
        chosen = np.concatenate([rng.choice(members[b], size=need[b], replace=False) for b in range(n_bins)
                                 if need[b]])
        share = variance[chosen].sum() / total
        if abs(share - target) <= tolerance * target:
            sets.append(list(names[np.sort(chosen)]))
            if len(sets) == n_sets:
                return sets
    raise ValueError(f"only {len(sets)} of {n_sets} random sets within tolerance={tolerance} of the variance share "
                     f"{target:.3f} after {n_sets * max_tries} candidates: raise tolerance or use exclude_subset=False")


def _reconstructability_scores(adata, gene_subsets, *, vkey, xkey, matrix, over, sqrt_transform) -> list:
    """r of each subset as :func:`velograph.tl.reconstructability` computes it, the neighbourhoods built once.

    reconstructability builds the kNN indices, two-hop pattern and visiting order for every
    graph; here they are shared by the full graph and all subsets (same values, fewer steps).
    """
    maker = _ArrowMaker(adata, None)
    X, V, sqrt = _setting(adata, {"vkey": vkey, "xkey": xkey, "sqrt_transform": sqrt_transform}, "the options")
    X_all = np.asarray(dense_layer(adata, xkey), dtype=np.float32)
    V_all = np.asarray(dense_layer(adata, vkey), dtype=np.float32)
    finite = ~np.isnan(V_all.sum(axis=0, dtype=np.float64))

    def rows(X, V):
        graph, graph_neg = maker.graphs(X, V, sqrt)
        return graph + graph_neg if matrix == "graph" else kernel(graph, graph_neg)

    full = rows(X, V)
    scores = []
    for subset in gene_subsets:
        columns = gene_mask(adata, subset) & finite
        if not columns.any():
            raise ValueError(f"every gene of a gene set has NaN in adata.layers['{vkey}']: no gene is left")
        scores.append(reconstructability_score(full, rows(X_all[:, columns], V_all[:, columns]), over=over))
    return scores


def reconstructability_vs_matched(adata: AnnData, gene_subset: ArrayLike, *, n_draws: int = 200,
                                  seed: int | np.random.Generator = 0, vkey: str = "velocity",
                                  xkey: str = "Ms", matrix: str = "transition", over: str = "all",
                                  sqrt_transform: bool | None = None, n_bins: int = 10, tolerance: float = 0.1,
                                  exclude_subset: bool = True, alpha: float = 0.05) -> pd.DataFrame:
    r"""Reconstructability r of a gene set against random sets matched on their share of velocity variance.

    r = median_i corr(pi_i, pi'_i) (:func:`velograph.tl.reconstructability`), pi_i from all
    velocity genes, pi'_i from the set. ``matrix="transition"`` (the default here, the
    book's r: rows of the default transition matrix) or ``"graph"`` (rows of the signed
    velocity graph; the default of :func:`velograph.tl.reconstructability`), over all N
    entries (``over="all"``) or the stored ones.

    r follows the share of velocity variance a set carries (a set of high-variance genes
    dominates the Pearson correlations of the graph), so random sets of the same size are
    the wrong yardstick for a set of large-velocity genes. The null here is
    ``n_draws`` sets from :func:`matched_gene_sets` (same size, same count per variance
    bin, variance share within ``tolerance`` of the set's). p = (1 + #{null r >= r}) /
    (1 + n_draws). Verdict: "r above magnitude-matched sets" when p < alpha, "not
    distinguishable from magnitude-matched sets" otherwise, "cannot tell (...)" when p lies
    within 2 Monte Carlo SE of alpha.

    A set that carries a large share of the variance with few genes (e.g. the top genes by
    fit likelihood) may have no matched bystanders: then :func:`matched_gene_sets` raises,
    and ``exclude_subset=False`` lets the null sets share genes with the set (the column
    ``null_overlap_mean`` says how many), which makes the test conservative.

    r measures how much of the velocity graph a gene set reproduces. It does not say
    whether the genes drive the process: a set of bystanders that move with the drivers
    reproduces the graph as well.

    Parameters
    ----------
    adata : anndata.AnnData
        With ``layers[xkey]``, ``layers[vkey]``, ``var['<vkey>_genes']`` and
        ``obsp['distances']``; read, never written.
    gene_subset : list of str or boolean mask
        The gene set.
    n_draws : int
        Matched random sets (at least 20; 200 by default).
    seed : int or numpy.random.Generator
        Seed of the set sampling.
    vkey, xkey
        As in :func:`velograph.tl.velocity_graph`.
    matrix : {'transition', 'graph'}
        Rows compared (see above).
    over : {'all', 'neighbors'}
        Entries compared.
    sqrt_transform
        As in :func:`velograph.tl.velocity_graph`.
    n_bins, tolerance, exclude_subset
        Matching, as in :func:`matched_gene_sets`.
    alpha : float
        Level of the one-sided test.

    Returns
    -------
    pandas.DataFrame
        One row (index "gene set"): ``n_genes``, ``r``, ``variance_share`` (the set's),
        ``null_variance_share_mean``, ``null_variance_share_min``,
        ``null_variance_share_max``, ``null_overlap_mean`` (mean number of the set's genes in a
        null set: 0 with ``exclude_subset``), ``null_mean``, ``null_q025``, ``null_q975``, ``p``,
        ``p_mc_se``, ``n_draws``, ``matrix``, ``over``, ``verdict``.

    Examples
    --------
    >>> import numpy as np, anndata as ad, scipy.sparse as sp
    >>> from sklearn.neighbors import kneighbors_graph
    >>> rng = np.random.default_rng(0)
    >>> Ms = np.abs(rng.normal(size=(100, 40)))
    >>> velocity = (rng.normal(size=(100, 40)) * np.linspace(1, 2, 40)).astype(np.float32)
    >>> a = ad.AnnData(np.zeros((100, 40)), layers={"Ms": Ms, "velocity": velocity})
    >>> a.obsp["distances"] = sp.csr_matrix(kneighbors_graph(Ms, 8, mode="distance"))
    >>> table = reconstructability_vs_matched(a, list(a.var_names[:6]), n_draws=30, n_bins=3,
    ...                                       tolerance=0.3, sqrt_transform=False)
    >>> table.loc["gene set", "verdict"]
    'not distinguishable from magnitude-matched sets'
    """
    adata = require_anndata(adata)
    n_draws, alpha = _draws(n_draws), _alpha(alpha)
    if matrix not in ("transition", "graph"):
        raise ValueError(f"matrix must be 'transition' (the book's r) or 'graph', got {matrix!r}")
    if over not in ("all", "neighbors"):
        raise ValueError(f"over must be 'all' or 'neighbors', got {over!r}")
    subset = gene_mask(adata, gene_subset)
    names = list(np.asarray(adata.var_names)[subset])
    sets = matched_gene_sets(adata, subset, n_sets=n_draws, seed=seed, vkey=vkey, n_bins=n_bins,
                             tolerance=tolerance, exclude_subset=exclude_subset)
    scores = _reconstructability_scores(adata, [subset, *sets], vkey=vkey, xkey=xkey, matrix=matrix, over=over,
                                        sqrt_transform=sqrt_transform)
    r = float(scores[0])
    null = np.array(scores[1:], dtype=np.float64)
    p, se = _p_value(null, r)
    shares = np.array([velocity_variance_share(adata, s, vkey=vkey) for s in sets])
    overlap = np.array([len(set(s) & set(names)) for s in sets])
    return pd.DataFrame([{
        "n_genes": len(names), "r": r, "variance_share": velocity_variance_share(adata, subset, vkey=vkey),
        "null_variance_share_mean": float(shares.mean()), "null_variance_share_min": float(shares.min()),
        "null_variance_share_max": float(shares.max()), "null_overlap_mean": float(overlap.mean()),
        "null_mean": float(null.mean()),
        "null_q025": float(np.quantile(null, 0.025)), "null_q975": float(np.quantile(null, 0.975)),
        "p": p, "p_mc_se": se, "n_draws": n_draws, "matrix": matrix, "over": over,
        "verdict": _verdict(p, se, alpha, "r above magnitude-matched sets",
                            "not distinguishable from magnitude-matched sets"),
    }], index=pd.Index(["gene set"]))
