"""Edge cells of a 2-D embedding: the widest sector around a cell that holds none of its neighbours.

A cell whose stored neighbours all lie in one half-plane of the embedding (empty sector
wider than 180 degrees) sits at an edge of its own neighbourhood. An arrow that is a
weighted sum of directions to neighbours can never point into that sector; only the
density correction of section C can send it there. These two functions measure the
sector and test whether arrows point into it; ``velograph.tl.edge_cell_check`` builds
its null comparison on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from ._checks import as_float_matrix, square_sparse
from ._sparse import row_of_each_entry

#: Directions within this many radians of a sector's edge count as on the edge: the
#: neighbour that bounds a sector reappears there after the degree/radian round trip and
#: the wrap-around by 2 pi, a few units in the last place away (4e-16 rad measured).
EDGE_TOLERANCE = 1e-9


def empty_sector(neighbors: sp.spmatrix | sp.sparray | np.ndarray,
                 X_emb: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""The widest angular sector around each cell that holds none of its neighbours.

    For cell i with stored off-diagonal neighbours j, theta_ij = atan2(y_j - y_i, x_j - x_i).
    Sorted around the circle, the widest gap between consecutive angles (the wrap-around
    from the last angle back to the first included) is the empty sector: it starts at
    the angle before the gap and runs counter-clockwise.

    Parameters
    ----------
    neighbors : sparse matrix or 2-D numpy array, shape (n_cells, n_cells)
        Any matrix whose stored off-diagonal entries are the neighbours (a kNN graph, a
        velocity graph, a transition matrix); the values only need to be finite. A dense
        array marks its nonzero entries.
    X_emb : array_like, shape (n_cells, 2)
        2-D embedding coordinates (finite), in the embedding's units.

    Returns
    -------
    width : numpy.ndarray, shape (n_cells,), float64
        Width of the empty sector in degrees, in (0, 360]; > 180 means every neighbour
        lies in one half-plane. 360 when no two neighbour directions differ: all
        neighbours in one direction, or none away from the cell's own position
        (neighbours at the same point have no direction and are ignored).
    start : numpy.ndarray, shape (n_cells,), float64
        Where the sector starts, in radians in [-pi, pi]: the neighbours' direction when
        the width is 360 and there is one, 0 for a cell with none.

    Raises
    ------
    TypeError, ValueError
        If ``neighbors`` is not a square sparse matrix or numpy array of finite numbers
        with valid indices, or ``X_emb`` is not a finite (n_cells, 2) array.

    Examples
    --------
    >>> import numpy as np
    >>> from velograph import empty_sector
    >>> X_emb = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
    >>> neighbors = np.zeros((4, 4))
    >>> neighbors[0, 1:] = 1  # cell 0 sees neighbours at 0, 90 and 135 degrees
    >>> width, start = empty_sector(neighbors, X_emb)
    >>> print(f"{width[0]:.1f} deg from {np.degrees(start[0]):.1f} deg; cell 1: {width[1]:.0f}")
    225.0 deg from 135.0 deg; cell 1: 360
    """
    N = square_sparse(neighbors, "neighbors")
    n = N.shape[0]
    X_emb = as_float_matrix(X_emb, "X_emb")
    if X_emb.shape != (n, 2):
        raise ValueError(f"X_emb must be a 2-D embedding of the {n} cells of neighbors (shape ({n}, 2)), "
                         f"got shape {X_emb.shape}")
    rows = row_of_each_entry(N)
    d = X_emb[N.indices] - X_emb[rows]
    # a zero displacement has no direction; this drops the diagonal too
    keep = np.abs(d).sum(axis=1) > 0
    rows, d = rows[keep], d[keep]
    theta = np.arctan2(d[:, 1], d[:, 0])
    order = np.lexsort((theta, rows))
    rows, theta = rows[order], theta[order]
    counts = np.bincount(rows, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # the next angle around the circle; the last of each row wraps to its first plus a full turn
    following = np.empty_like(theta)
    following[:-1] = theta[1:]
    has = counts > 0
    following[(starts + counts - 1)[has]] = theta[starts[has]] + 2 * np.pi
    gap = following - theta
    width, start = np.full(n, 2 * np.pi), np.zeros(n)
    # the widest gap of each row: sorted by (row, gap), the last entry of the row
    widest = np.lexsort((gap, rows))[starts[has] + counts[has] - 1]
    width[has], start[has] = gap[widest], theta[widest]
    return np.degrees(width), start


def points_into_sector(arrows: ArrayLike, width: ArrayLike, start: ArrayLike) -> np.ndarray:
    """Whether each arrow's direction lies strictly inside its sector.

    Arrow m points into the sector when its angle phi_m = atan2 satisfies
    eps < (phi_m - start_m) mod 2 pi < width_m - eps (in radians), i.e. strictly between
    the sector's two edges, with eps = ``EDGE_TOLERANCE`` = 1e-9 rad so that the
    neighbours bounding the sector stay outside it despite rounding. A 360-degree
    sector keeps its start as an edge too (the direction of the cell's neighbours).

    Parameters
    ----------
    arrows : array_like, shape (n, 2)
        2-D arrows (any length; NaN allowed: an undefined arrow points nowhere).
    width : array_like, shape (n,)
        Sector widths in degrees, in [0, 360] (as :func:`empty_sector` returns).
    start : array_like, shape (n,)
        Sector starts in radians (as :func:`empty_sector` returns).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True where arrow m points into sector m; False for a zero or non-finite arrow.
        Empty for n = 0.

    Raises
    ------
    TypeError, ValueError
        If ``arrows`` is not an (n, 2) array of real numbers, or ``width`` and ``start``
        are not finite vectors of length n (``width`` within [0, 360]).

    Examples
    --------
    >>> import numpy as np
    >>> from velograph import points_into_sector
    >>> arrows = np.array([[-1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> print(points_into_sector(arrows, [270.0] * 3, [np.pi / 2] * 3))
    [ True False False]
    """
    arrows = as_float_matrix(arrows, "arrows", allow_empty=True, allow_nonfinite=True)
    if arrows.shape[1] != 2:
        raise ValueError(f"arrows must be 2-D arrows (shape (n, 2)), got shape {arrows.shape}")
    n = arrows.shape[0]
    width = as_float_matrix(width, "width", ndim=1, allow_empty=True)
    start = as_float_matrix(start, "start", ndim=1, allow_empty=True)
    for name, values in (("width", width), ("start", start)):
        if values.shape != (n,):
            raise ValueError(f"{name} must have one value per arrow ({n}), got {values.shape[0]}")
    if n and (width.min() < 0 or width.max() > 360):
        raise ValueError(f"width must be in degrees within [0, 360], found values in [{width.min():.6g}, "
                         f"{width.max():.6g}]")
    ok = np.isfinite(arrows).all(axis=1) & (np.abs(arrows).sum(axis=1) > 0)
    with np.errstate(invalid="ignore"):
        offset = np.mod(np.arctan2(arrows[:, 1], arrows[:, 0]) - start, 2 * np.pi)
    return ok & (offset > EDGE_TOLERANCE) & (offset < np.radians(width) - EDGE_TOLERANCE)
