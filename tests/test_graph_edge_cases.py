"""Sections A and B on small hand-checkable cases the other tests left open.

Found by mutation testing (README, "Mutation testing"): each test states a documented
behaviour with an independently derived expected value.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.graph import pair_similarities, pearson_graph
from velograph.reference import cosine_graph_loop


def test_cosine_of_short_vectors():
    """The 'undefined' branch is for zero vectors only, not for vectors shorter than 1."""
    assert vg.cosine_similarity([0.1, 0.0], [0.1, 0.1]) == pytest.approx(1 / np.sqrt(2), abs=1e-15)
    assert vg.cosine_similarity([1e-3, 0.0], [0.0, 1e-3]) == 0.0  # orthogonal
    assert vg.pearson_similarity([0.01, 0.02, 0.03], [0.03, 0.02, 0.01]) == pytest.approx(-1.0, abs=1e-12)


def test_sign_sqrt_of_integers_and_booleans():
    np.testing.assert_array_equal(vg.sign_sqrt(np.array([4, -9, 0], dtype=np.int32)), [2.0, -3.0, 0.0])
    np.testing.assert_array_equal(vg.sign_sqrt([True, False]), [1.0, 0.0])
    assert vg.sign_sqrt(np.float32(-16)).dtype == np.float64


def test_sign_sqrt_refuses_complex():
    with pytest.raises(TypeError, match=r"^x must be real"):
        vg.sign_sqrt(np.array([1 + 1j, 2]))


@pytest.mark.parametrize("stabilize", [False, True])
def test_pearson_graph_is_the_centred_cosine_graph(random_problem, stabilize):
    X, V, nbrs, _ = random_problem
    G = pearson_graph(X, V, nbrs, variance_stabilize=stabilize)
    np.testing.assert_array_equal(G.toarray(), vg.cosine_graph(X, V, nbrs, center=True,
                                                                variance_stabilize=stabilize).toarray())
    np.testing.assert_allclose(G.toarray(), cosine_graph_loop(X, V, nbrs, center=True, variance_stabilize=stabilize),
                               atol=1e-12)


def test_pearson_graph_does_not_stabilise_by_default(random_problem):
    X, V, nbrs, _ = random_problem
    np.testing.assert_array_equal(pearson_graph(X, V, nbrs).toarray(),
                                  pearson_graph(X, V, nbrs, variance_stabilize=False).toarray())


def _pairs(nbrs):
    n, k = nbrs.shape
    return np.arange(0, n * k + 1, k), nbrs.ravel().astype(np.int64)


def test_pair_similarities_default_is_the_plain_cosine(random_problem):
    X, V, nbrs, _ = random_problem
    indptr, cols = _pairs(nbrs)
    rows = np.repeat(np.arange(len(X)), nbrs.shape[1])
    expected = [vg.cosine_similarity(X[j] - X[i], V[i]) for i, j in zip(rows, cols, strict=True)]
    np.testing.assert_allclose(pair_similarities(X, V, indptr, cols), expected, atol=1e-12)


def test_pair_similarities_of_integer_states():
    X = np.array([[0, 0, 0], [1, 2, 2], [3, 0, 4]])
    V = np.array([[1, 2, 2], [0, 1, 0], [1, 1, 1]])
    indptr, cols = np.array([0, 2, 3, 4]), np.array([1, 2, 0, 1])
    out = pair_similarities(X, V, indptr, cols)
    # pair (0, 1): d = (1, 2, 2), v = (1, 2, 2): cosine 1; pair (0, 2): d = (3, 0, 4), v = (1, 2, 2): 11/15
    np.testing.assert_allclose(out[:2], [1.0, 11 / 15], atol=1e-15)
    np.testing.assert_allclose(out, pair_similarities(X.astype(float), V.astype(float), indptr, cols), atol=1e-15)


def test_pair_similarities_with_one_pair_and_with_one_gene():
    X = np.array([[0.0, 0.0], [3.0, 4.0]])
    V = np.array([[4.0, 3.0], [1.0, 0.0]])
    one = pair_similarities(X, V, np.array([0, 1, 1]), np.array([1]))
    np.testing.assert_allclose(one, [24 / 25], atol=1e-15)  # (3, 4).(4, 3) / (5 * 5)
    X1, V1 = np.array([[0.0], [2.0], [-1.0]]), np.array([[0.5], [1.0], [-3.0]])
    # one gene: the cosine is the sign of d * v
    np.testing.assert_array_equal(pair_similarities(X1, V1, np.array([0, 2, 3, 4]), np.array([1, 2, 0, 1])),
                                  [1.0, -1.0, -1.0, -1.0])


def test_pair_similarities_float32_at_tiny_scale():
    """float32 states near 1e-19: squares underflow in float32; the result still matches float64."""
    rng = np.random.default_rng(0)
    X, V = rng.normal(size=(2, 30, 8))
    indptr, cols = _pairs(np.array([[(i + 1) % 30, (i + 7) % 30] for i in range(30)]))
    exact = pair_similarities(X, V, indptr, cols, center=True)
    for scale in (1e-19, 1e-21):
        tiny = pair_similarities((X * scale).astype(np.float32), (V * scale).astype(np.float32), indptr, cols,
                                 center=True)
        np.testing.assert_allclose(tiny, exact, atol=2e-5)


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


@pytest.mark.parametrize("center", [False, True])
def test_pair_similarities_without_genes_are_zero(center):
    """No genes: every vector is zero, every similarity undefined, reported as 0 (documented)."""
    out = pair_similarities(np.zeros((3, 0)), np.zeros((3, 0)), np.array([0, 1, 2, 3]), np.array([1, 2, 0]),
                            center=center)
    np.testing.assert_array_equal(out, np.zeros(3))
