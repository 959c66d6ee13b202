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
    for ax, nu, title in zip(np.atleast_1d(axes), arrows, titles):
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
