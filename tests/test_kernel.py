"""velograph.kernel: transition_matrix, exp(pi/sigma^2) normalised over the stored entries of each row."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.reference import transition_matrix_loop
from velograph_book import toy


def test_transition_rows_sum_to_one_and_keep_sparsity(random_problem):
    X, V, nbrs, _ = random_problem
    G = vg.cosine_graph(X, V, nbrs, center=True)
    T = vg.transition_matrix(G)
    np.testing.assert_allclose(np.asarray(T.sum(axis=1)).ravel(), 1.0, atol=1e-12)
    np.testing.assert_array_equal(T.indices, G.indices)
    np.testing.assert_array_equal(T.indptr, G.indptr)


def test_transition_matches_loop_for_several_sigmas(random_problem, support_of):
    X, V, nbrs, _ = random_problem
    G = vg.cosine_graph(X, V, nbrs)
    for sigma in (0.05, 0.2, vg.DEFAULT_SIGMA, 1.0, 5.0):
        expected = transition_matrix_loop(G.toarray(), support_of(nbrs, len(X)), sigma)
        np.testing.assert_allclose(vg.transition_matrix(G, sigma=sigma).toarray(), expected, atol=1e-12)


def test_default_sigma_is_scvelo_scale_10():
    assert vg.DEFAULT_SIGMA**2 == pytest.approx(0.1)
    pi = toy.one_cell_neighborhood()
    G = sp.csr_matrix(pi[None, :])
    G = sp.csr_matrix((pi, np.arange(1, 6), [0, 5] + [5] * 5), shape=(6, 6))
    row = vg.transition_matrix(G).toarray()[0, 1:]
    np.testing.assert_allclose(row, np.exp(10 * pi) / np.exp(10 * pi).sum(), rtol=1e-12)


def test_sigma_limits():
    pi = np.array([0.9, 0.6, 0.1, -0.3, -0.8])
    G = sp.csr_matrix((pi, np.arange(1, 6), [0, 5] + [5] * 5), shape=(6, 6))
    sharp = vg.transition_matrix(G, sigma=0.01).toarray()[0, 1:]
    assert sharp[0] == pytest.approx(1.0, abs=1e-12)  # all mass on the best-aligned neighbour
    flat = vg.transition_matrix(G, sigma=1e4).toarray()[0, 1:]
    np.testing.assert_allclose(flat, 0.2, atol=1e-8)  # uniform over the 5 neighbours


def test_empty_row_stays_empty():
    G = sp.csr_matrix((np.array([0.5]), np.array([1]), np.array([0, 1, 1])), shape=(2, 2))
    T = vg.transition_matrix(G)
    np.testing.assert_allclose(np.asarray(T.sum(axis=1)).ravel(), [1.0, 0.0])


def test_transition_does_not_mutate(random_problem):
    X, V, nbrs, _ = random_problem
    G = vg.cosine_graph(X, V, nbrs)
    before = G.copy()
    vg.transition_matrix(G)
    assert (G != before).nnz == 0


def test_transition_matrix_at_extreme_sigma_is_silent():
    G = sp.csr_matrix((np.array([0.9, 0.5, -0.5]), [1, 2, 3], [0, 3, 3, 3, 3]), shape=(4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sharp = vg.transition_matrix(G, sigma=1e-155).toarray()[0]
        flat = vg.transition_matrix(G, sigma=1e200).toarray()[0]
    np.testing.assert_array_equal(sharp, [0, 1, 0, 0])
    np.testing.assert_allclose(flat, [0, 1 / 3, 1 / 3, 1 / 3], atol=1e-15)


def test_transition_matrix_with_empty_last_rows():
    G = sp.csr_matrix((np.array([0.2, 0.4]), [1, 2], [0, 2, 2, 2, 2]), shape=(4, 4))
    T = vg.transition_matrix(G, sigma=1.0)
    e = np.exp([0.2, 0.4])
    np.testing.assert_allclose(T.toarray()[0], [0, *(e / e.sum()), 0], atol=1e-15)
    assert T.nnz == 2


def test_similarity_bounds_allow_float32_rounding_only():
    def graph(value):
        return sp.csr_matrix((np.array([value, 0.5]), [1, 0], [0, 1, 2]), shape=(2, 2))

    for ok in (1 + 5e-7, -1 - 5e-7, 1.0, -1.0):
        vg.transition_matrix(graph(ok))
    for bad in (1 + 2e-6, -1 - 2e-6, 1.5, -1.5):
        with pytest.raises(ValueError, match=r"^graph must hold similarities in \[-1, 1\]"):
            vg.transition_matrix(graph(bad))


def test_graph_dtypes():
    bool_graph = sp.csr_matrix(np.array([[False, True], [True, False]]))
    np.testing.assert_allclose(vg.transition_matrix(bool_graph).toarray(), [[0, 1], [1, 0]])
    # two equal neighbours each: probabilities 1/2, which a bool or int result could not hold
    ring = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    for dtype in (bool, np.int8, np.int64):
        T = vg.transition_matrix(sp.csr_matrix(ring.astype(dtype)))
        assert T.dtype == np.float64
        np.testing.assert_allclose(T.toarray(), ring / 2, atol=1e-15)
    with pytest.raises(TypeError, match=r"^graph must hold numbers, got dtype <U1"):
        vg.transition_matrix(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match=r"^graph must hold numbers, got dtype object"):
        vg.transition_matrix(np.array([[0, 0.5], [0.5, 0]], dtype=object))
    with pytest.raises(TypeError, match=r"^graph must be a scipy sparse matrix or a 2-D numpy array, got list"):
        vg.transition_matrix([[0, 0.5], [0.5, 0]])
    with pytest.raises(TypeError, match=r"^sigma must be a positive real number, got str"):
        vg.transition_matrix(bool_graph, sigma="0.3")
