"""velograph_book.reproducibility: agreement between two runs of a pipeline, on hand-computed cases."""

import numpy as np
import pytest
import scipy.sparse as sp

from velograph_book.reproducibility import column_correlations, neighbor_overlap, shared_share


def test_shared_share_is_the_share_of_the_reference_found_in_the_other():
    assert shared_share(["a", "b", "c", "d"], ["b", "d", "e"]) == 0.5  # {b, d} of 4
    assert shared_share(["a", "a", "b"], ["a"]) == 0.5  # sets: duplicates count once
    assert shared_share([1, 2], []) == 0.0
    assert shared_share(["x"], ["y", "x"]) == 1.0
    # not symmetric: the denominator is the reference
    assert shared_share(["a", "b"], ["a", "b", "c", "d"]) == 1.0
    assert shared_share(["a", "b", "c", "d"], ["a", "b"]) == 0.5
    with pytest.raises(ValueError, match="reference is empty"):
        shared_share([], ["a"])


def test_neighbor_overlap_is_the_jaccard_index_per_row():
    # row 0: {1, 2} vs {2, 3}: 1 / 3; row 1: {0} vs {0}: 1; row 2: {} vs {0}: 0; row 3: empty in both: NaN
    A = sp.csr_matrix((np.array([5.0, 7.0, 1.0]), [1, 2, 0], [0, 2, 3, 3, 3]), shape=(4, 4))
    B = sp.csr_matrix((np.array([9.0, 9.0, 2.0, 3.0]), [2, 3, 0, 0], [0, 2, 3, 4, 4]), shape=(4, 4))
    out = neighbor_overlap(A, B)
    np.testing.assert_allclose(out[:3], [1 / 3, 1.0, 0.0], atol=1e-15)
    assert np.isnan(out[3])
    np.testing.assert_allclose(neighbor_overlap(B, A)[:3], out[:3], atol=0)  # symmetric


def test_neighbor_overlap_ignores_values_and_duplicates():
    # stored zeros are neighbours; a duplicated entry is one neighbour
    A = sp.csr_matrix((np.array([0.0, 1.0, 1.0]), [1, 2, 2], [0, 3, 3, 3]), shape=(3, 3))
    B = sp.csr_matrix((np.array([4.0]), [1], [0, 1, 1, 1]), shape=(3, 3))
    assert neighbor_overlap(A, B)[0] == pytest.approx(0.5, abs=1e-15)  # {1, 2} vs {1}
    assert A.nnz == 3  # the input is not modified


def test_neighbor_overlap_checks_shapes():
    with pytest.raises(ValueError, match="square matrices of the same shape"):
        neighbor_overlap(sp.eye(3), sp.eye(4))
    with pytest.raises(ValueError, match="square"):
        neighbor_overlap(sp.csr_matrix((2, 3)), sp.csr_matrix((2, 3)))


def test_column_correlations_closed_forms():
    X = np.array([[1.0, 1.0, 2.0], [2.0, 1.0, 4.0], [3.0, 1.0, 1.0]])
    Y = np.array([[2.0, 5.0, 0.0], [4.0, 6.0, 1.0], [6.0, 7.0, 0.0]])
    out = column_correlations(X, Y)
    assert out[0] == pytest.approx(1.0, abs=1e-15)  # Y = 2 X
    assert np.isnan(out[1])  # a constant column has no correlation
    # column 2: x = (2, 4, 1), y = (0, 1, 0): centred (-1/3, 5/3, -4/3) and (-1/3, 2/3, -1/3):
    # cov = 1/9 + 10/9 + 4/9 = 15/9, |x|^2 = 42/9, |y|^2 = 6/9
    assert out[2] == pytest.approx(15 / np.sqrt(42 * 6), abs=1e-15)
    np.testing.assert_allclose(column_correlations(X, -Y)[[0, 2]], -out[[0, 2]], atol=1e-15)


def test_column_correlations_are_centred_exactly_with_a_large_offset():
    # one-pass formulas lose every digit of x = 1e8 + (0, 1, 2); explicit centring keeps them
    X = 1e8 + np.array([[0.0], [1.0], [2.0]])
    Y = np.array([[0.0], [1.0], [5.0]])
    assert column_correlations(X, Y)[0] == pytest.approx(np.corrcoef([0, 1, 2], [0, 1, 5])[0, 1], abs=1e-12)


@pytest.mark.parametrize("X, Y, message", [
    (np.ones(3), np.ones(3), "X must be a finite 2-D array"),
    (np.ones((3, 2)), np.array([[1.0, np.nan]] * 3), "Y must be a finite 2-D array"),
    (np.ones((3, 2)), np.ones((3, 3)), "same shape"),
])
def test_column_correlations_reject_bad_input(X, Y, message):
    with pytest.raises(ValueError, match=message):
        column_correlations(X, Y)
