"""Ground truth: spliced/unspliced counts simulated along a known branching trajectory.

The chapter "Ground truth" and the calibrations of chapter 8 need data where the answer
is known: per cell the latent time, the branch and the true velocity; per gene whether
it drives a branch or is a bystander of matched expression. :func:`simulate` makes such
data in pure numpy in well under a second; :func:`prepare` runs the book's scVelo recipe
on them (DESIGN.md section 7); :func:`true_embedding_direction` gives the true direction
of every cell on an embedding; :func:`load_ground_truth` reads the prepared copies that
``tools/make_ground_truth.py`` made once and ships (checksummed), because the recipe's
low digits differ between computers.

The model (scVelo's, per gene g, in the simulation's time unit):

.. math:: \\frac{du}{dt} = \\alpha_g(t, b) - \\beta_g u, \\qquad \\frac{ds}{dt} = \\beta_g u - \\gamma_g s

with a piecewise-constant transcription rate alpha that switches at known times and can
depend on the branch b. The trajectory: a trunk for latent time tau in [0, tau_b), then
two fates 'fate_A' and 'fate_B' for tau in [tau_b, 1]; physical time t = tau * T.
Every gene starts at the steady state of its initial rate at t = 0 and is solved in
closed form (no integrator), so the noise-free state and the true velocity
ds/dt = beta u - gamma s are exact.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np

BRANCHES = ("trunk", "fate_A", "fate_B")
#: The program a gene follows: which part of the trajectory its transcription rate switches on.
PROGRAMS = ("trunk", "fate_A", "fate_B")
BYSTANDER_KINDS = ("permuted", "steady")

#: The shipped scenarios (tools/make_ground_truth.py): simulate() options, seeds, and whether
#: scVelo's dynamical model was fitted (on the stochastic model's velocity genes). Every
#: dataset has N_CELLS cells and went through ``prepare(**PREPARE)``.
SCENARIOS = {
    # (a) the branching trajectory, cells spread uniformly along latent time
    "branching": {"simulate": {}, "seeds": (0, 1, 2, 3, 4), "dynamical": True},
    # (b) the same trajectory, cells 7.4x (e^2) denser at the end than at the start
    "branching_dense_end": {"simulate": {"density": 2.0}, "seeds": (0, 1, 2), "dynamical": False},
    # (c) no velocity at all (every gene at steady state) along the same paths, same density gradient
    "steady_dense_end": {"simulate": {"density": 2.0, "kinetics": "steady"}, "seeds": (0, 1, 2),
                         "dynamical": False},
}
N_CELLS = 1000
PREPARE = {"n_pcs": 10, "n_neighbors": 30}
#: sha256 of each shipped file in data/ground_truth/, written by tools/make_ground_truth.py.
GROUND_TRUTH_SHA256 = {
    "branching_dense_end_seed0.h5ad": "1b5f00be024a7085bf63be5e3d4dc1f1aa6b6a32acf2836a33f7327f089fbc79",
    "branching_dense_end_seed1.h5ad": "d6f44adf76cb240c41a4663ca26f50eece548e3e285a4e66ca10bfaec430910c",
    "branching_dense_end_seed2.h5ad": "8c61ed0693a133c03eb2389e1fefdf6a8ac6de3ea71d960ebcda4189ba62ec33",
    "branching_seed0.h5ad": "50a5631794590c18bba3fc1228c27b05fa9f4f3ca7b7c42d22d6c783beed3021",
    "branching_seed1.h5ad": "2f0048cb2c03a7a48f2dc63c6de7367ea2d3e3db37b51b66ee9697f73763cf5c",
    "branching_seed2.h5ad": "1da1b4ef2baa01d335d2058777bb9f8388298035cb672501064472ef957b4eca",
    "branching_seed3.h5ad": "ade7b1fe35e7d229172a58601b94e910f48f48068784b1572742df6b3bb21b8d",
    "branching_seed4.h5ad": "de51c13ba1520c2b1e2cf242035f61252f675efac630525cfeba90c6ba34ca52",
    "steady_dense_end_seed0.h5ad": "c9031ba283911a57392634cf74f3232858c848f527679312f1edc16a3adc1cbe",
    "steady_dense_end_seed1.h5ad": "16bac01dfa087589a5bd927af84f94ad698d056b9db297bdbf528a9e2c6b6253",
    "steady_dense_end_seed2.h5ad": "2a045ae76509edb3f123f408e09996e27f6482161d5974b87145c0a1a95b0fb2",
}
SIMULATE_OPTIONS = ("n_cells", "n_trunk_drivers", "n_fate_drivers", "branch_time", "total_time", "density",
                    "kinetics", "noise", "dispersion", "size_factor_sd", "depth")


# --------------------------------------------------------------------------- kinetics
def _solve(u0, s0, alpha, beta, gamma, tau):
    """Closed-form (u, s) after time ``tau`` >= 0 at constant alpha from (u0, s0); beta != gamma.

    u(t) = u0 e^{-beta t} + alpha/beta (1 - e^{-beta t})
    s(t) = s0 e^{-gamma t} + alpha/gamma (1 - e^{-gamma t})
           + (alpha - beta u0)/(gamma - beta) (e^{-gamma t} - e^{-beta t})
    """
    eb, eg = np.exp(-beta * tau), np.exp(-gamma * tau)
    u = u0 * eb + alpha / beta * (1.0 - eb)
    s = s0 * eg + alpha / gamma * (1.0 - eg) + (alpha - beta * u0) / (gamma - beta) * (eg - eb)
    return u, s


def _path_state(t, switch_times, rates, beta, gamma):
    """Noise-free (u, s, alpha) at times ``t`` of one gene on one path of piecewise-constant rates.

    ``rates[k]`` holds on [switch_times[k-1], switch_times[k]) (``switch_times`` increasing,
    one fewer than ``rates``); the gene is at the steady state of ``rates[0]`` at t = 0.
    """
    t = np.asarray(t, dtype=np.float64)
    edges = np.concatenate([[0.0], np.asarray(switch_times, dtype=np.float64)])
    u_start, s_start = np.empty(len(rates)), np.empty(len(rates))
    u_start[0], s_start[0] = rates[0] / beta, rates[0] / gamma
    for k in range(1, len(rates)):
        u_start[k], s_start[k] = _solve(u_start[k - 1], s_start[k - 1], rates[k - 1], beta, gamma,
                                        edges[k] - edges[k - 1])
    segment = np.searchsorted(edges, t, side="right") - 1
    alpha = np.asarray(rates, dtype=np.float64)[segment]
    u, s = _solve(u_start[segment], s_start[segment], alpha, beta, gamma, t - edges[segment])
    return u, s, alpha


def _gene_programs(rng, n_trunk, n_fate, total_time, branch_time):
    """Kinetic parameters and switching schedules of the driver genes.

    Returns a list of dicts, one per driver: ``program`` (trunk/fate_A/fate_B),
    ``direction`` ('up': induced, 'down': repressed), alpha_on/alpha_off, beta, gamma and
    per-branch (switch_times, rates) lists for the paths trunk->fate_A and trunk->fate_B.
    """
    t_branch = branch_time * total_time
    genes = []
    programs = ["trunk"] * n_trunk + ["fate_A"] * n_fate + ["fate_B"] * n_fate
    for program in programs:
        alpha_on = float(np.exp(rng.uniform(np.log(2.0), np.log(12.0))))
        alpha_off = 0.05 * alpha_on
        beta = float(rng.uniform(0.7, 1.4))
        gamma = float(rng.uniform(0.15, 0.45))
        direction = "up" if rng.uniform() < 0.7 else "down"
        if program == "trunk":
            if direction == "up":
                t_on = rng.uniform(0.0, 0.6) * t_branch
                t_off = t_branch + rng.uniform(0.0, 0.4) * (total_time - t_branch)
                schedule = ([t_on, t_off], [alpha_off, alpha_on, alpha_off])
            else:
                t_off = rng.uniform(0.1, 0.8) * t_branch
                schedule = ([t_off], [alpha_on, alpha_off])
            paths = {"fate_A": schedule, "fate_B": schedule}
        else:
            t_switch = t_branch + rng.uniform(0.0, 0.35) * (total_time - t_branch)
            own = ([t_switch], [alpha_off, alpha_on] if direction == "up" else [alpha_on, alpha_off])
            other = ([], [alpha_off] if direction == "up" else [alpha_on])
            paths = {program: own, ("fate_B" if program == "fate_A" else "fate_A"): other}
        genes.append({"program": program, "direction": direction, "alpha_on": alpha_on, "alpha_off": alpha_off,
                      "beta": beta, "gamma": gamma, "paths": paths})
    return genes


def _sample_latent_time(rng, n_cells, density):
    """Latent times in [0, 1] drawn with probability density proportional to ``density``.

    ``density``: None (uniform), a float k (density proportional to exp(k * tau): k > 0
    makes cells denser towards the end, k < 0 towards the start; exp(|k|) is the ratio of
    the densities at the two ends), or a callable tau -> nonnegative weight (inverse
    CDF on a grid of 10,001 points).
    """
    uniform = rng.uniform(size=n_cells)
    if density is None or (not callable(density) and float(density) == 0.0):
        return uniform
    if callable(density):
        grid = np.linspace(0.0, 1.0, 10_001)
        weight = np.asarray(density(grid), dtype=np.float64)
        if weight.shape != grid.shape or not np.all(np.isfinite(weight)) or np.any(weight < 0) or weight.sum() <= 0:
            raise ValueError("density must map an array of latent times in [0, 1] to finite, nonnegative weights "
                             "of the same shape, not all zero")
        cdf = np.concatenate([[0.0], np.cumsum((weight[1:] + weight[:-1]) / 2)])
        return np.interp(uniform, cdf / cdf[-1], grid)
    k = float(density)
    if not np.isfinite(k):
        raise ValueError(f"density must be None, a finite number or a callable; got {density!r}")
    return np.log1p(uniform * np.expm1(k)) / k


def simulate(n_cells: int = 1000, *, seed: int, n_trunk_drivers: int = 8, n_fate_drivers: int = 4,
             branch_time: float = 0.35, total_time: float = 20.0, density=None, kinetics: str = "dynamic",
             noise: str = "negative_binomial", dispersion: float = 5.0, size_factor_sd: float = 0.3,
             depth: float = 0.5):
    r"""Simulate spliced/unspliced counts along a branching trajectory with known velocity.

    Trajectory: a trunk (latent time tau in [0, ``branch_time``)) that splits into
    'fate_A' and 'fate_B' (tau in [``branch_time``, 1], each cell of the branch part
    joins either fate with probability 1/2). Physical time t = tau * ``total_time``.

    Genes (three equal blocks, in this order):

    * **drivers**: ``n_trunk_drivers`` genes whose transcription rate switches along the
      trunk (70% induced, then repressed after the branch point; 30% repressed), and
      ``n_fate_drivers`` for each fate, switching only on that fate after the branch
      point (70% induced, 30% repressed). alpha_on log-uniform in [2, 12], alpha_off =
      0.05 alpha_on, beta ~ U(0.7, 1.4), gamma ~ U(0.15, 0.45).
    * **permuted bystanders**, one per driver: the driver's kinetics and its noise-free
      (u, s) trajectory, but each cell takes the state of a randomly permuted other
      cell: the same distribution of u, s and of ds/dt, a true velocity that is the
      ODE's right-hand side at that state, and no relation to the trajectory (a program
      running on its own clock, like the cell cycle).
    * **steady bystanders**, one per driver: s is a random permutation of the driver's
      noise-free s (so mean and variance of s are exactly the driver's) and
      u = (gamma / beta) s, the steady state: true velocity 0.

    Counts: ``noise='negative_binomial'`` (variance mu + mu^2 / ``dispersion``) or
    ``'poisson'`` of mu = ``depth`` * size factor * noise-free state; size factors are
    lognormal with log-sd ``size_factor_sd``, scaled to mean 1.

    ``density`` sets how cells are spread along latent time (see
    ``_sample_latent_time``: None uniform; a number k: density proportional to
    exp(k tau)). ``kinetics='steady'`` is the no-velocity control: every gene keeps the
    same path of s along the trajectory but sits at its steady state,
    u = (gamma / beta) s, so the true velocity is exactly 0 for every cell and gene while
    the cells still lie along the branching path with the density of ``density``.

    Returns
    -------
    AnnData, cells x genes:

    * ``layers['spliced']``, ``layers['unspliced']``: int32 counts; ``X`` = spliced.
    * ``layers['true_spliced']``, ``layers['true_unspliced']``: noise-free state
      (expected counts at size factor 1 and depth 1); ``layers['true_velocity']``:
      ds/dt = beta u - gamma s at the noise-free state, in those units per unit of t.
    * ``obs``: ``latent_time`` (tau), ``branch`` (trunk/fate_A/fate_B),
      ``clusters`` (categorical: two segments of the trunk, three of each fate, by
      latent time), ``size_factor``.
    * ``var``: ``driver`` (bool), ``driver_of`` (trunk/fate_A/fate_B or 'none'),
      ``bystander`` (bool), ``bystander_kind`` (permuted/steady/'none'), ``matched_to``
      (the driver a bystander copies, else ''), ``direction`` (up/down/''), ``alpha_on``,
      ``beta``, ``gamma``.
    * ``uns['simulation']``: every parameter and the seed.

    Examples
    --------
    >>> adata = simulate(300, seed=0)
    >>> adata.shape
    (300, 48)
    >>> sorted(set(adata.obs['branch']))
    ['fate_A', 'fate_B', 'trunk']
    """
    import anndata as ad
    import pandas as pd

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int (the simulation is always seeded); got {seed!r}")
    if isinstance(n_cells, bool) or not isinstance(n_cells, (int, np.integer)) or n_cells < 10:
        raise ValueError(f"n_cells must be an int >= 10; got {n_cells!r}")
    for name, value in (("n_trunk_drivers", n_trunk_drivers), ("n_fate_drivers", n_fate_drivers)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1; got {value!r}")
    if not 0.0 < branch_time < 1.0:
        raise ValueError(f"branch_time must lie strictly between 0 and 1 (latent time of the branch point); "
                         f"got {branch_time!r}")
    if not total_time > 0:
        raise ValueError(f"total_time must be > 0; got {total_time!r}")
    if kinetics not in ("dynamic", "steady"):
        raise ValueError(f"kinetics must be 'dynamic' or 'steady'; got {kinetics!r}")
    if noise not in ("negative_binomial", "poisson"):
        raise ValueError(f"noise must be 'negative_binomial' or 'poisson'; got {noise!r}")
    if not dispersion > 0 or not depth > 0 or not size_factor_sd >= 0:
        raise ValueError("dispersion and depth must be > 0 and size_factor_sd >= 0; got "
                         f"{dispersion!r}, {depth!r}, {size_factor_sd!r}")

    rng = np.random.default_rng(int(seed))
    drivers = _gene_programs(rng, int(n_trunk_drivers), int(n_fate_drivers), float(total_time), float(branch_time))
    tau = np.sort(_sample_latent_time(rng, int(n_cells), density))
    fate_is_A = rng.uniform(size=n_cells) < 0.5
    branch = np.where(tau < branch_time, "trunk", np.where(fate_is_A, "fate_A", "fate_B"))
    # The path a cell lies on decides its schedule; trunk cells follow either (identical before tau_b).
    on_path_A = branch != "fate_B"
    t = tau * total_time

    n_drivers = len(drivers)
    u_drv, s_drv = np.empty((n_cells, n_drivers)), np.empty((n_cells, n_drivers))
    for g, gene in enumerate(drivers):
        for path, cells in (("fate_A", on_path_A), ("fate_B", ~on_path_A)):
            switch_times, rates = gene["paths"][path]
            u_drv[cells, g], s_drv[cells, g], _ = _path_state(t[cells], switch_times, rates, gene["beta"],
                                                               gene["gamma"])
    beta_drv = np.array([g["beta"] for g in drivers])
    gamma_drv = np.array([g["gamma"] for g in drivers])
    if kinetics == "steady":
        u_drv = gamma_drv / beta_drv * s_drv

    permutations = np.stack([rng.permutation(n_cells) for _ in range(2 * n_drivers)], axis=1)
    u_perm = np.take_along_axis(u_drv, permutations[:, :n_drivers], axis=0)
    s_perm = np.take_along_axis(s_drv, permutations[:, :n_drivers], axis=0)
    s_steady = np.take_along_axis(s_drv, permutations[:, n_drivers:], axis=0)
    u_steady = gamma_drv / beta_drv * s_steady

    true_u = np.concatenate([u_drv, u_perm, u_steady], axis=1)
    true_s = np.concatenate([s_drv, s_perm, s_steady], axis=1)
    beta = np.tile(beta_drv, 3)
    gamma = np.tile(gamma_drv, 3)
    true_velocity = beta * true_u - gamma * true_s
    true_velocity[:, 2 * n_drivers:] = 0.0  # steady bystanders: exactly 0, not the rounding residue of beta u - gamma s
    if kinetics == "steady":
        true_velocity = np.zeros_like(true_s)  # exactly 0, not the rounding residue of beta u - gamma s

    size_factor = np.exp(rng.normal(0.0, size_factor_sd, size=n_cells))
    size_factor /= size_factor.mean()
    scale = depth * size_factor[:, None]
    counts = {}
    for key, state in (("spliced", true_s), ("unspliced", true_u)):
        mu = scale * state
        if noise == "poisson":
            counts[key] = rng.poisson(mu)
        else:  # gamma-Poisson mixture: mean mu, variance mu + mu^2 / dispersion
            counts[key] = rng.poisson(rng.gamma(dispersion, mu / dispersion))
        counts[key] = counts[key].astype(np.int32)

    names = [f"{d['program']}_{i:02d}" for i, d in enumerate(drivers)]
    var = pd.DataFrame(index=pd.Index(names + [f"perm_{n}" for n in names] + [f"steady_{n}" for n in names]))
    kind = ["none"] * n_drivers + ["permuted"] * n_drivers + ["steady"] * n_drivers
    var["driver"] = np.arange(3 * n_drivers) < n_drivers
    var["driver_of"] = [d["program"] for d in drivers] + ["none"] * (2 * n_drivers)
    var["bystander"] = ~var["driver"].to_numpy()
    var["bystander_kind"] = kind
    var["matched_to"] = [""] * n_drivers + names + names
    var["direction"] = [d["direction"] for d in drivers] + [""] * (2 * n_drivers)
    var["alpha_on"] = np.tile([d["alpha_on"] for d in drivers], 3)
    var["beta"], var["gamma"] = beta, gamma

    obs = pd.DataFrame(index=pd.Index([f"cell_{i:04d}" for i in range(n_cells)]))
    obs["latent_time"] = tau
    obs["branch"] = pd.Categorical(branch, categories=list(BRANCHES))
    obs["clusters"] = pd.Categorical(_segments(tau, branch, branch_time), categories=_segment_names())
    obs["size_factor"] = size_factor

    adata = ad.AnnData(X=counts["spliced"].copy(), obs=obs, var=var)
    adata.layers["spliced"], adata.layers["unspliced"] = counts["spliced"], counts["unspliced"]
    adata.layers["true_spliced"], adata.layers["true_unspliced"] = true_s, true_u
    adata.layers["true_velocity"] = true_velocity
    adata.uns["simulation"] = {
        "seed": int(seed), "n_cells": int(n_cells), "n_trunk_drivers": int(n_trunk_drivers),
        "n_fate_drivers": int(n_fate_drivers), "branch_time": float(branch_time), "total_time": float(total_time),
        "density": "uniform" if density is None else (repr(density) if callable(density) else float(density)),
        "kinetics": kinetics, "noise": noise, "dispersion": float(dispersion),
        "size_factor_sd": float(size_factor_sd), "depth": float(depth),
        "switch_times": np.array([";".join(f"{p}:" + ",".join(f"{x:.17g}" for x in d["paths"][p][0])
                                           for p in ("fate_A", "fate_B")) for d in drivers], dtype=str),
    }
    return adata


def _segment_names():
    return ["trunk_1", "trunk_2", "A_1", "A_2", "A_3", "B_1", "B_2", "B_3"]


def _segments(tau, branch, branch_time):
    """Cluster labels: the trunk cut in two, each fate in three, at equal latent-time steps."""
    labels = np.empty(tau.shape, dtype=object)
    trunk = branch == "trunk"
    labels[trunk] = np.where(tau[trunk] < branch_time / 2, "trunk_1", "trunk_2")
    for fate, prefix in (("fate_A", "A"), ("fate_B", "B")):
        cells = branch == fate
        part = np.minimum((tau[cells] - branch_time) / (1 - branch_time) * 3, 2.999).astype(int) + 1
        labels[cells] = [f"{prefix}_{k}" for k in part]
    return labels.astype(str)


# --------------------------------------------------------------------------- the recipe
def prepare(adata, *, n_pcs: int = 30, n_neighbors: int = 30, min_shared_counts: int = 20,
            n_top_genes: int = 2000, dynamical_genes=None, umap: bool = True, random_state: int = 0):
    """The book's scVelo recipe (DESIGN.md section 7) on simulated counts; returns a new AnnData.

    ``scv.pp.filter_and_normalize(min_shared_counts)``, ``sc.pp.log1p``,
    ``sc.pp.highly_variable_genes(n_top_genes, subset=True)`` (skipped when there are no
    more than ``n_top_genes`` genes: it would keep them all), ``sc.pp.pca`` (``n_pcs``
    components, at most genes - 1), ``sc.pp.neighbors(n_pcs, n_neighbors)``,
    ``scv.pp.moments``, ``scv.tl.velocity(mode='stochastic')`` into ``layers['velocity']``
    and, with ``dynamical_genes`` (names, a boolean mask, or 'velocity_genes': those of
    the stochastic model), scVelo's
    dynamical model fitted on those genes only into ``layers['velocity_dynamical']`` (NaN
    for the others) with ``var['fit_*']``; then ``sc.tl.umap`` (``obsm['X_umap']``).
    The truth (``layers['true_*']``, ``obs``, ``var`` annotations, ``uns['simulation']``)
    is carried along; genes dropped by the filter are dropped from it too. ``adata`` is
    not modified. Machine-dependent in the low digits (PCA, kNN, UMAP, fits): chapters
    use the shipped copies of :func:`load_ground_truth`.
    """
    import warnings

    import scanpy as sc
    import scvelo as scv

    from velograph_book import pipeline

    for layer in ("spliced", "unspliced"):
        if layer not in adata.layers:
            raise KeyError(f"adata.layers['{layer}'] not found: prepare() needs the counts of simulate()")
    scv.settings.verbosity = 0
    out = adata.copy()
    out.X = out.layers["spliced"].copy()
    with warnings.catch_warnings():
        # scVelo 0.3.4 and scanpy trip numpy/pandas deprecations; the results are unaffected
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        scv.pp.filter_and_normalize(out, min_shared_counts=min_shared_counts)
        sc.pp.log1p(out)
        if out.n_vars > n_top_genes:
            sc.pp.highly_variable_genes(out, n_top_genes=n_top_genes, subset=True)
        n_comps = min(n_pcs, out.n_vars - 1, out.n_obs - 1)
        sc.pp.pca(out, n_comps=n_comps, random_state=random_state)
        sc.pp.neighbors(out, n_pcs=n_comps, n_neighbors=n_neighbors, random_state=random_state)
        scv.pp.moments(out, n_pcs=None, n_neighbors=None)
        pipeline.velocities(out, mode="stochastic")
        if dynamical_genes is not None:
            if isinstance(dynamical_genes, str) and dynamical_genes == "velocity_genes":
                dynamical_genes = out.var["velocity_genes"].to_numpy(bool)
            names = _gene_names(out, dynamical_genes)
            fitted = out.copy()
            pipeline.velocities(fitted, mode="dynamical", var_names=names)
            out.layers["velocity_dynamical"] = np.asarray(fitted.layers["velocity"], dtype=np.float64)
            out.var["dynamical_velocity_genes"] = fitted.var["velocity_genes"].to_numpy(bool)
            for column in fitted.var.columns:
                if column.startswith("fit_"):
                    out.var[column] = fitted.var[column].to_numpy()
            out.uns["recover_dynamics"] = dict(fitted.uns.get("recover_dynamics", {}))
        if umap:
            pipeline.umap(out, random_state=random_state)
    return out


def _gene_names(adata, genes):
    """Gene names from names or a boolean mask over ``adata.var_names`` (names missing after filtering dropped)."""
    genes = np.asarray(genes)
    if genes.dtype == bool:
        if genes.shape != (adata.n_vars,):
            raise ValueError(f"a boolean gene mask must have one entry per gene ({adata.n_vars}); got {genes.shape}")
        return list(adata.var_names[genes])
    kept = set(adata.var_names)
    return [g for g in genes.tolist() if g in kept]


# --------------------------------------------------------------------------- the true direction on a map
def _lineage_compatible(branch_i, branch_j):
    """Cells j that lie on a path through cell i: same branch, or one of the two on the trunk."""
    return (branch_i == branch_j) | (branch_i == "trunk") | (branch_j == "trunk")


def true_embedding_direction(adata, basis: str = "umap", *, method: str = "latent_time", components=None,
                             **projection):
    r"""The true direction of every cell on the embedding ``obsm['X_<basis>']``: unit vectors, (n_cells, d).

    ``method='latent_time'`` (default): the local slope of the map along the true
    trajectory. For cell i, over its stored kNN neighbours j (``obsp['distances']``) that
    lie on a path through i (same branch, or either on the trunk),

    .. math:: d_i = \frac{\sum_j (\tau_j - \tau_i)(x_j - x_i)}{\sum_j (\tau_j - \tau_i)^2}

    the least-squares slope dx/d(tau) of the embedding coordinates x on latent time tau,
    normalised to length 1. Why this is the true direction: the true velocity is the
    derivative of the noise-free state along latent time (ds/dt, t = tau T), so a cell
    moves to where cells of later latent time lie, and the map carries that motion to
    where those cells are drawn; the slope estimates it from the cells themselves, for
    any embedding (UMAP has no derivative to apply), and uses neither the velocities,
    nor the kernel's sigma, nor a density correction: it cannot inherit the artefacts the
    book tests for. Only the trajectory part of the true velocity is seen (permuted
    bystanders move each cell off the path in a direction no map can show). Cells whose
    true velocity is 0 in every gene (``kinetics='steady'``) get the zero vector, and so
    does a cell with no usable neighbour.

    ``method='kernel'``: velograph's own projection of the TRUE velocity: on a copy
    whose ``layers['velocity']`` is ``layers['true_velocity']`` (all genes),
    :func:`velograph.tl.velocity_graph` then :func:`velograph.tl.velocity_embedding`
    (``projection`` passes their options, e.g. ``sqrt_transform``, ``scale``): what
    the chain would draw if the velocity estimate were perfect, with its sigma and
    density correction; normalised to length 1. The comparison of an estimated
    arrow against it isolates the error of the velocity estimate.

    Why no exact linear map for PCA: the recipe's PCA is of log1p of size-normalised
    counts, so d(PC)/dt = PCs^T (c ds/dt / (1 + c s)) depends on each cell's
    normalisation c and on noise-free s in the log's argument; the slope along latent
    time treats PCA and UMAP alike and needs neither.

    ``components``: the number of leading embedding components to use (default: all).
    ``adata`` is not modified.
    """
    import scipy.sparse as sp

    key = f"X_{basis}"
    if key not in adata.obsm:
        raise KeyError(f"adata.obsm['{key}'] not found: compute the {basis} embedding first (prepare() makes "
                       "X_umap and X_pca)")
    X = np.asarray(adata.obsm[key], dtype=np.float64)
    if components is not None:
        X = X[:, :components]
    if "true_velocity" not in adata.layers:
        raise KeyError("adata.layers['true_velocity'] not found: adata must come from simulate()/load_ground_truth()")
    true_velocity = adata.layers["true_velocity"]
    moving = np.any(np.asarray(true_velocity) != 0, axis=1)
    if method == "kernel":
        import velograph.tl as vtl

        work = adata.copy()
        work.layers["velocity"] = np.asarray(true_velocity, dtype=np.float32)
        work.var["velocity_genes"] = True
        vtl.velocity_graph(work, **{k: v for k, v in projection.items() if k in ("sqrt_transform",)})
        vtl.velocity_embedding(work, basis=basis, **{k: v for k, v in projection.items() if k != "sqrt_transform"})
        direction = np.asarray(work.obsm[f"velocity_{basis}"], dtype=np.float64)
        if components is not None:
            direction = direction[:, :components]
    elif method == "latent_time":
        if "distances" not in adata.obsp:
            raise KeyError("adata.obsp['distances'] not found: run sc.pp.neighbors (prepare() does)")
        D = sp.csr_matrix(adata.obsp["distances"])
        rows = np.repeat(np.arange(adata.n_obs), np.diff(D.indptr))
        cols = D.indices
        tau = adata.obs["latent_time"].to_numpy(np.float64)
        branch = adata.obs["branch"].astype(str).to_numpy()
        keep = _lineage_compatible(branch[rows], branch[cols])
        rows, cols = rows[keep], cols[keep]
        dtau = tau[cols] - tau[rows]
        numerator = np.zeros_like(X)
        np.add.at(numerator, rows, dtau[:, None] * (X[cols] - X[rows]))
        denominator = np.bincount(rows, weights=dtau**2, minlength=adata.n_obs)
        with np.errstate(invalid="ignore", divide="ignore"):
            direction = numerator / denominator[:, None]
        direction[~np.isfinite(direction).all(axis=1)] = 0.0
    else:
        raise ValueError(f"method must be 'latent_time' or 'kernel'; got {method!r}")
    direction[~moving] = 0.0
    norm = np.linalg.norm(direction, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, direction / norm, 0.0)


def angles(estimated, true):
    """Angle in degrees between the rows of two arrays (cells x dims); NaN where either row is zero or NaN.

    The book's one row-wise angle, :func:`velograph_book.geometry.rowwise_angle_degrees`
    (atan2 form, accurate near 0 and 180 degrees), with the two shapes checked.
    """
    from .geometry import rowwise_angle_degrees

    estimated, true = np.asarray(estimated, dtype=np.float64), np.asarray(true, dtype=np.float64)
    if estimated.shape != true.shape:
        raise ValueError(f"estimated and true must have the same shape; got {estimated.shape} and {true.shape}")
    return np.atleast_1d(rowwise_angle_degrees(estimated, true))


# --------------------------------------------------------------------------- the shipped copies
def counts_sha256(adata) -> str:
    """sha256 of the simulated integer counts (spliced then unspliced, int32, C order): the simulation's fingerprint."""
    digest = hashlib.sha256()
    for layer in ("spliced", "unspliced"):
        digest.update(np.ascontiguousarray(adata.layers[layer], dtype=np.int32).tobytes())
    return digest.hexdigest()


def ground_truth_file(scenario: str, seed: int) -> str:
    """File name of a shipped dataset, e.g. 'branching_seed0.h5ad'."""
    return f"{scenario}_seed{int(seed)}.h5ad"


def simulate_options(params) -> dict:
    """The keyword arguments of :func:`simulate` recorded in ``uns['simulation']`` (seed included)."""
    options = {key: params[key] for key in SIMULATE_OPTIONS}
    density = options["density"]
    if isinstance(density, str):
        if density != "uniform":
            raise ValueError(f"a simulation with a callable density ({density}) cannot be replayed from its record; "
                             "pass the function to simulate() again")
        options["density"] = None
    else:
        options["density"] = float(density)
    for key in ("n_cells", "n_trunk_drivers", "n_fate_drivers"):
        options[key] = int(options[key])
    for key in ("kinetics", "noise"):
        options[key] = str(options[key])
    options["seed"] = int(params["seed"])
    return options


def load_ground_truth(scenario: str = "branching", seed: int = 0, *, mode: str = "stochastic", truth: bool = True,
                      path=None, verify: bool = True):
    """A shipped simulated dataset after the book's recipe, ready for velograph.tl: an AnnData.

    ``scenario`` is a key of :data:`SCENARIOS` and ``seed`` one of its seeds. Made once by
    ``tools/make_ground_truth.py`` (``simulate(N_CELLS, seed, **options)``, then
    ``prepare(**PREPARE)``) and shipped, because PCA, kNN, UMAP and the model fits differ in
    their low digits between computers; the file's sha256 is checked first (``verify``).

    * ``layers['Ms']``, ``layers['Mu']`` (float32 kNN moments), ``layers['velocity']`` of
      ``mode``: 'stochastic' (rebuilt as Mu - gamma Ms in float32, bit-identical to
      scVelo's) or 'dynamical' (scVelo's fit on the stochastic velocity genes; only for
      scenarios with ``dynamical``); ``var['velocity_genes']`` of that model;
    * ``obsp['distances']`` (30 neighbours on 10 PCs), ``obsm['X_umap']``, ``obsm['X_pca']``;
    * ``obs``: ``latent_time``, ``branch``, ``clusters``; ``var``: ``driver``,
      ``driver_of``, ``bystander``, ``bystander_kind``, ``matched_to``, ``beta``, ``gamma``;
    * with ``truth`` (default), the truth recomputed by :func:`simulate` from the recorded
      parameters (pure numpy, a fraction of a second): ``layers['true_velocity']``,
      ``layers['true_spliced']``, ``layers['true_unspliced']`` (float64), after checking
      that the simulation reproduces the shipped counts' fingerprint exactly.

    Returns a new AnnData on every call.
    """
    import anndata as ad

    from velograph.datasets import verify_checksum
    from velograph_book.prepared import stochastic_velocity

    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(map(repr, SCENARIOS))}; got {scenario!r}")
    seeds = SCENARIOS[scenario]["seeds"]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) not in seeds:
        raise ValueError(f"seed must be one of {seeds} for scenario {scenario!r}; got {seed!r}")
    if mode not in ("stochastic", "dynamical"):
        raise ValueError(f"mode must be 'stochastic' or 'dynamical'; got {mode!r}")
    if mode == "dynamical" and not SCENARIOS[scenario]["dynamical"]:
        with_fit = [name for name, spec in SCENARIOS.items() if spec["dynamical"]]
        raise ValueError(f"scenario {scenario!r} has no dynamical fit; mode='dynamical' exists for {with_fit}")
    name = ground_truth_file(scenario, seed)
    target = Path(path) if path is not None else Path(str(resources.files("velograph_book") / "data" /
                                                          "ground_truth" / name))
    if not target.is_file():
        raise FileNotFoundError(f"ground-truth data not found: {target}; run python tools/make_ground_truth.py")
    if verify:
        if name not in GROUND_TRUTH_SHA256:
            raise ValueError(f"no recorded sha256 for {name}; run python tools/make_ground_truth.py")
        verify_checksum(target, GROUND_TRUTH_SHA256[name], "Reinstall the book helpers, or remake it with python "
                        "tools/make_ground_truth.py (which records the new checksums).")
    try:
        adata = ad.read_h5ad(target)
    except Exception as err:
        raise ValueError(f"{target} is not a readable .h5ad file (truncated or corrupt?): {err}") from err
    if mode == "stochastic":
        gamma = adata.var["velocity_gamma"].to_numpy(np.float32)
        adata.layers["velocity"] = stochastic_velocity(adata.layers["Mu"], adata.layers["Ms"], gamma)
        adata.var["velocity_genes"] = adata.var["stochastic_velocity_genes"].to_numpy(bool)
    else:
        adata.layers["velocity"] = adata.layers["velocity_dynamical"]
        adata.var["velocity_genes"] = adata.var["dynamical_velocity_genes"].to_numpy(bool)
    adata.layers.pop("velocity_dynamical", None)
    adata.uns["velocity_params"] = {"mode": mode}
    if truth:
        simulated = simulate(**simulate_options(adata.uns["simulation"]))
        if counts_sha256(simulated) != adata.uns["simulation"]["counts_sha256"]:
            raise ValueError(f"simulate() no longer reproduces the counts {target} was made from (their sha256 "
                             "differs from uns['simulation']['counts_sha256']): the simulator changed since; "
                             "rerun python tools/make_ground_truth.py")
        simulated = simulated[:, adata.var_names]
        for layer in ("true_velocity", "true_spliced", "true_unspliced"):
            adata.layers[layer] = np.asarray(simulated.layers[layer])
        adata.obs["size_factor"] = simulated.obs["size_factor"].to_numpy()
    return adata
