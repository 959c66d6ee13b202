"""Limits of velocity arrows and of reconstructability: null models, neighbourhood geometry, embeddings.

The computations of chapter 8 ("Limits and pitfalls"). Each claim the blog makes about
arrows and about r is tested against a *null*: the same pipeline run on inputs from
which one kind of information has been removed on purpose.

* Null velocities (:func:`null_velocities`): shuffle each cell's velocity over genes,
  give cells each other's velocities (over all cells or within groups), one shared
  velocity for every cell, or every velocity reversed.
* Arrow fields of one graph (:func:`arrow_fields`): scVelo's, the textbook's, the
  uncorrected expectation and the density direction; compared by angle
  (:func:`agreement`).
* Null distributions of r over random gene sets (:func:`reconstructability_null`,
  :func:`null_summary`).
* Geometry: the best-aligned neighbour (:func:`best_neighbor_similarity`),
  arrows carried from one embedding to another by a local linear map
  (:func:`transport_arrows`), and how faithfully an arrow reflects the graph it was
  built from (:func:`arrow_fidelity`).
* :func:`knn_velocity_correlation`: scVelo's velocity confidence on any velocity array,
  for confidence under a null.

Angles are in degrees; similarities, correlations, cosines and shares are dimensionless.
Random draws come from ``numpy.random.default_rng(seed)`` with the seed given by the caller.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from velograph import project_velocity, row_correlations

from ._pairs import row_of_each_entry
from .display import share_above, share_below
from .geometry import rowwise_angle_degrees, rowwise_cosine
from .plotting import _axes

NULL_KINDS = ("genes", "cells", "groups", "shared", "reversed")


# --------------------------------------------------------------------------- null velocities


def null_velocities(V, kind, *, rng=None, groups=None) -> np.ndarray:
    r"""A velocity array from which one kind of information has been removed (a new array, same dtype).

    With V the (cells x genes) velocities and sigma a uniformly random permutation:

    * ``"genes"``: v'_ig = v_{i, sigma_i(g)}, one permutation of the genes per cell. Keeps
      each cell's set of values (its length, signs, sparsity); removes which gene each value
      belongs to, so no direction in gene space survives.
    * ``"cells"``: v'_i = v_{sigma(i)} over all cells. Keeps every velocity vector intact
      (and the population's mean velocity); removes which cell it belongs to.
    * ``"groups"``: the same within each group of ``groups`` (e.g. cell types). Keeps the
      velocities of each group; removes which cell of the group has which.
    * ``"shared"``: v'_i = mean_k v_k (computed in float64) for every cell. Keeps only the
      population's average direction; removes every difference between cells.
    * ``"reversed"``: v'_i = -v_i. Removes nothing but the sign.

    ``rng`` (a ``numpy.random.Generator``) is required for the random kinds.
    """
    V = np.asarray(V)
    if V.ndim != 2:
        raise ValueError(f"V must be a cells x genes array, got shape {V.shape}")
    if kind not in NULL_KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, NULL_KINDS))}; got {kind!r}")
    if kind == "reversed":
        return -V
    if kind == "shared":
        mean = V.astype(np.float64).mean(axis=0, keepdims=True)
        return np.repeat(mean, V.shape[0], axis=0).astype(V.dtype)
    if rng is None:
        raise ValueError(f"kind={kind!r} is random: pass rng=numpy.random.default_rng(seed)")
    if kind == "genes":
        order = np.argsort(rng.random(V.shape), axis=1)
        return np.take_along_axis(V, order, axis=1)
    if kind == "cells":
        return V[rng.permutation(V.shape[0])]
    if groups is None:
        raise ValueError("kind='groups' needs groups= (one label per cell)")
    groups = np.asarray(groups)
    if groups.shape != (V.shape[0],):
        raise ValueError(f"groups must have one label per cell ({V.shape[0]}), got shape {groups.shape}")
    source = np.arange(V.shape[0])
    for label in np.unique(groups):
        members = np.flatnonzero(groups == label)
        source[members] = rng.permutation(members)
    return V[source]


def with_velocity(adata, velocity=None, *, xkey="Ms"):
    """A copy of ``adata`` with ``layers['velocity']`` replaced (if given) and its velocity graph computed.

    ``velocity`` is a (cells x genes) array for all of ``adata``'s genes. The graph is
    :func:`velograph.tl.velocity_graph` with ``xkey`` (``"Ms"`` as in scVelo, or e.g.
    ``"spliced"``) and every other option at scVelo's default; ``adata`` is not modified.
    """
    import velograph.tl as vtl

    out = adata.copy()
    if velocity is not None:
        velocity = np.asarray(velocity)
        if velocity.shape != out.shape:
            raise ValueError(f"velocity must have the shape of adata {out.shape}, got {velocity.shape}")
        out.layers["velocity"] = velocity.astype(np.float32)
    vtl.velocity_graph(out, xkey=xkey)
    return out


def null_adata(adata, kind, *, rng=None, groups=None, xkey="Ms"):
    """:func:`with_velocity` on :func:`null_velocities` of ``adata``'s velocity genes.

    Only the columns of ``var['velocity_genes']`` (the genes the graph uses) are
    shuffled; the other columns are left as they are.
    """
    genes = np.asarray(adata.var["velocity_genes"], dtype=bool)
    V = np.array(adata.layers["velocity"], dtype=np.float32)
    V[:, genes] = null_velocities(V[:, genes], kind, rng=rng, groups=groups)
    return with_velocity(adata, V, xkey=xkey)


def null_draws(adata, kind, X_emb, *, n_draws=1, rng=None, groups=None) -> list:
    """``n_draws`` draws of a null: for each, the :func:`arrow_fields` on ``X_emb`` and the
    :func:`knn_velocity_correlation` of the null velocities (key ``"confidence"``).

    Draws are taken one after another from ``rng``; the confidence uses the velocity genes
    and the k nearest neighbours of :func:`stored_knn_indices`.
    """
    genes = np.asarray(adata.var["velocity_genes"], dtype=bool)
    neighbors = stored_knn_indices(adata)
    out = []
    for _ in range(n_draws):
        null = null_adata(adata, kind, rng=rng, groups=groups)
        fields = arrow_fields(null, X_emb)
        fields["confidence"] = knn_velocity_correlation(np.asarray(null.layers["velocity"])[:, genes], neighbors)
        out.append(fields)
    return out


# --------------------------------------------------------------------------- arrows


def arrow_fields(adata, X_emb) -> dict:
    r"""Four arrow fields from the velocity graph stored in ``adata``, on the embedding ``X_emb``.

    With hat-delta_ij the unit direction from cell i to its stored neighbour j in ``X_emb``
    and n_i the number of those neighbours:

    * ``"scvelo"``: scVelo's arrow, sum_j (p_ij - mean_j p_ij) hat-delta_ij with p the
      signed transition matrix (``use_negative_cosines=True``, diagonal removed), i.e.
      ``velocity_embedding(autoscale=False)``;
    * ``"textbook"``: the blog's sum_j (P_ij - 1/n_i) hat-delta_ij with P the textbook
      kernel exp(pi_ij/sigma^2)/z_i (sigma^2 = 0.1, no self-transitions): probabilities
      that sum to 1 over the neighbours;
    * ``"uncorrected"``: sum_j P_ij hat-delta_ij, the expected direction without correction;
    * ``"density"``: (1/n_i) sum_j hat-delta_ij, the correction term alone: where the
      neighbours lie, whatever the velocity.

    All are dimensionless (combinations of unit vectors, unscaled).
    """
    import velograph.tl as vtl

    X_emb = np.asarray(X_emb, dtype=np.float64)
    signed = vtl.transition_matrix(adata, use_negative_cosines=True)
    signed.setdiag(0)
    signed.eliminate_zeros()
    P = vtl.transition_matrix(adata, self_transitions=False)
    uncorrected = project_velocity(P, X_emb, correction=None)
    textbook = project_velocity(P, X_emb, correction="uniform")
    return {
        "scvelo": project_velocity(signed, X_emb, correction="mean"),
        "textbook": textbook,
        "uncorrected": uncorrected,
        "density": uncorrected - textbook,
    }


def agreement(reference, arrows) -> dict:
    """How far an arrow field agrees with a reference field, cell by cell.

    Returns ``within_90``: share of cells whose arrows are less than 90 degrees apart
    (cosine > 0; through :func:`velograph_book.display.share_above`, so a cosine within the
    rounding margin of 0 raises instead of flipping between computers); ``median_angle``
    (degrees, :func:`velograph_book.geometry.rowwise_angle_degrees`); ``length_ratio``:
    median arrow length over median reference length. Cells where either arrow is
    undefined are left out.
    """
    c = rowwise_cosine(reference, arrows)
    ok = np.isfinite(c)
    length = np.linalg.norm(np.asarray(arrows, dtype=np.float64)[ok], axis=1)
    reference_length = np.linalg.norm(np.asarray(reference, dtype=np.float64)[ok], axis=1)
    return {
        "within_90": share_above(c[ok], 0.0),
        "median_angle": float(np.median(rowwise_angle_degrees(reference, arrows)[ok])),
        "length_ratio": float(np.median(length) / np.median(reference_length)),
    }


def agreement_over_draws(reference, arrow_list) -> dict:
    """:func:`agreement` for several null draws: the mean of each summary, and the range of ``within_90``."""
    summaries = [agreement(reference, a) for a in arrow_list]
    shares = np.array([s["within_90"] for s in summaries])
    return {
        "draws": len(summaries),
        "within_90": float(shares.mean()),
        "within_90_min": float(shares.min()),
        "within_90_max": float(shares.max()),
        "median_angle": float(np.mean([s["median_angle"] for s in summaries])),
        "length_ratio": float(np.mean([s["length_ratio"] for s in summaries])),
    }


# --------------------------------------------------------------------------- reconstructability nulls


def random_gene_sets(genes, size, n_sets, seed) -> list:
    """``n_sets`` random sets of ``size`` distinct genes from ``genes`` (numpy default_rng(seed), in order)."""
    genes = np.asarray(genes)
    if not 0 < size <= len(genes):
        raise ValueError(f"size must be between 1 and {len(genes)}, got {size}")
    rng = np.random.default_rng(seed)
    return [list(rng.choice(genes, size=size, replace=False)) for _ in range(n_sets)]


#: The readings of "the row pi_i" the null of :func:`reconstructability_null` uses by default:
#: (rows of, entries compared), over all N entries of the transition matrix and of the graph.
NULL_READINGS = (("transition", "all"), ("graph", "all"))


def reconstructability_null(adata, gene_set, random_sets, *, readings=NULL_READINGS) -> dict:
    r"""r of ``gene_set`` and of every random set, for several readings of "the row", each graph computed once.

    r = median_i corr(pi_i, pi'_i) exactly as :func:`velograph.tl.reconstructability`:
    pi from all velocity genes, pi' from the subset, same neighbours and options. A
    reading is (matrix, over): ``matrix="transition"`` compares rows of the default
    transition matrices, ``"graph"`` rows of the signed velocity graph (scVelo's recipe);
    ``over="all"`` all N entries, ``"neighbors"`` the stored ones. Returns
    ``{(matrix, over): (r of gene_set, array of r of the random sets)}``; dimensionless.
    """
    from velograph.tl import reconstructability_readings

    readings = [tuple(reading) for reading in readings]
    scores = np.array(reconstructability_readings(adata, [gene_set, *random_sets], readings=readings), dtype=np.float64)
    return {reading: (float(scores[0, m]), scores[1:, m]) for m, reading in enumerate(readings)}


def null_summary(observed, null, quantiles=(0.05, 0.5, 0.95), threshold=None) -> dict:
    r"""Where ``observed`` falls in the ``null`` sample.

    * ``quantiles``: the null's quantiles (numpy's linear interpolation), in order;
    * ``at_least``: number of null values >= observed;
    * ``p_value``: the one-sided empirical p-value (1 + at_least) / (1 + n), which never
      claims a p below 1/(n+1) from n draws;
    * ``above_threshold``: number of null values > ``threshold`` (if given).

    Ties within the rounding margin of ``velograph_book.display`` raise instead of being
    counted on one side.
    """
    null = np.asarray(null, dtype=np.float64)
    n = len(null)
    at_least = n - int(round(share_below(null, observed) * n))
    out = {
        "quantiles": [float(q) for q in np.quantile(null, quantiles)],
        "at_least": at_least,
        "n": n,
        "p_value": (1 + at_least) / (1 + n),
    }
    if threshold is not None:
        out["above_threshold"] = int(round(share_above(null, threshold) * n))
    return out


# --------------------------------------------------------------------------- geometry


def best_neighbor_similarity(graph) -> np.ndarray:
    """c_i = max(0, max_j pi_ij) over the stored neighbours: how well the best-aligned existing neighbour
    matches the cell's velocity (scVelo's c_i, from which its self-transition s_i = clip(P98(c) - c_i, 0, 1))."""
    G = sp.csr_matrix(graph)
    return np.clip(G.max(axis=1).toarray().ravel(), 0, None)


def transport_arrows(T, X_from, X_to, arrows):
    r"""Carry arrows from one embedding into another through each cell's local linear map.

    For cell i with stored off-diagonal neighbours j in T, A_i is the least-squares map
    from displacements in ``X_from`` to displacements in ``X_to``:

    .. math:: A_i = \arg\min_A \sum_j \|(x_j - x_i) A - (y_j - y_i)\|^2

    (pseudo-inverse of the neighbours' Gram matrix), and the arrow nu_i of ``X_from`` is
    carried to nu_i A_i in ``X_to``'s coordinates, to be compared by angle with the arrow
    drawn there. Returns ``(carried, r2)``: r2_i = 1 - residual / total sum of squares of
    the y-displacements, how much of the local layout of ``X_to`` a linear map of
    ``X_from`` explains (1: the two embeddings agree locally up to a linear map).
    """
    X_from = np.asarray(X_from, dtype=np.float64)
    X_to = np.asarray(X_to, dtype=np.float64)
    arrows = np.asarray(arrows, dtype=np.float64)
    T = sp.csr_matrix(T)
    n = T.shape[0]
    rows = row_of_each_entry(T)
    keep = rows != T.indices
    rows, cols = rows[keep], T.indices[keep]
    dx = X_from[cols] - X_from[rows]
    dy = X_to[cols] - X_to[rows]
    p, q = dx.shape[1], dy.shape[1]
    gram = np.zeros((n, p, p))
    cross = np.zeros((n, p, q))
    np.add.at(gram, rows, dx[:, :, None] * dx[:, None, :])
    np.add.at(cross, rows, dx[:, :, None] * dy[:, None, :])
    maps = np.linalg.pinv(gram) @ cross
    carried = np.einsum("np,npq->nq", arrows, maps)
    fitted = np.einsum("mp,mpq->mq", dx, maps[rows])
    residual = np.bincount(rows, weights=((dy - fitted) ** 2).sum(axis=1), minlength=n)
    counts = np.bincount(rows, minlength=n)
    mean_dy = np.stack([np.bincount(rows, weights=dy[:, k], minlength=n) for k in range(q)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_dy = mean_dy / counts[:, None]
        total = np.bincount(rows, weights=((dy - mean_dy[rows]) ** 2).sum(axis=1), minlength=n)
        r2 = np.where(total > 0, 1 - residual / total, np.nan)
    carried[counts == 0] = np.nan
    return carried, r2


def arrow_fidelity(graph, X_emb, arrows) -> np.ndarray:
    r"""How faithfully each drawn arrow reflects the velocity graph it was built from.

    Per cell i, the Pearson correlation over its stored neighbours j of the similarity
    pi_ij (gene space) with cos(nu_i, hat-delta_ij) (how far the arrow points towards j in
    the embedding):

    .. math:: f_i = \mathrm{corr}_j\big(\pi_{ij},\ \cos\angle(\nu_i, x_j - x_i)\big)

    1 means the arrow points most towards the neighbours the velocity favours most in gene
    space; 0, no relation; negative, the arrow favours the wrong neighbours. NaN for cells
    with an undefined arrow or constant values (to within the tolerance of
    :func:`velograph.row_correlations`, which computes the correlation in two passes).
    Dimensionless.
    """
    G = sp.csr_matrix(graph, dtype=np.float64)
    X_emb = np.asarray(X_emb, dtype=np.float64)
    arrows = np.asarray(arrows, dtype=np.float64)
    n = G.shape[0]
    if X_emb.ndim != 2 or X_emb.shape[0] != n:
        raise ValueError(f"X_emb must be an (n, d) array with n = {n} cells, got shape {X_emb.shape}")
    if arrows.shape != X_emb.shape:
        raise ValueError(f"arrows must have the shape of X_emb {X_emb.shape}, got {arrows.shape}")
    G.sum_duplicates()  # one value per (cell, neighbour) pair
    rows = row_of_each_entry(G)
    cols = G.indices
    toward = rowwise_cosine(arrows[rows], X_emb[cols] - X_emb[rows])
    # Pairs without a direction (the diagonal, a neighbour at the cell's own position, an
    # undefined arrow) are left out: the correlation runs over the remaining neighbours.
    keep = (rows != cols) & np.isfinite(toward)
    rows, cols = rows[keep], cols[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    similarity = sp.csr_matrix((G.data[keep], cols, indptr), shape=G.shape)
    pointing = sp.csr_matrix((toward[keep], cols, indptr), shape=G.shape)
    # Both matrices store exactly the same pairs (explicit zeros included), so over="neighbors"
    # compares them over this cell's neighbours and nothing else.
    return row_correlations(similarity, pointing, over="neighbors")


# --------------------------------------------------------------------------- confidence


def knn_velocity_correlation(V, neighbors) -> np.ndarray:
    r"""Mean Pearson correlation of each cell's velocity with its k nearest neighbours', clipped at 0.

    scVelo's velocity-confidence formula on any velocity array and any kNN index array
    (e.g. a null's velocities), where :func:`velograph.tl.velocity_confidence` reads an
    AnnData.

    With u_i = (v_i - mean_g v_ig)/‖v_i - mean_g v_ig‖ (each cell's velocity centred over
    genes and scaled to length 1) and K_i the k nearest neighbours (``neighbors``, an
    n x k index array, the cell itself excluded):

    .. math:: c_i = \max\Big(0,\ \frac1k \sum_{j\in K_i} u_i\cdot u_j\Big)

    the mean Pearson correlation with the neighbours' velocities, clipped at 0;
    dimensionless. Equal to ``obs['velocity_confidence']`` of
    :func:`velograph.tl.velocity_confidence` when V holds the same genes. It depends on
    the velocities only through their directions and is unchanged when every velocity
    changes sign. NaN where a cell's or a neighbour's centred velocity is zero.
    """
    V = np.asarray(V, dtype=np.float64)
    neighbors = np.asarray(neighbors)
    if neighbors.ndim != 2 or neighbors.shape[0] != V.shape[0]:
        raise ValueError(f"neighbors must be an (n, k) index array with n = {V.shape[0]}, got shape {neighbors.shape}")
    centred = V - V.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = centred / norm[:, None]
    mean = np.einsum("ckg,cg->c", unit[neighbors], unit) / neighbors.shape[1]
    return np.where(np.isnan(mean), np.nan, np.clip(mean, 0, None))


def stored_knn_indices(adata) -> np.ndarray:
    """The (n, k) nearest-neighbour indices scVelo reads from ``obsp['distances']`` (k = 29 for 30 neighbours).

    Read through :func:`velograph.tl.neighborhoods` without recursion: the kNN of each cell,
    in column order; every cell must have the same number of neighbours.
    """
    import velograph.tl as vtl

    pattern = vtl.neighborhoods(adata, n_recurse_neighbors=1)
    counts = np.diff(pattern.indptr)
    if counts.size and counts.min() != counts.max():
        raise ValueError(f"cells have between {counts.min()} and {counts.max()} neighbours in obsp['distances']; "
                         "stored_knn_indices needs the same number for every cell")
    return pattern.indices.reshape(pattern.shape[0], -1).astype(np.int64)


# --------------------------------------------------------------------------- figures


def plot_null_histograms(panels, *, threshold=0.8, bins=15):
    """One histogram per panel of a null sample, with the observed value (red) and a threshold (dashed).

    ``panels`` is a list of (title, observed, null values).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), 3.8), constrained_layout=True, sharey=True)
    for ax, (title, observed, null) in zip(np.atleast_1d(axes), panels, strict=True):
        _axes(ax)
        ax.hist(null, bins=bins, range=(min(0.0, np.min(null)), 1.0), color="lightsteelblue", edgecolor="grey",
                label=f"{len(null)} random gene sets")
        ax.axvline(observed, color="tab:red", lw=2, label=f"top-likelihood set: r = {observed:.2f}")
        if threshold is not None:
            ax.axvline(threshold, color="black", ls="--", lw=1, label=f"the blog's r > {threshold}")
        ax.set_xlabel("reconstructability r")
        ax.set_title(title)
        ax.legend(fontsize=7, loc="upper left")
    np.atleast_1d(axes)[0].set_ylabel("number of gene sets")
    return fig


def plot_edge_cells(X_emb, edge, into_empty, arrows, values, *, value_label, every=1):
    """Left: the embedding in grey, edge cells' arrows (red: into their empty sector, blue: towards neighbours).
    Right: the embedding coloured by ``values`` (e.g. the self-transition probability)."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.6), constrained_layout=True)
    _axes(left)
    left.scatter(X_emb[:, 0], X_emb[:, 1], s=3, color="lightgrey")
    norm = np.linalg.norm(arrows, axis=1, keepdims=True)
    unit = np.divide(arrows, norm, out=np.zeros_like(arrows), where=norm > 0)
    length = 0.06 * np.ptp(X_emb[:, 0])
    for mask, colour, label in ((edge & into_empty, "tab:red", "into the empty side"),
                                (edge & ~into_empty, "tab:blue", "towards neighbours")):
        at = np.flatnonzero(mask)[::every]
        left.quiver(X_emb[at, 0], X_emb[at, 1], length * unit[at, 0], length * unit[at, 1], angles="xy",
                    scale_units="xy", scale=1, width=0.004, color=colour, label=f"{label} ({int(mask.sum())})")
    left.set_title("Edge cells: every neighbour in one half-plane")
    left.set_xlabel("UMAP 1")
    left.set_ylabel("UMAP 2")
    left.legend(fontsize=8, loc="best")
    _axes(right)
    order = np.argsort(values)
    points = right.scatter(X_emb[order, 0], X_emb[order, 1], c=np.asarray(values)[order], s=4, cmap="viridis")
    plt.colorbar(points, ax=right, label=value_label)
    right.set_title("Where probability stays put")
    right.set_xlabel("UMAP 1")
    right.set_ylabel("UMAP 2")
    return fig


def plot_two_embeddings(embeddings, arrows, clusters, titles, axis_labels, *, every=6):
    """The same cells on two embeddings, each with its own arrows (every ``every``-th cell, one length)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    labels = pd.Categorical(clusters)
    colours = plt.get_cmap("tab10")
    fig, axes = plt.subplots(1, len(embeddings), figsize=(5.4 * len(embeddings), 4.6), constrained_layout=True)
    pick = np.arange(0, len(labels), every)
    for ax, X, nu, title, (xlabel, ylabel) in zip(axes, embeddings, arrows, titles, axis_labels, strict=True):
        _axes(ax)
        for k, name in enumerate(labels.categories):
            at = np.asarray(labels == name)
            ax.scatter(X[at, 0], X[at, 1], s=3, color=colours(k % 10), alpha=0.35, label=name)
        norm = np.linalg.norm(nu[pick], axis=1, keepdims=True)
        unit = np.divide(nu[pick], norm, out=np.zeros_like(nu[pick]), where=norm > 0)
        length = 0.035 * np.ptp(X[:, 0])
        ax.quiver(X[pick, 0], X[pick, 1], length * unit[:, 0], length * unit[:, 1], angles="xy", scale_units="xy",
                  scale=1, width=0.003, color="black")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    axes[0].legend(fontsize=6, markerscale=3, loc="best")
    return fig


def plot_confidence_histograms(samples, *, title="Velocity confidence", bins=40):
    """Overlaid step histograms of confidence values, one per (label, values)."""
    ax = _axes(figsize=(6.0, 4.0))
    for label, values in samples:
        values = np.asarray(values)
        values = values[np.isfinite(values)]
        ax.hist(values, bins=bins, range=(0, 1), histtype="step", lw=2, density=True,
                label=f"{label} (median {np.median(values):.2f})")
    ax.set_xlabel("velocity confidence")
    ax.set_ylabel("density of cells")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    return ax
