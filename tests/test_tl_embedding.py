"""velocity_embedding: nothing of a parent object changed, nothing written before every check, scVelo's defaults."""

from __future__ import annotations

import numpy as np
import pytest

import velograph.tl as vtl

from _tl_data import assert_unchanged, graphed, snapshot


def test_on_a_gene_view_the_parent_is_not_changed():
    # Before: 'embeddings' was appended to the parent's uns['velocity_params'].
    parent = graphed()
    before = snapshot(parent)
    view = parent[:, :6]
    vtl.velocity_embedding(view, basis="umap")
    assert_unchanged(parent, before)
    assert "velocity_umap" not in parent.obsm


def test_the_params_are_a_new_dict():
    adata = graphed()
    old = adata.uns["velocity_params"]
    vtl.velocity_embedding(adata, basis="umap")
    assert adata.uns["velocity_params"]["embeddings"] == ["umap"] and "embeddings" not in old


@pytest.mark.parametrize("params", [None, "x"])
def test_params_not_a_dict_is_refused_before_anything_is_written(params):
    adata = graphed()
    adata.uns["velocity_params"] = params
    before = snapshot(adata)
    with pytest.raises(TypeError, match=r"^adata.uns\['velocity_params'\] must be a dict"):
        vtl.velocity_embedding(adata, basis="umap")
    assert_unchanged(adata, before)


def test_direct_pca_projection_false_is_accepted():
    # Before: NotImplementedError although False selects the implemented path.
    a, b = graphed(), graphed()
    vtl.velocity_embedding(a, basis="umap")
    vtl.velocity_embedding(b, basis="umap", direct_pca_projection=False)
    np.testing.assert_array_equal(a.obsm["velocity_umap"], b.obsm["velocity_umap"])
    with pytest.raises(NotImplementedError, match=r"^direct_pca_projection=True"):
        vtl.velocity_embedding(graphed(), basis="umap", direct_pca_projection=True)


def test_non_finite_scale_is_refused():
    with pytest.raises(ValueError, match=r"^scale must be a finite number"):
        vtl.velocity_embedding(graphed(), basis="umap", scale=np.nan)


def test_an_embedding_of_coinciding_points_is_refused():
    adata = graphed()
    adata.obsm["X_umap"] = np.zeros((adata.n_obs, 2))
    before = snapshot(adata)
    with pytest.raises(ValueError, match=r"puts every cell at the same point"):
        vtl.velocity_embedding(adata, basis="umap")
    assert_unchanged(adata, before)


def test_an_embedding_of_text_is_refused_by_name():
    adata = graphed()
    adata.obsm["X_umap"] = np.full((adata.n_obs, 2), "a", dtype=object)
    with pytest.raises(TypeError, match=r"^adata.obsm\['X_umap'\] must hold real numbers, got dtype object"):
        vtl.velocity_embedding(adata, basis="umap")
