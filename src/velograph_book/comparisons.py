"""Comparisons the real-data chapters (6 and 7) make: between arrow fields, corrections and choices.

Every function returns plain numbers or arrays computed from its inputs; none
modifies them and none prints. Angles are in degrees, shares are fractions in [0, 1].
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import display
from ._pairs import neighbour_directions, row_of_each_entry
from .geometry import rowwise_angle_degrees, rowwise_cosine


def _bounded_share(beyond, ambiguous, digits: int, what: str) -> float:
    """The share of ``beyond`` when the ``ambiguous`` entries may fall either way, rounded if that is safe."""
    beyond, ambiguous = np.asarray(beyond, bool), np.asarray(ambiguous, bool)
    if beyond.size == 0:
        raise ValueError("no values: a share of nothing is undefined")
    low = float(np.mean(beyond & ~ambiguous))
    high = low + float(np.mean(ambiguous))
    printed_low, printed_high = display.fmt(low, digits), display.fmt(high, digits)
    if printed_low != printed_high:
        raise ValueError(f"the share lies between {low!r} and {high!r} ({int(ambiguous.sum())} values within the "
                         f"rounding margin of {what}): it prints as {printed_low} or {printed_high}; "
                         "print fewer digits")
    return float(printed_low)


def stable_share(values, threshold: float, *, side: str = "above", digits: int = 4) -> float:
    """Share of ``values`` strictly above (or below) ``threshold``, rounded to ``digits`` decimals.

    For shares over very many values (e.g. the ~740,000 edges of a velocity graph) a
    few values always lie within the rounding margin of the threshold
    (:class:`velograph_book.display.rounding_margin`), where their side could differ on
    another computer, so :func:`velograph_book.display.share_above` refuses them. Here they
    are counted both ways instead: with ``a`` values clearly beyond the threshold and
    ``m`` ambiguous ones among ``n``, the share lies in [a/n, (a+m)/n] on any computer.
    The rounded share is returned only when both ends print the same at ``digits``
    decimals (each clear of a rounding boundary by the margin); otherwise ValueError:
    print fewer digits. NaN values count as not beyond the threshold.
    """
    if side not in ("above", "below"):
        raise ValueError(f"side must be 'above' or 'below', got {side!r}")
    values = np.asarray(values, dtype=float).ravel()
    ambiguous = np.abs(values - threshold) < display.current_margin()
    beyond = (values > threshold) if side == "above" else (values < threshold)
    return _bounded_share(beyond, ambiguous, digits, f"{threshold:g}")


def edge_values(G1, G2):
    """(a, b): the values of two n x n graphs on the entries stored in ``G1``, as float64 arrays."""
    G1, G2 = sp.csr_matrix(G1, dtype=np.float64), sp.csr_matrix(G2, dtype=np.float64)
    rows = row_of_each_entry(G1)
    return G1.data.copy(), np.asarray(G2[rows, G1.indices]).ravel()


def opposite_sign_share(G1, G2, *, digits: int = 4) -> float:
    """Share of the entries stored in ``G1`` where ``G1`` and ``G2`` have opposite signs (a * b < 0).

    An entry with either value within the rounding margin of 0 has no reliable sign
    and is counted both ways, as in :func:`stable_share`; rounded to ``digits``.
    """
    a, b = edge_values(G1, G2)
    margin = display.current_margin()
    ambiguous = (np.abs(a) < margin) | (np.abs(b) < margin)
    return _bounded_share(np.sign(a) * np.sign(b) < 0, ambiguous, digits, "0")


# ---------------------------------------------------------------------------------------------
# Arrow fields


def density_correction_difference(T, X_emb) -> np.ndarray:
    r"""scVelo's density correction minus the textbook one, per cell: an (n, d) array.

    scVelo subtracts mean_j(p_ij) * sum_j delta_hat_ij, the textbook (1/k_i) sum_j delta_hat_ij,
    both over the k_i stored off-diagonal neighbours j of row i of T (weights p_ij). The
    arrows therefore differ by

    .. math:: \nu_i^{\text{mean}} - \nu_i^{1/k}
              = \frac{1 - \sum_j p_{ij}}{k_i}\,\sum_j \hat\delta_{ij},

    which is zero exactly when the weights of the row sum to 1. Units: those of the
    arrows before autoscaling (a combination of unit vectors). Rows without
    neighbours are NaN.
    """
    T, rows, unit, _ = neighbour_directions(T, X_emb)
    weights = T.data
    n = T.shape[0]
    k = np.bincount(rows, minlength=n).astype(float)
    row_sum = np.bincount(rows, weights=weights, minlength=n)
    total = np.stack([np.bincount(rows, weights=unit[:, c], minlength=n) for c in range(unit.shape[1])], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((1.0 - row_sum) / k)[:, None] * total


def scvelo_arrows(adata, *, basis="umap", sqrt_transform=None, gene_subset=None, xkey="Ms",
                  **embedding_options) -> np.ndarray:
    """scVelo's arrows before autoscaling for one choice of square root, genes and states: an (n, d) array.

    Runs :func:`velograph.tl.velocity_graph` (with ``sqrt_transform``,
    ``gene_subset`` and ``xkey`` as given; None means scVelo's default) and
    :func:`velograph.tl.velocity_embedding` with ``autoscale=False`` on a copy of
    ``adata``; ``embedding_options`` go to ``velocity_embedding`` (e.g.
    ``self_transitions=False``). ``adata`` is not modified.
    """
    import velograph.tl as tl

    work = tl.velocity_graph(adata, sqrt_transform=sqrt_transform, gene_subset=gene_subset, xkey=xkey, copy=True)
    tl.velocity_embedding(work, basis=basis, autoscale=False, **embedding_options)
    return np.asarray(work.obsm[f"velocity_{basis}"])


#: The three ways in which the stochastic and dynamical velocity graphs differ.
FLIP_FACTORS = ("model", "sqrt", "genes")


def flip_factor_fields(stochastic, dynamical, *, basis="umap") -> dict:
    """The arrow fields of all 2 x 2 x 2 combinations of the three factors that differ between models.

    ``stochastic`` and ``dynamical`` are the same cells with the two models'
    velocities (same ``Ms``, neighbours and embedding). A combination is a tuple
    (model, sqrt, genes): model "stochastic" or "dynamical" (the velocity layer),
    sqrt True or False (sign-sqrt on both vectors), genes "stochastic" or
    "dynamical" (that model's velocity genes). scVelo's defaults are
    ("stochastic", True, "stochastic") and ("dynamical", False, "dynamical").
    Returns {combination: arrows before autoscaling, (n, d)}.
    """
    if not np.allclose(stochastic.obsm[f"X_{basis}"], dynamical.obsm[f"X_{basis}"]):
        raise ValueError(f"the two objects must share the embedding X_{basis}")
    data = {"stochastic": stochastic, "dynamical": dynamical}
    genes = {name: list(a.var_names[np.asarray(a.var["velocity_genes"], bool)]) for name, a in data.items()}
    fields = {}
    for model in ("stochastic", "dynamical"):
        for sqrt in (True, False):
            for gene_set in ("stochastic", "dynamical"):
                fields[(model, sqrt, gene_set)] = scvelo_arrows(data[model], basis=basis, sqrt_transform=sqrt,
                                                                gene_subset=genes[gene_set])
    return fields


def factor_effects(fields, *, factors=FLIP_FACTORS) -> list[tuple]:
    """For each factor: the change of the arrow field when only that factor changes.

    Pools the angles of every cell over the pairs of combinations in ``fields`` (from
    :func:`flip_factor_fields`) that differ in that factor alone (4 pairs of 3,696
    cells for 3 factors), and returns rows (factor, median angle in degrees, share of
    arrows turned by more than 90 degrees), the share guarded by
    :func:`velograph_book.display.share_above`.
    """
    rows = []
    for position, factor in enumerate(factors):
        angles = []
        for combination, arrows in fields.items():
            values = sorted({c[position] for c in fields}, key=str)
            if combination[position] != values[0]:
                continue
            partner = combination[:position] + (values[1],) + combination[position + 1:]
            angles.append(rowwise_angle_degrees(arrows, fields[partner]))
        angles = np.concatenate(angles)
        angles = angles[np.isfinite(angles)]
        rows.append((factor, float(np.median(angles)), display.share_above(angles, 90.0)))
    return rows


#: Transitions between cell types known from lineage studies of pancreatic endocrinogenesis
#: (Bastidas-Ponce et al. 2019): ductal cells give Ngn3-low, then Ngn3-high endocrine
#: progenitors, then pre-endocrine cells, then the four endocrine types.
PANCREAS_TRANSITIONS = (
    ("Ductal", "Ngn3 low EP"),
    ("Ngn3 low EP", "Ngn3 high EP"),
    ("Ngn3 high EP", "Pre-endocrine"),
    ("Pre-endocrine", "Alpha"),
    ("Pre-endocrine", "Beta"),
    ("Pre-endocrine", "Delta"),
    ("Pre-endocrine", "Epsilon"),
)


def cross_boundary_correctness(arrows, X_emb, clusters, neighbors, transitions=PANCREAS_TRANSITIONS) -> dict:
    r"""How well arrows at the boundary of cell type A point into cell type B, for each known A -> B.

    The cross-boundary direction correctness of Qiao & Huang (2021, VeloAE): for each
    cell i of A with at least one neighbour in B (``neighbors``: an (n, k) index array
    of each cell's nearest neighbours, or a sparse n x n matrix whose stored entries
    mark them, e.g. ``obsp['distances']``), the mean over those neighbours j in B of
    cos(nu_i, x_j - x_i) in the embedding; then the mean over these boundary cells.

    Dimensionless, in [-1, 1]: positive when arrows at the boundary point from A into
    B (the known direction), negative when they point back. Returns
    {(A, B): score}; NaN when A has no cell with a neighbour in B.
    """
    arrows, X_emb = np.asarray(arrows, float), np.asarray(X_emb, float)
    labels = np.asarray(clusters).astype(str)
    if sp.issparse(neighbors):
        pattern = sp.csr_matrix(neighbors)
        rows = [pattern.indices[pattern.indptr[i]:pattern.indptr[i + 1]] for i in range(pattern.shape[0])]
    else:
        rows = list(np.asarray(neighbors))
    scores = {}
    for source, target in transitions:
        per_cell = []
        for i in np.flatnonzero(labels == source):
            into = rows[i][labels[rows[i]] == target]
            if len(into) == 0 or not np.isfinite(arrows[i]).all():
                continue
            per_cell.append(np.mean(rowwise_cosine(arrows[i], X_emb[into] - X_emb[i])))
        scores[(source, target)] = float(np.mean(per_cell)) if per_cell else float("nan")
    return scores


def arrows_from_similarities(adata, graph, *, basis="umap", **embedding_options) -> np.ndarray:
    """scVelo's arrows before autoscaling, computed from a given signed similarity graph pi (n x n sparse).

    Stores clip(pi, 0, 1) and clip(pi, -1, 0) as ``velocity_graph`` would, on a
    light copy of ``adata`` (cells, embedding, neighbours), and runs
    :func:`velograph.tl.velocity_embedding` with ``autoscale=False`` and
    ``embedding_options``. For textbook variants of the graph (plain cosine, other
    neighbourhoods) under scVelo's kernel and projection. ``adata`` is not modified.
    """
    import anndata as ad

    import velograph.tl as tl

    graph = sp.csr_matrix(graph)
    positive, negative = graph.maximum(0).tocsr(), graph.minimum(0).tocsr()
    positive.eliminate_zeros()
    negative.eliminate_zeros()
    work = ad.AnnData(obs=adata.obs[[]].copy(), obsm={f"X_{basis}": np.asarray(adata.obsm[f"X_{basis}"])},
                      uns={"velocity_graph": positive, "velocity_graph_neg": negative, "velocity_params": {}})
    tl.velocity_embedding(work, basis=basis, autoscale=False, **embedding_options)
    return np.asarray(work.obsm[f"velocity_{basis}"])


def textbook_switch_fields(adata, *, basis="umap") -> dict:
    """scVelo's arrows with one of its choices at a time replaced by the textbook's (chapter 7's sections).

    ``adata``: velocities, ``Ms``, neighbours and ``X_<basis>`` as
    :func:`velograph_book.prepared.pancreas_prepared` gives them. Returns {label: arrows
    before autoscaling, (n, d)}, with the label "scVelo" for the unchanged arrows
    and one entry per switch, keyed by the chapter 7 section number(s):

    * "1": plain cosine instead of Pearson (no centring);
    * "2": no sign-sqrt (where scVelo's default applies it), or sign-sqrt where it does not;
    * "3": unsmoothed ``spliced`` instead of ``Ms``;
    * "4": every other cell as a neighbour instead of the two-hop kNN neighbourhood
      (memory: one similarity per ordered pair, N(N-1) of them);
    * "7": no self-transitions;
    * "8": the probabilities of ``transition_matrix`` (negative similarities get a small
      positive weight) instead of the signed weights;
    * "9-10": the textbook density correction (1/k_i) instead of mean(p);
    * "13 distance": the blog's distance-weighted projection of the transition
      probabilities; "13 confidence": its confidence-weighted one (c_ij = c_j);
    * "15": the graph computed in float64 instead of float32.
    """
    import velograph.tl as tl
    from velograph import (
        cosine_graph,
        project_velocity,
        project_velocity_confidence_weighted,
        project_velocity_distance_weighted,
    )

    X_emb = np.asarray(adata.obsm[f"X_{basis}"], dtype=np.float64)
    work = tl.velocity_graph(adata, copy=True)
    sqrt = adata.uns.get("velocity_params", {}).get("mode") == "stochastic"
    X, V = tl.graph_inputs(adata)
    pairs = tl.neighborhoods(adata)
    fields = {"scVelo": scvelo_arrows(adata, basis=basis)}
    fields["1"] = arrows_from_similarities(adata, cosine_graph(X, V, pairs, variance_stabilize=sqrt), basis=basis)
    fields["2"] = scvelo_arrows(adata, basis=basis, sqrt_transform=not sqrt)
    fields["3"] = scvelo_arrows(adata, basis=basis, xkey="spliced")
    n = adata.n_obs
    everyone = sp.csr_matrix(np.ones((n, n), dtype=bool))
    everyone.setdiag(False)
    everyone.eliminate_zeros()
    fields["4"] = arrows_from_similarities(
        adata, cosine_graph(X, V, everyone, center=True, variance_stabilize=sqrt).astype(np.float32), basis=basis)
    del everyone
    fields["7"] = scvelo_arrows(adata, basis=basis, self_transitions=False)
    fields["8"] = scvelo_arrows(adata, basis=basis, use_negative_cosines=False)
    signed = tl.transition_matrix(work, use_negative_cosines=True)
    fields["9-10"] = project_velocity(signed, X_emb, correction="uniform")
    probabilities = tl.transition_matrix(work)
    fields["13 distance"] = project_velocity_distance_weighted(probabilities, X_emb, normalize="weights")
    tl.velocity_confidence(work)
    fields["13 confidence"] = project_velocity_confidence_weighted(
        probabilities, X_emb, work.obs["velocity_confidence"].to_numpy(), normalize="weights")
    fields["15"] = arrows_from_similarities(
        adata, cosine_graph(X.astype(np.float64), V.astype(np.float64), pairs, center=True, variance_stabilize=sqrt),
        basis=basis)
    return fields


#: All four readings of "the row pi_i" in r = median_i corr(pi_i, pi'_i): (rows of, entries compared).
#: The book's reading is the first (the blog's: transition probabilities, all N entries).
ALL_READINGS = (("transition", "all"), ("transition", "neighbors"), ("graph", "all"), ("graph", "neighbors"))


def reconstructability_table(adata, gene_sets, *, readings=ALL_READINGS) -> np.ndarray:
    """r of each gene set under each reading, as a float64 array of shape (len(gene_sets), len(readings)).

    The table form of :func:`velograph.tl.reconstructability_readings` (which returns nested lists).

    r = median_i corr(row i for all velocity genes, row i for the gene set), as
    :func:`velograph.tl.reconstructability` computes it, with rows of the default
    transition matrix (``"transition"``) or of the signed similarity graph
    (``"graph"``, what scVelo's ``vcorrcoef`` recipe compares), over all N entries
    (``"all"``) or the entries stored in either row (``"neighbors"``). Each graph is
    computed once and read every way asked for. Dimensionless, in [-1, 1].
    """
    from velograph.tl import reconstructability_readings as scores

    return np.array(scores(adata, [list(genes) for genes in gene_sets], readings=readings), dtype=np.float64)


#: What each entry of :func:`textbook_switch_fields` changes (chapter 7's section numbers).
SWITCH_LABELS = {
    "1": "1 plain cosine instead of Pearson",
    "2": "2 no sign-sqrt (stochastic velocities)",
    "3": "3 spliced counts instead of Ms",
    "4": "4 every cell a neighbour (not two hops)",
    "7": "7 no self-transitions",
    "8": "8 probabilities instead of signed weights",
    "9-10": "9-10 density correction 1/k instead of mean(p)",
    "13 distance": "13 blog's distance-weighted arrows",
    "13 confidence": "13 blog's confidence-weighted arrows",
    "15": "15 float64 instead of float32",
    "17": "17 dynamical instead of stochastic model",
}

#: Thresholds of :func:`velograph_book.factors.rank_with_intervals`: a difference changes a
#: conclusion when a known step reverses or at least this
#: share of arrows turns by more than 90 degrees ...
CONCLUSION_SHARE = 0.05
#: ... and is cosmetic when the median arrow turns by less than this many degrees and fewer
#: than COSMETIC_SHARE of the arrows turn by more than 90 degrees.
COSMETIC_ANGLE = 1.0
COSMETIC_SHARE = 0.005


def section_numbers(adata, *, sqrt_transform=None) -> dict:
    """Chapter 7's headline numbers that depend on the stochastic velocity graph, for one ``sqrt_transform``.

    Recomputes the graph of ``adata`` with ``velograph.tl.velocity_graph(...,
    sqrt_transform=sqrt_transform)`` (None: scVelo's default) on a copy and returns
    {section: value} for sections 2 (the graph equals the sign-sqrt Pearson graph),
    4 (median two-hop neighbourhood size), 5 (scVelo's kernel without self-transitions
    equals the textbook kernel to 1e-6), 6 (median share of z_i a dense kernel would
    give non-neighbours), 7 (median T_ii), 8 (share of neighbour pairs with a negative
    weight), 9 (median row sum of the projection weights), 10 (median cosine of the
    mean(p) and 1/k arrows on the UMAP), 11 (raw / stored arrow length), 12 (median
    cosine of the all-PC and PC1-PC2 arrows) and 13 (stored entries with basis='umap').
    Shares are guarded by the rounding margin.
    """
    import velograph.tl as tl
    from velograph import cosine_graph, project_velocity, transition_matrix

    from . import diagnostics

    work = tl.velocity_graph(adata, sqrt_transform=sqrt_transform, copy=True)
    graph = work.uns["velocity_graph"] + work.uns["velocity_graph_neg"]
    X, V = tl.graph_inputs(adata)
    pairs = tl.neighborhoods(adata)
    signed = tl.transition_matrix(work, use_negative_cosines=True)
    signed.setdiag(0)
    signed.eliminate_zeros()
    umap, pca = work.obsm["X_umap"], work.obsm["X_pca"]
    mean_arrows = project_velocity(signed, umap, correction="mean")
    raw = tl.velocity_embedding(work, basis="umap", autoscale=False, copy=True).obsm["velocity_umap"]
    scaled = tl.velocity_embedding(work, basis="umap", copy=True).obsm["velocity_umap"]
    textbook = transition_matrix(graph, sigma=np.sqrt(0.1))
    return {
        2: bool(abs(cosine_graph(X, V, pairs, center=True, variance_stabilize=True) - graph).max() < 1e-5),
        4: int(np.median(diagnostics.stored_per_row(pairs))),
        5: bool(abs(tl.transition_matrix(work, self_transitions=False) - textbook).max() < 1e-6),
        6: float(np.median(diagnostics.dense_kernel_outside_mass(graph, sigma=np.sqrt(0.1)))),
        7: float(np.median(tl.transition_matrix(work).diagonal())),
        8: stable_share(graph.data, 0.0, side="below"),
        9: float(np.median(diagnostics.offdiagonal_row_sums(signed))),
        10: float(np.nanmedian(rowwise_cosine(mean_arrows, project_velocity(signed, umap, correction="uniform")))),
        11: float(np.median(np.linalg.norm(raw, axis=1) / np.linalg.norm(scaled, axis=1))),
        12: float(np.nanmedian(rowwise_cosine(project_velocity(signed, pca, correction="mean")[:, :2],
                                              project_velocity(signed, pca[:, :2], correction="mean")))),
        13: int(tl.transition_matrix(work, basis="umap", use_negative_cosines=True).nnz),
    }


# ---------------------------------------------------------------------------------------------
# Figures


def stream_plot(adata, *, basis="umap", title=None, ax=None):
    """scVelo's stream plot (``scv.pl.velocity_embedding_stream``) of the arrows already in ``obsm``.

    Draws ``obsm['velocity_<basis>']`` as it is (e.g. written by
    :func:`velograph.tl.velocity_embedding`), coloured by ``obs['clusters']``, with
    labelled axes. scVelo recomputes the arrows itself unless
    ``uns['velocity_params']['embeddings']`` lists the basis; this function raises
    ValueError in that case instead of silently drawing scVelo's arrows. Returns the axes.
    """
    import matplotlib.pyplot as plt
    import scvelo as scv
    from scvelo.plotting.utils import velocity_embedding_changed

    if velocity_embedding_changed(adata, basis=basis, vkey="velocity"):
        raise ValueError(f"scVelo would recompute obsm['velocity_{basis}'] (uns['velocity_params']['embeddings'] "
                         f"does not list {basis!r}): run velograph.tl.velocity_embedding(adata, basis={basis!r}) first")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5.0), constrained_layout=True)
    scv.pl.velocity_embedding_stream(adata, basis=basis, color="clusters", ax=ax, show=False, title=title or "",
                                     legend_loc="right margin", frameon=True, size=20, alpha=0.4)
    ax.set_xlabel(f"{basis.upper()} 1")
    ax.set_ylabel(f"{basis.upper()} 2")
    return ax
