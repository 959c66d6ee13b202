"""velograph_book.prepared: the book's prepared pancreas inputs load offline, checksummed."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest

from velograph.datasets import _shipped as shipped_raw
from velograph_book import prepared
from velograph_book.prepared import _shipped, pancreas_prepared

from _shipped_files import changed_copy

# slow: scVelo, the shipped data or subprocesses; tools/test.sh runs it beside the book build
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("dataset", ["layers/Ms", "layers/velocity_dynamical", "obsm/X_umap", "obsp/distances/data"])
def test_one_changed_prepared_value_is_caught_by_the_checksum(tmp_path, dataset):
    index = (0, 0) if dataset.count("/") == 1 else 0
    copy = changed_copy(tmp_path, prepared._shipped("pancreas_prepared.h5ad"), dataset, index, 1e-3)
    with pytest.raises(ValueError, match="remake it with python tools/make_prepared.py"):
        prepared.pancreas_prepared("stochastic", path=copy)


@pytest.mark.parametrize("mode,n_velocity_genes", [("stochastic", 328), ("dynamical", 261)])
def test_prepared_data_has_what_velocity_graph_needs(mode, n_velocity_genes):
    adata = prepared.pancreas_prepared(mode)
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
    stochastic, dynamical = prepared.pancreas_prepared("stochastic"), prepared.pancreas_prepared("dynamical")
    assert (stochastic.var_names == dynamical.var_names).all() and (stochastic.obs_names == dynamical.obs_names).all()
    assert np.array_equal(stochastic.layers["Ms"], dynamical.layers["Ms"])
    assert not np.allclose(stochastic.layers["velocity"], dynamical.layers["velocity"])
    # the dynamical velocity genes are a subset of the stochastic ones (the fit starts from them)
    assert not (dynamical.var["velocity_genes"] & ~stochastic.var["velocity_genes"]).any()


def test_stochastic_velocity_is_the_steady_state_formula():
    adata = prepared.pancreas_prepared("stochastic")
    gamma = adata.var["velocity_gamma"].to_numpy()
    g = int(np.argmax(gamma))
    by_hand = adata.layers["Mu"][:, g] - np.float32(gamma[g]) * adata.layers["Ms"][:, g]
    assert np.array_equal(adata.layers["velocity"][:, g], by_hand)
    assert adata.layers["velocity"].dtype == np.float32


def test_prepared_calls_return_independent_objects():
    first = prepared.pancreas_prepared("stochastic")
    original = float(first.layers["Ms"][0, 0])
    first.layers["Ms"][0, 0] += 1.0
    first.obs["clusters"] = "changed"
    second = prepared.pancreas_prepared("stochastic")
    assert float(second.layers["Ms"][0, 0]) == original
    assert second.obs["clusters"].nunique() == 8


def test_prepared_mode_and_missing_file_errors(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of 'stochastic', 'dynamical'; got 'steady'"):
        prepared.pancreas_prepared("steady")
    with pytest.raises(FileNotFoundError, match="prepared data not found"):
        prepared.pancreas_prepared(path=tmp_path / "nope.h5ad")


def test_the_raw_file_is_named_as_such():
    with pytest.raises(ValueError, match=r"is not a prepared pancreas file: it has no layers\['Ms'\].*"
                                         r"looks like the raw counts"):
        pancreas_prepared(path=shipped_raw("pancreas.h5ad"), verify=False)


@pytest.mark.parametrize("where,key", [("var", "stochastic_velocity_gamma"), ("uns", "velocity_params_dynamical"),
                                       ("layers", "velocity_dynamical")])
def test_a_missing_entry_is_named(tmp_path, where, key):
    adata = ad.read_h5ad(_shipped("pancreas_prepared.h5ad"))
    del getattr(adata, where)[key]
    path = tmp_path / "incomplete.h5ad"
    adata.write_h5ad(path)
    with pytest.raises(ValueError, match=rf"is not a prepared pancreas file: it has no {where}\['{key}'\]\. Remake"):
        pancreas_prepared(path=path, verify=False)
