"""velograph.reconstruct: row_correlations and reconstructability_score, r = median_i corr(pi_i, pi'_i)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.reference import reconstructability_loop
from velograph_book.toy import knn_indices


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


def _nearly_constant_rows(offset, spread, scale, seed=0, n=12, k=6):
    """Rows of k stored entries scale*(offset + spread*x) and scale*(offset + spread*y), same pattern.

    Pearson correlation ignores a common shift and a positive factor, so the exact answer
    for each row is corr(x, y), whatever offset, spread and scale are.
    """
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, n, k))
    cols = np.array([rng.choice(n, size=k, replace=False) for _ in range(n)])
    indptr = np.arange(0, n * k + 1, k)
    A = sp.csr_matrix((scale * (offset + spread * x.ravel()), cols.ravel(), indptr), shape=(n, n))
    B = sp.csr_matrix((scale * (offset + spread * y.ravel()), cols.ravel(), indptr), shape=(n, n))
    exact = np.array([np.corrcoef(x[i], y[i])[0, 1] for i in range(n)])
    return A, B, exact


@pytest.mark.parametrize("scale", [1e-10, 1.0, 1e10])
def test_nearly_constant_rows_keep_their_correlation(scale):
    """Values 5 + 1e-8 x: the one-pass formula (or a poor shift) loses every digit here."""
    A, B, exact = _nearly_constant_rows(offset=5.0, spread=1e-8, scale=scale)
    np.testing.assert_allclose(vg.row_correlations(A, B, over="neighbors"), exact, atol=1e-6)


@pytest.mark.parametrize("over", ["all", "neighbors"])
@pytest.mark.parametrize("scale", [1e-150, 1e-10, 1e10, 1e150])
def test_correlation_does_not_depend_on_units(over, scale):
    A, B, _ = _nearly_constant_rows(offset=0.0, spread=1.0, scale=1.0, seed=3)
    B.data = np.abs(B.data)
    expected = vg.row_correlations(A, B, over=over)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(vg.row_correlations(scale * A, B, over=over), expected, atol=1e-12)
    np.testing.assert_allclose(vg.row_correlations(A, scale * B, over=over), expected, atol=1e-12)


def test_rows_constant_up_to_rounding_are_nan():
    # 0.1 is not exact in binary: the mean of (0.1, 0.1, 0.1) is not exactly 0.1, so the
    # deviations are rounding noise, not variance.
    A = sp.csr_matrix((np.full(3, 0.1), [1, 2, 3], [0, 3, 3, 3, 3]), shape=(4, 4))
    B = sp.csr_matrix((np.array([0.3, 0.1, 0.7]), [1, 2, 3], [0, 3, 3, 3, 3]), shape=(4, 4))
    for over in ("all", "neighbors"):
        corr_ab = vg.row_correlations(A, B, over=over)
        corr_ba = vg.row_correlations(B, A, over=over)
        if over == "neighbors":
            assert np.isnan(corr_ab[0]) and np.isnan(corr_ba[0])
        else:  # over all 4 columns the zero in column 0 makes row 0 vary: (0, .1, .1, .1)
            assert corr_ab[0] == pytest.approx(np.corrcoef([0, 0.1, 0.1, 0.1], [0, 0.3, 0.1, 0.7])[0, 1], abs=1e-12)


def test_rows_differing_only_in_the_last_bits_count_as_constant():
    """Documented: a row constant "up to rounding" has no correlation (NaN), not a correlation of noise."""
    eps = np.finfo(float).eps
    a = 1.0 + eps * np.array([0.0, 1.0, 0.0, 2.0, 1.0, 0.0])
    assert np.ptp(a) > 0  # the stored values do differ
    b = np.array([0.3, 0.1, 0.9, 0.5, 0.2, 0.7])
    cols, indptr = np.arange(1, 7), [0, 6] + [6] * 6
    A = sp.csr_matrix((a, cols, indptr), shape=(7, 7))
    B = sp.csr_matrix((b, cols, indptr), shape=(7, 7))
    assert np.isnan(vg.row_correlations(A, B, over="neighbors")[0])
    assert np.isnan(vg.row_correlations(B, A, over="neighbors")[0])


def test_single_compared_entry_has_no_correlation():
    A = sp.csr_matrix((np.array([0.4]), [1], [0, 1, 1]), shape=(2, 2))
    B = sp.csr_matrix((np.array([0.9]), [1], [0, 1, 1]), shape=(2, 2))
    assert np.isnan(vg.row_correlations(A, B, over="neighbors")).all()


@pytest.mark.parametrize("seed", range(4))
def test_correlations_lie_in_minus_one_to_one_exactly(seed):
    """Perfectly (anti-)correlated rows round to within [-1, 1], never 1 + 4e-16."""
    rng = np.random.default_rng(seed)
    A = sp.random(500, 500, density=0.02, random_state=seed, format="csr")
    A.data = rng.random(A.nnz)
    for over in ("all", "neighbors"):
        for B in (3.3 * A, -A, -0.7 * A):
            corr = vg.row_correlations(A, B, over=over)
            corr = corr[~np.isnan(corr)]
            assert corr.min() >= -1.0 and corr.max() <= 1.0
    assert (vg.row_correlations(A, 3.3 * A)[np.diff(A.indptr) > 1] == 1.0).any()


def test_default_compares_all_columns():
    full, sub = _graphs(2)
    np.testing.assert_array_equal(vg.row_correlations(full, sub), vg.row_correlations(full, sub, over="all"))
    assert vg.reconstructability_score(full, sub) == vg.reconstructability_score(full, sub, over="all")


def test_unnormalised_rows_match_the_loop():
    """Rows that do not sum to 1 (a similarity graph, not a transition matrix) give the same as the loop."""
    rng = np.random.default_rng(4)
    A = sp.random(30, 30, density=0.25, random_state=5, format="csr")
    A.data = rng.normal(size=A.nnz) * 3.0
    B = A.copy()
    B.data = B.data + rng.normal(size=B.nnz)
    for over in ("all", "neighbors"):
        expected = reconstructability_loop(A.toarray(), B.toarray(), over=over)[1]
        np.testing.assert_allclose(vg.row_correlations(A, B, over=over), expected, atol=1e-12, equal_nan=True)


def test_undefined_rows_are_nan_without_numpy_warnings():
    A = sp.csr_matrix(np.array([[0, 0.5, 0.5], [0.2, 0, 0.8], [0.0, 0.0, 0.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for over in ("all", "neighbors"):
            corr = vg.row_correlations(A, A, over=over)
            assert np.isnan(corr[2])


def test_all_rows_undefined_warns_and_returns_nan():
    A = sp.csr_matrix((np.full(2, 0.5), [1, 2], [0, 2, 2, 2]), shape=(3, 3))
    with pytest.warns(RuntimeWarning, match=r"^every row correlation is undefined \(constant rows\): r is NaN$"):
        r = vg.reconstructability_score(A, A, over="neighbors")
    assert np.isnan(r)


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
