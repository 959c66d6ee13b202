"""Section D: reconstructability."""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.reference import reconstructability_loop
from velograph.toy import knn_indices


def _graphs(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 12))
    V = rng.normal(size=(30, 12))
    nbrs = knn_indices(X, 5)
    full = vg.transition_matrix(vg.cosine_graph(X, V, nbrs, center=True))
    sub = vg.transition_matrix(vg.cosine_graph(X[:, :4], V[:, :4], nbrs, center=True))
    return full, sub


@pytest.mark.parametrize("over", ["all", "neighbors"])
def test_matches_dense_loop(over):
    full, sub = _graphs()
    r, per_cell = reconstructability_loop(full.toarray(), sub.toarray(), over=over)
    assert vg.reconstructability_score(full, sub, over=over) == pytest.approx(r, abs=1e-12)
    np.testing.assert_allclose(vg.reconstructability_score(full, sub, over=over, per_cell=True), per_cell, atol=1e-12)


def test_identical_graphs_give_one():
    full, _ = _graphs()
    for over in ("all", "neighbors"):
        assert vg.reconstructability_score(full, full, over=over) == pytest.approx(1.0, abs=1e-12)


def test_zeros_of_non_neighbours_inflate_over_all():
    full, sub = _graphs(1)
    assert vg.reconstructability_score(full, sub, over="all") > vg.reconstructability_score(full, sub, over="neighbors")


def test_constant_rows_are_nan_and_skipped():
    A = sp.csr_matrix(np.array([[0, 0.5, 0.5], [0.2, 0, 0.8], [0.0, 0.0, 0.0]]))
    B = sp.csr_matrix(np.array([[0, 0.4, 0.6], [0.3, 0, 0.7], [0.0, 0.0, 0.0]]))
    per_cell = vg.reconstructability_score(A, B, over="neighbors", per_cell=True)
    assert np.isnan(per_cell[0])  # both compared entries equal in A: no variance
    assert per_cell[1] == pytest.approx(1.0)
    assert np.isnan(per_cell[2])
    assert vg.reconstructability_score(A, B, over="neighbors") == pytest.approx(1.0)
