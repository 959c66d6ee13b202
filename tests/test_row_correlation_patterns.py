"""row_correlations / reconstructability when the two graphs store different pairs.

Every other reconstructability test compares two graphs built on one neighbour
list, so both store exactly the same pairs and "entries stored in A" equals
"entries stored in A or B". These tests use graphs whose sparsity patterns
differ, so that over="neighbors" must count the union of the two patterns
(m_i = |cols(A_i) u cols(B_i)|), as the docstring and the readable loop in
velograph.reference say.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.reference import reconstructability_loop
from velograph_book.toy import knn_indices


def _positive_random(n, density, seed):
    """A random sparse n x n matrix with strictly positive stored values (no stored zeros)."""
    rng = np.random.default_rng(seed)
    M = sp.random(n, n, density=density, format="csr", random_state=rng)
    M.data = 0.1 + rng.random(M.nnz)
    return M


def _graphs_with_different_neighbours(seed=0):
    """Transition matrices of all genes and of 4 genes, each on its own kNN graph (different pairs)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 12))
    V = rng.normal(size=(30, 12))
    full = vg.transition_matrix(vg.cosine_graph(X, V, knn_indices(X, 5), center=True))
    sub = vg.transition_matrix(vg.cosine_graph(X[:, :4], V[:, :4], knn_indices(X[:, :4], 5), center=True))
    return full, sub


def _differing_rows(A, B):
    return sum(set(A[i].indices) != set(B[i].indices) for i in range(A.shape[0]))


# Row 0 of A stores columns {1, 2} = (1, 2); row 0 of B stores columns {2, 3} = (3, 1).
# Over the union {1, 2, 3}: a = (1, 2, 0), b = (0, 3, 1); centred a = (0, 1, -1),
# centred b = (-4/3, 5/3, -1/3); a.b = 2, |a|^2 = 2, |b|^2 = 14/3, so
# corr = 2 / sqrt(28/3) = sqrt(3/7). Over all N = 4 columns: a = (0, 1, 2, 0),
# b = (0, 0, 3, 1); centred a = (-3/4, 1/4, 5/4, -3/4), centred b = (-1, -1, 2, 0);
# a.b = 3, |a|^2 = 11/4, |b|^2 = 6, so corr = 3 / sqrt(33/2).
A_CLOSED = sp.csr_matrix((np.array([1.0, 2.0]), np.array([1, 2]), np.array([0, 2, 2, 2, 2])), shape=(4, 4))
B_CLOSED = sp.csr_matrix((np.array([3.0, 1.0]), np.array([2, 3]), np.array([0, 2, 2, 2, 2])), shape=(4, 4))


def test_closed_form_over_the_union_of_patterns():
    corr = vg.row_correlations(A_CLOSED, B_CLOSED, over="neighbors")
    assert corr[0] == pytest.approx(np.sqrt(3 / 7), abs=1e-12)
    # Counting only A's two entries would give m S_ab - S_a S_b = 2*6 - 3*4 = 0.
    assert np.isnan(corr[1:]).all()  # empty rows: nothing to correlate


def test_closed_form_over_all_columns():
    corr = vg.row_correlations(A_CLOSED, B_CLOSED, over="all")
    assert corr[0] == pytest.approx(3 / np.sqrt(33 / 2), abs=1e-12)
    assert np.isnan(corr[1:]).all()  # all-zero rows are constant


@pytest.mark.parametrize("over", ["all", "neighbors"])
def test_symmetric_in_its_two_arguments(over):
    A, B = _positive_random(25, 0.2, 1), _positive_random(25, 0.2, 2)
    assert _differing_rows(A, B) >= 20
    np.testing.assert_allclose(vg.row_correlations(A, B, over=over), vg.row_correlations(B, A, over=over),
                               atol=1e-12, equal_nan=True)
    assert vg.row_correlations(A_CLOSED, B_CLOSED, over=over)[0] == pytest.approx(
        vg.row_correlations(B_CLOSED, A_CLOSED, over=over)[0], abs=1e-12)


@pytest.mark.parametrize("over", ["all", "neighbors"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_loop_on_graphs_with_different_neighbours(over, seed):
    full, sub = _graphs_with_different_neighbours(seed)
    assert _differing_rows(full, sub) >= 10  # the case the shared-pattern tests never see
    r, per_cell = reconstructability_loop(full.toarray(), sub.toarray(), over=over)
    np.testing.assert_allclose(vg.reconstructability_score(full, sub, over=over, per_cell=True), per_cell,
                               atol=1e-12, equal_nan=True)
    assert vg.reconstructability_score(full, sub, over=over) == pytest.approx(r, abs=1e-12)


@pytest.mark.parametrize("density_a, density_b", [(0.15, 0.3), (0.3, 0.15), (0.05, 0.5)])
def test_matches_loop_on_random_patterns(density_a, density_b):
    A, B = _positive_random(40, density_a, 3), _positive_random(40, density_b, 4)
    expected = reconstructability_loop(A.toarray(), B.toarray(), over="neighbors")[1]
    np.testing.assert_allclose(vg.row_correlations(A, B, over="neighbors"), expected, atol=1e-12, equal_nan=True)


def test_superset_pattern_counts_the_extra_columns():
    A = _positive_random(30, 0.1, 5)
    extra = _positive_random(30, 0.1, 6)
    B = A + extra  # B stores every pair of A and more
    assert _differing_rows(A, B) >= 10
    expected = reconstructability_loop(A.toarray(), B.toarray(), over="neighbors")[1]
    np.testing.assert_allclose(vg.row_correlations(A, B, over="neighbors"), expected, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(vg.row_correlations(B, A, over="neighbors"), expected, atol=1e-12, equal_nan=True)


def test_cells_outside_both_patterns_change_only_over_all():
    """Appending cells that no row stores leaves over="neighbors" unchanged; over="all" sees more zeros."""
    A, B = _positive_random(20, 0.2, 7), _positive_random(20, 0.2, 8)
    pad = lambda M: sp.block_diag([M, sp.csr_matrix((10, 10))], format="csr")  # noqa: E731
    np.testing.assert_allclose(vg.row_correlations(pad(A), pad(B), over="neighbors")[:20],
                               vg.row_correlations(A, B, over="neighbors"), atol=1e-12, equal_nan=True)
    expected_all = reconstructability_loop(pad(A).toarray(), pad(B).toarray(), over="all")[1]
    np.testing.assert_allclose(vg.row_correlations(pad(A), pad(B), over="all"), expected_all, atol=1e-12,
                               equal_nan=True)
    assert not np.allclose(expected_all[:20], vg.row_correlations(A, B, over="all"), equal_nan=True)
