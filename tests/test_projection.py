"""Section C: projection onto an embedding."""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph.reference import project_velocity_loop
from velograph.toy import crowded_embedding


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


def test_permutation_equivariance(random_problem):
    T, _, E = _transition(random_problem)
    perm = np.random.default_rng(5).permutation(len(E))
    Tp = T[perm][:, perm]
    np.testing.assert_allclose(vg.project_velocity(Tp, E[perm]), vg.project_velocity(T, E)[perm], atol=1e-12)


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
