"""Small computations and figures that Part I and the appendix teach with.

Each function states its formula and units. They use only velograph's public
array-level functions plus numpy/scipy (matplotlib for the ``plot_*`` figures,
imported when called), so a chapter imports ``from velograph_book import teaching``
and never writes an algorithm inline.

Notation: a graph or transition matrix is an n x n sparse matrix whose stored
off-diagonal entries of row i are the n_i neighbours j of cell i;
pi_ij is a similarity, pi~_ij a transition probability (row i sums to 1).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._pairs import drop_diagonal, row_of_each_entry
from .diagnostics import row_entropy
from .geometry import rowwise_angle_degrees
from .plotting import _axes

# --------------------------------------------------------------------------------------
# small helpers on sparse rows


def _offdiagonal_csr(M) -> sp.csr_matrix:
    """M as float64 CSR with sorted indices and the diagonal dropped (it is never a neighbour)."""
    M = sp.csr_matrix(M, dtype=np.float64, copy=True)
    M.sort_indices()
    M, _ = drop_diagonal(M)
    return M


# --------------------------------------------------------------------------------------
# section B: how peaked is a row?


def effective_neighbors(T, kind="entropy") -> np.ndarray:
    r"""Effective number of neighbours of each row of a transition matrix (a number of cells).

    * ``kind="entropy"``: :math:`\exp(H_i)`, :math:`H_i = -\sum_j \tilde\pi_{ij}\log\tilde\pi_{ij}`
      (the perplexity);
    * ``kind="participation"``: :math:`1/\sum_j \tilde\pi_{ij}^2` (the inverse participation ratio).

    Both equal n_i for a uniform row over n_i neighbours and 1 for a row on a single
    neighbour; compare them with
    ``velograph_book.diagnostics.stored_per_row(T, include_diagonal=False)``. Sums run over the stored
    off-diagonal entries; rows must sum to 1 (they are renormalised if not). Empty rows: NaN.
    """
    if kind not in ("entropy", "participation"):
        raise ValueError(f"kind must be 'entropy' or 'participation', got {kind!r}")
    T = _offdiagonal_csr(T)
    if (T.data < 0).any():
        raise ValueError("T must be non-negative (a transition matrix)")
    rows = row_of_each_entry(T)
    n = T.shape[0]
    total = np.bincount(rows, weights=T.data, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = T.data / total[rows]
        if kind == "entropy":
            # the entropy of the renormalised rows, by the book's one entropy function
            P = sp.csr_matrix((p, T.indices, T.indptr), shape=T.shape)
            out = np.exp(row_entropy(P, include_diagonal=False))
        else:
            out = 1.0 / np.bincount(rows, weights=p**2, minlength=n)
    out[total <= 0] = np.nan
    return out


def row_spread(graph) -> np.ndarray:
    r"""Standard deviation of each row's stored similarities (population, over its n_i neighbours).

    .. math:: s_i = \sqrt{\tfrac1{n_i}\sum_j (\pi_{ij} - \bar\pi_i)^2}

    Same units as the similarities (dimensionless). The kernel exp(pi/sigma^2) only sees
    differences pi_ij - pi_ik divided by sigma^2, so s_i/sigma^2 says how peaked row i becomes.
    Empty rows: NaN.
    """
    G = _offdiagonal_csr(graph)
    rows = row_of_each_entry(G)
    n_i = np.diff(G.indptr).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(rows, weights=G.data, minlength=G.shape[0]) / n_i
        dev = G.data - mean[rows]
        return np.sqrt(np.bincount(rows, weights=dev**2, minlength=G.shape[0]) / n_i)


def linear_arrows(graph, X_emb, sigma) -> np.ndarray:
    r"""First-order (near-uniform) approximation of the corrected arrows, shape (n, d).

    When sigma^2 is large compared with the spread of a row's similarities, the softmax
    is close to uniform: :math:`\tilde\pi_{ij} \approx \frac{1}{n_i}\bigl(1 + (\pi_{ij} - \bar\pi_i)/\sigma^2\bigr)`,
    and the density-corrected arrow of section C becomes

    .. math:: \nu_i^{\mathrm{lin}} = \frac{1}{n_i\,\sigma^2}\sum_j (\pi_{ij} - \bar\pi_i)\,\hat\delta_{ij},

    a vote of all neighbours, each pulling along its unit direction in proportion to how
    much better than average its similarity is. Compare with
    ``project_velocity(transition_matrix(graph, sigma), X_emb)``. Dimensionless, like those arrows.
    """
    from velograph import project_velocity

    G = _offdiagonal_csr(graph)
    rows = row_of_each_entry(G)
    n_i = np.diff(G.indptr).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(rows, weights=G.data, minlength=G.shape[0]) / n_i
    weights = (G.data - mean[rows]) / (n_i[rows] * float(sigma) ** 2)
    W = sp.csr_matrix((weights, G.indices, G.indptr), shape=G.shape)
    return project_velocity(W, X_emb, correction=None)


# --------------------------------------------------------------------------------------
# section C: the blog's weighted variants


def distance_weights(T, X_emb, bandwidth=None) -> sp.csr_matrix:
    r"""The blog's Gaussian distance weights on T's neighbours, as a sparse matrix.

    .. math:: K_{ij} = \exp\!\left(-\frac{\|x_j - x_i\|^2}{2h^2}\right)

    on the stored off-diagonal entries of T (zeros elsewhere); h = ``bandwidth`` in
    embedding units, by default the mean neighbour distance (as in
    ``project_velocity_distance_weighted``). Dimensionless, in (0, 1].
    """
    T = _offdiagonal_csr(T)
    X_emb = np.asarray(X_emb, float)
    rows = row_of_each_entry(T)
    distance = np.linalg.norm(X_emb[T.indices] - X_emb[rows], axis=1)
    h = float(bandwidth) if bandwidth is not None else float(distance.mean())
    return sp.csr_matrix((np.exp(-0.5 * (distance / h) ** 2), T.indices, T.indptr), shape=T.shape)


def blog_weight_sums(T, weights) -> np.ndarray:
    r"""Sum of the effective weights of the blog's C.7 formulas, per cell.

    The blog writes :math:`\nu_i = \sum_j w_{ij}\tilde\pi_{ij}\hat\delta_{ij} / \sum_j w_{ij}`, so the
    unit directions enter with the weights :math:`w_{ij}\tilde\pi_{ij}/\sum_k w_{ik}`, whose sum

    .. math:: S_i = \frac{\sum_j w_{ij}\,\tilde\pi_{ij}}{\sum_j w_{ij}}

    is a w-weighted mean of the pi~_ij: about 1/n_i when the pi~_ij sum to 1 and the w_ij are
    similar. A proper weighted average has S_i = 1; the blog's arrow is S_i times the
    properly normalised one (``normalize="weights"``). ``weights`` is a sparse n x n matrix
    of w_ij (read on T's stored entries) or a length-n vector of per-cell confidences c_j
    (then w_ij = c_j). Dimensionless. Rows with sum_j w_ij = 0: NaN.
    """
    T = _offdiagonal_csr(T)
    rows = row_of_each_entry(T)
    if sp.issparse(weights) or np.ndim(weights) == 2:
        W = sp.csr_matrix(weights, dtype=np.float64)
        w = np.asarray(W[rows, T.indices]).ravel()
    else:
        w = np.asarray(weights, float)[T.indices]
    n = T.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(rows, weights=w * T.data, minlength=n) / np.bincount(rows, weights=w, minlength=n)


# --------------------------------------------------------------------------------------
# section D: why a random gene set scores what it scores


def one_hot_correlation(k: int) -> float:
    r"""Pearson correlation of two one-hot vectors of length k with their 1 in different places.

    Each has mean 1/k; the covariance sum is :math:`\sum_j (e_{p,j} - \tfrac1k)(e_{q,j} - \tfrac1k) = -\tfrac1k`
    and each variance sum is :math:`(k-1)/k`, so

    .. math:: \mathrm{corr}(e_p, e_q) = -\frac{1}{k-1}\qquad (p \ne q),

    exactly (and +1 when p = q). Over k = 4 neighbours that is -1/3; over all N entries of
    a row, -1/(N-1). Needs k >= 2.
    """
    k = int(k)
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    return -1.0 / (k - 1)


def random_similarity_correlations(T_full, graph, *, n_draws, sigma, over="all", first_seed=0) -> np.ndarray:
    r"""Per-cell row correlations of T_full with transition matrices of *random* similarities.

    Draw d (seed ``first_seed + d``, numpy's default_rng) replaces every stored value of
    ``graph`` by an independent uniform number in [-1, 1] (a "gene subset that knows
    nothing"), applies the kernel of section B with ``sigma`` and correlates each row with
    the same row of ``T_full`` (:func:`velograph.row_correlations`, reading ``over``).
    Returns an (n_draws, n) array; the reconstructability of draw d is the nanmedian of row d.
    """
    from velograph import row_correlations, transition_matrix

    G = sp.csr_matrix(graph, dtype=np.float64, copy=True)
    out = np.empty((int(n_draws), G.shape[0]))
    for d in range(int(n_draws)):
        G.data = np.random.default_rng(first_seed + d).uniform(-1.0, 1.0, G.nnz)
        out[d] = row_correlations(T_full, transition_matrix(G, sigma=sigma), over=over)
    return out


# --------------------------------------------------------------------------------------
# figures (matplotlib is imported only here)


def plot_gene_space(delta, v, *, labels=(r"$\delta_{ij} = s_j - s_i$", r"$v_i$")):
    """Two panels: the displacement and the velocity as 3-D arrows, and gene by gene as bars."""
    import matplotlib.pyplot as plt

    delta, v = np.asarray(delta, float), np.asarray(v, float)
    fig = plt.figure(figsize=(10, 4.2), constrained_layout=True)
    ax3 = fig.add_subplot(1, 2, 1, projection="3d")
    for vec, colour, label in ((delta, "tab:blue", labels[0]), (v, "tab:orange", labels[1])):
        ax3.quiver(0, 0, 0, *vec, color=colour, lw=3, arrow_length_ratio=0.15, label=label)
    ax3.scatter([0], [0], [0], color="black", s=20)
    both = np.vstack([np.zeros_like(delta), delta, v])
    for axis, setter in enumerate((ax3.set_xlim, ax3.set_ylim, ax3.set_zlim)):
        low, high = both[:, axis].min(), both[:, axis].max()
        pad = 0.15 * max(high - low, 1e-9)
        setter(low - pad, high + pad)
    ax3.view_init(elev=20, azim=-60)
    ax3.set_xlabel("gene 1")
    ax3.set_ylabel("gene 2")
    ax3.set_zlabel("gene 3")
    ax3.set_title(f"In gene space: {rowwise_angle_degrees(delta, v):.1f}° apart")
    ax3.legend(loc="upper left", fontsize=8)
    ax = _axes(fig.add_subplot(1, 2, 2))
    genes = np.arange(len(delta))
    ax.bar(genes - 0.18, delta, width=0.36, color="tab:blue", label=labels[0])
    ax.bar(genes + 0.18, v, width=0.36, color="tab:orange", label=labels[1])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(genes, [f"gene {g + 1}" for g in genes])
    ax.set_ylabel(r"$\delta$: expression; $v$: expression per unit time")
    ax.set_title("Gene by gene: same signs, different sizes")
    ax.legend(fontsize=8)
    return fig


def plot_similarity_histograms(toy, real, *, sigma_squared=0.1):
    """Side by side: the toy similarities of chapter B and the real ones (all stored pairs)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True, sharex=True)
    bins = np.linspace(-1, 1, 41)
    for ax, values, title, colour in ((axes[0], toy, f"toy row of chapter B ({len(toy)} neighbours)", "tab:orange"),
                                      (axes[1], real, f"real data: all {len(real):,} stored pairs", "tab:blue")):
        _axes(ax)
        ax.hist(np.asarray(values, float), bins=bins, color=colour, edgecolor="grey")
        ax.set_title(title)
        ax.set_xlabel(r"similarity $\pi_{ij}$")
        ax.set_ylabel("number of pairs")
        ax.axvline(0, color="black", lw=0.8)
        ax.axvspan(np.median(values) - sigma_squared / 2, np.median(values) + sigma_squared / 2,
                   color="grey", alpha=0.25, label=rf"one $\sigma^2$ = {sigma_squared:g} wide")
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("The same kernel meets very different spreads of similarity")
    return fig


def plot_effective_neighbors(sigma_squared, curves, *, ax=None):
    """Effective neighbours exp(H) against sigma^2 (both axes logarithmic), one line per row.

    ``curves``: label -> (values over ``sigma_squared``, n), where n is the row's number
    of neighbours, drawn as a dotted ceiling of the same colour (a uniform row).
    """
    ax = _axes(ax)
    for k, (label, (values, n)) in enumerate(curves.items()):
        ax.plot(sigma_squared, values, "o-", lw=2, color=f"C{k}", label=label)
        ax.axhline(n, color=f"C{k}", ls=":", lw=1.2, label=f"uniform over {n:g} neighbours")
    ax.axhline(1, color="grey", ls="-.", lw=1, label="a single neighbour")
    ax.axvline(0.1, color="black", ls="--", lw=1, label=r"default $\sigma^2$ = 0.1 (scale 10)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\sigma^2$ (= 1/scale)")
    ax.set_ylabel(r"effective neighbours $e^{H_i}$")
    ax.set_title("At the default width real rows stay close to uniform")
    ax.figure.set_size_inches(8.0, 4.0)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def plot_row_comparison(rows, neighbors, cell, *, ax=None):
    """Grouped bars of one cell's row in several matrices (``rows``: label -> length-N array).

    The cell's neighbours are marked on the x axis; every other entry is 0 in every row.
    """
    ax = _axes(ax, figsize=(8.0, 3.8))
    labels = list(rows)
    N = len(next(iter(rows.values())))
    width = 0.8 / len(labels)
    x = np.arange(N)
    for k, label in enumerate(labels):
        ax.bar(x - 0.4 + width * (k + 0.5), np.asarray(rows[label], float), width=width, color=f"C{k}", label=label)
    ax.set_xticks(x, [f"{j}*" if j in set(np.asarray(neighbors).tolist()) else str(j) for j in x])
    ax.set_xlabel(f"cell j (* = neighbour of cell {cell})")
    ax.set_ylabel(rf"transition probability $\tilde\pi_{{{cell}j}}$")
    ax.set_title(f"Row of cell {cell}: all {N} entries, most of them shared zeros")
    ax.legend(fontsize=8)
    return ax


def plot_null_distribution(scores, marks, *, bins=24):
    """One panel per reading: histogram of r over random draws, with labelled vertical marks.

    ``scores``: reading -> array of r over draws; ``marks``: reading -> {label: x}.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(scores), figsize=(5.2 * len(scores), 3.9), constrained_layout=True)
    for ax, (reading, values) in zip(np.atleast_1d(axes), scores.items(), strict=True):
        _axes(ax)
        values = np.asarray(values, float)
        ax.hist(values[np.isfinite(values)], bins=bins, range=(-1, 1), color="lightsteelblue", edgecolor="grey",
                label=f"{len(values)} random draws")
        for k, (label, x) in enumerate(marks.get(reading, {}).items()):
            ax.axvline(x, color=f"C{k + 1}", lw=2, ls="-" if k == 0 else "--", label=label)
        ax.set_xlabel("reconstructability r")
        ax.set_ylabel("number of draws")
        ax.set_title(reading)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("One seed is one draw: r of a gene subset that knows nothing")
    return fig
