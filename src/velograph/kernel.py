"""Section B: turning similarities into transition probabilities."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from ._checks import positive_scalar, square_sparse
from ._sparse import row_of_each_entry

#: The default kernel width: sigma^2 = 0.1, i.e. scVelo's ``scale=10`` (lambda = 1/sigma^2).
DEFAULT_SIGMA = math.sqrt(0.1)


def transition_matrix(graph: sp.spmatrix | sp.sparray | ArrayLike, sigma: float = DEFAULT_SIGMA) -> sp.csr_matrix:
    r"""Exponential kernel with row normalisation over the stored neighbours.

    .. math:: \tilde\pi_{ij} = \frac{1}{z_i}\exp\!\left(\frac{\pi_{ij}}{\sigma^2}\right),
              \qquad z_i = \sum_{k \in N_i} \exp\!\left(\frac{\pi_{ik}}{\sigma^2}\right)

    where N_i are the stored entries of row i of ``graph`` (its neighbours);
    entries outside N_i stay exactly 0, they are *not* given weight e^0.

    Parameters
    ----------
    graph : n x n sparse matrix of similarities in [-1, 1]
        For example the output of :func:`velograph.cosine_graph`. Its stored entries,
        explicit zeros included, are the neighbours N_i. A dense array is accepted,
        but it cannot mark a stored 0: its **nonzero** entries become N_i, so a
        neighbour whose similarity is exactly 0 is dropped (and a row of zeros has no
        neighbours). Pass a sparse matrix to keep such neighbours.
    sigma : float > 0
        Kernel width sigma (dimensionless, like pi). Small sigma sends almost all
        probability to the best-aligned neighbour; large sigma tends to the
        uniform distribution over N_i. The default sigma^2 = 0.1 equals scVelo's
        ``scale=10``, because scVelo writes the kernel as exp(scale * pi). Any
        positive finite sigma works: as sigma -> 0 each row tends to the uniform
        distribution over its best-aligned neighbours (ties share), as sigma -> inf to
        the uniform distribution over N_i; neither limit overflows.

    Returns
    -------
    scipy.sparse.csr_matrix, float64
        Same sparsity as ``graph``; every row with at least one neighbour sums to 1,
        a row without neighbours stays empty. ``graph`` is not modified.

    Raises
    ------
    TypeError
        If ``sigma`` is not a real number, or ``graph`` is not a sparse matrix or 2-D
        numpy array of numbers.
    ValueError
        If ``sigma`` is not positive and finite, or ``graph`` is not square, is empty,
        has an inconsistent sparse structure, or holds a non-finite value or one outside
        [-1, 1] (beyond a float32 rounding margin of 1e-6).

    Examples
    --------
    Cell 0 has neighbours 1 and 2 with similarities 0.3 and -0.2; with the default
    sigma^2 = 0.1 almost all its probability goes to cell 1, since
    e^{0.3/0.1} / (e^{0.3/0.1} + e^{-0.2/0.1}) = 1 / (1 + e^{-5}). Cell 2 has no neighbours.

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from velograph import transition_matrix
    >>> graph = sp.csr_matrix(np.array([[0.0, 0.3, -0.2],
    ...                                 [0.5, 0.0, 0.5],
    ...                                 [0.0, 0.0, 0.0]]))
    >>> T = transition_matrix(graph)
    >>> print(np.round(T.toarray(), 4))
    [[0.     0.9933 0.0067]
     [0.5    0.     0.5   ]
     [0.     0.     0.    ]]
    >>> print(np.round(np.asarray(T.sum(axis=1)).ravel(), 6))
    [1. 1. 0.]

    A large sigma tends to the uniform distribution over the neighbours:

    >>> print(np.round(transition_matrix(graph, sigma=10.0)[0].toarray(), 4))
    [[0.     0.5012 0.4988]]
    """
    sigma = positive_scalar(sigma, "sigma")
    T = square_sparse(graph, "graph", bounded=True)
    rows = row_of_each_entry(T)
    # Subtracting each row's largest similarity leaves exp(.)/z_i unchanged and keeps
    # exp from overflowing when sigma is small; dividing by sigma twice (never forming
    # sigma^2) keeps sigma = 1e-155 from giving 0/0 and sigma = 1e200 from overflowing.
    row_max = np.full(T.shape[0], -np.inf)
    np.maximum.at(row_max, rows, T.data)
    with np.errstate(over="ignore", under="ignore"):  # -inf (weight 0) is the intended limit
        weights = np.exp((T.data - row_max[rows]) / sigma / sigma)
    z = np.bincount(rows, weights=weights, minlength=T.shape[0])
    T.data = weights / z[rows]
    return T
