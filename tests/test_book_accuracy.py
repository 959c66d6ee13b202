"""velograph_book.accuracy: settings, gene sets, arrows against the truth, summaries and r of known drivers.

Runs on the shipped ground-truth data (the same on every machine) and on planted inputs
whose answer is known: the true velocity as the estimate (angle 0), its negative
(180 degrees), a velocity field reversed in every cell (arrows turn backwards).
"""

import numpy as np
import pytest

import velograph.tl as vtl
from velograph_book import accuracy
from velograph_book.simulation import load_ground_truth, simulate, true_embedding_direction


@pytest.fixture(scope="module")
def shipped():
    return load_ground_truth("branching", 0)


@pytest.fixture(scope="module")
def steady():
    return load_ground_truth("steady_dense_end", 0)


def fresh(adata):
    return adata.copy()


# --------------------------------------------------------------------------- settings and gene sets


def test_setting_starts_from_scvelos_defaults_and_applies_changes():
    assert accuracy.setting() == accuracy.DEFAULT_SETTING
    assert accuracy.setting(sigma_squared=0.01)["sigma_squared"] == 0.01
    assert accuracy.setting(correction=None)["correction"] is None
    assert accuracy.DEFAULT_SETTING["sigma_squared"] == 0.1  # scVelo's scale=10


@pytest.mark.parametrize("changes, message", [
    ({"sigma": 0.1}, "unknown setting keys"),
    ({"model": "deterministic"}, "model must be one of"),
    ({"correction": "median"}, "correction must be"),
    ({"basis": "tsne"}, "basis must be one of"),
    ({"genes": "top genes"}, "genes must be one of"),
    ({"sigma_squared": 0}, "sigma_squared must be a positive finite number"),
    ({"sigma_squared": float("inf")}, "sigma_squared must be a positive finite number"),
    ({"sigma_squared": True}, "sigma_squared must be a positive finite number"),
    ({"model": "dynamical", "genes": "drivers"}, "dynamical model has velocities only"),
])
def test_setting_refuses_what_it_cannot_run(changes, message):
    with pytest.raises(ValueError, match=message):
        accuracy.setting(**changes)


def test_gene_sets_follow_the_simulators_labels(shipped):
    var = shipped.var
    assert accuracy.gene_set(shipped, "velocity genes") is None  # velocity_graph's own default
    drivers = accuracy.gene_set(shipped, "drivers")
    assert len(drivers) == 16 and var.loc[drivers, "driver"].all()
    permuted = accuracy.gene_set(shipped, "permuted bystanders")
    assert len(permuted) == 16 and (var.loc[permuted, "bystander_kind"] == "permuted").all()
    steady = accuracy.gene_set(shipped, "steady bystanders")
    assert len(steady) == 16 and (var.loc[steady, "bystander_kind"] == "steady").all()
    assert len(accuracy.gene_set(shipped, "all genes")) == 48
    only = accuracy.gene_set(shipped, "drivers", velocity_genes_only=True)
    assert set(only) < set(drivers) and var.loc[only, "velocity_genes"].all()
    listed = accuracy.gene_set(shipped, "velocity genes", velocity_genes_only=True)
    assert len(listed) == int(var["velocity_genes"].sum())


def test_random_gene_set_is_seeded_and_the_size_of_the_drivers(shipped):
    first = accuracy.gene_set(shipped, "random", seed=3)
    assert first == accuracy.gene_set(shipped, "random", seed=3)
    assert first != accuracy.gene_set(shipped, "random", seed=4)
    assert len(first) == 16 and len(set(first)) == 16
    pool = accuracy.gene_set(shipped, "random", seed=3, velocity_genes_only=True)
    assert shipped.var.loc[pool, "velocity_genes"].all()


def test_gene_set_needs_simulated_data_and_a_known_name(shipped):
    plain = shipped.copy()
    del plain.var["driver"]
    with pytest.raises(KeyError, match="driver.*velograph_book.simulation"):
        accuracy.gene_set(plain, "drivers")
    with pytest.raises(ValueError, match="name must be one of"):
        accuracy.gene_set(shipped, "top genes")


def test_program_drivers_and_their_permuted_bystanders(shipped):
    fate_a = accuracy.program_drivers(shipped, "fate_A")
    assert fate_a and all(name.startswith("fate_A_") for name in fate_a)
    copies = accuracy.matched_bystanders_of(shipped, fate_a)
    assert set(shipped.var.loc[copies, "matched_to"]) <= set(fate_a)
    assert (shipped.var.loc[copies, "bystander_kind"] == "permuted").all()
    assert shipped.var.loc[copies, "velocity_genes"].all()
    with pytest.raises(ValueError, match="program must be"):
        accuracy.program_drivers(shipped, "fate_C")


# --------------------------------------------------------------------------- arrows and the truth


def test_default_arrows_are_velocity_embeddings_before_autoscaling(shipped):
    work = vtl.velocity_graph(shipped, copy=True)
    vtl.velocity_embedding(work, basis="umap", autoscale=False)
    ours = accuracy.arrows(shipped, accuracy.signed_transitions(work), correction="mean")
    assert np.allclose(ours, work.obsm["velocity_umap"], atol=1e-6)
    # another correction gives other arrows (the option is not ignored)
    other = accuracy.arrows(shipped, accuracy.signed_transitions(work), correction=None)
    assert not np.allclose(other, ours, atol=1e-3)


def test_pca_arrows_are_the_first_two_components_of_all_component_arrows(shipped):
    work = vtl.velocity_graph(shipped, copy=True)
    vtl.velocity_embedding(work, basis="pca", autoscale=False)
    ours = accuracy.arrows(shipped, accuracy.signed_transitions(work), basis="pca")
    assert ours.shape == (shipped.n_obs, 2)
    assert np.allclose(ours, work.obsm["velocity_pca"][:, :2], atol=1e-6)


def test_sigma_changes_the_transition_weights(shipped):
    work = vtl.velocity_graph(shipped, copy=True)
    narrow, default = accuracy.signed_transitions(work, 0.01), accuracy.signed_transitions(work, 0.1)
    assert narrow.shape == default.shape and np.all(narrow.diagonal() == 0)
    assert np.abs(narrow - default).max() > 0.01
    # a narrower kernel concentrates each row: its largest |weight| grows
    assert np.median(abs(narrow).max(axis=1).toarray()) > np.median(abs(default).max(axis=1).toarray())


def test_later_time_direction_is_the_truth_where_cells_move_and_exists_where_they_do_not(shipped, steady):
    assert np.allclose(accuracy.later_time_direction(shipped, "umap"), accuracy.true_direction(shipped, "umap"))
    assert not accuracy.true_direction(steady, "umap").any()  # nothing moves: no true direction
    later = accuracy.later_time_direction(steady, "umap")
    assert np.allclose(np.linalg.norm(later, axis=1)[np.linalg.norm(later, axis=1) > 0], 1.0)
    assert np.mean(np.linalg.norm(later, axis=1) > 0) > 0.99
    before = steady.layers["true_velocity"].copy()
    accuracy.later_time_direction(steady, "umap")
    assert np.array_equal(before, steady.layers["true_velocity"])  # not modified


def test_gene_space_angles_are_zero_for_the_truth_and_180_for_its_negative(shipped):
    planted = fresh(shipped)
    truth = planted.layers["true_velocity"] / planted.var["beta"].to_numpy()
    planted.layers["velocity"] = truth * 3.0  # a common scale does not turn a direction
    angles = accuracy.gene_space_angles(planted)
    moving = np.isfinite(angles)
    assert moving.mean() > 0.99 and np.allclose(angles[moving], 0.0, atol=1e-5)
    planted.layers["velocity"] = -truth
    assert np.allclose(accuracy.gene_space_angles(planted)[moving], 180.0, atol=1e-5)
    # without dividing by beta the truth would not be at 0 degrees: the division matters
    planted.layers["velocity"] = planted.layers["true_velocity"]
    assert np.nanmedian(accuracy.gene_space_angles(planted)) > 1.0


def test_setting_angles_score_a_reversed_velocity_as_backwards(shipped):
    settings = {"default": {}, "narrow": {"sigma_squared": 0.01}}
    right = accuracy.setting_angles(shipped, None, settings)
    reversed_data = fresh(shipped)
    reversed_data.layers["velocity"] = -reversed_data.layers["velocity"]
    wrong = accuracy.setting_angles(reversed_data, None, settings)
    assert accuracy.share_within(right["default"]) > 0.9
    assert accuracy.share_within(wrong["default"]) < 0.2
    assert set(right) == set(settings) and right["default"].shape == (shipped.n_obs,)


def test_setting_angles_leave_the_data_alone_and_need_the_dynamical_data(shipped):
    work = fresh(shipped)
    keys = (set(work.uns), set(work.obsm), set(work.layers))
    accuracy.setting_angles(work, None, {"drivers": {"genes": "drivers"}, "pca": {"basis": "pca"}})
    assert (set(work.uns), set(work.obsm), set(work.layers)) == keys
    with pytest.raises(ValueError, match="dynamical"):
        accuracy.setting_angles(work, None, {"model": {"model": "dynamical"}})


def test_setting_angles_match_a_direct_computation(shipped):
    angles = accuracy.setting_angles(shipped, None, {"uniform": {"correction": "uniform"}})["uniform"]
    work = vtl.velocity_graph(shipped, copy=True)
    field = accuracy.arrows(shipped, accuracy.signed_transitions(work), correction="uniform")
    direct = accuracy.angles_to(field, true_embedding_direction(shipped, "umap", components=2))
    assert np.array_equal(angles, direct, equal_nan=True)


def test_angles_over_seeds_is_setting_angles_per_shipped_seed(shipped):
    settings = {"default": {}, "dynamical": {"model": "dynamical"}}
    grid = accuracy.angles_over_seeds(settings, seeds=(0, 1))
    assert list(grid) == ["default", "dynamical"] and [len(v) for v in grid.values()] == [2, 2]
    dynamical = load_ground_truth("branching", 1, mode="dynamical", truth=False)
    direct = accuracy.setting_angles(load_ground_truth("branching", 1), dynamical, settings, seed=1)
    for name in settings:
        assert np.array_equal(grid[name][1], direct[name], equal_nan=True)
    # seed 0 is the fixture's data set, a different one from seed 1
    assert np.array_equal(grid["default"][0], accuracy.setting_angles(shipped, None, {"d": {}})["d"], equal_nan=True)
    assert not np.array_equal(grid["default"][0][:50], grid["default"][1][:50], equal_nan=True)


def test_angles_over_seeds_passes_scenario_seed_and_reference_on(monkeypatch):
    from velograph_book import simulation

    loads = []
    load = simulation.load_ground_truth

    def spy(scenario, seed, **options):
        loads.append((scenario, seed, options.get("mode", "stochastic")))
        return load(scenario, seed, **options)

    later_time = accuracy.later_time_direction  # defined where nothing moves, unlike the truth

    monkeypatch.setattr(simulation, "load_ground_truth", spy)
    grid = accuracy.angles_over_seeds({"random": {"genes": "random"}}, scenario="steady_dense_end", seeds=(2,),
                                      reference=later_time)
    assert loads == [("steady_dense_end", 2, "stochastic")]  # no dynamical data unless a setting asks
    direct = accuracy.setting_angles(load("steady_dense_end", 2), None, {"random": {"genes": "random"}}, seed=2,
                                     reference=later_time)
    assert np.array_equal(grid["random"][0], direct["random"], equal_nan=True)
    assert np.isfinite(direct["random"]).mean() > 0.9
    # the seed also draws the random gene set: seed 0's set gives other angles on the same data
    other = accuracy.setting_angles(load("steady_dense_end", 2), None, {"random": {"genes": "random"}}, seed=0,
                                    reference=later_time)
    assert not np.array_equal(grid["random"][0], other["random"], equal_nan=True)


# --------------------------------------------------------------------------- summaries


def test_share_within_counts_defined_angles_and_refuses_a_boundary_case():
    assert accuracy.share_within([10.0, 100.0, np.nan, 30.0]) == pytest.approx(2 / 3)
    assert accuracy.share_within([10.0, 100.0], limit=120) == 1.0
    with pytest.raises(ValueError, match="rounding margin"):
        accuracy.share_within([89.9999, 10.0])
    assert accuracy.share_within([89.9999, 10.0], margin=0) == 1.0
    with pytest.raises(ValueError, match="no cell has a defined angle"):
        accuracy.share_within([np.nan])


def test_summary_and_per_seed_rows_on_known_angles():
    per_seed = [np.array([10.0, 20.0, 30.0, 100.0]), np.array([50.0, 60.0, 70.0, 170.0, np.nan])]
    (name, median, low, high, share, share_low, share_high), = accuracy.summary_rows({"x": per_seed})
    assert name == "x" and (low, high) == (25.0, 65.0) and median == 45.0
    assert (share_low, share_high, share) == (0.75, 0.75, 0.75)
    rows = accuracy.per_seed_rows(per_seed, (3, 7))
    assert rows == [(3, 25.0, 0.75), (7, 65.0, 0.75)]
    with pytest.raises(ValueError, match="2 angle arrays for 3 seeds"):
        accuracy.per_seed_rows(per_seed, (1, 2, 3))


def test_unit_rows():
    unit = accuracy.unit_rows([[3.0, 4.0], [0.0, 0.0], [np.nan, 1.0]])
    assert np.allclose(unit, [[0.6, 0.8], [0.0, 0.0], [0.0, 0.0]])


# --------------------------------------------------------------------------- r of known drivers


def test_reconstructability_rows_are_the_librarys_r_on_transition_rows(shipped):
    rows = accuracy.reconstructability_rows(shipped)
    assert [row[0] for row in rows] == list(accuracy.R_SETS)
    drivers = accuracy.gene_set(shipped, "drivers", velocity_genes_only=True)
    name, n, share, r = rows[0]
    assert n == len(drivers)
    assert r == pytest.approx(vtl.reconstructability(shipped, drivers, matrix="transition"), abs=1e-12)
    assert share == pytest.approx(vtl.velocity_variance_share(shipped, drivers))
    assert sum(row[2] for row in rows) == pytest.approx(1.0)  # the three kinds split the velocity genes


def test_reconstructability_rows_refuse_sets_without_an_r():
    adata = simulate(200, seed=0)
    adata.var["velocity_genes"] = adata.var["driver"].to_numpy()  # no bystander is a velocity gene
    with pytest.raises(ValueError, match="fewer than 2 velocity genes"):
        accuracy.reconstructability_rows(adata)


# --------------------------------------------------------------------------- figures


def test_angle_histograms_one_panel_per_factor_with_shares():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    panels = {"a": {"one": rng.uniform(0, 180, 500), "two": rng.uniform(0, 90, 500)}, "b": {"x": [10.0, np.nan]},
              "c": {"y": [100.0]}}
    fig = accuracy.plot_angle_histograms(panels)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["a", "b", "c"]
    heights = visible[0].patches[1].get_data()[0]  # the second curve of panel a
    assert heights.sum() == pytest.approx(1.0) and heights[heights.size // 2:].sum() == 0
    plt.close(fig)


def test_reconstructability_by_branch_splits_the_per_cell_r(shipped):
    fate_a = accuracy.program_drivers(shipped, "fate_A")
    rows = accuracy.reconstructability_by_branch(shipped, fate_a)
    assert [row[0] for row in rows] == ["trunk", "fate_A", "fate_B"]
    assert sum(row[1] for row in rows) == shipped.n_obs
    per_cell = vtl.reconstructability(shipped, fate_a, matrix="transition", per_cell=True)
    in_a = np.asarray(shipped.obs["branch"] == "fate_A")
    assert rows[1][2] == pytest.approx(np.nanmedian(per_cell[in_a]))
    # the drivers of fate A reproduce the graph best in the cells of fate A
    assert rows[1][2] > max(rows[0][2], rows[2][2])


def test_drivers_per_set_counts_driver_names(shipped):
    counts = accuracy.drivers_per_set(shipped, [["trunk_00", "perm_trunk_00"], [], ["fate_A_08", "fate_B_12"]])
    assert counts.tolist() == [1, 0, 2]


def test_wrong_way_by_group_on_known_angles():
    import pandas as pd

    labels = [pd.Categorical(["b", "a", "a", "b"], categories=["a", "b"]), pd.Categorical(["a", "a", "b", "b"])]
    angles = [np.array([100.0, 10.0, 170.0, 20.0]), np.array([10.0, 20.0, 120.0, 130.0])]
    rows = accuracy.wrong_way_by_group(angles, labels)
    assert rows == [("a", 0.25, 0.0, 0.5), ("b", 0.75, 0.5, 1.0)]
    with pytest.raises(ValueError, match="2 angle arrays for 1 label arrays"):
        accuracy.wrong_way_by_group(angles, labels[:1])
    with pytest.raises(ValueError, match="angles of shape"):
        accuracy.wrong_way_by_group([angles[0][:3]], labels[:1])


def test_setting_angles_use_the_chosen_genes(shipped):
    angles = accuracy.setting_angles(shipped, None, {"default": {}, "bystanders": {"genes": "permuted bystanders"}})
    # a graph of bystanders alone has no direction along the trajectory; the default graph has one
    assert accuracy.share_within(angles["bystanders"]) < 0.6 < 0.9 < accuracy.share_within(angles["default"])
