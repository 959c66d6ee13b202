"""The ground-truth simulator of the book (velograph_book.simulation): kinetics, labels, controls, shipped copies.

Fast tests use simulate() only (pure numpy) and the shipped files; the ones that run
scVelo's recipe live are marked slow."""

import hashlib
import shutil

import numpy as np
import pytest

import velograph.tl as vtl
from velograph_book import simulation
from velograph_book.simulation import angles, load_ground_truth, prepare, simulate, true_embedding_direction

LAYERS = ("spliced", "unspliced", "true_spliced", "true_unspliced", "true_velocity")


@pytest.fixture(scope="module")
def dense_path():
    """Many cells, so that neighbouring latent times are close enough for finite differences."""
    return simulate(20_000, seed=11)


@pytest.fixture(scope="module")
def standard():
    return simulate(1000, seed=5)


def _copy_of(adata):
    return {key: np.array(adata.layers[key]) for key in LAYERS}


# --------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_data():
    first, second = simulate(300, seed=3), simulate(300, seed=3)
    for key in LAYERS:
        assert np.array_equal(first.layers[key], second.layers[key]), key
    assert first.obs.equals(second.obs)
    assert first.var.equals(second.var)
    assert simulation.counts_sha256(first) == simulation.counts_sha256(second)


def test_different_seeds_differ():
    first, second = simulate(300, seed=3), simulate(300, seed=4)
    assert not np.array_equal(first.layers["spliced"], second.layers["spliced"])
    assert not np.array_equal(first.obs["latent_time"], second.obs["latent_time"])
    assert not np.allclose(first.var["gamma"], second.var["gamma"])
    assert simulation.counts_sha256(first) != simulation.counts_sha256(second)


def test_seed_must_be_an_int():
    with pytest.raises(TypeError, match="seed must be an int"):
        simulate(100, seed=1.5)
    with pytest.raises(TypeError, match="seed must be an int"):
        simulate(100, seed=None)


@pytest.mark.parametrize("options, message", [
    ({"n_cells": 5}, "n_cells must be an int >= 10"),
    ({"branch_time": 1.0}, "branch_time must lie strictly between 0 and 1"),
    ({"kinetics": "frozen"}, "kinetics must be 'dynamic' or 'steady'"),
    ({"noise": "gaussian"}, "noise must be 'negative_binomial' or 'poisson'"),
    ({"density": float("nan")}, "density must be None, a finite number or a callable"),
    ({"density": lambda t: -t}, "density must map"),
    ({"n_fate_drivers": 0}, "n_fate_drivers must be an int >= 1"),
])
def test_bad_options_are_named(options, message):
    options = {"n_cells": 100, **options}
    with pytest.raises(ValueError, match=message):
        simulate(seed=0, **options)


def test_layout_and_labels(standard):
    a = standard
    n_drivers = 8 + 2 * 4
    assert a.shape == (1000, 3 * n_drivers)
    for key in ("spliced", "unspliced"):
        assert a.layers[key].dtype == np.int32 and a.layers[key].min() >= 0
    assert np.array_equal(a.X, a.layers["spliced"])
    assert set(a.obs["branch"]) == {"trunk", "fate_A", "fate_B"}
    assert str(a.obs["clusters"].dtype) == "category" and a.obs["clusters"].nunique() == 8
    assert a.var["driver"].sum() == n_drivers
    assert (a.var["bystander"] == ~a.var["driver"]).all()
    assert a.var["driver_of"].value_counts().to_dict() == {"none": 2 * n_drivers, "trunk": 8, "fate_A": 4,
                                                         "fate_B": 4}
    assert a.uns["simulation"]["seed"] == 5
    assert a.uns["simulation"]["depth"] == 0.5
    # clusters nest in branches and follow latent time
    for cluster, cells in a.obs.groupby("clusters", observed=True):
        assert cells["branch"].nunique() == 1, cluster


# --------------------------------------------------------------------------- kinetics
def test_true_velocity_is_the_time_derivative_of_the_noise_free_state(dense_path):
    """Central differences along each path of the noise-free s against ds/dt = beta u - gamma s."""
    a = dense_path
    tau = a.obs["latent_time"].to_numpy()
    t = tau * a.uns["simulation"]["total_time"]
    branch = a.obs["branch"].astype(str).to_numpy()
    drivers = a.var["driver"].to_numpy()
    s = a.layers["true_spliced"][:, drivers]
    v = a.layers["true_velocity"][:, drivers]
    scale = np.abs(v).max(axis=0)
    for fate in ("fate_A", "fate_B"):
        path = np.flatnonzero((branch == "trunk") | (branch == fate))  # cells are sorted by latent time
        dt = t[path[2:]] - t[path[:-2]]
        finite = (s[path[2:]] - s[path[:-2]]) / dt[:, None]
        error = np.abs(finite - v[path[1:-1]]) / scale
        # the switching kinks of du/dt make s'' jump: the central difference is exact to O(dt) there only
        assert np.quantile(error, 0.999) < 5e-3, fate
        assert np.median(error) < 1e-4, fate
    # and the identity itself, for every gene (drivers and bystanders)
    beta, gamma = a.var["beta"].to_numpy(), a.var["gamma"].to_numpy()
    rhs = beta * a.layers["true_unspliced"] - gamma * a.layers["true_spliced"]
    assert np.allclose(a.layers["true_velocity"], rhs, rtol=0, atol=1e-12 * np.abs(rhs).max())


def test_drivers_rest_at_steady_state_until_their_first_switch():
    a = simulate(2000, seed=2)
    t = a.obs["latent_time"].to_numpy() * a.uns["simulation"]["total_time"]
    drivers = np.flatnonzero(a.var["driver"].to_numpy())
    resting = 0
    for g, schedule in zip(drivers, a.uns["simulation"]["switch_times"], strict=True):
        times = [float(x) for path in schedule.split(";") for x in path.split(":")[1].split(",") if x]
        before = t < min(times)  # fate genes that never switch on a path: min over both paths
        resting += before.sum()
        assert np.abs(a.layers["true_velocity"][before, g]).max(initial=0) < 1e-12
        after = t > min(times) + 0.5
        assert np.abs(a.layers["true_velocity"][after, g]).max() > 0.05
    assert resting > 2000  # the check saw cells, not an empty selection


def test_branch_point_two_fates_diverge_after_it(standard):
    a = standard
    tau = a.obs["latent_time"].to_numpy()
    branch = a.obs["branch"].astype(str).to_numpy()
    tb = a.uns["simulation"]["branch_time"]
    assert (tau[branch == "trunk"] < tb).all() and (tau[branch != "trunk"] >= tb).all()
    assert (branch == "fate_A").sum() > 250 and (branch == "fate_B").sum() > 250
    s = a.layers["true_spliced"][:, a.var["driver"].to_numpy()]

    def gap(lo, hi):
        """Distance between the mean noise-free states of the two fates over latent times [lo, hi)."""
        window = (tau >= lo) & (tau < hi)
        return np.linalg.norm(s[window & (branch == "fate_A")].mean(0) - s[window & (branch == "fate_B")].mean(0))

    spread = np.linalg.norm(s.std(axis=0))
    assert gap(tb, tb + 0.02) < 0.05 * spread          # the fates start from the same state
    assert gap(0.85, 1.0) > 0.8 * spread               # and end far apart
    # fate drivers stay at steady state on the trunk and on the other fate
    for fate, other in (("fate_A", "fate_B"), ("fate_B", "fate_A")):
        genes = (a.var["driver_of"] == fate).to_numpy()
        still = (branch == "trunk") | (branch == other)
        assert np.abs(a.layers["true_velocity"][np.ix_(still, genes)]).max() < 1e-9
        assert np.abs(a.layers["true_velocity"][np.ix_(branch == fate, genes)]).max() > 0.5


def _eta_squared(values, tau, bins=10):
    """Correlation ratio: the share of the variance of ``values`` explained by latent-time bins."""
    which = np.minimum((tau - tau.min()) / (np.ptp(tau) + 1e-12) * bins, bins - 1).astype(int)
    means = np.bincount(which, weights=values, minlength=bins) / np.maximum(np.bincount(which, minlength=bins), 1)
    total = values.var()
    return ((means[which] - values.mean()) ** 2).mean() / total if total > 0 else 0.0


def test_bystanders_match_drivers_in_expression_but_not_in_time(standard):
    a = standard
    var = a.var
    tau = a.obs["latent_time"].to_numpy()
    branch = a.obs["branch"].astype(str).to_numpy()
    normalised = a.layers["spliced"] / a.obs["size_factor"].to_numpy()[:, None]
    eta_driver, eta_bystander, mean_ratio, var_ratio = [], [], [], []
    for driver in var.index[var["driver"]]:
        d = var.index.get_loc(driver)
        fate = var.loc[driver, "driver_of"]
        path = branch != ("fate_B" if fate == "fate_A" else "fate_A") if fate != "trunk" else branch == "trunk"
        eta_driver.append(_eta_squared(a.layers["true_spliced"][path, d], tau[path]))
        for kind in ("permuted", "steady"):
            b = var.index.get_loc(f"{'perm' if kind == 'permuted' else 'steady'}_{driver}")
            assert var.iloc[b]["bystander_kind"] == kind and var.iloc[b]["matched_to"] == driver
            # noise-free s: the same values in another order (exactly matched mean and variance)
            assert np.array_equal(np.sort(a.layers["true_spliced"][:, b]), np.sort(a.layers["true_spliced"][:, d]))
            # counts / size factor: each gene's mean within 15% and variance within 40% of its driver's
            # (the sampling error of a variance of negative-binomial counts over 1000 cells is ~10% per gene)
            mean_ratio.append(normalised[:, b].mean() / normalised[:, d].mean())
            var_ratio.append(normalised[:, b].var() / normalised[:, d].var())
            eta_bystander.append(_eta_squared(a.layers["true_spliced"][path, b], tau[path]))
    assert np.all(np.abs(np.array(mean_ratio) - 1) < 0.15) and np.all(np.abs(np.array(var_ratio) - 1) < 0.40)
    # and over the 32 pairs, no systematic difference: median ratios within 5% (mean) and 10% (variance)
    assert abs(np.median(mean_ratio) - 1) < 0.05 and abs(np.median(var_ratio) - 1) < 0.10
    # a driver's state is a function of latent time along its path; a bystander's is not
    assert min(eta_driver) > 0.9
    assert max(eta_bystander) < 0.1


def test_permuted_bystanders_carry_the_drivers_velocity_distribution(standard):
    a = standard
    for driver in a.var.index[a.var["driver"]]:
        d, b = a.var.index.get_loc(driver), a.var.index.get_loc(f"perm_{driver}")
        assert np.array_equal(np.sort(a.layers["true_velocity"][:, b]), np.sort(a.layers["true_velocity"][:, d]))
        s = a.var.index.get_loc(f"steady_{driver}")
        assert not a.layers["true_velocity"][:, s].any()


# --------------------------------------------------------------------------- density and the no-velocity control
def _share_below(density, cut=0.5, n=6000):
    return (simulate(n, seed=21, density=density).obs["latent_time"].to_numpy() < cut).mean()


@pytest.mark.parametrize("density, expected", [
    (None, 0.5),
    (0.0, 0.5),
    (2.0, (np.e - 1) / (np.e**2 - 1)),          # density ~ exp(2 tau): P(tau < 1/2) = 0.269
    (-2.0, 1 - (np.e - 1) / (np.e**2 - 1)),     # denser near the start
    (lambda t: 2 * t, 0.25),                    # a callable: triangular density
])
def test_density_sets_the_histogram_of_latent_time(density, expected):
    # binomial standard error at n = 6000 is at most 0.0065: 4 SE
    assert abs(_share_below(density) - expected) < 0.026


def test_density_follows_the_whole_distribution():
    tau = np.sort(simulate(6000, seed=8, density=3.0).obs["latent_time"].to_numpy())
    cdf = np.expm1(3.0 * tau) / np.expm1(3.0)
    ecdf = np.arange(1, tau.size + 1) / tau.size
    assert np.abs(ecdf - cdf).max() < 1.63 / np.sqrt(tau.size)  # Kolmogorov-Smirnov at the 1% level


def test_no_velocity_mode_keeps_the_paths_and_has_zero_velocity():
    moving = simulate(800, seed=9, density=2.0)
    still = simulate(800, seed=9, density=2.0, kinetics="steady")
    assert not still.layers["true_velocity"].any()
    assert np.abs(moving.layers["true_velocity"]).max() > 1
    # same cells, same paths of s, but every gene at its steady state u = (gamma / beta) s
    assert np.array_equal(still.obs["latent_time"], moving.obs["latent_time"])
    assert np.array_equal(still.layers["true_spliced"], moving.layers["true_spliced"])
    ratio = (still.var["gamma"] / still.var["beta"]).to_numpy()
    assert np.allclose(still.layers["true_unspliced"], ratio * still.layers["true_spliced"], rtol=1e-14, atol=0)
    assert not np.allclose(moving.layers["true_unspliced"], ratio * moving.layers["true_spliced"])


# --------------------------------------------------------------------------- true direction on a map, angles
def test_angles_in_degrees():
    a = angles([[1, 0], [1, 0], [1, 0], [0, 0]], [[2, 0], [0, 3], [-1, 0], [1, 0]])
    assert np.allclose(a[:3], [0, 90, 180]) and np.isnan(a[3])
    with pytest.raises(ValueError, match="same shape"):
        angles(np.ones((2, 2)), np.ones((3, 2)))


def _line(n=200, k=8, velocity=1.0):
    """Cells on a line whose map coordinate decreases with latent time: the true direction is (-1, 0)."""
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp

    tau = np.linspace(0, 1, n)
    order = np.abs(tau[:, None] - tau[None, :]).argsort(axis=1)[:, 1:k + 1]
    rows = np.repeat(np.arange(n), k)
    D = sp.csr_matrix((np.abs(tau[rows] - tau[order.ravel()]) + 0.1, (rows, order.ravel())), shape=(n, n))
    obs = pd.DataFrame({"latent_time": tau, "branch": pd.Categorical(["trunk"] * n)},
                       index=[f"c{i}" for i in range(n)])
    a = ad.AnnData(np.zeros((n, 3)), obs=obs)
    a.obsp["distances"] = D
    a.obsm["X_umap"] = np.c_[5 - 3 * tau, np.zeros(n)]
    a.layers["true_velocity"] = np.full((n, 3), velocity)
    return a


def test_true_direction_from_latent_time_on_a_line():
    a = _line()
    before = a.obsm["X_umap"].copy()
    direction = true_embedding_direction(a, "umap")
    assert np.allclose(direction, [-1.0, 0.0])
    assert np.array_equal(a.obsm["X_umap"], before)
    assert not true_embedding_direction(_line(velocity=0.0), "umap").any()  # no velocity, no direction


def test_true_direction_ignores_cells_of_the_other_fate():
    a = _line()
    branch = np.where(np.arange(a.n_obs) % 2 == 0, "fate_A", "fate_B")
    a.obs["branch"] = branch
    a.obsm["X_umap"][branch == "fate_B", 1] = 10 * a.obs["latent_time"].to_numpy()[branch == "fate_B"]
    direction = true_embedding_direction(a, "umap")
    assert np.allclose(direction[branch == "fate_A"], [-1.0, 0.0])


def test_true_direction_errors():
    a = _line()
    with pytest.raises(KeyError, match="X_tsne"):
        true_embedding_direction(a, "tsne")
    with pytest.raises(ValueError, match="method must be"):
        true_embedding_direction(a, "umap", method="arrows")
    del a.layers["true_velocity"]
    with pytest.raises(KeyError, match="true_velocity"):
        true_embedding_direction(a, "umap")


# --------------------------------------------------------------------------- the shipped copies
SHIPPED = [(scenario, seed) for scenario, spec in simulation.SCENARIOS.items() for seed in spec["seeds"]]


def test_every_shipped_file_is_recorded_and_present():
    folder = simulation.Path(str(simulation.resources.files("velograph_book") / "data" / "ground_truth"))
    names = {simulation.ground_truth_file(scenario, seed) for scenario, seed in SHIPPED}
    assert {p.name for p in folder.glob("*.h5ad")} == names
    assert set(simulation.GROUND_TRUTH_SHA256) == names


@pytest.mark.parametrize("scenario, seed", SHIPPED)
def test_shipped_file_is_what_make_ground_truth_simulates(scenario, seed):
    """The recorded parameters are the scenario's, and simulate() reproduces the shipped data from them."""
    spec = simulation.SCENARIOS[scenario]
    shipped = load_ground_truth(scenario, seed)  # checks the file's sha256 and the counts' fingerprint
    params = simulation.simulate_options(shipped.uns["simulation"])
    expected = simulate(simulation.N_CELLS, seed=seed, **spec["simulate"])
    assert params == simulation.simulate_options(expected.uns["simulation"])
    assert shipped.uns["simulation"]["counts_sha256"] == simulation.counts_sha256(expected)
    # floats written by another machine: latent times to 1e-12 (numpy's exp/log may differ in the last ulp)
    assert np.allclose(shipped.obs["latent_time"], expected.obs["latent_time"], rtol=1e-12, atol=0)
    assert list(shipped.obs["branch"]) == list(expected.obs["branch"])
    assert list(shipped.obs["clusters"]) == list(expected.obs["clusters"])
    genes = expected.var.loc[shipped.var_names]
    for column in ("driver", "driver_of", "bystander", "bystander_kind", "matched_to"):
        assert list(shipped.var[column]) == list(genes[column]), column
    assert np.array_equal(shipped.layers["true_velocity"], expected[:, shipped.var_names].layers["true_velocity"])
    assert shipped.n_obs == simulation.N_CELLS and shipped.var["driver"].sum() >= 12  # the filter kept drivers
    if spec["simulate"].get("kinetics") == "steady":
        assert not shipped.layers["true_velocity"].any()


def test_loader_rebuilds_the_stochastic_velocity_and_serves_the_dynamical_one():
    stochastic = load_ground_truth("branching", 0)
    gamma = stochastic.var["velocity_gamma"].to_numpy(np.float32)
    assert np.array_equal(stochastic.layers["velocity"], stochastic.layers["Mu"] - gamma * stochastic.layers["Ms"])
    assert stochastic.uns["velocity_params"]["mode"] == "stochastic"
    assert "velocity_dynamical" not in stochastic.layers
    dynamical = load_ground_truth("branching", 0, mode="dynamical", truth=False)
    assert dynamical.uns["velocity_params"]["mode"] == "dynamical"
    fitted = dynamical.var["velocity_genes"].to_numpy()
    assert fitted.sum() >= 10 and np.isfinite(dynamical.layers["velocity"][:, fitted]).all()
    assert "true_velocity" not in dynamical.layers
    # a new object on every call
    stochastic.layers["Ms"][0, 0] += 1
    assert load_ground_truth("branching", 0, truth=False).layers["Ms"][0, 0] != stochastic.layers["Ms"][0, 0]


def test_loader_rejects_a_modified_file(tmp_path):
    name = simulation.ground_truth_file("branching", 1)
    original = simulation.Path(str(simulation.resources.files("velograph_book") / "data" / "ground_truth" / name))
    copy = tmp_path / name
    shutil.copyfile(original, copy)
    load_ground_truth("branching", 1, path=copy, truth=False)  # an intact copy loads
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, somewhere in the compressed layers
    copy.write_bytes(bytes(data))
    assert hashlib.sha256(bytes(data)).hexdigest() != simulation.GROUND_TRUTH_SHA256[name]
    with pytest.raises(ValueError, match="corrupt or was modified.*make_ground_truth"):
        load_ground_truth("branching", 1, path=copy)


def test_loader_rejects_a_changed_simulator(monkeypatch):
    original = simulation.simulate

    def drifted(*args, **options):
        options["dispersion"] = options["dispersion"] * 1.01
        return original(*args, **options)

    monkeypatch.setattr(simulation, "simulate", drifted)
    with pytest.raises(ValueError, match="simulate\\(\\) no longer reproduces the counts"):
        load_ground_truth("steady_dense_end", 0)


@pytest.mark.parametrize("options, error, message", [
    ({"scenario": "linear"}, ValueError, "scenario must be one of"),
    ({"seed": 99}, ValueError, "seed must be one of"),
    ({"mode": "deterministic"}, ValueError, "mode must be 'stochastic' or 'dynamical'"),
    ({"scenario": "steady_dense_end", "mode": "dynamical"}, ValueError, "has no dynamical fit"),
    ({"path": "/nonexistent/file.h5ad"}, FileNotFoundError, "ground-truth data not found"),
])
def test_loader_names_bad_arguments(options, error, message):
    with pytest.raises(error, match=message):
        load_ground_truth(**options)


def test_a_callable_density_is_recorded_but_cannot_be_replayed():
    a = simulate(50, seed=0, density=lambda t: 1 + t)
    assert a.uns["simulation"]["density"].startswith("<function")
    with pytest.raises(ValueError, match="cannot be replayed"):
        simulation.simulate_options(a.uns["simulation"])
    assert simulation.simulate_options(simulate(50, seed=0).uns["simulation"])["density"] is None


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(simulation, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def gene_space_angles(adata):
    """Per cell, the angle between scVelo's velocity and the true ds/dt over the velocity genes."""
    genes = adata.var["velocity_genes"].to_numpy()
    return angles(adata.layers["velocity"][:, genes], adata.layers["true_velocity"][:, genes])


@pytest.fixture(scope="module")
def live():
    simulated = simulate(1000, seed=0)
    return simulated, prepare(simulated, dynamical_genes=["trunk_00", "trunk_01", "fate_A_08", "fate_B_12"],
                              **simulation.PREPARE)


@pytest.mark.slow  # scVelo's recipe or the shipped data sets
def test_prepare_carries_the_truth_and_leaves_the_input_alone(live):
    simulated, prepared = live
    assert simulated.layers["spliced"].dtype == np.int32 and "Ms" not in simulated.layers  # input untouched
    for key in ("Ms", "Mu", "velocity", "true_velocity", "true_spliced", "true_unspliced", "velocity_dynamical"):
        assert key in prepared.layers, key
    for key in ("X_pca", "X_umap"):
        assert key in prepared.obsm, key
    assert prepared.obsm["X_pca"].shape[1] == simulation.PREPARE["n_pcs"]
    kept = simulated[:, prepared.var_names]
    assert np.array_equal(prepared.layers["true_velocity"], kept.layers["true_velocity"])
    assert list(prepared.obs["latent_time"]) == list(simulated.obs["latent_time"])
    fitted = prepared.var["dynamical_velocity_genes"].to_numpy()
    assert 1 <= fitted.sum() <= 4 and np.isfinite(prepared.layers["velocity_dynamical"][:, fitted]).all()


@pytest.mark.slow  # scVelo's recipe or the shipped data sets
def test_every_chapter_function_runs_on_it(live):
    _, prepared = live
    adata = prepared.copy()
    vtl.velocity_graph(adata)
    T = vtl.transition_matrix(adata)
    assert T.shape == (adata.n_obs, adata.n_obs) and np.allclose(np.asarray(T.sum(axis=1)).ravel(), 1.0, atol=1e-5)
    for basis in ("umap", "pca"):
        vtl.velocity_embedding(adata, basis=basis)
        assert np.isfinite(adata.obsm[f"velocity_{basis}"]).all()
    drivers = adata.var_names[adata.var["driver"].to_numpy() & adata.var["velocity_genes"].to_numpy()]
    r = vtl.reconstructability(adata, gene_subset=drivers)
    assert 0 < r <= 1


@pytest.mark.slow  # scVelo's recipe or the shipped data sets
def test_live_recipe_points_the_true_way_for_a_clear_majority(live):
    _, prepared = live
    gene_space = gene_space_angles(prepared)
    share, median = np.nanmean(gene_space < 90), np.nanmedian(gene_space)
    print(f"live seed 0, gene space: median angle {median:.1f} deg, share within 90 deg {share:.3f}")
    assert 0.75 < share < 0.995 and 45 < median < 85  # a fair test: mostly right, far from perfect


@pytest.mark.slow  # scVelo's recipe or the shipped data sets
@pytest.mark.parametrize("seed", simulation.SCENARIOS["branching"]["seeds"])
def test_shipped_branching_points_the_true_way(seed):
    """The shipped data (the same on every machine): gene space and UMAP, against the true direction."""
    adata = load_ground_truth("branching", seed)
    gene_space = gene_space_angles(adata)
    vtl.velocity_graph(adata)
    vtl.velocity_embedding(adata, basis="umap")
    on_map = angles(adata.obsm["velocity_umap"], true_embedding_direction(adata, "umap"))
    kernel = true_embedding_direction(adata, "umap", method="kernel")
    print(f"seed {seed}: gene space median {np.nanmedian(gene_space):.1f} deg, within 90 "
          f"{np.nanmean(gene_space < 90):.3f}; UMAP median {np.nanmedian(on_map):.1f} deg, within 90 "
          f"{np.nanmean(on_map < 90):.3f}")
    assert 0.75 < np.nanmean(gene_space < 90) < 0.995 and 45 < np.nanmedian(gene_space) < 85
    assert 0.8 < np.nanmean(on_map < 90) and 5 < np.nanmedian(on_map) < 45
    # the two definitions of the true direction on the map agree for most cells
    assert np.nanmean(angles(kernel, true_embedding_direction(adata, "umap")) < 90) > 0.9


@pytest.mark.slow  # scVelo's recipe or the shipped data sets
def test_no_velocity_control_has_no_true_direction_but_scvelo_still_draws_arrows():
    adata = load_ground_truth("steady_dense_end", 0)
    assert not true_embedding_direction(adata, "umap").any()
    vtl.velocity_graph(adata)
    vtl.velocity_embedding(adata, basis="umap")
    lengths = np.linalg.norm(adata.obsm["velocity_umap"], axis=1)
    assert np.median(lengths) > 0  # arrows appear where nothing moves: what the density test must catch
