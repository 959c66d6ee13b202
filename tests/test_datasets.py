"""The shipped data loads offline; bad files give clear errors."""

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp

from velograph import datasets


def test_pancreas_loads_with_layers_and_x():
    adata = datasets.pancreas()
    assert adata.shape == (3696, 2000)
    assert {"spliced", "unspliced"} <= set(adata.layers)
    assert adata.X is not None and (adata.X != adata.layers["spliced"]).nnz == 0
    assert adata.obs["clusters"].nunique() == 8


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        datasets.pancreas(tmp_path / "nope.h5ad")


def test_truncated_file(tmp_path):
    shipped = datasets._shipped("pancreas.h5ad").read_bytes()
    broken = tmp_path / "broken.h5ad"
    broken.write_bytes(shipped[: len(shipped) // 3])
    with pytest.raises(ValueError, match="corrupt or was modified"):
        datasets.pancreas(broken)
    with pytest.raises(ValueError, match="not a readable .h5ad"):
        datasets.pancreas(broken, verify=False)


def test_file_without_velocity_layers(tmp_path):
    path = tmp_path / "plain.h5ad"
    ad.AnnData(X=sp.random(5, 4, density=0.5, format="csr", random_state=0)).write_h5ad(path)
    with pytest.raises(ValueError, match="'spliced' or 'unspliced' layer"):
        datasets.read_velocity_h5ad(path)


def test_corrupt_shipped_copy_is_detected(tmp_path, monkeypatch):
    fake = tmp_path / "pancreas.h5ad"
    fake.write_bytes(datasets._shipped("pancreas.h5ad").read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(datasets, "_shipped", lambda name: fake)
    with pytest.raises(ValueError, match="corrupt or was modified: its sha256"):
        datasets.pancreas()


def test_other_copy_of_the_file_loads(tmp_path):
    copy = tmp_path / "copy.h5ad"
    copy.write_bytes(datasets._shipped("pancreas.h5ad").read_bytes())
    adata = datasets.pancreas(copy)
    assert np.array_equal(adata.obs_names, datasets.pancreas().obs_names)


def _changed_copy(tmp_path, name, dataset, index, delta):
    """A copy of a shipped file with one stored value changed by ``delta`` (the rest byte-identical in content)."""
    import h5py

    copy = tmp_path / name
    copy.write_bytes(datasets._shipped(name).read_bytes())
    with h5py.File(copy, "r+") as f:
        values = f[dataset][...]
        values[index] += delta
        f[dataset][...] = values
    return copy


def test_one_changed_raw_count_is_caught_by_the_checksum(tmp_path):
    copy = _changed_copy(tmp_path, "pancreas.h5ad", "layers/spliced/data", 0, 1)
    with pytest.raises(ValueError, match="corrupt or was modified: its sha256 .* differs from the recorded"):
        datasets.pancreas(copy)
    unchecked = datasets.pancreas(copy, verify=False)
    assert unchecked.layers["spliced"].data[0] == datasets.pancreas().layers["spliced"].data[0] + 1


@pytest.mark.parametrize("dataset", ["layers/Ms", "layers/velocity_dynamical", "obsm/X_umap", "obsp/distances/data"])
def test_one_changed_prepared_value_is_caught_by_the_checksum(tmp_path, dataset):
    index = (0, 0) if dataset.count("/") == 1 else 0
    copy = _changed_copy(tmp_path, "pancreas_prepared.h5ad", dataset, index, 1e-3)
    with pytest.raises(ValueError, match="remake it with python tools/make_prepared.py"):
        datasets.pancreas_prepared("stochastic", path=copy)


@pytest.mark.parametrize("mode,n_velocity_genes", [("stochastic", 328), ("dynamical", 261)])
def test_prepared_data_has_what_velocity_graph_needs(mode, n_velocity_genes):
    adata = datasets.pancreas_prepared(mode)
    assert adata.shape == (3696, 328)
    assert {"Ms", "Mu", "velocity", "spliced", "unspliced"} <= set(adata.layers)
    assert adata.var["velocity_genes"].dtype == bool and adata.var["velocity_genes"].sum() == n_velocity_genes
    assert adata.uns["velocity_params"]["mode"] == mode
    assert {"distances", "connectivities"} <= set(adata.obsp) and adata.obsp["distances"].getnnz(axis=1).min() == 29
    assert adata.obsm["X_umap"].shape == (3696, 2) and adata.obsm["X_pca"].shape[0] == 3696
    assert adata.obs["clusters"].nunique() == 8
    assert len(adata.uns["recipe"]["genes_kept"]) == 1126
    assert ("fit_likelihood" in adata.var) == (mode == "dynamical")
    assert ("velocity_gamma" in adata.var) == (mode == "stochastic")
    assert np.isfinite(adata.layers["velocity"][:, adata.var["velocity_genes"].to_numpy()]).all()


def test_prepared_models_share_cells_genes_and_states_but_not_velocities():
    stochastic, dynamical = datasets.pancreas_prepared("stochastic"), datasets.pancreas_prepared("dynamical")
    assert (stochastic.var_names == dynamical.var_names).all() and (stochastic.obs_names == dynamical.obs_names).all()
    assert np.array_equal(stochastic.layers["Ms"], dynamical.layers["Ms"])
    assert not np.allclose(stochastic.layers["velocity"], dynamical.layers["velocity"])
    # the dynamical velocity genes are a subset of the stochastic ones (the fit starts from them)
    assert not (dynamical.var["velocity_genes"] & ~stochastic.var["velocity_genes"]).any()


def test_stochastic_velocity_is_the_steady_state_formula():
    adata = datasets.pancreas_prepared("stochastic")
    gamma = adata.var["velocity_gamma"].to_numpy()
    g = int(np.argmax(gamma))
    by_hand = adata.layers["Mu"][:, g] - np.float32(gamma[g]) * adata.layers["Ms"][:, g]
    assert np.array_equal(adata.layers["velocity"][:, g], by_hand)
    assert adata.layers["velocity"].dtype == np.float32


def test_prepared_calls_return_independent_objects():
    first = datasets.pancreas_prepared("stochastic")
    original = float(first.layers["Ms"][0, 0])
    first.layers["Ms"][0, 0] += 1.0
    first.obs["clusters"] = "changed"
    second = datasets.pancreas_prepared("stochastic")
    assert float(second.layers["Ms"][0, 0]) == original
    assert second.obs["clusters"].nunique() == 8


def test_prepared_mode_and_missing_file_errors(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of 'stochastic', 'dynamical'; got 'steady'"):
        datasets.pancreas_prepared("steady")
    with pytest.raises(FileNotFoundError, match="prepared data not found"):
        datasets.pancreas_prepared(path=tmp_path / "nope.h5ad")
