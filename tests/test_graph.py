"""velograph.graph: cosine_graph, pearson_graph and pair_similarities.

Checked against closed forms and the per-cell reference loops.
"""


import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.graph import pair_similarities, pearson_graph
from velograph.reference import cosine_graph_loop
from velograph_book.toy import blog_vectors


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("stabilize", [False, True])
def test_graph_matches_per_cell_loop(random_problem, center, stabilize):
    X, V, nbrs, _ = random_problem
    G = vg.cosine_graph(X, V, nbrs, center=center, variance_stabilize=stabilize)
    expected = cosine_graph_loop(X, V, nbrs, center=center, variance_stabilize=stabilize)
    np.testing.assert_allclose(G.toarray(), expected, atol=1e-12)
    assert G.nnz == nbrs.size  # one stored entry per neighbour pair
    assert G.data.min() >= -1 and G.data.max() <= 1


def test_graph_on_blog_pair_gives_worked_numbers():
    s_i, s_j, v_i = blog_vectors()
    X = np.vstack([s_i, s_j])
    V = np.vstack([v_i, v_i])
    nbrs = np.array([[1], [0]])
    assert vg.cosine_graph(X, V, nbrs)[0, 1] == pytest.approx(0.981572, abs=1e-6)
    assert vg.cosine_graph(X, V, nbrs, variance_stabilize=True)[0, 1] == pytest.approx(0.994512, abs=1e-6)
    assert vg.cosine_graph(X, V, nbrs, center=True)[0, 1] == pytest.approx(0.988933, abs=1e-6)
    assert vg.cosine_graph(X, V, nbrs, center=True, variance_stabilize=True)[0, 1] == pytest.approx(0.997062, abs=1e-6)


def test_sparse_neighbors_same_as_index_array(random_problem):
    X, V, nbrs, _ = random_problem
    n, k = nbrs.shape
    values = np.random.default_rng(0).random(n * k)
    pattern = sp.csr_matrix((values, nbrs.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    a = vg.cosine_graph(X, V, nbrs, center=True)
    b = vg.cosine_graph(X, V, pattern, center=True)
    np.testing.assert_array_equal(a.toarray(), b.toarray())


def test_zero_displacement_is_stored_as_zero():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0]])
    V = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    G = vg.cosine_graph(X, V, np.array([[1, 2], [0, 2], [0, 1]]))
    assert G.nnz == 6 and G[0, 1] == 0.0


@pytest.mark.parametrize("stabilize", [False, True])
def test_pearson_graph_is_the_centred_cosine_graph(random_problem, stabilize):
    X, V, nbrs, _ = random_problem
    G = pearson_graph(X, V, nbrs, variance_stabilize=stabilize)
    np.testing.assert_array_equal(G.toarray(), vg.cosine_graph(X, V, nbrs, center=True,
                                                                variance_stabilize=stabilize).toarray())
    np.testing.assert_allclose(G.toarray(), cosine_graph_loop(X, V, nbrs, center=True, variance_stabilize=stabilize),
                               atol=1e-12)
    i, j = 0, nbrs[0, 0]
    f = vg.sign_sqrt if stabilize else np.asarray
    assert G[i, j] == pytest.approx(vg.pearson_similarity(f(X[j] - X[i]), f(V[i])), abs=1e-12)


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


@pytest.mark.parametrize("center", [False, True])
def test_pair_similarities_without_genes_are_zero(center):
    """No genes: every vector is zero, every similarity undefined, reported as 0 (documented)."""
    out = pair_similarities(np.zeros((3, 0)), np.zeros((3, 0)), np.array([0, 1, 2, 3]), np.array([1, 2, 0]),
                            center=center)
    np.testing.assert_array_equal(out, np.zeros(3))
