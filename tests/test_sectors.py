"""velograph.sectors: the empty sector around a cell in a 2-D embedding, and arrows into it."""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg

from _tl_data import star


def brute_force_sector(X, neighbours, i):
    """Widest gap by trying every neighbour angle as the start: (width deg, start rad), or (360, 0)."""
    d = X[neighbours] - X[i]
    d = d[np.abs(d).sum(axis=1) > 0]
    if len(d) == 0:
        return 360.0, 0.0
    theta = np.arctan2(d[:, 1], d[:, 0])
    best = (-1.0, 0.0)
    for a in theta:
        ahead = np.mod(theta - a, 2 * np.pi)
        ahead = ahead[ahead > 0]
        gap = ahead.min() if len(ahead) else 2 * np.pi
        best = max(best, (gap, a))
    return np.degrees(best[0]), best[1]


def test_one_sided_and_surrounded_cells_in_closed_form():
    X, T = star([0, 45, 90])
    width, start = vg.empty_sector(T, X)
    assert np.isclose(width[0], 270) and np.isclose(start[0], np.pi / 2)  # from 90 deg round to 360
    assert width[1] == 360 and start[1] == 0  # no neighbours at all
    X, T = star([0, 90, 180, 270])
    assert np.isclose(vg.empty_sector(T, X)[0][0], 90)


def test_the_gap_wraps_around_and_the_diagonal_is_ignored():
    X, T = star([-30, 30, 60])  # gap from 60 deg to 330 deg
    T = T.tolil()
    T[0, 0] = 5.0
    width, start = vg.empty_sector(T.tocsr(), X)
    assert np.isclose(width[0], 270) and np.isclose(start[0], np.radians(60))


def test_neighbours_in_one_direction_leave_a_full_turn_that_starts_there():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    T = sp.csr_matrix(([1.0, 1.0], ([0, 0], [1, 2])), shape=(3, 3))
    width, start = vg.empty_sector(T, X)
    assert width[0] == 360 and np.isclose(start[0], np.pi / 4)
    assert width[1] == 360 and start[1] == 0


def test_a_single_neighbour_leaves_a_full_turn_that_starts_at_it():
    X = np.array([[0.0, 0.0], [0.0, 2.0]])
    T = sp.csr_matrix(([1.0], ([0], [1])), shape=(2, 2))
    width, start = vg.empty_sector(T, X)
    assert width[0] == 360 and np.isclose(start[0], np.pi / 2)


def test_a_neighbour_at_the_cells_own_position_has_no_direction():
    X, T = star([0, 90], n_extra=1)  # cell 3 sits at the origin, like cell 0
    T = T.tolil()
    T[0, 3] = 1.0
    width, _ = vg.empty_sector(T.tocsr(), X)
    assert np.isclose(width[0], 270)
    X, T = star([], n_extra=1)
    T = sp.csr_matrix(([1.0], ([0], [1])), shape=(2, 2))
    assert vg.empty_sector(T, X)[0][0] == 360


def test_dense_and_sparse_neighbours_agree_and_values_do_not_matter():
    X, T = star([10, 100, 200], values=[0.3, -0.7, 2.0])
    sparse = vg.empty_sector(T, X)
    dense = vg.empty_sector(T.toarray(), X)
    ones = vg.empty_sector(sp.csr_matrix((np.ones(T.nnz), T.indices, T.indptr), shape=T.shape), X)
    for a, b in ((sparse, dense), (sparse, ones)):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_a_brute_force_search_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n, k = 30, 5
    X = rng.normal(size=(n, 2))
    X[5] = X[6]  # a coincident pair
    cols = np.array([rng.choice(n, size=k, replace=False) for _ in range(n)])
    T = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), cols.ravel())), shape=(n, n))
    width, start = vg.empty_sector(T, X)
    for i in range(n):
        neighbours = cols[i][cols[i] != i]
        w, s = brute_force_sector(X, neighbours, i)
        assert np.isclose(width[i], w, rtol=0, atol=1e-9), i
        if w < 360:
            assert np.isclose(start[i], s, rtol=0, atol=1e-12), i
            # no neighbour lies strictly inside the sector
            d = X[neighbours] - X[i]
            d = d[np.abs(d).sum(axis=1) > 0]
            inside = vg.points_into_sector(d, np.full(len(d), width[i]), np.full(len(d), start[i]))
            assert not inside.any(), i


def test_points_into_sector_in_closed_form():
    width, start = np.array([270.0] * 5), np.array([np.pi / 2] * 5)
    arrows = np.array([[-1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [np.nan, 1.0], [1e-3, -5.0]])
    assert vg.points_into_sector(arrows, width, start).tolist() == [True, False, False, False, True]


def test_points_into_sector_at_the_limits_of_its_inputs():
    assert vg.points_into_sector(np.empty((0, 2)), [], []).shape == (0,)  # no arrows: an empty answer
    # widths 0 and 360 are valid (a 0-degree sector holds nothing), and so is a narrow one
    assert vg.points_into_sector([[1.0, 0.0], [0.0, 1.0]], [0.0, 360.0], [0.0, 0.0]).tolist() == [False, True]
    assert vg.points_into_sector([[1.0, 0.0]], [0.5], [-0.001]).tolist() == [True]
    with pytest.raises(ValueError, match="width must be in degrees"):
        vg.points_into_sector([[1.0, 0.0]], [360.5], [0.0])
    # a zero arrow has no direction, even where its atan2 (0) would lie inside the sector
    assert vg.points_into_sector([[0.0, 0.0], [1.0, 0.0]], [180.0] * 2, [-np.pi / 2] * 2).tolist() == [False, True]


def test_the_sector_edges_are_excluded():
    # the sector runs from 90 to 180 degrees: arrows along its two edges lie on the border, not inside
    arrows = np.array([[0.0, 1.0], [-1.0, 0.0], [-1.0, 1.0], [1.0, 0.0], [-1.0, 1e-6]])
    into = vg.points_into_sector(arrows, [90.0] * 5, [np.pi / 2] * 5)
    assert into.tolist() == [False, False, True, False, True]


def test_uncorrected_arrows_never_point_into_the_empty_sector():
    rng = np.random.default_rng(3)
    X, T = star(rng.uniform(0, 170, 12), values=rng.uniform(0, 1, 12))
    width, start = vg.empty_sector(T, X)
    arrows = vg.project_velocity(T, X, correction=None)
    assert width[0] > 180 and not vg.points_into_sector(arrows[:1], width[:1], start[:1]).any()


def test_inputs_are_not_modified():
    X, T = star([0, 45, 90])
    X_before, T_before = X.copy(), T.copy()
    vg.empty_sector(T, X)
    assert np.array_equal(X, X_before) and (T != T_before).nnz == 0
    arrows, width, start = np.array([[1.0, 0.0]]), np.array([90.0]), np.array([0.0])
    vg.points_into_sector(arrows, width, start)
    assert arrows.tolist() == [[1.0, 0.0]] and width.tolist() == [90.0] and start.tolist() == [0.0]


@pytest.mark.parametrize(("neighbors", "X_emb", "message"), [
    (sp.csr_matrix((3, 4)), np.zeros((3, 2)), "neighbors must be a square"),
    (sp.csr_matrix((3, 3)), np.zeros((3, 3)), r"X_emb must be a 2-D embedding of the 3 cells.*\(3, 3\)"),
    (sp.csr_matrix((3, 3)), np.zeros((4, 2)), r"X_emb must be a 2-D embedding of the 3 cells.*\(4, 2\)"),
    (sp.csr_matrix((3, 3)), np.array([[0.0, 0.0], [np.nan, 0.0], [1.0, 1.0]]), "X_emb contains NaN at row 1"),
    (sp.csr_matrix((3, 3)), np.zeros(3), "X_emb must be a 2-D array"),
])
def test_empty_sector_refuses_bad_input(neighbors, X_emb, message):
    with pytest.raises(ValueError, match=message):
        vg.empty_sector(neighbors, X_emb)


def test_empty_sector_refuses_an_out_of_range_index():
    # a hand-made CSR whose column index points past the last cell: an error, never a read out of bounds
    bad = sp.csr_matrix((np.ones(1), np.array([7]), np.array([0, 1, 1, 1])), shape=(3, 3))
    with pytest.raises(ValueError, match="neighbors"):
        vg.empty_sector(bad, np.zeros((3, 2)))


@pytest.mark.parametrize(("arrows", "width", "start", "error", "message"), [
    (np.zeros((2, 3)), [90.0, 90.0], [0.0, 0.0], ValueError, r"arrows must be 2-D arrows.*\(2, 3\)"),
    (np.zeros(2), [90.0], [0.0], ValueError, "arrows must be a 2-D array"),
    (np.zeros((2, 2)), [90.0], [0.0, 0.0], ValueError, r"width must have one value per arrow \(2\), got 1"),
    (np.zeros((2, 2)), [90.0, 90.0], [0.0], ValueError, r"start must have one value per arrow \(2\), got 1"),
    (np.zeros((1, 2)), [400.0], [0.0], ValueError, r"width must be in degrees within \[0, 360\]"),
    (np.zeros((1, 2)), [-1.0], [0.0], ValueError, r"width must be in degrees within \[0, 360\]"),
    (np.zeros((1, 2)), [np.nan], [0.0], ValueError, "width contains NaN"),
    (np.zeros((1, 2)), [90.0], [np.inf], ValueError, "start contains inf"),
    (np.array([["a", "b"]]), [90.0], [0.0], TypeError, "arrows must hold numbers"),
])
def test_points_into_sector_refuses_bad_input(arrows, width, start, error, message):
    with pytest.raises(error, match=message):
        vg.points_into_sector(arrows, width, start)
