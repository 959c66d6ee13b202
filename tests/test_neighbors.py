"""velograph.neighbors: neighbour index arrays, kNN patterns and the compiled two-hop neighbourhood."""

import numpy as np
import pytest
import scipy.sparse as sp

from velograph.neighbors import knn_pattern, neighbor_pairs, recursive_neighbors

N = 4


def test_neighbour_index_n_is_refused_and_n_minus_1_accepted():
    ok = np.array([[1, 3], [0, 2], [3, 1], [0, 2]])
    neighbor_pairs(ok, N)
    for bad, value in (((2, 0), N), ((1, 1), -1)):
        idx = ok.copy()
        idx[bad] = value
        message = rf"^neighbors\[{bad[0]}, {bad[1]}\] = {value} is not a cell index in 0\.\.3"
        with pytest.raises(ValueError, match=message):
            neighbor_pairs(idx, N)
        with pytest.raises(ValueError, match=message):
            neighbor_pairs(idx.astype(float), N)  # whole-number floats are indices too


def test_whole_number_float_indices_are_accepted():
    for dtype in (np.float64, np.float32):
        rows, cols = neighbor_pairs(np.array([[1.0, 3.0], [0.0, 2.0], [3.0, 1.0], [0.0, 2.0]], dtype=dtype), N)
        np.testing.assert_array_equal(cols, [1, 3, 0, 2, 1, 3, 0, 2])
        assert cols.dtype == np.int64
    with pytest.raises(TypeError, match=r"^neighbors must hold integer cell indices, got dtype <U1"):
        neighbor_pairs(np.array([["1"], ["0"], ["1"], ["0"]]), N)


def test_a_repeated_neighbour_is_found_in_any_row():
    idx = np.array([[1, 2], [0, 2], [0, 1], [2, 2]])
    with pytest.raises(ValueError, match=r"^neighbors lists neighbour 2 twice for cell 3"):
        neighbor_pairs(idx, N)


def test_adjacency_matrix_versus_one_neighbour_each():
    with pytest.raises(ValueError, match=r"^neighbors is a dense 2 x 2 array: an adjacency matrix"):
        neighbor_pairs(np.array([[0, 1], [1, 0]]), 2)
    with pytest.raises(ValueError, match=r"^neighbors lists cell 0 as its own neighbour"):
        neighbor_pairs(np.array([[0]]), 1)  # one cell, k = 1: an index array, not an adjacency
    rows, cols = neighbor_pairs(np.array([[1], [0]]), 2)  # (2, 1): fine
    np.testing.assert_array_equal(cols, [1, 0])


def test_knn_pattern():
    idx = np.array([[1, 2], [2, 0], [0, 1]])
    P = knn_pattern(idx)
    assert P.dtype == np.int8 and P.shape == (3, 3)
    np.testing.assert_array_equal(P.toarray(), [[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    np.testing.assert_array_equal(knn_pattern(idx, include_self=True).toarray(), np.ones((3, 3)))
    # nobody lists cell 3: its column is empty, and the pattern is still 4 x 4
    P = knn_pattern(np.array([[1], [2], [0], [0]]))
    assert P.shape == (4, 4) and P[:, 3].nnz == 0


@pytest.mark.parametrize("r", [1, 2, 3])
def test_recursive_neighbors_is_the_support_of_a_power(r):
    """Support of (A + I)^r for a directed chain 0 -> 1 -> 2 -> ... (each cell's neighbour is the next)."""
    n = 7
    idx = np.array([[(i + 1) % n] for i in range(n)])
    reach = recursive_neighbors(idx, r)
    A = sp.csr_matrix((np.ones(n), idx.ravel(), np.arange(n + 1)), shape=(n, n)) + sp.identity(n)
    expected = np.linalg.matrix_power(A.toarray(), r) > 0
    np.testing.assert_array_equal(reach.toarray() > 0, expected)
    assert reach.nnz == n * (r + 1)  # {i, i+1, ..., i+r}
    assert reach.data.dtype == np.int8 and (reach.data == 1).all()


def test_recursive_neighbors_checks_indices():
    with pytest.raises(ValueError, match=r"^the kNN index array has cell index 3 at position 2, outside 0\.\.2"):
        recursive_neighbors(np.array([[1], [2], [3]]), 2)


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
