"""velograph_book.part_one: the row readings Part I states in its prose."""

import numpy as np
import pytest
import scipy.sparse as sp

from velograph_book.part_one import peak_rank


def test_peak_rank_counts_the_reference_entries_above_the_other_rows_peak():
    reference = sp.csr_matrix(np.array([
        [0.0, 0.6, 0.3, 0.1],
        [0.5, 0.0, 0.5, 0.0],
        [0.2, 0.8, 0.0, 0.0],
        [0.0, 0.1, 0.9, 0.0],
    ]))
    other = sp.csr_matrix(np.array([
        [0.0, 0.1, 0.2, 0.7],  # peaks at the reference's third choice
        [0.9, 0.0, 0.1, 0.0],  # a tie in the reference shares the better rank
        [0.4, 0.6, 0.0, 0.0],  # same peak
        [0.0, 0.0, 0.0, 0.0],  # empty row
    ]))
    assert peak_rank(reference, other).tolist() == [3, 1, 1, 0]


def test_peak_rank_ignores_the_diagonal_and_unstored_columns():
    reference = sp.csr_matrix(np.array([[5.0, 0.2, 0.8], [0.3, 0.0, 0.7], [0.5, 0.5, 0.0]]))
    other = sp.csr_matrix(np.array([[9.0, 0.1, 0.9], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    other = other.tolil()
    other[1, 1] = 4.0  # only a diagonal entry: nothing to rank
    other = other.tocsr()
    # row 0: the diagonal 9.0 is not a neighbour, the peak is column 2, the reference's first
    assert peak_rank(reference, other).tolist() == [1, 0, 0]
    # a peak at a column the reference does not store gets 0
    sparse_reference = sp.csr_matrix(np.array([[0.0, 0.2, 0.0], [0.3, 0.0, 0.7], [0.5, 0.5, 0.0]]))
    assert peak_rank(sparse_reference, other)[0] == 0


def test_peak_rank_does_not_modify_its_inputs():
    reference = sp.random(6, 6, density=0.6, random_state=1, format="csr")
    other = sp.random(6, 6, density=0.6, random_state=2, format="csr")
    before = (reference.toarray().copy(), other.toarray().copy())
    ranks = peak_rank(reference, other)
    assert np.array_equal(before[0], reference.toarray()) and np.array_equal(before[1], other.toarray())
    assert ranks.dtype.kind == "i" and ranks.shape == (6,)


@pytest.mark.parametrize(
    ("reference", "other", "match"),
    [
        (np.eye(3), sp.eye(3, format="csr"), "reference must be a scipy sparse matrix"),
        (sp.eye(3, format="csr"), sp.eye(4, format="csr"), "same shape"),
        (sp.csr_matrix(np.ones((2, 3))), sp.csr_matrix(np.ones((2, 3))), "square"),
        (sp.csr_matrix(np.array([[0.0, np.nan], [1.0, 0.0]])), sp.eye(2, format="csr"), "non-finite"),
    ],
)
def test_peak_rank_refuses_bad_input_naming_the_argument(reference, other, match):
    with pytest.raises((TypeError, ValueError), match=match):
        peak_rank(reference, other)
