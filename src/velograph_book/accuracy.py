"""The chapter "Ground truth": how often the chain's arrows point the true way, and what r says about drivers.

Everything here runs on the shipped simulated data of :mod:`velograph_book.simulation`
(:func:`~velograph_book.simulation.load_ground_truth`), where the answer is known: each
cell's latent time and branch, hence the true direction of every cell on an embedding,
and which genes drive the trajectory. The chain itself is velograph's
(:func:`velograph.tl.velocity_graph`, :func:`velograph.tl.transition_matrix`,
:func:`velograph.project_velocity`); this module only chooses the settings, compares
with the truth and summarises over seeds.

A **setting** is one choice of the five things an analyst picks (the keys of
:data:`DEFAULT_SETTING`):

* ``model``: 'stochastic' or 'dynamical' (scVelo's fits shipped with the data; as in
  scVelo, each model comes with its own velocity genes, and only the stochastic one with
  the square root of the graph's similarities);
* ``sigma_squared``: the kernel width sigma^2 (scVelo's ``scale`` = 1 / sigma^2);
* ``correction``: the density correction of the projection, 'mean' (scVelo's
  mean(p)), 'uniform' (the textbook's 1/n) or None;
* ``genes``: the genes of the velocity graph, one of :data:`GENE_SETS`;
* ``basis``: 'umap' or 'pca' (arrows and truth compared on the first two components,
  the ones a plot shows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: scVelo's defaults: the setting every other one changes in one place.
DEFAULT_SETTING = {"model": "stochastic", "sigma_squared": 0.1, "correction": "mean", "genes": "velocity genes",
                   "basis": "umap"}
#: The gene sets a velocity graph can be computed from (see :func:`gene_set`).
GENE_SETS = ("velocity genes", "all genes", "drivers", "permuted bystanders", "steady bystanders", "random")
MODELS = ("stochastic", "dynamical")
CORRECTIONS = ("mean", "uniform", None)
BASES = ("umap", "pca")
#: The shipped scenarios of chapter "Ground truth" (velograph_book.simulation.SCENARIOS).
CONTROL_SCENARIOS = ("branching", "branching_dense_end", "steady_dense_end")


# --------------------------------------------------------------------------- settings and gene sets


def setting(**changes) -> dict:
    """:data:`DEFAULT_SETTING` with ``changes`` applied; unknown keys or values raise ValueError."""
    unknown = set(changes) - set(DEFAULT_SETTING)
    if unknown:
        raise ValueError(f"unknown setting keys {sorted(unknown)}; allowed: {', '.join(DEFAULT_SETTING)}")
    chosen = {**DEFAULT_SETTING, **changes}
    if chosen["model"] not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {chosen['model']!r}")
    if chosen["correction"] not in CORRECTIONS:
        raise ValueError(f"correction must be 'mean', 'uniform' or None, got {chosen['correction']!r}")
    if chosen["basis"] not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {chosen['basis']!r}")
    if chosen["genes"] not in GENE_SETS:
        raise ValueError(f"genes must be one of {GENE_SETS}, got {chosen['genes']!r}")
    s2 = chosen["sigma_squared"]
    if isinstance(s2, bool) or not isinstance(s2, (int, float, np.floating)) or not (np.isfinite(s2) and s2 > 0):
        raise ValueError(f"sigma_squared must be a positive finite number, got {s2!r}")
    if chosen["model"] == "dynamical" and chosen["genes"] not in ("velocity genes",):
        raise ValueError("the dynamical model has velocities only for its fitted genes: use genes='velocity genes'")
    return chosen


def _require_truth(adata) -> None:
    for key in ("driver", "bystander_kind"):
        if key not in adata.var:
            raise KeyError(f"adata.var['{key}'] not found: adata must come from velograph_book.simulation "
                           "(load_ground_truth or simulate)")


def gene_set(adata, name: str, *, seed: int = 0, velocity_genes_only: bool = False) -> list[str] | None:
    """Names of the genes of one of :data:`GENE_SETS` in a simulated AnnData.

    * 'velocity genes': None (``velocity_graph``'s default: ``var['velocity_genes']``);
    * 'all genes': every gene;
    * 'drivers': the genes whose transcription switches along the trajectory;
    * 'permuted bystanders' / 'steady bystanders': one per driver (see
      :func:`velograph_book.simulation.simulate`);
    * 'random': as many genes as there are drivers, drawn uniformly without replacement
      from all genes with ``numpy.random.default_rng(seed)``.

    ``velocity_genes_only`` keeps only genes with ``var['velocity_genes']`` (the pool
    of r and of its matched null); 'velocity genes' then lists them by name.
    """
    _require_truth(adata)
    if name not in GENE_SETS:
        raise ValueError(f"name must be one of {GENE_SETS}, got {name!r}")
    names = np.asarray(adata.var_names)
    keep = np.asarray(adata.var["velocity_genes"], dtype=bool) if velocity_genes_only else np.ones(len(names), bool)
    driver = np.asarray(adata.var["driver"], dtype=bool)
    kind = np.asarray(adata.var["bystander_kind"]).astype(str)
    if name == "velocity genes":
        return list(names[np.asarray(adata.var["velocity_genes"], dtype=bool)]) if velocity_genes_only else None
    if name == "random":
        pool = names[keep]
        size = min(int(driver.sum()), len(pool))
        return sorted(np.random.default_rng(seed).choice(pool, size=size, replace=False).tolist())
    mask = {"all genes": np.ones(len(names), bool), "drivers": driver, "permuted bystanders": kind == "permuted",
            "steady bystanders": kind == "steady"}[name]
    return list(names[mask & keep])


# --------------------------------------------------------------------------- arrows and the truth


def _embedding(adata, basis) -> np.ndarray:
    key = f"X_{basis}"
    if key not in adata.obsm:
        raise KeyError(f"adata.obsm['{key}'] not found")
    return np.asarray(adata.obsm[key], dtype=np.float64)


def signed_transitions(graph_data, sigma_squared: float = 0.1):
    """scVelo's signed transition matrix without its diagonal: the weights ``velocity_embedding`` projects.

    ``graph_data`` is an AnnData holding ``uns['velocity_graph']`` and
    ``uns['velocity_graph_neg']`` (from :func:`velograph.tl.velocity_graph`);
    ``transition_matrix(scale=1/sigma_squared, use_negative_cosines=True)``, then the
    diagonal removed, as scVelo does before projecting. A CSR matrix, cells x cells.
    """
    import velograph.tl as vtl

    T = vtl.transition_matrix(graph_data, scale=1.0 / float(sigma_squared), use_negative_cosines=True)
    T = T.tocsr(copy=True)
    T.setdiag(0)
    T.eliminate_zeros()
    return T


def arrows(adata, T, *, correction="mean", basis: str = "umap", components: int = 2) -> np.ndarray:
    r"""Arrows of every cell on an embedding from transition weights T: (n_cells, components), not autoscaled.

    :func:`velograph.project_velocity` of T on all components of ``obsm['X_<basis>']``
    (unit directions delta_hat_ij in every component, as scVelo computes them), with
    the density ``correction``, then the first ``components`` columns:

    .. math:: \nu_i = \sum_j T_{ij}\hat\delta_{ij} - c_i\sum_j\hat\delta_{ij}

    c_i = mean_j T_ij ('mean', scVelo), 1/k_i ('uniform', the textbook) or 0 (None),
    over the k_i stored entries of row i. With 'mean' and T from
    :func:`signed_transitions` at sigma^2 = 0.1 these are ``velocity_embedding``'s arrows
    before autoscaling.
    """
    import velograph as vg

    X = _embedding(adata, basis)
    return vg.project_velocity(T, X, correction=correction)[:, :components]


def true_direction(adata, basis: str = "umap", components: int = 2) -> np.ndarray:
    """Unit true direction of every cell on the first ``components`` of an embedding (zero where nothing moves).

    :func:`velograph_book.simulation.true_embedding_direction` with its default method
    (the slope of the map along latent time over a cell's kNN neighbours on its lineage).
    """
    from velograph_book.simulation import true_embedding_direction

    return true_embedding_direction(adata, basis, components=components)


def later_time_direction(adata, basis: str = "umap", components: int = 2) -> np.ndarray:
    """Unit direction of later latent time on an embedding, whether or not the cells move.

    The same slope as :func:`true_direction`, but also for the no-velocity control
    (``kinetics='steady'``), where the true velocity, and so the true direction, is zero:
    computed on a light copy that holds only the cells' latent time, branch, neighbours
    and embedding and marks every cell as moving. In the branching data it equals the
    true direction. ``adata`` is not modified.
    """
    import anndata as ad

    from velograph_book.simulation import true_embedding_direction

    key = f"X_{basis}"
    _embedding(adata, basis)
    light = ad.AnnData(np.zeros((adata.n_obs, 1)), obs=adata.obs[["latent_time", "branch"]].copy(),
                       obsm={key: np.asarray(adata.obsm[key])}, obsp={"distances": adata.obsp["distances"]})
    light.layers["true_velocity"] = np.ones((adata.n_obs, 1))
    return true_embedding_direction(light, basis, components=components)


def angles_to(arrow_field, direction) -> np.ndarray:
    """Angle in degrees between each cell's arrow and a reference direction (NaN where either is zero)."""
    from velograph_book.simulation import angles

    return angles(arrow_field, direction)


def gene_space_angles(adata) -> np.ndarray:
    """Per cell, the angle in degrees between the estimated velocity and the true one, over the velocity genes.

    scVelo's velocity of gene g is u - gamma'_g s, with gamma'_g its estimate of the
    steady-state ratio gamma_g / beta_g, so it estimates (beta_g u - gamma_g s) / beta_g
    = (ds/dt) / beta_g: the truth is compared as ``true_velocity / var['beta']``, a
    like-for-like direction in gene space.
    """
    genes = np.asarray(adata.var["velocity_genes"], dtype=bool)
    velocity = np.asarray(adata.layers["velocity"], dtype=np.float64)[:, genes]
    truth = np.asarray(adata.layers["true_velocity"], dtype=np.float64)[:, genes]
    return angles_to(velocity, truth / adata.var["beta"].to_numpy(np.float64)[genes])


# --------------------------------------------------------------------------- over settings and seeds


def setting_angles(stochastic, dynamical, settings: Mapping[str, Mapping], *, seed: int = 0,
                   reference=None) -> dict:
    """Angles to the truth of every cell for each named setting, on one simulated dataset.

    ``stochastic`` and ``dynamical`` are the same cells loaded with the two models'
    velocities (``load_ground_truth(..., mode=...)``; ``dynamical`` may be None when no
    setting uses it). ``settings`` maps a name to the changes from
    :data:`DEFAULT_SETTING` (e.g. ``{"sigma_squared": 0.01}``). The velocity graph is
    computed once per (model, genes) and the transition matrix once per sigma^2 on top;
    ``seed`` seeds the 'random' gene set. ``reference`` (a function adata, basis ->
    unit directions) is the direction compared with; default :func:`true_direction`.
    Returns {name: angles in degrees, one per cell}. The inputs are not modified.
    """
    import velograph.tl as vtl

    reference = true_direction if reference is None else reference
    graphs, transitions, truths, result = {}, {}, {}, {}
    for name, changes in settings.items():
        chosen = setting(**changes)
        data = stochastic if chosen["model"] == "stochastic" else dynamical
        if data is None:
            raise ValueError(f"setting {name!r} uses the dynamical model: pass the dynamical data")
        key = (chosen["model"], chosen["genes"])
        if key not in graphs:
            subset = gene_set(data, chosen["genes"], seed=seed)
            graphs[key] = vtl.velocity_graph(data, gene_subset=subset, copy=True)
        tkey = (*key, chosen["sigma_squared"])
        if tkey not in transitions:
            transitions[tkey] = signed_transitions(graphs[key], chosen["sigma_squared"])
        if chosen["basis"] not in truths:
            truths[chosen["basis"]] = reference(stochastic, chosen["basis"])
        field = arrows(data, transitions[tkey], correction=chosen["correction"], basis=chosen["basis"])
        result[name] = angles_to(field, truths[chosen["basis"]])
    return result


def angles_over_seeds(settings: Mapping[str, Mapping], *, scenario: str = "branching",
                      seeds: Sequence[int] = (0, 1, 2, 3, 4), reference=None) -> dict:
    """:func:`setting_angles` on the shipped data of ``scenario`` for each seed: {name: [angles per seed]}.

    The dynamical data are loaded only when a setting asks for them.
    """
    from velograph_book.simulation import load_ground_truth

    needs_dynamical = any(setting(**c)["model"] == "dynamical" for c in settings.values())
    result = {name: [] for name in settings}
    for seed in seeds:
        stochastic = load_ground_truth(scenario, seed)
        dynamical = load_ground_truth(scenario, seed, mode="dynamical", truth=False) if needs_dynamical else None
        for name, values in setting_angles(stochastic, dynamical, settings, seed=seed, reference=reference).items():
            result[name].append(values)
    return result


def share_within(angles, limit: float = 90.0, *, margin: float | None = None) -> float:
    """Share of cells whose arrow lies within ``limit`` degrees of the reference (NaN angles excluded).

    Refuses (ValueError) an angle within ``margin`` degrees of ``limit`` (default
    :data:`velograph_book.display.ANGLE_MARGIN_DEGREES`): which side it falls on could
    differ on another computer.
    """
    from velograph_book.display import ANGLE_MARGIN_DEGREES, share_below

    values = np.asarray(angles, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no cell has a defined angle")
    return share_below(values, limit, margin=ANGLE_MARGIN_DEGREES if margin is None else margin)


def summary_rows(angles_by_setting: Mapping[str, Sequence]) -> list[tuple]:
    """One row per setting: (name, median angle: median/min/max over seeds, share within 90: median/min/max).

    Per seed, the median angle over cells and the share of cells within 90 degrees;
    then the median, minimum and maximum of those over the seeds.
    """
    rows = []
    for name, per_seed in angles_by_setting.items():
        medians = np.array([np.nanmedian(a) for a in per_seed])
        shares = np.array([share_within(a) for a in per_seed])
        rows.append((name, float(np.median(medians)), float(medians.min()), float(medians.max()),
                     float(np.median(shares)), float(shares.min()), float(shares.max())))
    return rows


def per_seed_rows(per_seed: Sequence, seeds: Sequence[int]) -> list[tuple]:
    """(seed, median angle, share within 90 degrees) for each seed's angles."""
    if len(per_seed) != len(seeds):
        raise ValueError(f"{len(per_seed)} angle arrays for {len(seeds)} seeds")
    return [(int(s), float(np.nanmedian(a)), share_within(a)) for s, a in zip(seeds, per_seed, strict=True)]


# --------------------------------------------------------------------------- r of known drivers


#: The gene sets whose r the chapter compares (velocity genes only: the pool of r's reference graph).
R_SETS = ("drivers", "permuted bystanders", "steady bystanders")


def reconstructability_rows(adata, names: Sequence[str] = R_SETS) -> list[tuple]:
    """(set name, number of genes, share of velocity variance, r) for named gene sets of one dataset.

    Each set is restricted to the velocity genes (:func:`gene_set` with
    ``velocity_genes_only``); r is the book's reading,
    :func:`velograph.tl.reconstructability_many` with ``matrix='transition'`` over all
    entries; the share is :func:`velograph.tl.velocity_variance_share`.
    """
    import velograph.tl as vtl

    sets = [gene_set(adata, name, velocity_genes_only=True) for name in names]
    empty = [name for name, genes in zip(names, sets, strict=True) if len(genes) < 2]
    if empty:
        raise ValueError(f"gene sets with fewer than 2 velocity genes have no r: {empty}")
    scores = vtl.reconstructability_many(adata, sets, matrix="transition")
    return [(name, len(genes), vtl.velocity_variance_share(adata, genes), float(r))
            for name, genes, r in zip(names, sets, scores, strict=True)]


def program_drivers(adata, program: str) -> list[str]:
    """The velocity genes that drive one program ('trunk', 'fate_A' or 'fate_B')."""
    _require_truth(adata)
    if program not in ("trunk", "fate_A", "fate_B"):
        raise ValueError(f"program must be 'trunk', 'fate_A' or 'fate_B', got {program!r}")
    mask = (np.asarray(adata.var["driver_of"]).astype(str) == program) & np.asarray(adata.var["velocity_genes"],
                                                                                      dtype=bool)
    return list(np.asarray(adata.var_names)[mask])


def matched_bystanders_of(adata, drivers: Sequence[str]) -> list[str]:
    """The permuted bystanders of the given drivers that are velocity genes (same kinetics, no trajectory)."""
    _require_truth(adata)
    matched = np.asarray(adata.var["matched_to"]).astype(str)
    kind = np.asarray(adata.var["bystander_kind"]).astype(str)
    keep = np.isin(matched, list(drivers)) & (kind == "permuted") & np.asarray(adata.var["velocity_genes"], bool)
    return list(np.asarray(adata.var_names)[keep])


# --------------------------------------------------------------------------- figures


def plot_angle_histograms(panels: Mapping[str, Mapping[str, np.ndarray]], *, bins: int = 36, columns: int = 2):
    """One panel per factor: step histograms of angles to the truth (degrees, 0-180), one line per setting.

    ``panels`` maps a panel title to {setting label: angles} (e.g. pooled over seeds).
    Each histogram shows the share of cells per bin; the dashed line marks 90 degrees.
    """
    import matplotlib.pyplot as plt

    rows = int(np.ceil(len(panels) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(5.0 * columns, 3.6 * rows), constrained_layout=True,
                             squeeze=False)
    edges = np.linspace(0, 180, bins + 1)
    for ax, (title, curves) in zip(axes.ravel(), panels.items(), strict=False):  # more axes than panels
        ax.grid(True, alpha=0.3)
        for k, (label, values) in enumerate(curves.items()):
            values = np.asarray(values, dtype=np.float64)
            values = values[np.isfinite(values)]
            counts, _ = np.histogram(values, bins=edges)
            ax.stairs(counts / max(len(values), 1), edges, color=f"C{k}", lw=1.6, label=label)
        ax.axvline(90, color="grey", ls="--", lw=1)
        ax.set_xlim(0, 180)
        ax.set_xticks(np.arange(0, 181, 30))
        ax.set_xlabel("angle to the true direction (degrees)")
        ax.set_ylabel("share of cells")
        ax.set_title(title)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    return fig


def unit_rows(field) -> np.ndarray:
    """Rows scaled to length 1 (zero and non-finite rows become 0): directions to draw at one length."""
    field = np.asarray(field, dtype=np.float64)
    norm = np.linalg.norm(field, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(norm > 0, field / norm, 0.0)
    return np.where(np.isfinite(unit), unit, 0.0)


def reconstructability_by_branch(adata, genes: Sequence[str]) -> list[tuple]:
    """(branch, cells, median r_i) of a gene set: r per cell (transition rows, all entries) split by branch.

    :func:`velograph.tl.reconstructability` with ``per_cell=True`` gives
    r_i = corr(pi_i, pi'_i) for every cell; r is their median over all cells, which
    dilutes a set that moves only in some of them (e.g. the drivers of one fate).
    """
    import velograph.tl as vtl

    per_cell = np.asarray(vtl.reconstructability(adata, list(genes), matrix="transition", per_cell=True))
    branch = np.asarray(adata.obs["branch"]).astype(str)
    return [(name, int(np.sum(branch == name)), float(np.nanmedian(per_cell[branch == name])))
            for name in ("trunk", "fate_A", "fate_B")]


def drivers_per_set(adata, gene_sets: Sequence[Sequence[str]]) -> np.ndarray:
    """Number of driver genes in each gene set (e.g. the matched null sets of a calibrated check)."""
    _require_truth(adata)
    drivers = set(np.asarray(adata.var_names)[np.asarray(adata.var["driver"], dtype=bool)])
    return np.array([len(drivers.intersection(genes)) for genes in gene_sets], dtype=int)


def wrong_way_by_group(angles_per_seed: Sequence, labels_per_seed: Sequence, *, limit: float = 90.0) -> list[tuple]:
    """Per group, the share of arrows more than ``limit`` degrees from the truth: (group, median, min, max) over seeds.

    ``labels_per_seed[k]`` labels the cells of ``angles_per_seed[k]`` (e.g.
    ``obs['clusters']``); groups in the order of the first seed's categories (or of
    first appearance). The share is 1 - :func:`share_within` over the group's cells with
    a defined angle, with the same rounding guard.
    """
    import pandas as pd

    if len(angles_per_seed) != len(labels_per_seed):
        raise ValueError(f"{len(angles_per_seed)} angle arrays for {len(labels_per_seed)} label arrays")
    first = labels_per_seed[0]
    dtype = getattr(first, "dtype", None)
    groups = list(dtype.categories) if isinstance(dtype, pd.CategoricalDtype) else list(
        dict.fromkeys(np.asarray(first).astype(str)))
    rows = []
    for group in groups:
        shares = []
        for angles, labels in zip(angles_per_seed, labels_per_seed, strict=True):
            angles = np.asarray(angles, dtype=np.float64)
            members = np.asarray(labels).astype(str) == str(group)
            if angles.shape != members.shape:
                raise ValueError(f"angles of shape {angles.shape} for labels of shape {members.shape}")
            shares.append(1.0 - share_within(angles[members], limit))
        shares = np.array(shares)
        rows.append((str(group), float(np.median(shares)), float(shares.min()), float(shares.max())))
    return rows
