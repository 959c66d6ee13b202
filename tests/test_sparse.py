"""velograph._sparse: the structure checks that stand between a user's sparse matrix and the compiled code.

An index equal to n is the classic off-by-one that reads one element past an array: these
tests put the last valid value (n - 1, 0) and the first invalid one (n, -1) side by side.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from velograph import _sparse

N = 4


def _csr_with_column(col, entry=2):
    """A valid 4 x 4 CSR whose stored entry number ``entry`` (2: row 1's, 4: row 3's) is then
    pointed at column ``col``, after construction: scipy does not check index ranges there."""
    M = sp.csr_matrix((np.full(5, 0.5), np.array([1, 2, 0, 1, 2]), np.array([0, 2, 3, 4, 5])), shape=(N, N))
    M.indices[entry] = col
    return M


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
