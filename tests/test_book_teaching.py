"""velograph_book.teaching: the small computations of Part I, checked against closed forms."""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph_book import teaching
from velograph_book.toy import one_row_matrix


@pytest.mark.parametrize("k", [2, 3, 4, 11, 40])
def test_one_hot_correlation_matches_numpy(k):
    a, b = np.zeros(k), np.zeros(k)
    a[0], b[k - 1] = 1, 1
    assert teaching.one_hot_correlation(k) == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
    assert teaching.one_hot_correlation(k) == pytest.approx(-1 / (k - 1))


def test_one_hot_correlation_needs_two_entries():
    with pytest.raises(ValueError, match="at least 2"):
        teaching.one_hot_correlation(1)


def test_effective_neighbors_uniform_one_hot_and_two_point():
    uniform = one_row_matrix(np.full(4, 0.25), columns=[1, 2, 3, 4], n_cells=5)
    one_hot = one_row_matrix([1.0, 0.0, 0.0], columns=[1, 2, 3], n_cells=5)
    half = one_row_matrix([0.5, 0.5], columns=[1, 2], n_cells=5)
    for kind in ("entropy", "participation"):
        assert teaching.effective_neighbors(uniform, kind)[0] == pytest.approx(4)
        assert teaching.effective_neighbors(one_hot, kind)[0] == pytest.approx(1)
        assert teaching.effective_neighbors(half, kind)[0] == pytest.approx(2)
        assert np.isnan(teaching.effective_neighbors(uniform, kind)[1])  # empty row
    # (0.75, 0.25): exp(H) = 0.75^-0.75 * 0.25^-0.25, 1/sum p^2 = 1/0.625
    skew = one_row_matrix([0.75, 0.25], columns=[1, 2], n_cells=3)
    assert teaching.effective_neighbors(skew)[0] == pytest.approx(0.75**-0.75 * 0.25**-0.25)
    assert teaching.effective_neighbors(skew, "participation")[0] == pytest.approx(1.6)


def test_effective_neighbors_leave_out_the_diagonal_and_renormalise():
    # row 0: T_00 = 0.5 (a self-transition, never a neighbour) and 0.25, 0.25 on two neighbours:
    # over the neighbours, renormalised, the row is uniform over 2.
    T = sp.csr_matrix((np.array([0.5, 0.25, 0.25, 1.0, 1.0]), [0, 1, 2, 0, 0], [0, 3, 4, 5]), shape=(3, 3))
    for kind in ("entropy", "participation"):
        assert teaching.effective_neighbors(T, kind)[0] == pytest.approx(2.0, abs=1e-15)
        assert teaching.effective_neighbors(T, kind)[1:] == pytest.approx([1.0, 1.0], abs=1e-15)


def test_effective_neighbors_rejects_bad_input():
    with pytest.raises(ValueError, match="kind"):
        teaching.effective_neighbors(sp.eye(3), kind="gini")
    with pytest.raises(ValueError, match="non-negative"):
        teaching.effective_neighbors(one_row_matrix([1.5, -0.5], columns=[1, 2], n_cells=3))


def test_row_spread_is_population_std():
    values = [0.9, 0.6, 0.1, -0.3, -0.8]
    G = one_row_matrix(values, columns=[1, 2, 3, 4, 5], n_cells=6)
    assert teaching.row_spread(G)[0] == pytest.approx(np.std(values))


def test_linear_arrows_match_the_kernel_for_wide_sigma():
    # On a small star, the corrected arrow for a wide kernel approaches the first-order vote.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -2.0]])
    G = one_row_matrix([0.3, 0.1, -0.2, 0.05], columns=[1, 2, 3, 4], n_cells=5)
    sigma = 10.0
    exact = vg.project_velocity(vg.transition_matrix(G, sigma=sigma), X)[0]
    linear = teaching.linear_arrows(G, X, sigma)[0]
    # hand value: (1/(4*100)) * sum (pi - mean) * direction, mean = 0.0625
    by_hand = np.array([0.3 - 0.0625 - (-0.2 - 0.0625), 0.1 - 0.0625 - (0.05 - 0.0625)]) / 400
    assert linear == pytest.approx(by_hand)
    assert np.abs(exact - linear).max() < 1e-5


def test_distance_weights_and_blog_weight_sums():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    T = one_row_matrix([0.25, 0.75], columns=[1, 2], n_cells=3)
    K = teaching.distance_weights(T, X, bandwidth=1.0)
    assert K[0, 1] == pytest.approx(np.exp(-0.5)) and K[0, 2] == pytest.approx(np.exp(-2.0))
    expected = (np.exp(-0.5) * 0.25 + np.exp(-2.0) * 0.75) / (np.exp(-0.5) + np.exp(-2.0))
    assert teaching.blog_weight_sums(T, K)[0] == pytest.approx(expected)
    # equal weights: the mean of the row, 1/n_i for a row summing to 1
    assert teaching.blog_weight_sums(T, np.ones(3))[0] == pytest.approx(0.5)
    # the blog's arrow is S_i times the properly normalised one
    blog = vg.project_velocity_distance_weighted(T, X, bandwidth=1.0, normalize="blog")[0]
    proper = vg.project_velocity_distance_weighted(T, X, bandwidth=1.0, normalize="weights")[0]
    assert blog == pytest.approx(expected * proper)
    # default bandwidth: mean neighbour distance (1 and 2 -> 1.5)
    K_default = teaching.distance_weights(T, X)
    assert K_default[0, 1] == pytest.approx(np.exp(-0.5 / 1.5**2))


def test_random_similarity_correlations_reproducible_and_one_hot_limit():
    G = one_row_matrix([0.9, -0.9, -0.9, -0.9], columns=[1, 2, 3, 4], n_cells=5)
    T_full = vg.transition_matrix(G, sigma=0.01)  # one-hot on neighbour 1
    a = teaching.random_similarity_correlations(T_full, G, n_draws=5, sigma=0.01, over="neighbors")
    b = teaching.random_similarity_correlations(T_full, G, n_draws=5, sigma=0.01, over="neighbors")
    assert a.shape == (5, 5) and np.array_equal(a, b, equal_nan=True)
    # both rows (nearly) one-hot: each draw gives +1 (same peak) or -1/3 (different peaks)
    first = a[:, 0]
    assert np.all(np.isclose(first, 1, atol=1e-3) | np.isclose(first, -1 / 3, atol=1e-3))
    # draw d uses seed first_seed + d
    c = teaching.random_similarity_correlations(T_full, G, n_draws=1, sigma=0.01, over="neighbors", first_seed=3)
    assert np.array_equal(c[0], a[3], equal_nan=True)
