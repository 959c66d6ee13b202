"""velograph_book.toy: the small inputs of Part I are what the chapters say they are."""

import numpy as np
import pytest

from velograph_book import toy


def test_blog_vectors_are_the_blog_numbers_and_fresh_copies():
    s_i, s_j, v_i = toy.blog_vectors()
    np.testing.assert_array_equal(s_i, [2.0, 3.5, 1.0])
    np.testing.assert_array_equal(s_j, [3.5, 2.5, 1.5])
    np.testing.assert_array_equal(v_i, [1.2, -0.5, 0.3])
    s_i[0] = 99.0  # a chapter that changes its copy changes nothing for the next caller
    assert toy.blog_vectors()[0][0] == 2.0 and toy.S_I[0] == 2.0


def test_one_cell_neighborhood():
    np.testing.assert_array_equal(toy.one_cell_neighborhood(), [0.9, 0.6, 0.1, -0.3, -0.8])


def test_crowded_embedding_puts_eight_neighbours_left_and_two_right():
    X_emb, neighbours = toy.crowded_embedding()
    assert X_emb.shape == (11, 2)
    np.testing.assert_array_equal(X_emb[0], [0.0, 0.0])
    np.testing.assert_array_equal(neighbours, np.arange(1, 11))
    assert int((X_emb[neighbours, 0] < 0).sum()) == 8 and int((X_emb[neighbours, 0] > 0).sum()) == 2
    # the unweighted mean of the unit directions points left
    unit = X_emb[neighbours] / np.linalg.norm(X_emb[neighbours], axis=1, keepdims=True)
    assert unit.mean(axis=0)[0] < -0.5
    # the first neighbour lies at 150 degrees, radius 1
    np.testing.assert_allclose(X_emb[1], [np.cos(np.radians(150)), np.sin(np.radians(150))], atol=1e-15)


def test_toy_expression_is_seeded_sorted_and_shaped():
    X, V, t = toy.toy_expression(n_cells=12, n_genes=6, seed=0)
    assert X.shape == V.shape == (12, 6) and t.shape == (12,)
    assert np.all(np.diff(t) >= 0) and t.min() >= 0 and t.max() <= 1
    again = toy.toy_expression(n_cells=12, n_genes=6, seed=0)
    for a, b in zip((X, V, t), again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(toy.toy_expression(seed=1)[0], X)
    # noise is small around the curve s(t) = sin(2t + phase)
    phase = np.linspace(0, np.pi, 6)
    assert np.abs(X - np.sin(2 * t[:, None] + phase)).max() < 0.25


def test_knn_indices_on_a_line():
    X = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_array_equal(toy.knn_indices(X, 2), [[1, 2], [0, 2], [1, 0], [2, 1]])
    assert not (toy.knn_indices(X, 3) == np.arange(4)[:, None]).any()  # never itself


def test_knn_indices_breaks_ties_by_index():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])  # three at distance 1 from cell 0
    np.testing.assert_array_equal(toy.knn_indices(X, 3)[0], [1, 2, 3])
    # 40 cells at 0, 1, ..., 39 (long rows, where an unstable sort reorders ties): i - 1 before i + 1
    line = toy.knn_indices(np.arange(40.0)[:, None], 6)
    np.testing.assert_array_equal(line[20], [19, 21, 18, 22, 17, 23])
    np.testing.assert_array_equal(line[0], [1, 2, 3, 4, 5, 6])


def test_one_row_matrix():
    M = toy.one_row_matrix([0.5, -0.25], columns=[2, 3], n_cells=4)
    assert M.shape == (4, 4) and M.nnz == 2
    np.testing.assert_array_equal(M.toarray(), [[0, 0, 0.5, -0.25], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert toy.one_row_matrix([0.0], columns=[1], n_cells=2).nnz == 1  # a stored zero stays stored
    with pytest.raises(ValueError, match="same length"):
        toy.one_row_matrix([1.0, 2.0], columns=[1], n_cells=3)
    with pytest.raises(ValueError, match=r"columns must lie in \[0, 3\)"):
        toy.one_row_matrix([1.0], columns=[3], n_cells=3)
