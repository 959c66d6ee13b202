"""The fingerprint velocity_graph records: cells' order (even when names repeat or are reset), renames, rewrites."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import velograph.tl as vtl
from velograph.tl._access import FINGERPRINT_KEY, cells_fingerprint

from _tl_data import graphed, small_adata

REORDER = "belongs to these cells in another order"
READERS = {
    "transition_matrix": vtl.transition_matrix,
    "velocity_embedding": lambda a: vtl.velocity_embedding(a, basis="umap"),
    "velocity_confidence": vtl.velocity_confidence,
}


def swap_order(n, rng_seed=0):
    return np.random.default_rng(rng_seed).permutation(n)


@pytest.mark.parametrize("reader", list(READERS))
def test_reorder_with_repeated_names_is_refused(reader):
    # Two samples concatenated without unique names: cells 0..19 and 20..39 share names.
    # Before: the names' hash matched after swapping the halves, and T was off by up to 0.52.
    adata = small_adata()
    adata.obs_names = [f"c{i % 20}" for i in range(40)]
    vtl.velocity_graph(adata)
    swapped = adata[np.r_[20:40, 0:20]].copy()
    assert list(swapped.obs_names) == list(adata.obs_names)
    with pytest.raises(ValueError, match=REORDER):
        READERS[reader](swapped)


@pytest.mark.parametrize("reader", list(READERS))
def test_reorder_then_names_reset_is_refused(reader):
    adata = small_adata()
    adata.obs_names = [str(i) for i in range(40)]
    vtl.velocity_graph(adata)
    reordered = adata[swap_order(40)].copy()
    reordered.obs_names = [str(i) for i in range(40)]  # names reset afterwards: identical to the original ones
    with pytest.raises(ValueError, match=REORDER):
        READERS[reader](reordered)


@pytest.mark.parametrize("rename", ["make_unique", "suffix", "reset"])
def test_a_rename_alone_is_accepted_and_changes_nothing(rename):
    # Before: refused with "computed on other cells or another cell order", which was not what happened.
    adata = graphed()
    expected = vtl.transition_matrix(adata)
    renamed = adata.copy()
    if rename == "make_unique":
        renamed.obs_names = ["same"] * 40
        renamed.obs_names_make_unique()
    elif rename == "suffix":
        renamed.obs_names = [f"{name}-sample1" for name in adata.obs_names]
    else:
        renamed.obs_names = [str(i) for i in range(40)]
    T = vtl.transition_matrix(renamed)
    assert (T != expected).nnz == 0
    vtl.velocity_embedding(renamed, basis="umap")
    vtl.velocity_confidence(renamed)


def test_rename_and_reorder_get_distinct_messages():
    adata = graphed()
    renamed_without_distances = adata.copy()
    renamed_without_distances.obs_names = [f"x{i}" for i in range(40)]
    del renamed_without_distances.obsp["distances"]
    with pytest.raises(ValueError, match="cell names differ from those velocity_graph recorded") as renamed:
        vtl.transition_matrix(renamed_without_distances)
    with pytest.raises(ValueError, match=REORDER) as reordered:
        vtl.transition_matrix(adata[swap_order(40)].copy())
    assert REORDER not in str(renamed.value) and "names differ" not in str(reordered.value)


def test_recomputed_neighbours_on_the_same_cells_are_accepted():
    adata = graphed()
    adata.obsp["distances"] = adata.obsp["distances"] * 2.0  # sc.pp.neighbors rerun: other distances, same cells
    vtl.transition_matrix(adata)


def test_a_graph_another_tool_rewrote_does_not_inherit_the_fingerprint():
    # velograph's graph, then a subset copy whose graph is recomputed by a tool that keeps
    # uns['velocity_params'] (scVelo does): the old fingerprint must not refuse the new graph.
    adata = graphed()
    sub = adata[5:35].copy()
    fresh = vtl.velocity_graph(sub, copy=True)
    sub.uns["velocity_graph"] = fresh.uns["velocity_graph"] * 1.0  # a rewritten graph object, old params kept
    sub.uns["velocity_graph_neg"] = fresh.uns["velocity_graph_neg"]
    assert sub.uns["velocity_params"][FINGERPRINT_KEY] == adata.uns["velocity_params"][FINGERPRINT_KEY]
    T = vtl.transition_matrix(sub)
    assert (T != vtl.transition_matrix(fresh)).nnz == 0


@pytest.mark.slow
def test_scvelo_recomputing_the_graph_on_a_subset_is_trusted():
    scv = pytest.importorskip("scvelo")
    scv.settings.verbosity = 0
    adata = graphed(n=60)
    sub = adata[10:50].copy()
    scv.tl.velocity_graph(sub, n_jobs=1, show_progress_bar=False)
    assert FINGERPRINT_KEY in sub.uns["velocity_params"]  # scVelo kept velograph's record
    T = vtl.transition_matrix(sub)
    assert T.shape == (40, 40)


def test_the_fingerprint_survives_a_copy_an_h5ad_round_trip_and_a_move_to_obsp(tmp_path):
    import anndata as ad

    adata = graphed()
    expected = vtl.transition_matrix(adata)
    adata.write_h5ad(tmp_path / "graphed.h5ad")
    back = ad.read_h5ad(tmp_path / "graphed.h5ad")
    assert (vtl.transition_matrix(back) != expected).nnz == 0
    moved = adata.copy()
    moved.obsp["velocity_graph"] = moved.uns.pop("velocity_graph")
    moved.obsp["velocity_graph_neg"] = moved.uns.pop("velocity_graph_neg")
    assert (vtl.transition_matrix(moved) != expected).nnz == 0
    # graphs in obsp are reordered with the cells: still right, so accepted
    order = swap_order(40)
    T = vtl.transition_matrix(moved[order].copy())
    assert (T != expected[order][:, order]).nnz == 0


def test_a_record_of_an_older_velograph_is_still_checked_by_names():
    import hashlib

    adata = graphed()
    adata.uns["velocity_params"][FINGERPRINT_KEY] = hashlib.sha256("\n".join(adata.obs_names).encode()).hexdigest()
    vtl.transition_matrix(adata)
    with pytest.raises(ValueError, match="cell names differ"):
        vtl.transition_matrix(adata[swap_order(40)].copy())


def test_cells_fingerprint_is_what_velocity_graph_records():
    adata = graphed()
    assert adata.uns["velocity_params"][FINGERPRINT_KEY] == cells_fingerprint(adata)
    assert sp.issparse(adata.uns["velocity_graph"])


def test_a_reorder_is_refused_when_every_cell_has_the_same_distances():
    # Unit distances make every row hash equal: the rows matched "in order" and the reorder
    # of uniquely named cells was accepted (T off by 0.997). Names decide when rows cannot.
    adata = small_adata()
    adata.obsp["distances"].data[:] = 1.0
    vtl.velocity_graph(adata)
    reordered = adata[swap_order(adata.n_obs)].copy()
    with pytest.raises(ValueError, match="cannot tell a rename from a reorder"):
        vtl.transition_matrix(reordered)
    renamed = adata.copy()
    renamed.obs_names = [f"x{i}" for i in range(adata.n_obs)]
    with pytest.raises(ValueError, match="cannot tell a rename from a reorder"):
        vtl.transition_matrix(renamed)  # a rename is ambiguous here too: refused, not guessed


def test_reorder_reset_names_and_recomputed_neighbours_is_refused():
    # Before: reset names matched, the recomputed rows differed, and T was off by 0.997.
    from _tl_data import knn_distances

    adata = small_adata()
    adata.obs_names = [str(i) for i in range(adata.n_obs)]
    vtl.velocity_graph(adata)
    reordered = adata[swap_order(adata.n_obs)].copy()
    reordered.obs_names = [str(i) for i in range(adata.n_obs)]
    reordered.obsp["distances"] = knn_distances(reordered.layers["Ms"], 5)
    with pytest.raises(ValueError, match="belongs to these cells in another order"):
        vtl.transition_matrix(reordered)
