"""``velocity_embedding``: scVelo's arrows on an embedding, without its per-cell loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from anndata import AnnData
    from numpy.typing import ArrayLike

from .._sparse import canonical_csr
from ..projection import project_velocity_csr
from ._access import check_vkey, embedding, not_supported, require_anndata, stored_square, uns_params
from ._transition import finite_real, transition_matrix


def quiver_autoscale(X_emb: ArrayLike, V_emb: ArrayLike) -> float:
    """scVelo's arrow-length scale: matplotlib's automatic quiver scale on the first two columns.

    matplotlib picks scale = 1.8 * mean arrow length * max(10, sqrt(N)) / axis span (in
    display units, for the embedding divided by max abs(X_emb)); scVelo divides the arrows by
    3 * this number. One global scalar: directions never change. Drawn off-screen and
    closed, exactly as scVelo does, so the value is identical.

    Parameters
    ----------
    X_emb : array_like, shape (n_cells, d >= 2)
        Embedding coordinates (the first two columns are drawn).
    V_emb : array_like, shape (n_cells, d >= 2)
        The unscaled arrows.

    Returns
    -------
    float
        The scale, in arrow units per embedding unit (scVelo divides the arrows by 3 times it).

    Examples
    --------
    >>> import numpy as np
    >>> from velograph.tl import quiver_autoscale
    >>> t = np.arange(8.0)
    >>> X_emb = np.c_[t, (t - 3.5) ** 2 / 4]
    >>> V_emb = np.c_[np.ones(8), (t - 3.5) / 2]
    >>> print(f"{quiver_autoscale(X_emb, V_emb):.4f}")
    4.8676
    """
    import matplotlib.pyplot as plt

    X_emb = np.asarray(X_emb)
    V_emb = np.asarray(V_emb)
    scale_factor = np.abs(X_emb).max()
    fig, ax = plt.subplots()
    try:
        Q = ax.quiver(X_emb[:, 0] / scale_factor, X_emb[:, 1] / scale_factor, V_emb[:, 0], V_emb[:, 1],
                      angles="xy", scale_units="xy", scale=None)
        Q._init()
        return Q.scale / scale_factor
    finally:
        fig.clf()
        plt.close(fig)


def velocity_embedding(data: AnnData, basis: str | None = None, vkey: str = "velocity", scale: float = 10,
                       self_transitions: bool = True, use_negative_cosines: bool = True,
                       direct_pca_projection: bool | None = None, retain_scale: bool = False, autoscale: bool = True,
                       all_comps: bool = True, T: sp.spmatrix | sp.sparray | np.ndarray | None = None,
                       copy: bool = False) -> AnnData | None:
    r"""Embedded velocities exactly as ``scv.tl.velocity_embedding`` computes them.

    1. T = ``transition_matrix(adata, scale, self_transitions, use_negative_cosines=True)``:
       a *signed* kernel, rows normalised by absolute sums; then the diagonal is removed,
       so the remaining weights of a row sum to less than 1 and can be negative.
    2. For each cell, over its stored neighbours J_i (k_i of them), with unit directions
       delta_hat_ij in all components of ``obsm['X_<basis>']`` (``all_comps``):

       .. math:: \nu_i = \sum_{j\in J_i} \tilde\pi_{ij}\hat\delta_{ij}
                 - \mathrm{mean}_{j\in J_i}(\tilde\pi_{ij}) \sum_{j\in J_i}\hat\delta_{ij}

       (scVelo's "mean(p)" correction; the textbook subtracts (1/k_i) sum_j delta_hat_ij).
       A cell with no neighbours left (zero velocity) gets NaN.
    3. ``autoscale``: divide by 3 * :func:`quiver_autoscale` (one global number).

    Writes ``obsm['<vkey>_<basis>']`` and appends ``basis`` to
    ``uns['<vkey>_params']['embeddings']``; returns a copy instead with ``copy``.
    ``basis=None`` takes the last of pca, tsne, umap in ``obsm``. ``direct_pca_projection=True``
    and ``retain_scale=True`` raise NotImplementedError (``direct_pca_projection=False`` is
    the path implemented here). Nothing is written unless every check passed, and on a view
    nothing of the parent object is changed. A ``T`` passed in, or the stored graph
    it is computed from, must have one row and column per cell of ``adata``: after
    ``adata[cells].copy()`` (which does not subset ``uns``) the error says to rerun
    ``velocity_graph`` on the subset.

    Parameters
    ----------
    data : anndata.AnnData
        With the graphs of :func:`velograph.tl.velocity_graph` and ``obsm['X_<basis>']``.
    basis : str, optional
        The embedding (None: the last of pca, tsne, umap present).
    vkey : str
        Prefix of the stored graphs and of the key written.
    scale : float
        lambda of the kernel (step 1).
    self_transitions : bool
        Self-transitions in the kernel (removed again with the diagonal).
    use_negative_cosines : bool
        The signed kernel (scVelo's default here).
    direct_pca_projection : bool, optional
        Only None or False (the path implemented here).
    retain_scale : bool
        Only False.
    autoscale : bool
        Divide by 3 * :func:`quiver_autoscale` (step 3).
    all_comps : bool
        Use every column of the embedding (else the first two).
    T : sparse matrix, optional
        A transition matrix to use instead of computing one.
    copy : bool
        Return a modified copy instead of writing to ``data``.

    Returns
    -------
    anndata.AnnData or None
        The copy with ``obsm['<vkey>_<basis>']`` written when ``copy``, else None.

    Raises
    ------
    KeyError
        If the embedding or the stored graph is missing (the message names the call that
        makes it).
    ValueError
        If the embedding is not finite with at least 2 columns, or a graph or ``T`` belongs
        to another object.
    TypeError
        If ``data`` is not an AnnData or ``basis`` not a string.
    NotImplementedError
        For ``direct_pca_projection=True`` or ``retain_scale=True``.

    Examples
    --------
    >>> import numpy as np
    >>> import velograph.tl as vtl
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()  # 8 cells along a trajectory, 4 genes, 2 neighbours each
    >>> vtl.velocity_graph(adata)
    >>> vtl.velocity_embedding(adata, basis="umap", autoscale=False)
    >>> print(np.round(adata.obsm["velocity_umap"][1:7], 3))
    [[ 0.592 -0.681]
     [ 0.799 -0.548]
     [ 0.918 -0.209]
     [ 0.918  0.21 ]
     [ 0.797  0.551]
     [ 0.575  0.655]]
    >>> adata.uns["velocity_params"]["embeddings"]
    ['umap']
    """
    adata = require_anndata(data, "data")
    not_supported(
        direct_pca_projection=(direct_pca_projection, (None, False), "direct PCA projection"),
        retain_scale=(retain_scale, False, "expression-scaled arrows"),
    )
    check_vkey(vkey)
    scale = finite_real(scale, "scale")
    params = uns_params(adata, vkey)  # checked before anything is computed or written
    if basis is None:
        present = [b for b in ("pca", "tsne", "umap") if f"X_{b}" in adata.obsm]
        if not present:
            raise KeyError("basis=None but adata.obsm has none of X_pca, X_tsne, X_umap: run sc.tl.umap(adata) "
                           "or pass basis=")
        basis = present[-1]
    X_emb = embedding(adata, basis)
    if not all_comps:
        X_emb = X_emb[:, :2]
    if T is None:
        T = transition_matrix(adata, vkey=vkey, scale=scale, self_transitions=self_transitions,
                              use_negative_cosines=use_negative_cosines)
    else:
        T = stored_square(adata, T, "T", "Pass the transition matrix of this object "
                          "(velograph.tl.transition_matrix(adata)), one row and column per cell.")
    # scVelo sets the diagonal to 0 and drops stored zeros; the projection already skips
    # the diagonal, so only the zeros need dropping (on a copy: T may be the caller's).
    T = canonical_csr(T)
    T.eliminate_zeros()
    X_emb = np.asarray(X_emb, dtype=np.float64)
    V_emb = project_velocity_csr(T, X_emb, correction="mean")
    if autoscale:
        V_emb /= 3 * quiver_autoscale(X_emb, V_emb)
    # Every check has passed: now write. The parameters become a new dict, never the old one
    # edited in place: on a view (adata[:, genes]) that one belongs to the parent object.
    adata = adata.copy() if copy else adata
    if f"{vkey}_params" in adata.uns:
        adata.uns[f"{vkey}_params"] = {**params, "embeddings": list(params.get("embeddings", [])) + [basis]}
    adata.obsm[f"{vkey}_{basis}"] = V_emb
    return adata if copy else None
