"""Property-based tests: invariants of the library on random inputs (hypothesis)."""

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import velograph as vg
from velograph.graph import pair_similarities
from velograph.reference import pair_similarities_numpy
from velograph.toy import knn_indices

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw):
    """Random cells (states, velocities, a kNN graph, a 2-D embedding) from a drawn seed and size."""
    seed = draw(st.integers(0, 2**31 - 1))
    n = draw(st.integers(3, 25))
    genes = draw(st.integers(2, 12))
    k = draw(st.integers(1, min(6, n - 1)))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    X = rng.normal(size=(n, genes)) * scale
    V = rng.normal(size=(n, genes))
    return X, V, knn_indices(X, k), rng.normal(size=(n, 2)), seed


flags = st.tuples(st.booleans(), st.booleans())


@SETTINGS
@given(problems(), flags, st.floats(0.05, 5.0))
def test_similarities_bounded_and_rows_sum_to_one(problem, flag, sigma):
    X, V, nbrs, _, _ = problem
    G = vg.cosine_graph(X, V, nbrs, center=flag[0], variance_stabilize=flag[1])
    assert G.nnz == nbrs.size and np.all(np.abs(G.data) <= 1)
    T = vg.transition_matrix(G, sigma=sigma)
    np.testing.assert_allclose(np.asarray(T.sum(axis=1)).ravel(), 1.0, atol=1e-12)


@SETTINGS
@given(problems(), flags, st.floats(1e-3, 1e3))
def test_positive_rescaling_of_v_changes_nothing(problem, flag, factor):
    X, V, nbrs, _, _ = problem
    center, stabilize = flag
    a = vg.cosine_graph(X, V, nbrs, center=center, variance_stabilize=stabilize)
    b = vg.cosine_graph(X, factor * V, nbrs, center=center, variance_stabilize=stabilize)
    np.testing.assert_allclose(a.toarray(), b.toarray(), atol=1e-9)


@SETTINGS
@given(problems(), flags)
def test_permutation_equivariance(problem, flag):
    X, V, nbrs, E, seed = problem
    perm = np.random.default_rng(seed + 1).permutation(len(X))
    inverse = np.argsort(perm)
    G = vg.cosine_graph(X, V, nbrs, center=flag[0], variance_stabilize=flag[1])
    Gp = vg.cosine_graph(X[perm], V[perm], inverse[nbrs[perm]], center=flag[0], variance_stabilize=flag[1])
    np.testing.assert_allclose(Gp.toarray(), G.toarray()[np.ix_(perm, perm)], atol=1e-12)
    T, Tp = vg.transition_matrix(G), vg.transition_matrix(Gp)
    np.testing.assert_allclose(vg.project_velocity(Tp, E[perm]), vg.project_velocity(T, E)[perm], atol=1e-12)


@SETTINGS
@given(problems(), st.floats(-np.pi, np.pi), st.sampled_from(["uniform", "mean", None]))
def test_rotation_equivariance_of_projection(problem, theta, correction):
    X, V, nbrs, E, _ = problem
    T = vg.transition_matrix(vg.cosine_graph(X, V, nbrs))
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    np.testing.assert_allclose(vg.project_velocity(T, E @ R.T, correction=correction),
                               vg.project_velocity(T, E, correction=correction) @ R.T, atol=1e-10)


@SETTINGS
@given(problems(), st.sampled_from(["all", "neighbors"]))
def test_identical_graphs_reconstruct_perfectly(problem, over):
    X, V, nbrs, _, _ = problem
    T = vg.transition_matrix(vg.cosine_graph(X, V, nbrs, center=True), sigma=0.5)
    per_cell = vg.reconstructability_score(T, T, over=over, per_cell=True)
    defined = ~np.isnan(per_cell)
    np.testing.assert_allclose(per_cell[defined], 1.0, atol=1e-9)


@SETTINGS
@given(problems(), flags)
def test_compiled_engine_equals_reference(problem, flag):
    X, V, nbrs, _, _ = problem
    indptr = np.arange(0, nbrs.size + 1, nbrs.shape[1])
    cols = nbrs.ravel().astype(np.int64)
    kw = dict(center=flag[0], variance_stabilize=flag[1])
    np.testing.assert_allclose(pair_similarities(X, V, indptr, cols, **kw),
                               pair_similarities_numpy(X, V, indptr, cols, **kw), atol=1e-9)



@SETTINGS
@given(problems())
def test_results_are_deterministic(problem):
    X, V, nbrs, E, _ = problem
    first = vg.project_velocity(vg.transition_matrix(vg.cosine_graph(X, V, nbrs, center=True)), E)
    second = vg.project_velocity(vg.transition_matrix(vg.cosine_graph(X, V, nbrs, center=True)), E)
    np.testing.assert_array_equal(first, second)


@SETTINGS
@given(problems(), st.sampled_from(["uniform", "mean", None]))
def test_no_function_mutates_its_inputs(problem, correction):
    X, V, nbrs, E, _ = problem
    copies = [a.copy() for a in (X, V, nbrs, E)]
    G = vg.cosine_graph(X, V, nbrs)
    G_copy = G.copy()
    T = vg.transition_matrix(G)
    T_copy = T.copy()
    vg.project_velocity(T, E, correction=correction)
    vg.project_velocity_distance_weighted(T, E)
    vg.project_velocity_confidence_weighted(T, E, np.ones(len(E)))
    vg.reconstructability_score(T, T)
    vg.sign_sqrt(X)
    vg.cosine_similarity(X[0], V[0])
    for before, after in zip(copies, (X, V, nbrs, E)):
        np.testing.assert_array_equal(before, after)
    assert (G != G_copy).nnz == 0 and (T != T_copy).nnz == 0
    assert sp.isspmatrix_csr(G)


# -- the two normalisations of the weighted projections -----------------------------

def test_blog_normalisation_is_short_by_the_number_of_neighbours():
    # Cell 0 at the origin with k neighbours on the unit circle, T uniform (1/k): every
    # distance weight is equal, so "weights" is the mean unit direction and the blog's
    # formula divides it by k more (its effective weights sum to 1/k).
    k = 5
    angles = np.linspace(0.3, 2.0, k)
    E = np.vstack([[0.0, 0.0], np.c_[np.cos(angles), np.sin(angles)]])
    T = sp.csr_matrix((np.full(k, 1.0 / k), np.arange(1, k + 1), np.r_[0, np.full(k + 1, k)]), shape=(k + 1, k + 1))
    mean_direction = E[1:].mean(axis=0)
    for function, extra in ((vg.project_velocity_distance_weighted, {}),
                            (vg.project_velocity_confidence_weighted, {"confidence": np.ones(k + 1)})):
        np.testing.assert_allclose(function(T, E, normalize="weights", **extra)[0], mean_direction, atol=1e-12)
        np.testing.assert_allclose(function(T, E, normalize="blog", **extra)[0], mean_direction / k, atol=1e-12)
        np.testing.assert_array_equal(function(T, E, **extra)[0], function(T, E, normalize="blog", **extra)[0])


@SETTINGS
@given(problems(), st.floats(0.1, 10.0))
def test_weights_and_blog_normalisations_differ_by_the_weight_sum(problem, bandwidth):
    X, V, nbrs, E, seed = problem
    T = vg.transition_matrix(vg.cosine_graph(X, V, nbrs))
    distance = np.linalg.norm(E[nbrs] - E[:, None, :], axis=2)
    K = np.exp(-0.5 * (distance / bandwidth) ** 2)
    pi = np.take_along_axis(T.toarray(), nbrs, axis=1)
    ratio = (K * pi).sum(axis=1) / K.sum(axis=1)  # sum of the blog's effective weights
    blog = vg.project_velocity_distance_weighted(T, E, bandwidth=bandwidth)
    weights = vg.project_velocity_distance_weighted(T, E, bandwidth=bandwidth, normalize="weights")
    np.testing.assert_allclose(blog, weights * ratio[:, None], rtol=1e-9, atol=1e-12)
    c = np.random.default_rng(seed).uniform(0.1, 1.0, len(E))
    C = c[nbrs]
    ratio_c = (C * pi).sum(axis=1) / C.sum(axis=1)
    np.testing.assert_allclose(vg.project_velocity_confidence_weighted(T, E, c),
                               vg.project_velocity_confidence_weighted(T, E, c, normalize="weights") * ratio_c[:, None],
                               rtol=1e-9, atol=1e-12)
