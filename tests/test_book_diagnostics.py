"""velograph_book.diagnostics: the book's summaries, on cases whose values follow by hand."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from velograph_book import diagnostics as dg


def test_row_entropy_closed_forms():
    T = sp.csr_matrix(np.array([
        [0.25, 0.25, 0.25, 0.25],  # uniform over 4: log 4
        [0.0, 1.0, 0.0, 0.0],      # one neighbour: 0
        [0.5, 0.0, 0.5, 0.0],      # log 2
        [0.0, 0.0, 0.0, 0.0],      # empty row: 0
    ]))
    np.testing.assert_allclose(dg.row_entropy(T), [np.log(4), 0.0, np.log(2), 0.0], atol=1e-15)
    p = np.array([0.1, 0.2, 0.7])
    row = sp.csr_matrix((p, [0, 1, 2], [0, 3, 3, 3]), shape=(3, 3))
    assert dg.row_entropy(row)[0] == pytest.approx(-(p * np.log(p)).sum(), abs=1e-15)


def test_row_entropy_ignores_stored_zeros_and_accepts_dense():
    T = sp.csr_matrix((np.array([0.5, 0.0, 0.5]), [0, 1, 2], [0, 3, 3, 3]), shape=(3, 3))
    assert T.nnz == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 log 0 = 0 by definition, not log(0) with a warning
        np.testing.assert_allclose(dg.row_entropy(T), [np.log(2), 0, 0], atol=1e-15)
    np.testing.assert_allclose(dg.row_entropy(T.toarray()), [np.log(2), 0, 0], atol=1e-15)
    assert dg.row_entropy(T).shape == (3,)


def test_stored_per_row_counts_stored_entries_including_zeros():
    M = sp.csr_matrix((np.array([1.0, 0.0, 2.0]), [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
    np.testing.assert_array_equal(dg.stored_per_row(M), [2, 0, 1])
    np.testing.assert_array_equal(dg.stored_per_row(M.toarray()), [1, 0, 1])  # a dense 0 is not stored


def test_stored_per_row_without_the_diagonal_counts_neighbours():
    # stored: (0,0) (0,1) | (1,0) (1,1)=0 (1,2) | nothing; the diagonal, stored zero included, is no neighbour
    M = sp.csr_matrix((np.array([0.5, 1.0, 1.0, 0.0, 1.0]), [0, 1, 0, 1, 2], [0, 2, 5, 5]), shape=(3, 3))
    np.testing.assert_array_equal(dg.stored_per_row(M, include_diagonal=False), [1, 2, 0])
    np.testing.assert_array_equal(dg.stored_per_row(M, include_diagonal=True), [2, 3, 0])
    with pytest.raises(TypeError, match="include_diagonal"):
        dg.stored_per_row(M, include_diagonal="no")


def test_row_entropy_with_and_without_the_diagonal():
    # row 0: T_00 = 0.5, T_01 = T_02 = 0.25: -0.5 log 0.5 - 2 * 0.25 log 0.25 = 1.5 log 2 with the
    # diagonal, 0.5 log 4 = log 2 without it (the entries are not renormalised)
    T = sp.csr_matrix((np.array([0.5, 0.25, 0.25]), [0, 1, 2], [0, 3, 3, 3]), shape=(3, 3))
    assert dg.row_entropy(T)[0] == pytest.approx(1.5 * np.log(2), abs=1e-15)
    assert dg.row_entropy(T, include_diagonal=False)[0] == pytest.approx(np.log(2), abs=1e-15)
    assert T.nnz == 3 and T[0, 0] == 0.5  # the input is not modified


def test_offdiagonal_row_sums():
    T = np.array([[0.5, 0.2, 0.3], [0.0, 0.1, 0.9], [0.4, 0.6, 0.0]])
    np.testing.assert_allclose(dg.offdiagonal_row_sums(sp.csr_matrix(T)), [0.5, 0.9, 1.0], atol=1e-15)
    np.testing.assert_allclose(dg.offdiagonal_row_sums(T), [0.5, 0.9, 1.0], atol=1e-15)


def test_edge_agreement():
    G1 = sp.csr_matrix((np.array([0.5, -0.2, 0.9, 0.1]), [1, 2, 0, 0], [0, 2, 3, 4]), shape=(3, 3))
    G2 = sp.csr_matrix((np.array([0.4, 0.3, 0.7, -0.3, 0.8]), [1, 2, 0, 0, 2], [0, 2, 3, 5]), shape=(3, 3))
    # compared over G1's four stored pairs: a = (0.5, -0.2, 0.9, 0.1), b = (0.4, 0.3, 0.7, -0.3)
    a, b = np.array([0.5, -0.2, 0.9, 0.1]), np.array([0.4, 0.3, 0.7, -0.3])
    r, flipped = dg.edge_agreement(G1, G2)
    assert r == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
    assert flipped == pytest.approx(0.5)  # (-0.2 vs 0.3) and (0.1 vs -0.3)
    assert dg.edge_agreement(G1, G1) == pytest.approx((1.0, 0.0))


def test_dense_kernel_outside_mass_closed_form():
    # row 0: two neighbours with pi = 0 and 0.1, sigma^2 = 0.1: inside = 1 + e, outside = 4 - 2 = 2
    G = sp.csr_matrix((np.array([0.0, 0.1, 0.5, 0.5, -0.5, 0.2]), [1, 2, 0, 2, 3, 0], [0, 2, 5, 5, 6, 6]), shape=(5, 5))
    sigma = np.sqrt(0.1)
    out = dg.dense_kernel_outside_mass(G, sigma)
    # N = 5 cells: a row with n_i neighbours has 5 - n_i outside, each adding e^0 = 1
    assert out[0] == pytest.approx(3 / (1 + np.e + 3), abs=1e-12)
    inside1 = 2 * np.exp(5.0) + np.exp(-5.0)
    assert out[1] == pytest.approx(2 / (inside1 + 2), abs=1e-12)
    assert out[2] == pytest.approx(1.0)  # no neighbours: all of z_i would come from outside
    assert out[3] == pytest.approx(4 / (np.exp(2.0) + 4), abs=1e-12)
    assert out[4] == pytest.approx(1.0)  # the last row empty too
