"""Calibrations of chapter 9 ("Limits and pitfalls"): each verdict's test run on ground truth first.

A verdict is a test, so before the chapter applies a check to the pancreas data it runs
the same check on the simulator's shipped data sets (:mod:`velograph_book.simulation`),
where the answer is known, and counts how often the check fires:

* on a **positive control** (the planted effect: a density gradient with no velocity
  behind it; a set of true driver genes against magnitude-matched bystanders; true
  velocities at the ends of a trajectory) the share of data sets in which it fires is
  its **power**;
* on a **negative control** (the effect absent) that share is its **false-positive
  rate**.

The checks themselves are the library's (:func:`velograph.tl.density_lean`,
:func:`velograph.tl.reconstructability_vs_matched`, :func:`velograph.tl.edge_cell_check`);
this module loops them over data sets and seeds and tabulates what they say.

Monte Carlo p-values are p = (1 + #{null >= observed}) / (1 + n_draws), with standard
error sqrt(p (1 - p) / n_draws), as in :mod:`velograph.tl`.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

#: Alpha of every calibrated test in the chapter.
ALPHA = 0.05


# --------------------------------------------------------------------------- small pieces


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def rate(hits) -> tuple[int, int, float]:
    """(fired, tests, share) of a list of booleans: a power or a false-positive rate with its counts."""
    hits = np.asarray(hits, dtype=bool)
    if hits.ndim != 1 or len(hits) == 0:
        raise ValueError("hits must be a non-empty list of booleans (one per test)")
    return int(hits.sum()), len(hits), float(hits.mean())


def summary_rows(table, by, *, value: str = "share", truth: str | None = "true_share") -> list:
    """Per group of ``table`` (a calibration DataFrame), what the check said and how often it fired.

    Rows (in the order the groups first appear): the values of the ``by`` columns, then
    ``fired`` (how many tests fired), ``tests`` (how many ran), the smallest and largest
    ``value``, and with ``truth`` the smallest and largest of that column (NaN when it is
    NaN throughout the group).
    """
    by = list(by)
    missing = [c for c in [*by, value, "fired", *([truth] if truth else [])] if c not in table.columns]
    if missing:
        raise KeyError(f"table has no column(s) {missing}")
    rows = []
    for keys, group in table.groupby(by, sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = [*keys, int(group["fired"].sum()), len(group), float(group[value].min()), float(group[value].max())]
        if truth:
            t = group[truth].dropna()
            row += [float(t.min()), float(t.max())] if len(t) else [np.nan, np.nan]
        rows.append(tuple(row))
    return rows


def lean_share(arrows, direction) -> tuple[float, int]:
    """Share of cells whose arrow lies within 90 degrees of ``direction`` (cos > 0), and how many cells count.

    Cells where either row is zero or not finite are left out.
    """
    a, d = np.asarray(arrows, dtype=np.float64), np.asarray(direction, dtype=np.float64)
    if a.shape != d.shape:
        raise ValueError(f"arrows and direction must have the same shape, got {a.shape} and {d.shape}")
    dot = (a * d).sum(axis=1)
    ok = np.isfinite(dot) & (np.linalg.norm(a, axis=1) > 0) & (np.linalg.norm(d, axis=1) > 0)
    if not ok.any():
        raise ValueError("no cell has both a nonzero arrow and a nonzero direction")
    return float(np.mean(dot[ok] > 0)), int(ok.sum())


def subsample_cells(adata, n_cells: int, seed: int):
    """A new AnnData of ``n_cells`` cells drawn without replacement (``default_rng(seed)``), in their order.

    Everything cell-indexed is subset by anndata, ``obsp['distances']`` on both axes: each
    kept cell keeps its stored neighbours among the kept cells (fewer of them), so every
    graph on the subsample is smaller and cheaper. Nothing is recomputed (no PCA or kNN):
    the subsample is as machine-independent as its source.
    """
    n_cells = _positive_int(n_cells, "n_cells")
    if n_cells > adata.n_obs:
        raise ValueError(f"n_cells={n_cells} exceeds the {adata.n_obs} cells of adata")
    cells = np.sort(np.random.default_rng(seed).choice(adata.n_obs, n_cells, replace=False))
    return adata[cells].copy()


# --------------------------------------------------------------------------- 1. density lean on ground truth


def density_calibration(datasets, *, corrections=(None, "mean"), n_draws: int = 200, seed: int = 0,
                        alpha: float = ALPHA) -> pd.DataFrame:
    """:func:`velograph.tl.density_lean` on each simulated data set, next to the lean of the true direction.

    Parameters
    ----------
    datasets : list of (scenario, seed, AnnData)
        Data sets of :func:`velograph_book.simulation.load_ground_truth` (with the truth).
    corrections : tuple
        Density corrections of the arrows (None, 'mean', 'uniform').
    n_draws, seed, alpha
        As in :func:`velograph.tl.density_lean`.

    Returns
    -------
    pandas.DataFrame
        One row per (data set, correction): ``scenario``, ``seed``, ``correction``
        ('none', 'mean', 'uniform'), ``groups`` and ``groups_fired`` (groups of
        ``obs['clusters']`` whose verdict is "leans towards density"), ``share`` (all
        cells: arrows within 90 degrees of the density direction), ``p``, ``p_mc_se``,
        ``fired`` (the verdict starts with "leans towards density"), ``true_share`` (the
        same share for the true direction,
        :func:`velograph_book.simulation.true_embedding_direction`; NaN without velocity).
    """
    import velograph.tl as vtl
    from velograph_book import simulation

    rows = []
    for scenario, data_seed, adata in datasets:
        density = vtl.density_direction(adata)
        truth = simulation.true_embedding_direction(adata, "umap")
        moving = np.linalg.norm(truth, axis=1) > 0
        true_share = lean_share(truth[moving], density[moving])[0] if moving.any() else np.nan
        for correction in corrections:
            table = vtl.density_lean(adata, correction=correction, n_draws=n_draws, seed=seed, alpha=alpha)
            row = table.loc["all cells"]
            groups = table.drop(index="all cells")
            rows.append({"scenario": scenario, "seed": int(data_seed), "correction": correction or "none",
                         "groups": len(groups),
                         "groups_fired": int(groups["verdict"].astype(str).str.startswith("leans").sum()),
                         "share": float(row["share"]), "p": float(row["p_random"]),
                         "p_mc_se": float(row["p_random_mc_se"]),
                         "fired": str(row["verdict"]).startswith("leans towards density"),
                         "true_share": true_share})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 2. r of drivers on ground truth


def velocity_gene_names(adata, kind: str) -> list:
    """Velocity genes of a simulated data set that are ``kind``: 'driver', 'permuted' or 'steady' bystanders."""
    genes = adata.var["velocity_genes"].to_numpy(bool)
    if kind == "driver":
        chosen = adata.var["driver"].to_numpy(bool)
    elif kind in ("permuted", "steady"):
        chosen = (adata.var["bystander_kind"] == kind).to_numpy()
    else:
        raise ValueError(f"kind must be 'driver', 'permuted' or 'steady', got {kind!r}")
    return list(adata.var_names[genes & chosen])


def r_calibration(datasets, *, size: int, n_random: int = 2, n_draws: int = 50, seed: int = 0, n_bins: int = 3,
                  tolerance: float = 0.2, alpha: float = ALPHA) -> pd.DataFrame:
    """:func:`velograph.tl.reconstructability_vs_matched` on drivers and on random sets of simulated data.

    For each data set (transition rows, over all N entries: the book's r):

    * **positive control**: ``size`` true drivers among the velocity genes (the first
      ``size`` of a random order, seeded), against sets of the same size matched on
      their share of velocity variance and drawn from the other genes (bystanders only:
      ``exclude_subset``);
    * **negative control**: ``n_random`` sets of ``size`` velocity genes drawn at random
      (whatever their kind), each against its matched sets: no set is special, so a
      test at level alpha should fire for about alpha of them.

    A set whose matched sets cannot be found (:func:`velograph.tl.matched_gene_sets`
    raises) is retried with ``exclude_subset=False``; the column ``exclude_subset`` says
    which was used.

    Returns
    -------
    pandas.DataFrame
        One row per test: ``seed`` (of the data set), ``control`` ('positive' or
        'negative'), ``n_genes``, ``drivers`` (how many of the set are drivers), ``r``,
        ``variance_share``, ``null_mean``, ``p``, ``p_mc_se``, ``n_draws``,
        ``exclude_subset``, ``fired`` (p < alpha).
    """
    import velograph.tl as vtl

    size = int(size)
    rows = []
    for _, data_seed, adata in datasets:
        rng = np.random.default_rng([int(seed), int(data_seed)])
        drivers = velocity_gene_names(adata, "driver")
        if len(drivers) < size:
            raise ValueError(f"data set seed {data_seed} has only {len(drivers)} driver velocity genes, size={size}")
        genes = list(adata.var_names[adata.var["velocity_genes"].to_numpy(bool)])
        tests = [("positive", sorted(rng.permutation(drivers)[:size].tolist()))]
        tests += [("negative", sorted(rng.permutation(genes)[:size].tolist())) for _ in range(n_random)]
        for control, gene_set in tests:
            options = {"n_draws": n_draws, "seed": int(rng.integers(2**31)), "matrix": "transition", "over": "all",
                       "n_bins": n_bins, "tolerance": tolerance, "alpha": alpha}
            try:
                table, exclude = vtl.reconstructability_vs_matched(adata, gene_set, **options), True
            except ValueError:
                table, exclude = vtl.reconstructability_vs_matched(adata, gene_set, exclude_subset=False,
                                                                   **options), False
            row = table.loc["gene set"]
            rows.append({"seed": int(data_seed), "control": control, "n_genes": int(row["n_genes"]),
                         "drivers": len(set(gene_set) & set(drivers)), "r": float(row["r"]),
                         "variance_share": float(row["variance_share"]), "null_mean": float(row["null_mean"]),
                         "p": float(row["p"]), "p_mc_se": float(row["p_mc_se"]), "n_draws": int(row["n_draws"]),
                         "exclude_subset": exclude, "fired": bool(row["p"] < alpha)})
    return pd.DataFrame(rows)


def spearman(x, y) -> float:
    """Spearman rank correlation of two equal-length samples (average ranks for ties)."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"x and y must be 1-D of the same length >= 3, got {x.shape} and {y.shape}")
    return float(spearmanr(x, y).statistic)


def bootstrap_interval(statistic, samples, *, n_boot: int = 200, seed: int = 0, level: float = 0.95):
    """Percentile bootstrap interval of ``statistic(*resampled)``, resampling the rows of ``samples`` jointly.

    ``samples``: a tuple of equal-length 1-D arrays (e.g. (x, y) for a correlation).
    Returns (low, high).
    """
    samples = [np.asarray(s) for s in samples]
    n = len(samples[0])
    if any(len(s) != n for s in samples):
        raise ValueError("every sample must have the same length")
    rng = np.random.default_rng(seed)
    values = np.array([statistic(*(s[idx] for s in samples))
                       for idx in rng.integers(0, n, size=(n_boot, n))])
    tail = (1 - level) / 2
    return float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))


# --------------------------------------------------------------------------- 3. edge cells


def edge_calibration(datasets, *, n_draws: int = 50, seed: int = 0, alpha: float = ALPHA) -> pd.DataFrame:
    """:func:`velograph.tl.edge_cell_check` on simulated data sets, with the share of true directions into the sector.

    Returns one row per (data set, null): ``scenario``, ``seed``, ``null``,
    ``n_edge_cells``, ``share``, ``null_mean``, ``p``, ``p_mc_se``, ``fired`` (p < alpha),
    ``true_share`` (edge cells whose true direction points into the empty sector of
    :func:`velograph.tl.edge_cells`; NaN when no edge cell moves).
    """
    import velograph as vg
    import velograph.tl as vtl
    from velograph_book import simulation

    rows = []
    for scenario, data_seed, adata in datasets:
        table = vtl.edge_cell_check(adata, n_draws=n_draws, seed=seed, alpha=alpha)
        cells = vtl.edge_cells(adata)
        edge = cells["edge_cell"].to_numpy()
        truth = simulation.true_embedding_direction(adata, "umap")[edge, :2]
        moving = np.linalg.norm(truth, axis=1) > 0
        true_into = vg.points_into_sector(truth[moving], cells["sector_width"].to_numpy()[edge][moving],
                                          cells["sector_start"].to_numpy()[edge][moving])
        for name, row in table.iterrows():
            rows.append({"scenario": scenario, "seed": int(data_seed), "null": name,
                         "n_edge_cells": int(row["n_edge_cells"]), "share": float(row["share"]),
                         "null_mean": float(row["null_mean"]), "p": float(row["p"]), "p_mc_se": float(row["p_mc_se"]),
                         "fired": bool(row["p"] < alpha),
                         "true_share": float(true_into.mean()) if moving.any() else np.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 4. reversals by local fit


def reversal_by_fit(angle, local_r2, *, edges=(0.0, 0.2, 0.5, 1.0), n_boot: int = 200, seed: int = 0,
                    margin: float | None = None) -> list:
    """Reversed arrows by how well the local linear map between two embeddings fits.

    Cells are binned by ``local_r2`` (bins [edges[k], edges[k+1]), the last one closed);
    per bin: (label, number of cells, share of angles > 90 degrees, its 2.5% and 97.5%
    bootstrap quantiles over cells (``n_boot`` resamples, seeded), median angle in
    degrees). Cells with an undefined angle or R^2 are left out. The share goes through
    :func:`velograph_book.display.share_above` with ``margin`` (degrees), which refuses
    an angle so close to 90 degrees that another computer could put it on the other side.
    """
    from velograph_book.display import share_above

    angle, local_r2 = np.asarray(angle, dtype=np.float64), np.asarray(local_r2, dtype=np.float64)
    if angle.shape != local_r2.shape:
        raise ValueError(f"angle and local_r2 must have the same shape, got {angle.shape} and {local_r2.shape}")
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be an increasing sequence of at least two R^2 values")
    ok = np.isfinite(angle) & np.isfinite(local_r2)
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(len(edges) - 1):
        low, high = edges[k], edges[k + 1]
        last = k == len(edges) - 2
        members = ok & (local_r2 >= low) & ((local_r2 <= high) if last else (local_r2 < high))
        a = angle[members]
        if len(a) == 0:
            rows.append((f"{low:g}-{high:g}", 0, np.nan, np.nan, np.nan, np.nan))
            continue
        reversed_share = share_above(a, 90, margin=margin)
        boot = (a[rng.integers(0, len(a), size=(n_boot, len(a)))] > 90).mean(axis=1)
        rows.append((f"{low:g}-{high:g}", len(a), reversed_share, float(np.quantile(boot, 0.025)),
                     float(np.quantile(boot, 0.975)), float(np.median(a))))
    return rows


def plot_r_against_share(shares, r, marked, *, xlabel: str, ylabel: str, title: str, label="top-likelihood genes"):
    """Scatter of r against the variance share of random gene sets (grey), one set marked in red.

    ``marked``: (share, r) of the set to mark.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.0), constrained_layout=True)
    ax.scatter(shares, r, s=14, color="grey", label=f"random sets ({len(np.asarray(r))})")
    ax.scatter([marked[0]], [marked[1]], s=40, color="tab:red", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return fig
