"""Tests of velograph_book.calibration: the calibrations of chapter 9 on ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import velograph.tl as vtl
from velograph_book import calibration, simulation


@pytest.fixture(scope="module")
def branching():
    return simulation.load_ground_truth("branching", 3)


@pytest.fixture(scope="module")
def steady():
    return simulation.load_ground_truth("steady_dense_end", 0)


# --------------------------------------------------------------------------- small pieces


def test_rate_counts_hits():
    assert calibration.rate([True, False, True]) == (2, 3, pytest.approx(2 / 3))
    with pytest.raises(ValueError, match="hits"):
        calibration.rate([])


def test_lean_share_leaves_out_zero_rows():
    arrows = np.array([[1.0, 0.0], [-1.0, 0.2], [0.0, 0.0], [0.3, 1.0]])
    direction = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert calibration.lean_share(arrows, direction) == (pytest.approx(2 / 3), 3)
    with pytest.raises(ValueError, match="same shape"):
        calibration.lean_share(arrows, direction[:2])


def test_summary_rows_count_fired_tests_per_group():
    table = pd.DataFrame({"data": ["a", "a", "b"], "fired": [True, False, False], "share": [0.6, 0.4, 0.5],
                          "true_share": [np.nan, np.nan, 0.3]})
    rows = calibration.summary_rows(table, ["data"])
    assert rows[0][:5] == ("a", 1, 2, 0.4, 0.6) and np.isnan(rows[0][5])
    assert rows[1] == ("b", 0, 1, 0.5, 0.5, 0.3, 0.3)
    with pytest.raises(KeyError, match="no column"):
        calibration.summary_rows(table, ["nothing"])


def test_spearman_and_its_bootstrap_interval():
    x = np.arange(20.0)
    assert calibration.spearman(x, x**3) == pytest.approx(1.0)
    assert calibration.spearman(x, -x) == pytest.approx(-1.0)
    low, high = calibration.bootstrap_interval(calibration.spearman, (x, x + np.sin(x)), n_boot=50, seed=1)
    assert low <= calibration.spearman(x, x + np.sin(x)) <= high
    with pytest.raises(ValueError, match="same length"):
        calibration.spearman(x, x[:5])


def test_reversal_by_fit_bins_cells_by_local_r2():
    angle = np.array([100.0, 10.0, 170.0, 3.0, 4.0, 95.0, np.nan])
    r2 = np.array([0.1, 0.15, 0.3, 0.9, 1.0, 0.6, 0.9])
    rows = calibration.reversal_by_fit(angle, r2, edges=(0, 0.2, 0.5, 1), n_boot=20)
    assert [row[:3] for row in rows] == [("0-0.2", 2, 0.5), ("0.2-0.5", 1, 1.0), ("0.5-1", 3, pytest.approx(1 / 3))]
    assert rows[2][5] == 4.0  # median of 3, 4 and 95 (the NaN angle left out); R^2 = 1 in the closed last bin
    with pytest.raises(ValueError, match="increasing"):
        calibration.reversal_by_fit(angle, r2, edges=(0.5, 0.2))


def test_subsample_cells_keeps_neighbours_among_the_kept_cells(branching):
    small = calibration.subsample_cells(branching, 300, seed=4)
    assert small.n_obs == 300 and small.obsp["distances"].shape == (300, 300)
    again = calibration.subsample_cells(branching, 300, seed=4)
    assert list(small.obs_names) == list(again.obs_names)
    assert small.obsp["distances"].nnz < 300 * 30  # neighbours outside the subsample are gone
    with pytest.raises(ValueError, match="exceeds"):
        calibration.subsample_cells(branching, 5000, seed=0)


def test_velocity_gene_names_by_kind(branching):
    drivers = calibration.velocity_gene_names(branching, "driver")
    assert drivers and all(branching.var.loc[g, "driver"] and branching.var.loc[g, "velocity_genes"] for g in drivers)
    with pytest.raises(ValueError, match="kind"):
        calibration.velocity_gene_names(branching, "drivers")


# --------------------------------------------------------------------------- the calibrations


def test_edge_calibration_tabulates_the_library_check_and_the_truth(branching):
    table = calibration.edge_calibration([("branching", 3, branching)], n_draws=20, seed=3)
    library = vtl.edge_cell_check(branching, n_draws=20, seed=3)
    assert table["null"].tolist() == list(library.index)
    np.testing.assert_array_equal(table["p"], library["p"])
    assert table["fired"].tolist() == (library["p"] < calibration.ALPHA).tolist()
    edge = vtl.edge_cells(branching)["edge_cell"]
    assert (table["n_edge_cells"] == edge.sum()).all()
    # the truth, by rotation instead of angles: turn each true direction by -start, then it lies in
    # the sector when it is strictly between angle 0 (the positive x axis) and the sector's width
    cells = vtl.edge_cells(branching)[edge]
    truth = simulation.true_embedding_direction(branching, "umap")[edge.to_numpy(), :2]
    moving = np.linalg.norm(truth, axis=1) > 0
    c, s = np.cos(-cells["sector_start"].to_numpy()), np.sin(-cells["sector_start"].to_numpy())
    x, y = (c * truth[:, 0] - s * truth[:, 1])[moving], (s * truth[:, 0] + c * truth[:, 1])[moving]
    turned = np.mod(np.arctan2(y, x), 2 * np.pi)
    inside = (turned > 1e-6) & (turned < np.radians(cells["sector_width"].to_numpy()[moving]) - 1e-6)
    assert moving.sum() > 10 and table["true_share"].iloc[0] == pytest.approx(inside.mean())
    assert 0 < inside.mean() < 1


def test_density_calibration_fires_on_a_planted_density_artifact(steady):
    table = calibration.density_calibration([("steady_dense_end", 0, steady)], n_draws=100, seed=0)
    uncorrected = table.set_index("correction").loc["none"]
    assert uncorrected["fired"] and uncorrected["share"] > 0.8  # no velocity: the pull of density alone
    assert np.isnan(uncorrected["true_share"])  # nothing moves, no true direction
    assert uncorrected["groups_fired"] <= uncorrected["groups"] == 8


def test_r_calibration_scores_the_sets_it_says(branching):
    small = calibration.subsample_cells(branching, 300, seed=0)
    table = calibration.r_calibration([("branching", 3, small)], size=5, n_random=1, n_draws=20, seed=0)
    assert list(table["control"]) == ["positive", "negative"]
    positive = table.iloc[0]
    assert positive["drivers"] == positive["n_genes"] == 5
    assert table["fired"].tolist() == (table["p"] < calibration.ALPHA).tolist()
    assert ((table["p"] >= 1 / 21) & (table["p"] <= 1)).all()
    with pytest.raises(ValueError, match="driver velocity genes"):
        calibration.r_calibration([("branching", 3, small)], size=40, n_draws=20)


def test_reversal_by_fit_refuses_an_angle_at_the_rounding_margin_of_90_degrees():
    angle, r2 = np.array([90.001, 10.0]), np.array([0.1, 0.1])
    with pytest.raises(ValueError, match="threshold 90"):
        calibration.reversal_by_fit(angle, r2, margin=0.01, n_boot=20)
    assert calibration.reversal_by_fit(angle, r2, margin=1e-4, n_boot=20)[0][2] == 0.5
