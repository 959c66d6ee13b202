import os

import numpy as np
import pytest
from hypothesis import settings

from velograph_book.toy import knn_indices

from _tl_data import dense_support

# Hypothesis profiles. In CI (CI=true, which .ci/run exports) every property test draws the
# same examples on every run ("derandomize"), so a run can only go red through a change;
# locally examples are random and failures are kept in hypothesis's example database, so
# that a counterexample found once is replayed until fixed. HYPOTHESIS_PROFILE overrides.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev"))


@pytest.fixture
def random_problem():
    """A small random data set: states, velocities, a kNN graph and a 2-D embedding."""
    rng = np.random.default_rng(42)
    n, g, k = 40, 15, 6
    X = rng.normal(size=(n, g))
    V = rng.normal(size=(n, g))
    E = rng.normal(size=(n, 2))
    return X, V, knn_indices(X, k), E


@pytest.fixture
def support_of():
    return dense_support

