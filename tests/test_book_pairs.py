"""velograph_book._pairs: the stored pairs of a sparse matrix, on hand-made matrices."""

import numpy as np
import pytest
import scipy.sparse as sp

from velograph_book._pairs import drop_diagonal, neighbour_directions, row_of_each_entry


def example():
    # row 0: (0,0)=1 (0,2)=2 | row 1: nothing | row 2: (2,0)=0 stored, (2,2)=3, (2,3)=4 | row 3: (3,1)=5
    return sp.csr_matrix((np.array([1.0, 2.0, 0.0, 3.0, 4.0, 5.0]), [0, 2, 0, 2, 3, 1], [0, 2, 2, 5, 6]),
                         shape=(4, 4))


def test_row_of_each_entry_is_the_coo_row():
    M = example()
    np.testing.assert_array_equal(row_of_each_entry(M), [0, 0, 2, 2, 2, 3])
    np.testing.assert_array_equal(row_of_each_entry(M), M.tocoo().row)
    assert row_of_each_entry(sp.csr_matrix((3, 3))).size == 0


def test_drop_diagonal_keeps_stored_zeros_and_leaves_the_input():
    M = example()
    before = (M.data.copy(), M.indices.copy(), M.indptr.copy())
    kept, rows = drop_diagonal(M)
    np.testing.assert_array_equal(kept.toarray(), [[0, 0, 2, 0], [0, 0, 0, 0], [0, 0, 0, 4], [0, 5, 0, 0]])
    assert kept.nnz == 4  # the stored zero at (2, 0) is a neighbour with weight 0
    np.testing.assert_array_equal(rows, [0, 2, 2, 3])
    np.testing.assert_array_equal(np.diff(kept.indptr), [1, 0, 2, 1])
    for now, then in zip((M.data, M.indices, M.indptr), before, strict=True):
        np.testing.assert_array_equal(now, then)


def test_drop_diagonal_sorts_unsorted_indices():
    M = sp.csr_matrix((np.array([2.0, 1.0, 3.0]), [2, 0, 1], [0, 3, 3, 3]), shape=(3, 3))
    M.has_sorted_indices = False
    kept, rows = drop_diagonal(M)
    np.testing.assert_array_equal(kept.indices, [1, 2])
    np.testing.assert_array_equal(kept.data, [3.0, 2.0])
    np.testing.assert_array_equal(rows, [0, 0])
    np.testing.assert_array_equal(M.indices, [2, 0, 1])  # the caller's matrix is not sorted in place
    np.testing.assert_array_equal(M.data, [2.0, 1.0, 3.0])


def test_neighbour_directions_unit_vectors_and_lengths():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    T = sp.csr_matrix((np.array([0.5, 0.25, 0.25, 1.0]), [0, 1, 2, 3], [0, 3, 4, 4, 4]), shape=(4, 4))
    kept, rows, unit, length = neighbour_directions(T, X)
    np.testing.assert_array_equal(rows, [0, 0, 1])  # the diagonal (0, 0) is dropped
    np.testing.assert_array_equal(kept.indices, [1, 2, 3])
    np.testing.assert_allclose(length, [5.0, 0.0, np.hypot(3, 6)], atol=1e-15)
    np.testing.assert_allclose(unit, [[0.6, 0.8], [0.0, 0.0], [-3 / np.hypot(3, 6), -6 / np.hypot(3, 6)]],
                               atol=1e-15)  # a neighbour on the cell itself has no direction: zero vector


def test_neighbour_directions_checks_the_embedding():
    with pytest.raises(ValueError, match=r"X_emb must be an \(n, d\) array with n = 4"):
        neighbour_directions(example(), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="X_emb"):
        neighbour_directions(example(), np.zeros(4))
