"""project_velocity_distance_weighted: its default bandwidth and both normalisations, by hand.

The documented default bandwidth is h = the mean embedding distance over all
stored off-diagonal neighbour pairs (one global h). These tests derive the
expected arrows from the points' coordinates, independently of the code.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg

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


def test_mean_distance_is_the_hand_value():
    assert MEAN_DISTANCE == pytest.approx(1 + np.sqrt(5) / 3, abs=1e-15)


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
