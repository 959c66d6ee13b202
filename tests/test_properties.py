"""Property-based tests: invariants of the library on random inputs (hypothesis)."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import velograph as vg
from velograph.graph import pair_similarities
from velograph.reference import pair_similarities_numpy
from velograph_book import toy
from velograph_book.toy import knn_indices

from _tl_data import dense_support

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
    for before, after in zip(copies, (X, V, nbrs, E), strict=True):
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
    with np.errstate(invalid="ignore"):  # rows whose distance weights all underflow: NaN in both
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


# -- numerical range (issue 13 item 2) -------------------------------------------------

scales = st.integers(-300, 300).map(lambda e: 10.0**e)


@SETTINGS
@given(problems(), flags, scales)
def test_graph_is_invariant_to_any_positive_scale_of_v(problem, flag, factor):
    # V * 1e-170 used to give an all-zero graph (the norm underflowed), V * 1e300 NaN.
    X, V, nbrs, _, _ = problem
    kw = dict(center=flag[0], variance_stabilize=flag[1])
    np.testing.assert_allclose(vg.cosine_graph(X, factor * V, nbrs, **kw).toarray(),
                               vg.cosine_graph(X, V, nbrs, **kw).toarray(), atol=1e-12)


@SETTINGS
@given(problems(), flags, scales, scales)
def test_compiled_and_numpy_agree_at_every_scale(problem, flag, x_scale, v_scale):
    # The numba and NumPy versions once disagreed on huge inputs (all -1 against NaN).
    X, V, nbrs, _, _ = problem
    indptr = np.arange(0, nbrs.size + 1, nbrs.shape[1])
    cols = nbrs.ravel().astype(np.int64)
    kw = dict(center=flag[0], variance_stabilize=flag[1])
    compiled = pair_similarities(X * x_scale, V * v_scale, indptr, cols, **kw)
    assert np.isfinite(compiled).all() and np.abs(compiled).max() <= 1
    np.testing.assert_allclose(compiled, pair_similarities_numpy(X * x_scale, V * v_scale, indptr, cols, **kw),
                               atol=1e-9)
    if not flag[1]:  # without sign-sqrt a common factor of X changes nothing either
        np.testing.assert_allclose(compiled, pair_similarities(X, V, indptr, cols, **kw), atol=1e-9)


@SETTINGS
@given(problems(), st.integers(-300, 300))
def test_transition_matrix_at_any_sigma(problem, exponent):
    # sigma = 1e-155 gave NaN rows, sigma = 1e200 an OverflowError.
    X, V, nbrs, _, _ = problem
    G = vg.cosine_graph(X, V, nbrs, center=True)
    sigma = 10.0**exponent
    T = vg.transition_matrix(G, sigma=sigma)
    assert np.isfinite(T.data).all() and T.data.min() >= 0
    np.testing.assert_allclose(np.asarray(T.sum(axis=1)).ravel(), 1.0, atol=1e-12)
    dense, support = T.toarray(), dense_support(nbrs, len(nbrs))
    if sigma <= 1e-160:  # the limit: uniform over each row's best-aligned neighbours
        stored = np.where(support, G.toarray(), -np.inf)  # similarities of the neighbours only
        best = stored == stored.max(axis=1, keepdims=True)
        np.testing.assert_allclose(dense, best / best.sum(axis=1, keepdims=True), atol=1e-12)
    if sigma >= 1e160:  # the other limit: uniform over the neighbours
        np.testing.assert_allclose(dense[support], 1.0 / nbrs.shape[1], atol=1e-12)


def test_transition_matrix_sigma_extremes_exactly():
    G = toy.one_row_matrix([0.9, 0.6, 0.1, -0.3, -0.8], [1, 2, 3, 4, 5], 6)
    np.testing.assert_array_equal(vg.transition_matrix(G, sigma=1e-155).toarray()[0, 1:], [1, 0, 0, 0, 0])
    np.testing.assert_allclose(vg.transition_matrix(G, sigma=1e200).toarray()[0, 1:], 0.2, atol=1e-15)


# entries 0 or of magnitude 1e-6..1, so that a scaled entry (down to 1e-306) is still a normal float
entries = st.one_of(st.just(0.0), st.floats(1e-6, 1), st.floats(-1, -1e-6))


@SETTINGS
@given(st.lists(entries, min_size=2, max_size=8), st.lists(entries, min_size=2, max_size=8), scales, scales)
def test_cosine_and_pearson_do_not_depend_on_scale(a, b, s, t):
    # Tiny vectors gave 0.0, badly scaled ones 1.0000056 (and 2.0): the norms under/overflowed.
    size = min(len(a), len(b))
    a, b = np.array(a[:size]), np.array(b[:size])
    for similarity in (vg.cosine_similarity, vg.pearson_similarity):
        value = similarity(a * s, b * t)
        assert -1 <= value <= 1
        assert value == pytest.approx(similarity(a, b), abs=1e-12)


def test_cosine_of_tiny_vectors():
    a = np.array([2.49595582e-162, -4.20722585e-163, -7.91545940e-163])
    b = np.array([3.32612548e-162, -5.64100138e-163, -1.05879877e-162])
    assert vg.cosine_similarity(a, b) == pytest.approx(vg.cosine_similarity(a * 1e160, b * 1e160), abs=1e-15)
    assert vg.cosine_similarity([1e-170, 1e-170], [1e-170, 2e-170]) == pytest.approx(3 / np.sqrt(10), abs=1e-15)
    assert vg.cosine_similarity([1e300, 1e300], [1e300, -1e300]) == pytest.approx(0.0, abs=1e-15)


def exact_correlation(a, b):
    """Pearson correlation of two float vectors in exact rational arithmetic (then rounded once)."""
    from fractions import Fraction

    fa, fb = [Fraction(float(x)) for x in a], [Fraction(float(y)) for y in b]
    ma, mb = sum(fa) / len(fa), sum(fb) / len(fb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(fa, fb, strict=True))
    va, vb = sum((x - ma) ** 2 for x in fa), sum((y - mb) ** 2 for y in fb)
    if va == 0 or vb == 0:
        return float("nan")
    return float(np.sign(cov)) * float(np.sqrt(float(cov * cov / (va * vb))))


@SETTINGS
@given(st.integers(0, 2**31 - 1), st.integers(-9, 0), st.sampled_from(["all", "neighbors"]))
def test_row_correlations_on_nearly_constant_rows(seed, spread_exponent, over):
    # The one-pass m*S_aa - S_a^2 lost every digit here: error 0.21 at relative spread 1e-7, NaN below.
    rng = np.random.default_rng(seed)
    n, k = 12, 4
    spread = 10.0**spread_exponent
    nbrs = knn_indices(rng.normal(size=(n, 3)), k)
    rows, cols = np.repeat(np.arange(n), k), nbrs.ravel()
    A = sp.csr_matrix(((1 + spread * rng.normal(size=n * k)) / k, (rows, cols)), shape=(n, n))
    B = sp.csr_matrix(((1 + spread * rng.normal(size=n * k)) / k, (rows, cols)), shape=(n, n))
    got = vg.row_correlations(A, B, over=over)
    for i in range(n):
        a, b = A[i].toarray().ravel(), B[i].toarray().ravel()
        if over == "neighbors":
            a, b = a[nbrs[i]], b[nbrs[i]]
        # rounding of the inputs' deviations: relative error up to ~eps/spread
        assert got[i] == pytest.approx(exact_correlation(a, b), abs=1e-13 / spread + 1e-13)


def test_reconstructability_with_a_huge_sigma_is_the_exact_value():
    # Chapter 4's toy graphs with sigma = 1000: every row of T is uniform to ~1e-7, and
    # the one-pass formula gave NaN for every cell. Exact (rational arithmetic): 0.996885.
    X, V, _ = toy.toy_expression(n_cells=12, n_genes=6, seed=0)
    nbrs = knn_indices(X, 4)
    T_full = vg.transition_matrix(vg.cosine_graph(X, V, nbrs), sigma=1000.0)
    T_sub = vg.transition_matrix(vg.cosine_graph(X[:, :3], V[:, :3], nbrs), sigma=1000.0)
    per_cell = vg.reconstructability_score(T_full, T_sub, over="neighbors", per_cell=True)
    exact = [exact_correlation(T_full[i].toarray().ravel()[nbrs[i]], T_sub[i].toarray().ravel()[nbrs[i]])
             for i in range(12)]
    np.testing.assert_allclose(per_cell, exact, atol=1e-12)
    # The median of the exact per-cell values; its digits beyond the sixth follow the float
    # rounding of the graph itself (the rows differ by ~1e-7), so only six are stated.
    assert vg.reconstructability_score(T_full, T_sub, over="neighbors") == pytest.approx(np.median(exact), abs=1e-12)
    assert np.median(exact) == pytest.approx(0.996885, abs=5e-7)


def test_constant_rows_have_no_correlation():
    A = toy.one_row_matrix([0.25, 0.25, 0.25, 0.25], [1, 2, 3, 4], 5)
    B = toy.one_row_matrix([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4], 5)
    assert np.isnan(vg.row_correlations(A, B, over="neighbors")[0])
    expected = exact_correlation(A[0].toarray()[0], B[0].toarray()[0])
    assert vg.row_correlations(A, B, over="all")[0] == pytest.approx(expected)


@SETTINGS
@given(problems(), st.integers(-300, 300))
def test_projection_at_any_embedding_scale(problem, exponent):
    X, V, nbrs, E, _ = problem
    T = vg.transition_matrix(vg.cosine_graph(X, V, nbrs))
    np.testing.assert_allclose(vg.project_velocity(T, E * 10.0**exponent), vg.project_velocity(T, E), atol=1e-12)
