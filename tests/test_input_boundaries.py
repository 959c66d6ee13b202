"""The checks that stand between user input and the compiled code, tested at their boundaries.

An index equal to n is the classic off-by-one that reads one element past an array:
these tests put the last valid value (n - 1, 0) and the first invalid one (n, -1) side
by side, for every way an index reaches the library. Found missing by mutation testing.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph import _sparse
from velograph.neighbors import knn_pattern, neighbor_pairs, recursive_neighbors
from velograph.projection import project_velocity_csr

N = 4
X = np.arange(N * 3, dtype=float).reshape(N, 3) ** 1.5
V = np.cos(np.arange(N * 3, dtype=float)).reshape(N, 3)
E = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def _csr_with_column(col, entry=2):
    """A valid 4 x 4 CSR whose stored entry number ``entry`` (2: row 1's, 4: row 3's) is then
    pointed at column ``col``, after construction: scipy does not check index ranges there."""
    M = sp.csr_matrix((np.full(5, 0.5), np.array([1, 2, 0, 1, 2]), np.array([0, 2, 3, 4, 5])), shape=(N, N))
    M.indices[entry] = col
    return M


@pytest.mark.parametrize("call", [
    lambda M: vg.transition_matrix(M),
    lambda M: vg.project_velocity(M, E),
    lambda M: project_velocity_csr(M, E),
    lambda M: vg.cosine_graph(X, V, M),
    lambda M: vg.row_correlations(M, M),
])
def test_column_index_n_is_refused_and_n_minus_1_accepted(call):
    call(_csr_with_column(N - 1))
    call(_csr_with_column(0))
    for bad in (N, -1):
        with pytest.raises(ValueError, match=rf"column index {bad} in row 1, outside 0\.\.{N - 1}"):
            call(_csr_with_column(bad))


def test_an_index_past_the_last_row_is_not_overlooked():
    """Only indices[:indptr[-1]] are stored entries; the last one of them is still checked."""
    M = _csr_with_column(N, entry=4)
    indices = np.append(M.indices, 99)  # an unused trailing slot beyond indptr[-1] may hold anything
    with pytest.raises(ValueError, match=r"column index 4 in row 3"):
        _sparse.check_compressed(M.indptr, indices, N, N, "T")
    _sparse.check_compressed(M.indptr, np.append(_csr_with_column(3, entry=4).indices, 99), N, N, "T")


def test_indptr_checks():
    indices = np.array([1, 2, 0, 1, 2])
    _sparse.check_compressed(np.array([0, 2, 2, 2, 5]), indices, N, N, "T")  # empty rows: equal steps are fine
    with pytest.raises(ValueError, match=r"indptr decreases at row 2 \(3 -> 2\)"):
        _sparse.check_compressed(np.array([0, 0, 3, 2, 5]), indices, N, N, "T")  # row 0 empty: not the culprit
    with pytest.raises(ValueError, match=r"indptr starts at 1, not 0"):
        _sparse.check_compressed(np.array([1, 2, 3, 4, 5]), indices, N, N, "T")
    with pytest.raises(ValueError, match=r"indptr ends at 6 but only 5 indices are stored"):
        _sparse.check_compressed(np.array([0, 2, 3, 4, 6]), indices, N, N, "T")
    with pytest.raises(ValueError, match=r"indptr has length 4, expected n_rows \+ 1 = 5"):
        _sparse.check_compressed(np.array([0, 2, 3, 5]), indices, N, N, "T")
    with pytest.raises(TypeError, match=r"indptr has dtype float64"):
        _sparse.check_compressed(np.array([0, 2, 3, 4, 5.0]), indices, N, N, "T")
    with pytest.raises(TypeError, match=r"^T must hold integer column indices, got dtype float64"):
        _sparse.check_compressed(np.array([0, 2, 3, 4, 5]), indices.astype(float), N, N, "T")


def test_check_index_range_on_single_values_and_positions():
    _sparse.check_index_range(np.array([0]), 1, "order", "cell index")
    with pytest.raises(ValueError, match=r"^order has cell index 1 at position 0, outside 0\.\.0"):
        _sparse.check_index_range(np.array([1]), 1, "order", "cell index")
    with pytest.raises(ValueError, match=r"^order has cell index 5 at position 2, outside 0\.\.2"):
        _sparse.check_index_range(np.array([0, 1, 5]), 3, "order", "cell index")
    with pytest.raises(ValueError, match=r"^order has cell index -1 at position 1"):
        _sparse.check_index_range(np.array([0, -1, 2]), 3, "order", "cell index")
    with pytest.raises(TypeError, match=r"^order must hold integer cell index, got dtype float64"):
        _sparse.check_index_range(np.array([0.0, 1.0]), 3, "order", "cell index")
    _sparse.check_index_range(np.array([], dtype=float), 3, "order", "cell index")  # nothing to check


def test_other_sparse_formats_are_checked_too():
    good = _csr_with_column(2)
    for fmt in ("csc", "coo", "bsr", "lil", "dok"):
        _sparse.check_structure(good.asformat(fmt), "G")
    bad_csc = good.tocsc(copy=True)
    bad_csc.indices[0] = N
    with pytest.raises(ValueError, match=r"^G has row index 4 in column 1, outside 0\.\.3"):
        _sparse.check_structure(bad_csc, "G")
    bad_coo = good.tocoo(copy=True)
    bad_coo.row[1] = N
    with pytest.raises(ValueError, match=r"^G has row index 4 at position 1"):
        _sparse.check_structure(bad_coo, "G")
    bad_coo = good.tocoo(copy=True)
    bad_coo.col[2] = -1
    with pytest.raises(ValueError, match=r"^G has column index -1 at position 2"):
        _sparse.check_structure(bad_coo, "G")
    bad_bsr = sp.bsr_matrix(good.toarray(), blocksize=(2, 2))
    bad_bsr.indices[0] = 2  # only block columns 0 and 1 exist
    with pytest.raises(ValueError, match=r"^G has block column index 2 in block row 0"):
        _sparse.check_structure(bad_bsr, "G")
    for fmt in ("csr", "csc"):
        short = _csr_with_column(2).asformat(fmt, copy=True)
        short.data = short.data[:4]  # one value missing, for the last stored entry
        with pytest.raises(ValueError, match=r"^G has an inconsistent sparse structure: 4 values for 5 stored entries"):
            _sparse.check_structure(short, "G")
    short = sp.bsr_matrix(_csr_with_column(2).toarray(), blocksize=(2, 2))
    short.data = short.data[:-1]
    with pytest.raises(ValueError, match=r"^G has an inconsistent sparse structure: 3 values for 4 stored entries"):
        _sparse.check_structure(short, "G")


def test_canonical_and_sorted_csr_never_touch_their_input():
    M = sp.csr_matrix((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 2]), np.array([0, 3, 3, 3])), shape=(3, 3))
    before = (M.data.copy(), M.indices.copy(), M.indptr.copy())
    out = _sparse.canonical_csr(M, dtype=np.float32)
    assert out.dtype == np.float32 and out.has_canonical_format
    np.testing.assert_array_equal(out.toarray(), [[2, 0, 4], [0, 0, 0], [0, 0, 0]])
    s = _sparse.sorted_csr(M)
    assert s.has_canonical_format and s is not M
    np.testing.assert_array_equal(s.toarray(), out.toarray())
    np.testing.assert_array_equal(_sparse.sorted_csr(M.tocoo()).toarray(), out.toarray())
    for a, b in zip(before, (M.data, M.indices, M.indptr), strict=True):
        np.testing.assert_array_equal(a, b)
    last_column_empty = sp.csr_matrix((np.array([1.0]), np.array([0]), np.array([0, 1, 1, 1])), shape=(3, 3))
    assert _sparse.sorted_csr(last_column_empty).shape == (3, 3)
    assert _sparse.canonical_csr(last_column_empty).shape == (3, 3)


def test_row_of_each_entry_on_a_rectangular_matrix():
    M = sp.csr_matrix(np.array([[1, 0], [0, 0], [1, 1]]))
    np.testing.assert_array_equal(_sparse.row_of_each_entry(M), [0, 2, 2])


# --- square_sparse, through the public functions that use it ---

def test_similarity_bounds_allow_float32_rounding_only():
    def graph(value):
        return sp.csr_matrix((np.array([value, 0.5]), [1, 0], [0, 1, 2]), shape=(2, 2))

    for ok in (1 + 5e-7, -1 - 5e-7, 1.0, -1.0):
        vg.transition_matrix(graph(ok))
    for bad in (1 + 2e-6, -1 - 2e-6, 1.5, -1.5):
        with pytest.raises(ValueError, match=r"^graph must hold similarities in \[-1, 1\]"):
            vg.transition_matrix(graph(bad))


def test_graph_dtypes():
    bool_graph = sp.csr_matrix(np.array([[False, True], [True, False]]))
    np.testing.assert_allclose(vg.transition_matrix(bool_graph).toarray(), [[0, 1], [1, 0]])
    # two equal neighbours each: probabilities 1/2, which a bool or int result could not hold
    ring = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    for dtype in (bool, np.int8, np.int64):
        T = vg.transition_matrix(sp.csr_matrix(ring.astype(dtype)))
        assert T.dtype == np.float64
        np.testing.assert_allclose(T.toarray(), ring / 2, atol=1e-15)
    with pytest.raises(TypeError, match=r"^graph must hold numbers, got dtype <U1"):
        vg.transition_matrix(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match=r"^graph must hold numbers, got dtype object"):
        vg.transition_matrix(np.array([[0, 0.5], [0.5, 0]], dtype=object))
    with pytest.raises(TypeError, match=r"^graph must be a scipy sparse matrix or a 2-D numpy array, got list"):
        vg.transition_matrix([[0, 0.5], [0.5, 0]])
    with pytest.raises(TypeError, match=r"^sigma must be a positive real number, got str"):
        vg.transition_matrix(bool_graph, sigma="0.3")


def test_square_shape_and_cell_count():
    with pytest.raises(ValueError, match=r"^graph must be a square n x n matrix, got shape \(2, 3\)"):
        vg.transition_matrix(sp.csr_matrix((2, 3)))
    with pytest.raises(ValueError, match=r"^X_emb has 4 rows but T is 3 x 3"):
        vg.project_velocity(sp.identity(3, format="csr"), E)
    with pytest.raises(ValueError, match=r"^T_sub is 4 x 4 but there are 3 cells"):
        vg.row_correlations(sp.identity(3, format="csr"), sp.identity(4, format="csr"))
    with pytest.raises(ValueError, match=r"^graph is empty"):
        vg.transition_matrix(sp.csr_matrix((0, 0)))


# --- neighbour index arrays ---

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
