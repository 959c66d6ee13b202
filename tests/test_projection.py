"""velograph.projection: project_velocity and its distance- and confidence-weighted variants."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.projection import project_velocity_csr
from velograph.reference import project_velocity_loop
from velograph_book.toy import crowded_embedding


def _transition(random_problem):
    X, V, nbrs, E = random_problem
    return vg.transition_matrix(vg.cosine_graph(X, V, nbrs, center=True)), nbrs, E


@pytest.mark.parametrize("correction", ["uniform", "mean", None])
def test_matches_per_cell_loop(random_problem, support_of, correction):
    T, nbrs, E = _transition(random_problem)
    expected = project_velocity_loop(T.toarray(), support_of(nbrs, len(E)), E, correction)
    np.testing.assert_allclose(vg.project_velocity(T, E, correction=correction), expected, atol=1e-12)


def test_uniform_and_mean_agree_when_rows_sum_to_one(random_problem):
    T, _, E = _transition(random_problem)
    np.testing.assert_allclose(vg.project_velocity(T, E, correction="mean"),
                               vg.project_velocity(T, E, correction="uniform"), atol=1e-12)


def test_uniform_T_gives_zero_velocity(random_problem):
    _, _, nbrs, E = random_problem
    n, k = nbrs.shape
    T = sp.csr_matrix((np.full(n * k, 1.0 / k), nbrs.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    np.testing.assert_allclose(vg.project_velocity(T, E), 0.0, atol=1e-12)


def test_rotation_equivariance(random_problem):
    T, _, E = _transition(random_problem)
    theta = 0.7
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    for correction in ("uniform", "mean", None):
        np.testing.assert_allclose(vg.project_velocity(T, E @ R.T, correction=correction),
                                   vg.project_velocity(T, E, correction=correction) @ R.T, atol=1e-12)


def test_density_correction_on_crowded_toy():
    X_emb, nbrs = crowded_embedding()
    n = len(X_emb)
    k = len(nbrs)
    T = sp.csr_matrix((np.full(k, 1.0 / k), nbrs, [0, k] + [k] * (n - 1)), shape=(n, n))
    raw = vg.project_velocity(T, X_emb, correction=None)[0]
    assert raw[0] < -0.4  # uniform weights still point left: crowding, not velocity
    np.testing.assert_allclose(vg.project_velocity(T, X_emb)[0], 0.0, atol=1e-12)


def test_unit_directions_have_unit_length():
    X_emb, nbrs = crowded_embedding()
    np.testing.assert_allclose(np.linalg.norm(vg.unit_directions(X_emb, 0, nbrs), axis=1), 1.0)


def test_kernel_weighted_closed_form():
    X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    T = sp.csr_matrix(np.array([[0, 0.25, 0.75], [0.5, 0, 0.5], [0.5, 0.5, 0]]))
    h = 1.0
    K = np.exp(-0.5 * np.array([1.0, 4.0]))
    expected = (K[0] * 0.25 * np.array([1, 0]) + K[1] * 0.75 * np.array([0, 1])) / K.sum()
    np.testing.assert_allclose(vg.project_velocity_distance_weighted(T, X_emb, bandwidth=h)[0], expected, atol=1e-12)


def test_confidence_weighted_closed_form_and_pairwise_equivalence():
    X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    T = sp.csr_matrix(np.array([[0, 0.25, 0.75], [0.5, 0, 0.5], [0.5, 0.5, 0]]))
    c = np.array([0.3, 0.9, 0.1])
    expected = (0.9 * 0.25 * np.array([1, 0]) + 0.1 * 0.75 * np.array([0, 1])) / 1.0
    nu = vg.project_velocity_confidence_weighted(T, X_emb, c)
    np.testing.assert_allclose(nu[0], expected, atol=1e-12)
    C = sp.csr_matrix(np.tile(c, (3, 1)))
    np.testing.assert_allclose(vg.project_velocity_confidence_weighted(T, X_emb, C), nu, atol=1e-12)


def test_cell_without_neighbours_is_nan():
    X_emb = np.array([[0.0, 0.0], [1.0, 0.0]])
    T = sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]]))
    nu = vg.project_velocity(T, X_emb)
    assert np.isnan(nu[1]).all() and np.isfinite(nu[0]).all()


@pytest.mark.parametrize("correction", ["uniform", "mean", None])
def test_compiled_projection_equals_numpy(random_problem, correction):
    from velograph.reference import project_velocity_numpy

    T, _, E = _transition(random_problem)
    T = T.tolil()
    T[3, 3] = 0.2  # a stored diagonal entry is skipped by both
    T[4, 0] = 0.0
    T = sp.csr_matrix(T)
    np.testing.assert_allclose(vg.project_velocity(T, E, correction=correction),
                               project_velocity_numpy(T, E, correction), atol=1e-12)


# Cell 0 at the origin with neighbours 1 at (2, 0) and 2 at (0, 3): unit directions (1, 0), (0, 1).
# Its row holds weights 0.2 and 0.4, which do NOT sum to 1 (so "uniform" and "mean" differ).
E_UNNORM = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0]])


T_UNNORM = sp.csr_matrix(np.array([[0.0, 0.2, 0.4], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]))


@pytest.mark.parametrize("correction, expected", [
    (None, [0.2, 0.4]),                 # sum_j p_j d_j
    ("uniform", [0.2 - 0.5, 0.4 - 0.5]),  # minus (1/2)((1, 0) + (0, 1))
    ("mean", [0.2 - 0.3, 0.4 - 0.3]),     # minus mean(p) = 0.3 times ((1, 0) + (0, 1))
])
def test_corrections_closed_form_on_a_row_not_summing_to_one(correction, expected):
    np.testing.assert_allclose(vg.project_velocity(T_UNNORM, E_UNNORM, correction=correction)[0], expected,
                               atol=1e-12)
    np.testing.assert_allclose(project_velocity_csr(T_UNNORM, E_UNNORM, correction=correction)[0], expected,
                               atol=1e-12)


def test_unit_directions_from_a_cell_away_from_the_origin():
    X_emb = np.array([[5.0, 5.0], [8.0, 9.0], [5.0, 3.0], [5.0, 5.0]])
    np.testing.assert_allclose(vg.unit_directions(X_emb, 0, [1, 2, 3]), [[0.6, 0.8], [0.0, -1.0], [0.0, 0.0]],
                               atol=1e-15)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_unit_directions_at_extreme_scales(scale):
    X_emb = np.array([[0.0, 0.0], [3.0, 4.0], [-1.0, 0.0]])
    np.testing.assert_allclose(vg.unit_directions(scale * X_emb, 0, [1, 2]), [[0.6, 0.8], [-1.0, 0.0]], atol=1e-15)


def test_project_velocity_csr_refuses_what_the_compiled_code_cannot_read():
    with pytest.raises(ValueError, match=r"^correction must be one of 'uniform', 'mean', None; got 'median'"):
        project_velocity_csr(T_UNNORM, E_UNNORM, correction="median")
    for bad, got in ((T_UNNORM.toarray(), r"ndarray of shape \(3, 3\)"), (sp.csc_matrix(T_UNNORM), r"csc_matrix"),
                     (T_UNNORM[:2, :2], r"csr_matrix of shape \(2, 2\)")):
        with pytest.raises(ValueError, match=r"^T must be a CSR matrix of shape \(3, 3\) .*got " + got):
            project_velocity_csr(bad, E_UNNORM)
    with pytest.raises(ValueError, match=r"^correction must be one of"):
        vg.project_velocity(T_UNNORM, E_UNNORM, correction="median")


def test_project_velocity_csr_computes_in_float64():
    """A float32 embedding gives the arrows of its exact float64 values (no float32 arithmetic)."""
    rng = np.random.default_rng(1)
    E32 = (rng.normal(size=(3, 2)) * 1e3).astype(np.float32)
    np.testing.assert_array_equal(project_velocity_csr(T_UNNORM, E32),
                                  project_velocity_csr(T_UNNORM, E32.astype(float)))


def test_unit_directions_name_their_argument():
    with pytest.raises(ValueError, match=r"^X_emb contains NaN at row 1, column 0"):
        vg.unit_directions(np.array([[0.0, 0.0], [np.nan, 1.0]]), 0, [1])


def _last_cell_alone():
    """Four cells; the last one has no neighbours (an empty last row)."""
    X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [4.0, 4.0]])
    T = sp.csr_matrix(np.array([[0, 0.5, 0.5, 0], [0.5, 0, 0.5, 0], [0.5, 0.5, 0, 0], [0, 0, 0, 0]]))
    return T, X_emb


@pytest.mark.parametrize("normalize", ["blog", "weights"])
def test_weighted_variants_give_nan_for_a_cell_without_neighbours(normalize):
    T, X_emb = _last_cell_alone()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN by design, not a numpy warning
        nu_d = vg.project_velocity_distance_weighted(T, X_emb, normalize=normalize)
        nu_c = vg.project_velocity_confidence_weighted(T, X_emb, np.ones(4), normalize=normalize)
    for nu in (nu_d, nu_c):
        assert nu.shape == (4, 2)
        assert np.isnan(nu[3]).all() and np.isfinite(nu[:3]).all()
    # cell 0: neighbours at equal distance with equal weights: (0.5 (1, 0) + 0.5 (0, 1)) / denominator
    np.testing.assert_allclose(nu_c[0], [0.25, 0.25] if normalize == "blog" else [0.5, 0.5], atol=1e-12)


def test_no_off_diagonal_entries_gives_nan_everywhere():
    T = sp.identity(3, format="csr")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" on the way
        results = (vg.project_velocity_distance_weighted(T, E_UNNORM),
                   vg.project_velocity_confidence_weighted(T, E_UNNORM, np.ones(3)),
                   vg.project_velocity(T, E_UNNORM))
    for nu in results:
        assert nu.shape == (3, 2) and np.isnan(nu).all()


def test_distance_weighted_with_every_neighbour_on_top_of_its_cell():
    """All distances 0: the default bandwidth would be 0; the arrows are 0 (no direction), not NaN."""
    X_emb = np.zeros((3, 2))
    nu = vg.project_velocity_distance_weighted(T_UNNORM, X_emb)
    np.testing.assert_array_equal(nu, np.zeros((3, 2)))


def test_confidence_as_dense_matrix_equals_sparse_and_vector():
    c = np.array([0.3, 0.9, 0.1])
    C = np.tile(c, (3, 1))
    nu = vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, c)
    np.testing.assert_allclose(vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, C), nu, atol=1e-12)
    np.testing.assert_allclose(vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, sp.csr_matrix(C)), nu,
                               atol=1e-12)
    # c_ij differing within a column: only a matrix can say it
    C2 = np.array([[0, 1.0, 3.0], [1.0, 0, 1.0], [1.0, 1.0, 0]])
    expected0 = (1.0 * 0.2 * np.array([1, 0]) + 3.0 * 0.4 * np.array([0, 1])) / 4.0
    np.testing.assert_allclose(vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, C2)[0], expected0,
                               atol=1e-12)


def test_confidence_checks_name_the_argument():
    with pytest.raises(ValueError, match=r"^confidence is 2 x 2 but there are 3 cells"):
        vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, sp.identity(2, format="csr"))
    with pytest.raises(ValueError, match=r"^confidence contains NaN at index 1"):
        vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, np.array([1.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="one value per cell"):
        vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, np.ones(4))
    with pytest.raises(ValueError, match="non-negative"):
        vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, np.array([1.0, -0.1, 1.0]))


def test_zero_confidence_is_allowed_and_a_zero_sum_row_is_nan():
    c = np.array([1.0, 0.0, 0.0])  # cell 0's neighbours (1 and 2) both have confidence 0
    nu = vg.project_velocity_confidence_weighted(T_UNNORM, E_UNNORM, c)
    assert np.isnan(nu[0]).all()
    # cell 1: only neighbour 0 counts, direction (-1, 0), weight 0.5: blog divides by sum c = 1
    np.testing.assert_allclose(nu[1], [-0.5, 0.0], atol=1e-12)


# Three cells at (0, 0), (1, 0), (0, 2); everyone is everyone's neighbour.
X_EMB = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])


T3 = sp.csr_matrix(np.array([[0, 0.25, 0.75], [0.5, 0, 0.5], [0.5, 0.5, 0]]))


# The six pair distances: 0-1 and 1-0 are 1, 0-2 and 2-0 are 2, 1-2 and 2-1 are sqrt(5).
MEAN_DISTANCE = (1 + 1 + 2 + 2 + np.sqrt(5) + np.sqrt(5)) / 6  # = 1 + sqrt(5)/3 = 1.745356


def _weights(d, h):
    return np.exp(-(d**2) / (2 * h**2))


def _by_hand(h, normalize):
    """Rows of nu for T3 and X_EMB with bandwidth h, written out cell by cell."""
    # cell 0: neighbour 1 at distance 1 in direction (1, 0), neighbour 2 at distance 2 in direction (0, 1)
    # cell 1: neighbour 0 at distance 1 in direction (-1, 0), neighbour 2 at sqrt(5) in direction (-1, 2)/sqrt(5)
    # cell 2: neighbour 0 at distance 2 in direction (0, -1), neighbour 1 at sqrt(5) in direction (1, -2)/sqrt(5)
    cells = [
        ([1.0, 2.0], [0.25, 0.75], [[1, 0], [0, 1]]),
        ([1.0, np.sqrt(5)], [0.5, 0.5], [[-1, 0], np.array([-1, 2]) / np.sqrt(5)]),
        ([2.0, np.sqrt(5)], [0.5, 0.5], [[0, -1], np.array([1, -2]) / np.sqrt(5)]),
    ]
    out = []
    for d, p, u in cells:
        K, p, u = _weights(np.array(d), h), np.array(p), np.array(u, dtype=float)
        denominator = K.sum() if normalize == "blog" else (K * p).sum()
        out.append((K * p) @ u / denominator)
    return np.array(out)


@pytest.mark.parametrize("normalize", ["blog", "weights"])
def test_explicit_bandwidth_matches_hand_computation(normalize):
    for h in (0.5, 1.0, 3.0):
        np.testing.assert_allclose(vg.project_velocity_distance_weighted(T3, X_EMB, bandwidth=h, normalize=normalize),
                                   _by_hand(h, normalize), atol=1e-12)


@pytest.mark.parametrize("normalize", ["blog", "weights"])
def test_default_bandwidth_is_mean_neighbour_distance(normalize):
    default = vg.project_velocity_distance_weighted(T3, X_EMB, normalize=normalize)
    np.testing.assert_allclose(default, _by_hand(MEAN_DISTANCE, normalize), atol=1e-12)
    np.testing.assert_allclose(default, vg.project_velocity_distance_weighted(
        T3, X_EMB, bandwidth=MEAN_DISTANCE, normalize=normalize), atol=1e-12)


@pytest.mark.parametrize("other_h", [1.0, 2.0, np.sqrt(5), 1.5, (1 + np.sqrt(5)) / 2])
def test_this_example_tells_bandwidths_apart(other_h):
    """Guard for the test above: other plausible defaults (1, the median 2, the max, per-row means) differ here."""
    default = vg.project_velocity_distance_weighted(T3, X_EMB)
    assert np.abs(default - _by_hand(other_h, "blog")).max() > 1e-3


def test_default_is_the_blog_normalisation():
    np.testing.assert_array_equal(vg.project_velocity_distance_weighted(T3, X_EMB),
                                  vg.project_velocity_distance_weighted(T3, X_EMB, normalize="blog"))


def test_stored_diagonal_does_not_enter_the_mean_distance():
    T = T3.tolil()
    T[1, 1] = 0.3  # distance 0 to itself: counting it would shrink h to 10.47/7
    np.testing.assert_allclose(vg.project_velocity_distance_weighted(sp.csr_matrix(T), X_EMB),
                               _by_hand(MEAN_DISTANCE, "blog"), atol=1e-12)


def test_coincident_neighbour_counts_as_distance_zero_in_the_mean():
    """A neighbour on top of its cell has distance 0: it lowers the mean, and adds weight 1 but no direction."""
    E = np.vstack([X_EMB, [0.0, 0.0]])  # cell 3 sits on cell 0
    T = sp.csr_matrix(np.array([[0, 0.25, 0.5, 0.25], [0.5, 0, 0.5, 0], [0.5, 0.5, 0, 0], [1.0, 0, 0, 0]]))
    h = (1 + 2 + 0 + 1 + np.sqrt(5) + 2 + np.sqrt(5) + 0) / 8  # the eight stored pairs
    K01, K02 = _weights(1.0, h), _weights(2.0, h)
    row0 = (K01 * 0.25 * np.array([1.0, 0.0]) + K02 * 0.5 * np.array([0.0, 1.0])) / (K01 + K02 + 1.0)
    nu = vg.project_velocity_distance_weighted(T, E)
    np.testing.assert_allclose(nu[0], row0, atol=1e-12)
    np.testing.assert_allclose(nu[3], [0.0, 0.0], atol=1e-12)  # its only neighbour has no direction


def test_default_bandwidth_on_random_graph_equals_explicit_mean():
    rng = np.random.default_rng(3)
    n = 30
    E = rng.normal(size=(n, 2)) * 5.0
    T = sp.random(n, n, density=0.2, format="lil", random_state=rng)
    T.setdiag(0)
    T = sp.csr_matrix(T)
    T.eliminate_zeros()
    T.data = 0.05 + rng.random(T.nnz)
    rows = np.repeat(np.arange(n), np.diff(T.indptr))
    h = np.mean([np.linalg.norm(E[j] - E[i]) for i, j in zip(rows, T.indices, strict=True)])
    np.testing.assert_allclose(vg.project_velocity_distance_weighted(T, E),
                               vg.project_velocity_distance_weighted(T, E, bandwidth=h), atol=1e-12)
    # and it is not one of the wrong choices
    assert not np.allclose(vg.project_velocity_distance_weighted(T, E),
                           vg.project_velocity_distance_weighted(T, E, bandwidth=1.0), atol=1e-6)


def test_default_bandwidth_scales_with_the_embedding():
    """h follows the embedding's units: rescaling every coordinate leaves the arrows unchanged."""
    rng = np.random.default_rng(4)
    E = rng.normal(size=(20, 2))
    T = sp.csr_matrix(sp.random(20, 20, density=0.3, random_state=rng))
    T.setdiag(0)
    T.eliminate_zeros()
    for factor in (1e-3, 0.1, 7.0, 1e3):
        np.testing.assert_allclose(vg.project_velocity_distance_weighted(T, factor * E),
                                   vg.project_velocity_distance_weighted(T, E), atol=1e-12)


def test_weights_normalisation_with_equidistant_neighbours_is_the_uncorrected_projection():
    """All neighbours at one distance: every K_ij is equal, so the "weights" average is sum_j pi_ij d_ij."""
    angles = np.arange(6) * np.pi / 3
    E = np.vstack([[0.0, 0.0], np.c_[np.cos(angles), np.sin(angles)]])
    p = np.array([0.05, 0.1, 0.15, 0.2, 0.2, 0.3])
    T = sp.csr_matrix((p, np.arange(1, 7), [0, 6] + [6] * 6), shape=(7, 7))
    expected = vg.project_velocity(T, E, correction=None)[0]
    np.testing.assert_allclose(vg.project_velocity_distance_weighted(T, E, normalize="weights")[0], expected,
                               atol=1e-12)
    # "blog" divides by sum_j K_ij = 6 K instead of sum_j K_ij p_ij = K: six times shorter
    np.testing.assert_allclose(vg.project_velocity_distance_weighted(T, E, normalize="blog")[0], expected / 6,
                               atol=1e-12)
