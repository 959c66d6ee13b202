"""Reading what the post hoc tools need from an AnnData, with errors that say how to make it."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._sparse import check_structure

PRODUCERS = {
    "Ms": "scv.pp.moments(adata)",
    "Mu": "scv.pp.moments(adata)",
    "spliced": "the loader (velograph.datasets.pancreas() or your counting pipeline)",
    "velocity": "scv.tl.velocity(adata)",
}


def require_anndata(data, name: str = "adata"):
    from anndata import AnnData

    if not isinstance(data, AnnData):
        raise TypeError(f"{name} must be an anndata.AnnData, got {type(data).__name__}")
    if data.n_obs == 0:
        raise ValueError(f"{name} has no cells (n_obs = 0)")
    return data


def dense_layer(adata, key: str, columns=None) -> np.ndarray:
    """Layer ``key`` as a dense array, optionally restricted to a boolean gene mask.

    Without ``columns`` a dense layer is returned as is (no copy): callers only read it.
    """
    if key not in adata.layers:
        producer = PRODUCERS.get(key, f"the step that writes adata.layers['{key}']")
        raise KeyError(f"adata.layers['{key}'] not found: run {producer} first")
    layer = adata.layers[key]
    if columns is not None:
        layer = layer[:, columns]
    return layer.toarray() if sp.issparse(layer) else np.asarray(layer)


def distances(adata) -> sp.csr_matrix:
    """The kNN distance graph: obsp['distances'], else uns['neighbors']['distances'] (scVelo's order)."""
    if "distances" in adata.obsp:
        D = adata.obsp["distances"]
    elif "neighbors" in adata.uns and "distances" in adata.uns["neighbors"]:
        D = adata.uns["neighbors"]["distances"]
    else:
        raise KeyError(
            "no neighbour graph: adata.obsp['distances'] not found; run sc.pp.neighbors(adata) "
            "(or scv.pp.neighbors(adata)) first"
        )
    where = "adata.obsp['distances']" if "distances" in adata.obsp else "adata.uns['neighbors']['distances']"
    if not sp.issparse(D):
        D = sp.csr_matrix(np.asarray(D))  # a dense array: its nonzero entries are the neighbours
    if D.shape != (adata.n_obs, adata.n_obs):
        raise ValueError(
            f"{where} is {D.shape[0]} x {D.shape[1]} but adata has {adata.n_obs} cells; "
            "the neighbour graph belongs to another object (e.g. before subsetting): rerun sc.pp.neighbors(adata)"
        )
    check_structure(D, where)
    D = sp.csr_matrix(D)
    if not np.isfinite(D.data[: D.indptr[-1]]).all():
        raise ValueError(f"{where} contains NaN or inf distances; rerun sc.pp.neighbors(adata)")
    return D


def cells_fingerprint(adata) -> str:
    """sha256 of the cell names in order: which cells, in which order, a stored graph belongs to."""
    import hashlib

    return hashlib.sha256("\n".join(map(str, adata.obs_names)).encode()).hexdigest()


def check_same_cells(adata, vkey: str, rerun: str) -> None:
    """Raise if ``uns['<vkey>_params']`` records other cells (or another order) than ``adata`` has.

    ``velocity_graph`` records the fingerprint of the cells it ran on. A reordered or
    subset copy (``adata[perm].copy()``, ``adata[cells].copy()``) keeps uns unchanged, so
    its stored graph would silently describe other cells. Graphs made by scVelo carry no
    fingerprint; for them only the shape can be checked.
    """
    recorded = adata.uns.get(f"{vkey}_params", {}).get("graph_cells_sha256")
    if recorded is not None and recorded != cells_fingerprint(adata):
        raise ValueError(f"adata.uns['{vkey}_graph'] was computed on other cells or another cell order than "
                         f"adata has now (e.g. before adata[cells].copy() or adata[permutation].copy(), which "
                         f"reorder obsp and obsm but not uns). {rerun}")


def stored_square(adata, M, where: str, rerun: str) -> sp.csr_matrix:
    """A cells x cells matrix read from ``adata`` (uns, obsp or a caller's argument), checked before use.

    A shape other than n_obs x n_obs means it was computed on another object, typically
    before ``adata[cells].copy()`` (AnnData subsets obsp and obsm, but not uns): the error
    says to ``rerun``. Then the sparse structure is checked (indices in range), so that no
    compiled function reads outside the arrays.
    """
    if not sp.issparse(M):
        if isinstance(M, np.ndarray) and M.ndim == 2:
            M = sp.csr_matrix(M)
        else:
            raise TypeError(f"{where} must be a scipy sparse matrix, got {type(M).__name__}")
    n = adata.n_obs
    if M.shape != (n, n):
        raise ValueError(f"{where} is {M.shape[0]} x {M.shape[1]} but adata has {n} cells: it belongs to another "
                         f"object, e.g. it was computed before subsetting (adata[cells].copy() subsets obsp and "
                         f"obsm, not uns). {rerun}")
    check_structure(M, where)
    return M


def embedding(adata, basis: str) -> np.ndarray:
    if not isinstance(basis, str):
        raise TypeError(f"basis must be the name of an embedding such as 'umap', got {type(basis).__name__}")
    key = f"X_{basis}"
    if key not in adata.obsm:
        makers = {"umap": "sc.tl.umap(adata)", "tsne": "sc.tl.tsne(adata)", "pca": "sc.pp.pca(adata)"}
        present = [k[2:] for k in adata.obsm if k.startswith("X_")]
        listed = ", ".join(repr(b) for b in present) if present else "none"
        raise KeyError(f"basis={basis!r}: adata.obsm['{key}'] not found (embeddings present: {listed}); "
                       f"run {makers.get(basis, 'the embedding')} first, or pass one of those as basis")
    X = np.asarray(adata.obsm[key])
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(f"adata.obsm['{key}'] must have at least 2 columns, got shape {X.shape}")
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise ValueError(f"adata.obsm['{key}'] contains NaN or inf (first at row {row})")
    return X


def gene_mask(adata, gene_subset) -> np.ndarray:
    """Boolean mask over adata.var_names from a list of names or a boolean mask.

    scVelo accepts only names (a mask selects no genes there and crashes); unknown
    names are an error here rather than silently ignored.
    """
    arr = np.asarray(gene_subset)
    if arr.dtype == bool:
        if arr.shape != (adata.n_vars,):
            raise ValueError(f"gene_subset as a boolean mask must have length n_vars = {adata.n_vars}, "
                             f"got shape {arr.shape}")
        mask = arr.copy()
    else:
        names = [gene_subset] if isinstance(gene_subset, str) else list(gene_subset)
        unknown = [g for g in names if g not in adata.var_names]
        if unknown:
            shown = ", ".join(map(repr, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
            raise KeyError(f"gene_subset has {len(unknown)} names not in adata.var_names: {shown}")
        mask = np.asarray(adata.var_names.isin(names))
    if not mask.any():
        raise ValueError("gene_subset selects no genes")
    return mask


def not_supported(**options) -> None:
    """Raise NotImplementedError for scVelo options that velograph does not reproduce."""
    for name, (value, default, why) in options.items():
        if value is not default and value != default:
            raise NotImplementedError(f"{name}={value!r} is not supported by velograph.tl ({why}); use scVelo for it")
