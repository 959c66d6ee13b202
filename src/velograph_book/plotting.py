"""Figures of the book, in one consistent style. Imports matplotlib only when called."""

from __future__ import annotations

import numpy as np


def _axes(ax=None, figsize=(5.5, 4.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    ax.grid(True, alpha=0.3)
    return ax


def sigma_sweep(similarities, sigmas, probabilities, *, ax=None, scale_axis=True):
    """Probability of each neighbour against the kernel width sigma (log axis).

    ``probabilities`` has shape (len(sigmas), len(similarities)). A second x axis
    shows scVelo's ``scale`` = 1/sigma^2.
    """
    ax = _axes(ax)
    for k, pi in enumerate(similarities):
        ax.plot(sigmas, probabilities[:, k], lw=2, label=f"neighbour {k + 1}: $\\pi$ = {pi:+.1f}")
    ax.set_xscale("log")
    ax.set_xlabel(r"kernel width $\sigma$")
    ax.set_ylabel(r"transition probability $\tilde\pi_{ij}$")
    ax.set_title("Small $\\sigma$ picks one neighbour; large $\\sigma$ spreads evenly")
    ax.axhline(1 / len(similarities), color="grey", ls=":", lw=1, label="uniform 1/n")
    ax.axvline(np.sqrt(0.1), color="black", ls="--", lw=1, label="scVelo default ($\\sigma^2$=0.1)")
    if scale_axis:
        top = ax.secondary_xaxis("top", functions=(lambda s: 1 / np.maximum(s, 1e-9) ** 2,
                                                   lambda lam: 1 / np.sqrt(np.maximum(lam, 1e-9))))
        top.set_xlabel(r"scVelo scale $\lambda = 1/\sigma^2$")
    ax.legend(fontsize=8, loc="center right")
    return ax


def quiver_panels(X_emb, arrows, titles, *, highlight=None, suptitle=None, length=0.35):
    """Side-by-side quiver plots of the same cells with different arrows (one panel each).

    Arrows are drawn at one common ``length`` (embedding units) so that directions
    compare at a glance; lengths of nu are printed in the text, not drawn.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(arrows), figsize=(4.6 * len(arrows), 4.2), constrained_layout=True)
    for ax, nu, title in zip(np.atleast_1d(axes), arrows, titles, strict=True):
        _axes(ax)
        norm = np.linalg.norm(nu, axis=1, keepdims=True)
        direction = length * np.divide(nu, norm, out=np.zeros_like(nu), where=norm > 0)
        ax.scatter(X_emb[:, 0], X_emb[:, 1], s=40, color="lightgrey", edgecolor="grey", zorder=1)
        ax.quiver(X_emb[:, 0], X_emb[:, 1], direction[:, 0], direction[:, 1], angles="xy", scale_units="xy",
                  scale=1, width=0.008, color="tab:blue", zorder=2)
        if highlight is not None:
            ax.quiver(X_emb[highlight, 0], X_emb[highlight, 1], direction[highlight, 0], direction[highlight, 1],
                      angles="xy", scale_units="xy", scale=1, width=0.014, color="tab:red", zorder=3,
                      label=f"cell {highlight}")
            ax.legend(loc="lower left", fontsize=8)
        ax.set_title(title)
        ax.set_xlabel("embedding 1")
        ax.set_ylabel("embedding 2")
        ax.set_aspect("equal", adjustable="datalim")
        ax.margins(0.15)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def embedding_by_cluster(X_emb, clusters, *, title=None, ax=None, s=6):
    """Scatter of a 2-D embedding coloured by a categorical label, with a legend."""
    import matplotlib.pyplot as plt
    import pandas as pd

    ax = _axes(ax, figsize=(6.5, 5.0))
    labels = pd.Categorical(clusters)
    colours = plt.get_cmap("tab10")
    for k, name in enumerate(labels.categories):
        at = np.asarray(labels == name)
        ax.scatter(X_emb[at, 0], X_emb[at, 1], s=s, color=colours(k % 10), label=f"{name} ({int(at.sum())})")
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.set_title(title or "embedding")
    ax.legend(fontsize=7, markerscale=2, loc="best")
    return ax


def neighbor_similarities(X_emb, cell, neighbours, values, *, title=None, ax=None):
    """Embedding in grey; the neighbours of ``cell`` coloured by their similarity pi_ij; the cell as a star."""
    import matplotlib.pyplot as plt

    ax = _axes(ax, figsize=(6.0, 5.0))
    ax.scatter(X_emb[:, 0], X_emb[:, 1], s=3, color="lightgrey")
    order = np.argsort(np.abs(values))  # strongest on top
    limit = float(np.abs(values).max()) or 1.0  # symmetric colour range around 0
    points = ax.scatter(X_emb[neighbours[order], 0], X_emb[neighbours[order], 1], c=np.asarray(values)[order],
                        cmap="coolwarm", vmin=-limit, vmax=limit, s=14, edgecolor="none")
    ax.scatter(*X_emb[cell, :2], marker="*", s=250, color="black", label=f"cell {cell}")
    plt.colorbar(points, ax=ax, label=r"similarity $\pi_{ij}$")
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.set_title(title or f"neighbours of cell {cell}")
    ax.legend(loc="best", fontsize=8)
    return ax


def entropy_against_sigma(sigma_squared, median_entropy, max_entropy, *, ax=None):
    """Median row entropy of the transition matrix against sigma^2, with the uniform ceiling."""
    ax = _axes(ax)
    ax.plot(sigma_squared, median_entropy, "o-", lw=2, label="median over cells")
    ax.axhline(max_entropy, color="grey", ls=":", label=r"uniform rows: median $\log n_i$")
    ax.axvline(0.1, color="black", ls="--", lw=1, label=r"scVelo default ($\sigma^2$=0.1, scale=10)")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\sigma^2$ (= 1/scale)")
    ax.set_ylabel("row entropy (nats)")
    ax.set_title("How spread out are the transition rows?")
    ax.legend(fontsize=8)
    return ax


def arrows_on_embedding(X_emb, clusters, arrow_fields, titles, *, every=4, suptitle=None):
    """Side-by-side panels of the embedding (coloured by cluster) with arrows of every ``every``-th cell.

    All panels share one arrow scale, so equal arrows look equal across panels.
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    labels = pd.Categorical(clusters)
    colours = plt.get_cmap("tab10")
    fig, axes = plt.subplots(1, len(arrow_fields), figsize=(5.2 * len(arrow_fields), 4.6), constrained_layout=True)
    pick = np.arange(0, len(X_emb), every)
    finite = [np.abs(f[pick][np.isfinite(f[pick]).all(axis=1)]).max() for f in arrow_fields]
    scale = max(finite) * 25 / (np.ptp(X_emb[:, 0]) or 1.0)
    for ax, field, title in zip(np.atleast_1d(axes), arrow_fields, titles, strict=True):
        _axes(ax)
        for k, name in enumerate(labels.categories):
            at = np.asarray(labels == name)
            ax.scatter(X_emb[at, 0], X_emb[at, 1], s=3, color=colours(k % 10), alpha=0.35, label=name)
        ax.quiver(X_emb[pick, 0], X_emb[pick, 1], field[pick, 0], field[pick, 1], angles="xy", scale_units="xy",
                  scale=scale, width=0.003, color="black")
        ax.set_title(title)
        ax.set_xlabel("UMAP 1")
        ax.set_ylabel("UMAP 2")
    np.atleast_1d(axes)[0].legend(fontsize=6, markerscale=3, loc="best")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def baseline_histogram(random_scores, score, *, label="top-likelihood genes", ax=None):
    """Histogram of reconstructability for random gene sets, with the score of the chosen set."""
    ax = _axes(ax)
    ax.hist(random_scores, bins=12, color="lightsteelblue", edgecolor="grey", label="random gene sets")
    ax.axvline(score, color="tab:red", lw=2, label=label)
    ax.set_xlabel("reconstructability r")
    ax.set_ylabel("number of gene sets")
    ax.set_title("Is the chosen gene set better than chance?")
    ax.legend(fontsize=8)
    return ax


def compare_values(a, b, *, xlabel, ylabel, title, ax=None, max_points=20000, seed=0):
    """Scatter of paired values (a random sample of at most ``max_points``) with the diagonal."""
    ax = _axes(ax, figsize=(4.8, 4.4))
    a, b = np.asarray(a), np.asarray(b)
    pick = np.random.default_rng(seed).permutation(len(a))[:max_points]
    ax.scatter(a[pick], b[pick], s=2, alpha=0.3, color="tab:blue")
    low, high = min(a.min(), b.min()), max(a.max(), b.max())
    ax.plot([low, high], [low, high], color="black", lw=1, ls="--", label="equal")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def histogram(values, *, xlabel, title, marks=None, ax=None, bins=50):
    """Histogram of per-cell values, with optional labelled vertical marks {label: x}."""
    ax = _axes(ax)
    values = np.asarray(values)
    ax.hist(values[np.isfinite(values)], bins=bins, color="lightsteelblue", edgecolor="grey")
    for k, (label, x) in enumerate((marks or {}).items()):
        ax.axvline(x, color=f"C{k + 3}", lw=2, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("number of cells")
    ax.set_title(title)
    if marks:
        ax.legend(fontsize=8)
    return ax
