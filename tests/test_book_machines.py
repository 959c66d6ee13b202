"""velograph_book.machines: the shipped second-computer run of the recipe and its comparison with the prepared copy."""

from pathlib import Path

import numpy as np
import pytest

from velograph_book import machines
from velograph_book.prepared import pancreas_prepared

from _shipped_files import changed_copy


def test_align_similarity_recovers_a_rotation_scale_and_shift():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    angle = np.radians(25.0)
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    Y = (X @ R.T) * 2.0 + [3.0, -1.0]  # the other layout: turned by 25 degrees, twice as large, shifted
    aligned, degrees, scale = machines.align_similarity(X, Y)
    assert degrees == pytest.approx(-25.0) and scale == pytest.approx(0.5)
    assert np.allclose(aligned, X)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        machines.align_similarity(X, Y[:, :1])


@pytest.fixture(scope="module")
def runs():
    return pancreas_prepared("stochastic"), machines.foreign_run()


def test_foreign_run_is_the_prepared_copy_with_the_second_computers_parts(runs):
    prepared, foreign = runs
    assert foreign.shape == prepared.shape and list(foreign.obs_names) == list(prepared.obs_names)
    assert "Sandybridge" in foreign.uns["run"]["blas"]
    assert any(s == "NUMBA_CPU_NAME=generic" for s in foreign.uns["run"]["settings"])
    # the velocity is rebuilt from the moments and gammas, as in the prepared copy
    gamma = foreign.var["velocity_gamma"].to_numpy(np.float32)
    assert np.array_equal(foreign.layers["velocity"], foreign.layers["Mu"] - gamma * foreign.layers["Ms"])
    assert not np.array_equal(foreign.obsm["X_umap"], prepared.obsm["X_umap"])


def test_compare_runs_of_a_run_with_itself_is_all_zero(runs):
    prepared, _ = runs
    same = machines.compare_runs(prepared, pancreas_prepared("stochastic"))
    assert same["neighbour_cells_changed"] == 0 and same["max_distance_difference"] == 0
    assert same["max_Ms_difference"] == 0 and same["velocity_genes_changed"] == 0
    assert np.all(same["displacement"] == 0) and np.allclose(same["aligned_displacement"], 0, atol=1e-9)
    assert same["rotation_degrees"] == pytest.approx(0, abs=1e-9) and same["scale"] == pytest.approx(1)


def test_compare_runs_sees_a_changed_neighbour_and_ms(runs):
    prepared, _ = runs
    other = pancreas_prepared("stochastic")
    D = other.obsp["distances"].tolil()
    j = D.rows[0][0]
    D[0, j] = 0
    D[0, (j + 100) % other.n_obs] = 1.0  # cell 0 swaps one neighbour
    other.obsp["distances"] = D.tocsr()
    other.layers["Ms"][5, 3] += 0.25
    differences = machines.compare_runs(prepared, other)
    assert differences["neighbour_cells_changed"] == 1
    assert differences["max_Ms_difference"] == pytest.approx(0.25, rel=1e-6)


def test_the_second_computer_changed_the_umap_but_not_the_chain_before_it(runs):
    differences = machines.compare_runs(*runs)
    assert differences["neighbour_cells_changed"] == 0 and differences["max_Ms_difference"] == 0
    assert 0 < differences["max_distance_difference"] < 1e-4
    assert np.median(differences["displacement"]) > 1  # the layout moved ...
    assert np.median(differences["aligned_displacement"]) < 0.5  # ... mostly as a whole


def test_a_changed_foreign_run_file_is_refused(tmp_path):
    from importlib import resources

    source = Path(str(resources.files("velograph_book") / "data" / machines.FOREIGN_RUN_FILE))
    copy = changed_copy(tmp_path, source, "obsm/X_umap", (0, 0), 1.0)
    with pytest.raises(ValueError, match="sha256|checksum"):
        machines.foreign_run(path=copy)
    with pytest.raises(FileNotFoundError, match="make_foreign_run"):
        machines.foreign_run(path=tmp_path / "missing.h5ad")


def test_plot_displacement_draws_one_panel_per_array(runs):
    import matplotlib

    matplotlib.use("Agg")
    prepared, _ = runs
    moved = np.linspace(0, 1, prepared.n_obs)
    fig = machines.plot_displacement(prepared.obsm["X_umap"], [moved, moved / 2], ["a", "b"])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
