"""cosine_graph and transition_matrix: closed forms, the per-cell reference, invariants."""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.reference import cosine_graph_loop, transition_matrix_loop
from velograph_book import toy
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


def test_graph_permutation_equivariant(random_problem):
    X, V, nbrs, _ = random_problem
    perm = np.random.default_rng(3).permutation(len(X))
    inverse = np.argsort(perm)
    G = vg.cosine_graph(X, V, nbrs).toarray()
    Gp = vg.cosine_graph(X[perm], V[perm], inverse[nbrs[perm]]).toarray()
    np.testing.assert_allclose(Gp, G[np.ix_(perm, perm)], atol=1e-12)


def test_zero_displacement_is_stored_as_zero():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0]])
    V = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    G = vg.cosine_graph(X, V, np.array([[1, 2], [0, 2], [0, 1]]))
    assert G.nnz == 6 and G[0, 1] == 0.0


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


def test_compiled_two_hop_equals_sparse_product():
    from velograph.neighbors import recursive_neighbors
    from velograph_book.toy import knn_indices

    X = np.random.default_rng(7).normal(size=(300, 3))
    idx = knn_indices(X, 6)
    n, k = idx.shape
    A = sp.csr_matrix((np.ones(n * (k + 1)), np.c_[np.arange(n), idx].ravel(), np.arange(0, n * (k + 1) + 1, k + 1)),
                      shape=(n, n))
    expected = A @ A
    expected.sort_indices()
    got = recursive_neighbors(idx, 2)
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    assert recursive_neighbors(idx, 1).nnz == n * (k + 1)


CONCURRENT_CALLS = """
import threading
import numpy as np
import scipy.sparse as sp
import velograph as vg
from velograph.neighbors import recursive_neighbors
from velograph.tl._transition import kernel
from velograph_book.toy import knn_indices

rng = np.random.default_rng(0)
X, V, E = rng.normal(size=(400, 30)), rng.normal(size=(400, 30)), rng.normal(size=(400, 2))
nbrs = knn_indices(X, 8)


def run():
    G = vg.cosine_graph(X, V, nbrs, center=True)
    T = vg.transition_matrix(G)
    pos, neg = G.multiply(G > 0).tocsr(), G.multiply(G < 0).tocsr()
    return [G.toarray(), vg.project_velocity(T, E), kernel(pos, neg).toarray(),
            recursive_neighbors(nbrs, 2).toarray()]


expected = run()
results, errors = [], []


def work():
    try:
        for _ in range(3):
            results.append(run())
    except Exception as err:  # pragma: no cover - reported below
        errors.append(err)


threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
import numba
assert numba.threading_layer() == "workqueue", numba.threading_layer()
assert not errors, errors
assert len(results) == 24
for result in results:
    for got, want in zip(result, expected):
        np.testing.assert_array_equal(got, want)
print("ok")
"""


def test_concurrent_calls_under_the_workqueue_threading_layer():
    # numba's fallback layer aborts the process ("Concurrent access has been detected")
    # when two Python threads launch parallel kernels at once; velograph serialises them.
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue", NUMBA_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", CONCURRENT_CALLS], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_pearson_graph_is_the_centred_cosine_graph(random_problem):
    X, V, nbrs, _ = random_problem
    for stabilize in (False, True):
        expected = vg.cosine_graph(X, V, nbrs, center=True, variance_stabilize=stabilize)
        got = vg.pearson_graph(X, V, nbrs, variance_stabilize=stabilize)
        np.testing.assert_array_equal(got.toarray(), expected.toarray())
    i, j = 0, nbrs[0, 0]
    assert got[i, j] == pytest.approx(vg.pearson_similarity(vg.sign_sqrt(X[j] - X[i]), vg.sign_sqrt(V[i])), abs=1e-12)
