"""Index boundaries across the public functions: n - 1 accepted, n and -1 refused, with the argument named.

Moved into test_validation.py (the bad-input file) once its owner is done with it.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
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


def test_square_shape_and_cell_count():
    with pytest.raises(ValueError, match=r"^graph must be a square n x n matrix, got shape \(2, 3\)"):
        vg.transition_matrix(sp.csr_matrix((2, 3)))
    with pytest.raises(ValueError, match=r"^X_emb has 4 rows but T is 3 x 3"):
        vg.project_velocity(sp.identity(3, format="csr"), E)
    with pytest.raises(ValueError, match=r"^T_sub is 4 x 4 but there are 3 cells"):
        vg.row_correlations(sp.identity(3, format="csr"), sp.identity(4, format="csr"))
    with pytest.raises(ValueError, match=r"^graph is empty"):
        vg.transition_matrix(sp.csr_matrix((0, 0)))
