"""velograph.comparisons: closed-form values for the summaries chapters 6 and 7 print."""

import numpy as np
import pytest
import scipy.sparse as sp

from velograph import comparisons, display


@pytest.fixture
def margin():
    old = display.set_rounding_margin(2e-6)
    yield 2e-6
    display.set_rounding_margin(old)


def test_stable_share_counts_strictly_beyond(margin):
    values = np.array([0.1, 0.2, 0.3, 0.4])
    assert comparisons.stable_share(values, 0.25) == 0.5
    assert comparisons.stable_share(values, 0.25, side="below") == 0.5
    assert comparisons.stable_share(values, 0.0, side="below") == 0.0


def test_stable_share_counts_ambiguous_values_both_ways(margin):
    # 1 of 100,000 values sits on the threshold: the share is 0.5 or 0.50001, both print 0.5000
    values = np.r_[np.full(50_000, 1.0), np.full(49_999, -1.0), [1e-7]]
    assert comparisons.stable_share(values, 0.0, digits=4) == 0.5
    # at 5 decimals the two ends (0.50000, 0.50001) print differently: refused
    with pytest.raises(ValueError, match="print fewer digits"):
        comparisons.stable_share(values, 0.0, digits=5)


def test_stable_share_rejects_a_bad_side_and_no_values(margin):
    with pytest.raises(ValueError, match="side"):
        comparisons.stable_share([1.0], 0.0, side="left")
    with pytest.raises(ValueError, match="nothing"):
        comparisons.stable_share([], 0.0)


def test_opposite_sign_share_on_stored_entries(margin):
    G1 = sp.csr_matrix(np.array([[0, 0.5, -0.5, 0.2], [0.3, 0, 0, 0], [0, 0, 0, 0.1], [0, 0, 0, 0]]))
    G2 = sp.csr_matrix(np.array([[0, 0.4, 0.5, 0.9], [-0.3, 0, 0, 0], [0, 0, 0, 0.2], [0, 0, 0, 0]]))
    # stored in G1: (0,1) same, (0,2) opposite, (0,3) same, (1,0) opposite, (2,3) same -> 2/5
    assert comparisons.opposite_sign_share(G1, G2, digits=4) == 0.4
    a, b = comparisons.edge_values(G1, G2)
    assert np.allclose(a, [0.5, -0.5, 0.2, 0.3, 0.1]) and np.allclose(b, [0.4, 0.5, 0.9, -0.3, 0.2])
