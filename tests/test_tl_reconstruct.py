"""velograph.tl.reconstructability and its batch forms: r on AnnData, against the array-level pieces."""

import numpy as np
import pytest

import velograph as vg
import velograph.tl as vtl

from _tl_data import assert_unchanged, small_adata, snapshot

SUBSET = [f"gene{g}" for g in range(0, 12, 2)]


def graphs_of(adata, genes=None):
    """The graph (positive plus negative part) and scVelo's transition matrix, on all genes or a subset."""
    out = vtl.velocity_graph(adata, copy=True, gene_subset=genes)
    graph = (out.uns["velocity_graph"] + out.uns["velocity_graph_neg"]).tocsr()
    return graph, vtl.transition_matrix(out)


@pytest.mark.parametrize("matrix", ["graph", "transition"])
@pytest.mark.parametrize("over", ["all", "neighbors"])
def test_r_is_the_array_level_score_of_the_two_graphs(matrix, over):
    adata = small_adata()
    full, T_full = graphs_of(adata)
    sub, T_sub = graphs_of(adata, SUBSET)
    A, B = (full, sub) if matrix == "graph" else (T_full, T_sub)
    expected = vg.reconstructability_score(A, B, over=over)
    assert vtl.reconstructability(adata, SUBSET, matrix=matrix, over=over) == pytest.approx(expected, abs=1e-6)
    per_cell = vtl.reconstructability(adata, SUBSET, matrix=matrix, over=over, per_cell=True)
    assert per_cell.shape == (adata.n_obs,)
    assert np.nanmedian(per_cell) == pytest.approx(expected, abs=1e-6)


def test_all_genes_reproduce_the_graph_exactly():
    adata = small_adata()
    assert vtl.reconstructability(adata, list(adata.var_names)) == pytest.approx(1.0, abs=1e-12)


def test_many_and_readings_equal_single_calls():
    adata = small_adata()
    subsets = [SUBSET, ["gene1", "gene3", "gene5", "gene7"]]
    singles = [vtl.reconstructability(adata, s, matrix="transition") for s in subsets]
    assert vtl.reconstructability_many(adata, subsets, matrix="transition") == pytest.approx(singles, abs=1e-12)
    readings = vtl.reconstructability_readings(adata, subsets, readings=[("transition", "all"), ("graph", "all")])
    assert [row[0] for row in readings] == pytest.approx(singles, abs=1e-12)
    assert [row[1] for row in readings] == pytest.approx(
        [vtl.reconstructability(adata, s) for s in subsets], abs=1e-12)


def test_reconstructability_writes_nothing_and_names_bad_options():
    adata = small_adata()
    before = snapshot(adata)
    vtl.reconstructability(adata, SUBSET)
    assert_unchanged(adata, before)
    with pytest.raises(ValueError, match="matrix"):
        vtl.reconstructability(adata, SUBSET, matrix="rows")
    with pytest.raises(ValueError, match="over"):
        vtl.reconstructability(adata, SUBSET, over="some")
