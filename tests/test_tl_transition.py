"""transition_matrix: both graphs read from where they are, and numbers that cannot give a NaN T."""

from __future__ import annotations

import numpy as np
import pytest

import velograph.tl as vtl

from _tl_data import assert_unchanged, graphed, knn_distances, small_adata, snapshot


def test_both_graphs_moved_to_obsp_are_both_read():
    # Before: graph_neg was found in obsp but read from uns only, so it was dropped (T off by 0.45).
    adata = graphed()
    expected = vtl.transition_matrix(adata)
    moved = adata.copy()
    moved.obsp["velocity_graph"] = moved.uns.pop("velocity_graph")
    moved.obsp["velocity_graph_neg"] = moved.uns.pop("velocity_graph_neg")
    assert (vtl.transition_matrix(moved) != expected).nnz == 0
    without_negative = vtl.transition_matrix(adata, vgraph=adata.uns["velocity_graph"])
    assert abs(without_negative - expected).max() > 0.01  # what dropping graph_neg would have given


@pytest.mark.parametrize("scale", [np.nan, np.inf, -np.inf])
def test_non_finite_scale_is_refused(scale):
    # Before: T full of NaN, no error.
    with pytest.raises(ValueError, match=r"^scale must be a finite number, got"):
        vtl.transition_matrix(graphed(), scale=scale)


@pytest.mark.parametrize("scale", [None, "10", True])
def test_scale_of_another_type_is_refused(scale):
    with pytest.raises(TypeError, match=r"^scale must be a finite real number, got"):
        vtl.transition_matrix(graphed(), scale=scale)


@pytest.mark.parametrize("value", [0, -1.0, np.nan])
def test_scale_diffusion_must_be_positive(value):
    # Before: scale_diffusion=0 gave NaN entries.
    with pytest.raises(ValueError, match=r"^scale_diffusion must be"):
        vtl.transition_matrix(graphed(), basis="umap", scale_diffusion=value)


def test_an_embedding_whose_points_all_coincide_is_refused():
    adata = graphed()
    adata.obsm["X_umap"] = np.ones((adata.n_obs, 2))
    with pytest.raises(ValueError, match=r"adata.obsm\['X_umap'\] puts every cell at the same point"):
        vtl.transition_matrix(adata, basis="umap")


def test_neighbours_that_coincide_in_the_embedding_are_refused():
    # Not every point coincides, but every pair of neighbours does: sigma = 0 (before: NaN entries).
    adata = small_adata()
    Ms = adata.layers["Ms"].copy()
    Ms[:20] += 100.0  # two groups far apart: every cell's neighbours are in its own group
    adata.layers["Ms"] = Ms
    adata.obsp["distances"] = knn_distances(Ms, 5)
    vtl.velocity_graph(adata)
    group = (np.arange(40) < 20).astype(float)
    adata.obsm["X_umap"] = np.stack([group, group], axis=1)  # each group at one point
    with pytest.raises(ValueError, match=r"diffusion width scale_diffusion \* mean distance between neighbours"):
        vtl.transition_matrix(adata, basis="umap")


@pytest.mark.parametrize("graph", ["bool", "complex"])
def test_a_boolean_or_complex_stored_graph_is_refused_by_name(graph):
    adata = graphed()
    stored = adata.uns["velocity_graph"]
    adata.uns["velocity_graph"] = stored > 0 if graph == "bool" else stored * (1 + 0j)
    before = snapshot(adata)
    with pytest.raises(TypeError, match=r"^adata.uns\['velocity_graph'\] (must hold real numbers, got dtype bool|"
                                        r"holds complex numbers)"):
        vtl.transition_matrix(adata)
    assert_unchanged(adata, before)


def test_perc_and_threshold_are_checked():
    with pytest.raises(ValueError, match=r"^perc must be a percentile in \[0, 100\], got 150"):
        vtl.transition_matrix(graphed(), perc=150)
    with pytest.raises(ValueError, match=r"^threshold must be a finite number"):
        vtl.transition_matrix(graphed(), threshold=np.nan)


def test_a_scale_so_large_that_the_kernel_overflows_is_refused():
    # Before: scale=2000 returned T with NaN rows (as scVelo does), and NaN arrows downstream.
    adata = graphed()
    assert np.isfinite(vtl.transition_matrix(adata, scale=50).data).all()
    with pytest.raises(ValueError, match=r"^scale=2000 is too large for this graph"):
        vtl.transition_matrix(adata, scale=2000)
    with pytest.raises(ValueError, match=r"^scale=2000 is too large for this graph"):
        vtl.velocity_embedding(adata, basis="umap", scale=2000)
