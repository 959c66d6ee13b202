"""The tests' one factory of AnnData objects (and its checks): a new object on every call, never shared."""

from __future__ import annotations

import anndata as ad
import numpy as np
import scipy.sparse as sp


def dense_support(neighbors, n: int) -> np.ndarray:
    """The dense n x n boolean adjacency of an (n, k) neighbour index array: [i, j] is True for j in row i."""
    support = np.zeros((n, n), dtype=bool)
    for i, row in enumerate(np.asarray(neighbors)):
        support[i, row] = True
    return support


def knn_distances(Ms: np.ndarray, k: int) -> sp.csr_matrix:
    n = len(Ms)
    d = np.linalg.norm(Ms[:, None] - Ms[None], axis=2)
    np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1)[:, :k]
    rows = np.repeat(np.arange(n), k)
    return sp.csr_matrix((d[rows, idx.ravel()], (rows, idx.ravel())), shape=(n, n))


def star(directions_deg, values=None, n_extra=0):
    """Cell 0 at the origin with one neighbour per direction (unit distance); row 0 of a graph.

    Returns (X_emb, T) where T stores row 0 -> every neighbour with ``values`` (default 1).
    """
    theta = np.radians(np.asarray(directions_deg, dtype=float))
    X = np.vstack([[0.0, 0.0], np.c_[np.cos(theta), np.sin(theta)], np.zeros((n_extra, 2))])
    n = X.shape[0]
    k = len(theta)
    data = np.ones(k) if values is None else np.asarray(values, dtype=float)
    T = sp.csr_matrix((data, (np.zeros(k, int), np.arange(1, k + 1))), shape=(n, n))
    return X, T


def velocity_adata(Ms, velocity, *, k: int, embedding=None, clusters=None, **layers) -> ad.AnnData:
    """The one builder of the tests' AnnData objects: what velocity_graph and its followers read.

    ``layers['Ms']`` and ``layers['velocity']`` (float32; ``X`` a copy of Ms), the kNN distance
    graph of the Ms rows (``obsp['distances']``, k per cell), ``uns['neighbors']`` and
    stochastic-mode ``uns['velocity_params']``, an embedding ``obsm['X_umap']`` (default: the
    first two principal components of Ms), ``obs['clusters']`` when given, and any further
    layers by name. A new object on every call.
    """
    Ms = np.asarray(Ms, dtype=np.float32)
    if embedding is None:
        centred = Ms.astype(np.float64) - Ms.mean(axis=0)
        embedding = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
    adata = ad.AnnData(X=Ms.copy(), layers={"Ms": Ms, "velocity": np.asarray(velocity, dtype=np.float32)})
    for name, values in layers.items():
        adata.layers[name] = np.asarray(values, dtype=np.float32)
    adata.obsp["distances"] = knn_distances(Ms, k)
    adata.uns["neighbors"] = {"params": {"n_neighbors": k + 1}}
    adata.uns["velocity_params"] = {"mode": "stochastic"}
    adata.obsm["X_umap"] = np.asarray(embedding, dtype=np.float64)
    if clusters is not None:
        import pandas as pd

        adata.obs["clusters"] = pd.Categorical(np.asarray(clusters))
    return adata


def small_adata(n: int = 40, genes: int = 12, k: int = 5, seed: int = 1, *, names: bool = True) -> ad.AnnData:
    """Random cells: Ms, velocity, a kNN distance graph, a random 2-D embedding (``names``: cellI/geneG)."""
    rng = np.random.default_rng(seed)
    Ms = rng.normal(size=(n, genes)).astype(np.float32)
    velocity = rng.normal(size=(n, genes)).astype(np.float32)
    adata = velocity_adata(Ms, velocity, k=k, embedding=rng.normal(size=(n, 2)))
    if names:
        adata.obs_names = [f"cell{i}" for i in range(n)]
        adata.var_names = [f"gene{g}" for g in range(genes)]
    return adata


def graphed(n: int = 40, genes: int = 12, k: int = 5, seed: int = 1) -> ad.AnnData:
    import velograph.tl as vtl

    adata = small_adata(n, genes, k, seed)
    vtl.velocity_graph(adata)
    return adata


def snapshot(adata) -> dict:
    """Everything of an AnnData a call could change, as plain copies, for before/after comparisons."""
    import pickle

    return {
        "obs": adata.obs.copy(), "var": adata.var.copy(), "uns": pickle.dumps(dict(adata.uns)),
        "obsm": {k: np.array(v, copy=True) for k, v in adata.obsm.items()},
        "obsp": {k: v.copy() for k, v in adata.obsp.items()},
        "layers": {k: (v.copy() if sp.issparse(v) else np.array(v, copy=True)) for k, v in adata.layers.items()},
    }


def assert_unchanged(adata, before: dict) -> None:
    import pandas as pd

    after = snapshot(adata)
    pd.testing.assert_frame_equal(after["obs"], before["obs"])
    pd.testing.assert_frame_equal(after["var"], before["var"])
    assert after["uns"] == before["uns"], "adata.uns changed"
    assert after["obsm"].keys() == before["obsm"].keys(), "adata.obsm keys changed"
    for key in before["obsm"]:
        np.testing.assert_array_equal(after["obsm"][key], before["obsm"][key])
    assert after["obsp"].keys() == before["obsp"].keys(), "adata.obsp keys changed"
    for key in before["obsp"]:
        assert (after["obsp"][key] != before["obsp"][key]).nnz == 0
    for key in before["layers"]:
        a, b = after["layers"][key], before["layers"][key]
        if sp.issparse(a):
            assert (a != b).nnz == 0
        else:
            np.testing.assert_array_equal(a, b)
