import numpy as np
import pytest

from velograph_book.toy import knn_indices


@pytest.fixture
def random_problem():
    """A small random data set: states, velocities, a kNN graph and a 2-D embedding."""
    rng = np.random.default_rng(42)
    n, g, k = 40, 15, 6
    X = rng.normal(size=(n, g))
    V = rng.normal(size=(n, g))
    E = rng.normal(size=(n, 2))
    return X, V, knn_indices(X, k), E


def dense_support(neighbors, n):
    support = np.zeros((n, n), bool)
    for i, row in enumerate(neighbors):
        support[i, row] = True
    return support


@pytest.fixture
def support_of():
    return dense_support

