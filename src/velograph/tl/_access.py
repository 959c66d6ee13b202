"""Reading what the post hoc tools need from an AnnData, with errors that say how to make it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._sparse import check_structure, row_of_each_entry

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


def uns_params(adata, vkey: str) -> Mapping:
    """``uns['<vkey>_params']`` (scVelo's parameters of the velocity model), or {} when absent; never written."""
    params = adata.uns.get(f"{vkey}_params", {})
    if not isinstance(params, Mapping):
        raise TypeError(f"adata.uns['{vkey}_params'] must be a dict (scVelo's parameters, e.g. {{'mode': "
                        f"'stochastic'}}), got {type(params).__name__} {params!r:.60}: delete it "
                        f"(del adata.uns['{vkey}_params']) or rerun scv.tl.velocity(adata)")
    return params


def check_vkey(vkey, name: str = "vkey") -> str:
    if not isinstance(vkey, str):
        raise TypeError(f"{name} must be the name of a layer such as 'velocity', got {type(vkey).__name__} {vkey!r}")
    return vkey


def real_dtype(dtype, where: str) -> None:
    """Raise TypeError unless ``dtype`` holds real numbers (integers, floats; not bool, complex, object, text)."""
    dtype = np.dtype(dtype) if not isinstance(dtype, pd.api.extensions.ExtensionDtype) else dtype
    if isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{where} holds complex numbers (dtype {dtype}); expected real numbers. If the imaginary "
                        "part is zero, store np.real(...) of it")
    if not isinstance(dtype, np.dtype) or dtype == np.dtype(bool) or not np.issubdtype(dtype, np.number):
        raise TypeError(f"{where} must hold real numbers, got dtype {dtype}"
                        + (" (an object array, e.g. one holding a string: convert it with .astype(np.float32))"
                           if dtype == np.dtype(object) else ""))


def boolean_column(values, where: str) -> np.ndarray:
    """A per-gene flag (e.g. ``var['velocity_genes']``) as a numpy bool array, refusing ambiguous contents.

    Accepted: booleans; numbers that are all 0 or 1; the strings 'True'/'False' (any case,
    as a CSV round trip leaves them). Refused with an error naming ``where``: missing
    values (<NA>, NaN: ``np.asarray(..., dtype=bool)`` would turn them into True) and
    anything else, which would otherwise select every gene.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if series.isna().any():
        first = series.index[series.isna().to_numpy()][0]
        raise ValueError(f"{where} has a missing value (<NA> or NaN) at {first!r}; expected True/False for every "
                         f"gene. Fill it first, e.g. {where} = {where}.fillna(False).astype(bool)")
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_complex_dtype(series.dtype):
        numbers = series.to_numpy(dtype=np.float64)
        if np.isin(numbers, (0.0, 1.0)).all():
            return numbers == 1.0
        bad = series.index[~np.isin(numbers, (0.0, 1.0))][0]
        raise ValueError(f"{where} holds numbers other than 0 and 1 (e.g. {series[bad]!r} at {bad!r}); expected "
                         "True/False for every gene")
    text = series.astype(str).str.strip().str.lower()
    if text.isin(("true", "false")).all():
        return (text == "true").to_numpy()
    bad = series.index[~text.isin(("true", "false")).to_numpy()][0]
    raise ValueError(f"{where} must hold True/False for every gene, got dtype {series.dtype} with {series[bad]!r} "
                     f"at {bad!r}")


def dense_layer(adata, key: str, columns=None) -> np.ndarray:
    """Layer ``key`` as a dense array, optionally restricted to a boolean gene mask.

    Without ``columns`` a dense layer is returned as is (no copy): callers only read it.
    The layer must hold real numbers: a complex layer (whose imaginary part a cast would
    drop silently), an object layer (e.g. with a string in it) or a boolean one raise
    TypeError naming it.
    """
    if key not in adata.layers:
        producer = PRODUCERS.get(key, f"the step that writes adata.layers['{key}']")
        raise KeyError(f"adata.layers['{key}'] not found: run {producer} first")
    layer = adata.layers[key]
    real_dtype(layer.dtype, f"adata.layers['{key}']")
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
    real_dtype(D.dtype, where)
    check_structure(D, where)
    D = sp.csr_matrix(D)
    if not np.isfinite(D.data[: D.indptr[-1]]).all():
        raise ValueError(f"{where} contains NaN or inf distances; rerun sc.pp.neighbors(adata)")
    check_no_duplicates(D, where)
    return D


def check_no_duplicates(D: sp.csr_matrix, where: str) -> None:
    """Raise if a (cell, neighbour) pair is stored twice: it would take two of the cell's k neighbour slots."""
    fresh = sp.csr_matrix((D.data, D.indices, D.indptr), shape=D.shape)  # no cached flag: scipy rescans
    if fresh.has_canonical_format:  # O(stored entries): sorted, no duplicates
        return
    S = sp.csr_matrix((D.data[: D.indptr[-1]], D.indices[: D.indptr[-1]], D.indptr), shape=D.shape, copy=True)
    S.sort_indices()
    rows = row_of_each_entry(S)
    repeated = (S.indices[1:] == S.indices[:-1]) & (rows[1:] == rows[:-1])
    if repeated.any():
        p = int(np.flatnonzero(repeated)[0])
        raise ValueError(f"{where} stores the pair (cell {int(rows[p])}, neighbour {int(S.indices[p])}) twice; a "
                         "neighbour graph stores each pair once (a duplicate would take one of the cell's k "
                         "neighbour slots). Rebuild it with sc.pp.neighbors(adata)")


FINGERPRINT_KEY = "graph_cells_sha256"
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _sha(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _mix(bits: np.ndarray) -> np.ndarray:
    """splitmix64 of each uint64 (wrapping arithmetic): a well-spread 64-bit hash of each value."""
    with np.errstate(over="ignore"):
        z = bits + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def row_hashes(D) -> np.ndarray:
    """One uint64 per cell: an order-free hash of the distances stored in its row of ``obsp['distances']``.

    A cell's neighbour distances travel with it: ``adata[permutation].copy()`` permutes these
    hashes, renaming cells leaves them unchanged. The sum of hashed values does not depend on
    the order in which a row stores its entries (nor on their column numbers, which a
    reorder renumbers). O(stored entries).
    """
    D = sp.csr_matrix(D)
    stored = D.indptr[-1]
    bits = np.ascontiguousarray(D.data[:stored], dtype=np.float64).view(np.uint64)
    with np.errstate(over="ignore"):
        running = np.concatenate([[np.uint64(0)], np.cumsum(_mix(bits), dtype=np.uint64)])
        return running[D.indptr[1:]] - running[D.indptr[:-1]]


def graph_digest(graph) -> str:
    """A cheap fingerprint of a stored graph object: shape, structure and a sample of its values.

    indptr in full (O(cells)) and every ~nnz/4096-th column index and value: a graph that
    another tool rewrote (``scv.tl.velocity_graph`` on the same or a subset object) differs
    in its structure or values, while a copy, an h5ad round trip or a move to ``obsp``
    keep it.
    """
    G = sp.csr_matrix(graph)
    stored = int(G.indptr[-1])
    step = max(1, stored // 4096)
    return _sha(G.shape, stored, np.asarray(G.indptr, dtype=np.int64).tobytes(),
                np.asarray(G.indices[:stored:step], dtype=np.int64).tobytes(),
                np.asarray(G.data[:stored:step], dtype=np.float64).tobytes())


def fingerprint(adata, graph) -> str:
    """What ``velocity_graph`` records next to the graph it writes, as one string of four parts.

    * ``names``: sha256 of the cell names in order;
    * ``rows``/``rowset``: sha256 of the per-cell :func:`row_hashes` of ``obsp['distances']`` in
      order / sorted ('-' without ``obsp['distances']``): the cells' content, so that a reorder
      is seen even when names repeat (concatenated samples) or were reset (0..n-1), and a
      rename is told from a reorder;
    * ``distinct``: 1 when every cell's row hash differs from every other's, so that the rows
      can tell a rename from a reorder (with repeated rows, e.g. unit distances, they cannot);
    * ``graph``: :func:`graph_digest` of the graph itself, so that a graph rewritten by another
      tool (which keeps ``uns['<vkey>_params']``) does not inherit this record.
    """
    names = _sha("\n".join(map(str, adata.obs_names)))
    if "distances" in adata.obsp and adata.obsp["distances"].shape == (adata.n_obs, adata.n_obs):
        hashes = row_hashes(adata.obsp["distances"])
        rows, rowset = _sha(hashes.tobytes()), _sha(np.sort(hashes).tobytes())
        distinct = int(len(np.unique(hashes)) == len(hashes))
    else:
        rows = rowset = "-"
        distinct = 0
    return f"names:{names} rows:{rows} rowset:{rowset} distinct:{distinct} graph:{graph_digest(graph)}"


def cells_fingerprint(adata, vkey: str = "velocity") -> str:
    """:func:`fingerprint` of ``adata`` and its stored graph (``obsp`` or ``uns['<vkey>_graph']``)."""
    key = f"{vkey}_graph"
    return fingerprint(adata, adata.obsp[key] if key in adata.obsp else adata.uns[key])


def _parse(recorded) -> dict | None:
    if not isinstance(recorded, str):
        return None
    parts = dict(part.split(":", 1) for part in recorded.split() if ":" in part)
    return parts if {"names", "rows", "rowset", "graph"} <= set(parts) else None


def check_same_cells(adata, vkey: str, rerun: str, graph=None) -> None:
    """Raise if the stored graph was computed on other cells or another cell order than ``adata`` has.

    ``velocity_graph`` records a :func:`fingerprint`. A reordered or subset copy
    (``adata[perm].copy()``) keeps uns unchanged, so its stored graph would silently
    describe other rows. Decisions, in order:

    * no record (scVelo's graph), or a record whose graph part does not match ``graph``
      (another tool rewrote the graph after velograph): trusted as scVelo would, the shape
      having been checked;
    * the distances rows match as a set but not in order: the same cells reordered: refused,
      whatever the names say (they may have been reset to 0..n-1 after the reorder);
    * the cell names match in order: accepted (a neighbour graph recomputed on the same
      cells changes its rows but not the cells);
    * the names differ but the distances rows match in order and tell every cell apart: the
      same cells renamed (e.g. ``obs_names_make_unique()``), which changes nothing the graph
      depends on: accepted;
    * otherwise refused: other cells, or a rename that the rows cannot tell from a reorder
      (cells with identical neighbour distances).

    Not detectable: a reorder followed by resetting the names and deleting or recomputing
    the neighbour graph with other settings; rerun ``velocity_graph`` after such edits.
    """
    params = uns_params(adata, vkey)
    recorded = params.get(FINGERPRINT_KEY)
    if recorded is None:
        return
    parts = _parse(recorded)
    if parts is None:  # an older velograph recorded the sha256 of the names alone
        if recorded != hashlib.sha256("\n".join(map(str, adata.obs_names)).encode()).hexdigest():
            raise ValueError(f"adata.uns['{vkey}_graph'] was computed on other cells or another cell order than "
                             f"adata has now (its cell names differ from those recorded by velocity_graph). {rerun}")
        return
    if graph is not None and parts["graph"] != graph_digest(graph):
        return  # not the graph velograph fingerprinted: rewritten by another tool, trusted like scVelo's
    now = fingerprint(adata, graph if graph is not None else sp.csr_matrix((adata.n_obs, adata.n_obs)))
    current = dict(part.split(":", 1) for part in now.split())
    rows_known = parts["rows"] != "-" and current["rows"] != "-"
    if rows_known and current["rows"] != parts["rows"] and current["rowset"] == parts["rowset"]:
        raise ValueError(
            f"adata.uns['{vkey}_graph'] belongs to these cells in another order: adata's cells were reordered "
            f"after velocity_graph (e.g. adata[permutation].copy() or sorting, which reorder obs, obsp and obsm "
            f"but not uns), so row i of the stored graph describes another cell. {rerun}")
    if current["names"] == parts["names"]:
        return
    if rows_known and current["rows"] == parts["rows"]:
        if parts.get("distinct") == "1":
            return  # renamed only
        raise ValueError(
            f"adata.uns['{vkey}_graph'] may belong to these cells in another order: the cell names differ from "
            f"those velocity_graph recorded, and the cells' neighbour distances (adata.obsp['distances']) cannot "
            f"tell a rename from a reorder, since several cells have identical distances. {rerun}")
    raise ValueError(
        f"adata.uns['{vkey}_graph'] was computed on other cells than adata has now: the cell names differ from those "
        f"velocity_graph recorded, and so do the cells' neighbour distances (adata.obsp['distances'], which tell a "
        f"rename from a reorder{'' if current['rows'] != '-' else '; missing here'}). {rerun}")


def stored_square(adata, M, where: str, rerun: str) -> sp.csr_matrix:
    """A cells x cells matrix read from ``adata`` (uns, obsp or a caller's argument), checked before use.

    A shape other than n_obs x n_obs means it was computed on another object, typically
    before ``adata[cells].copy()`` (AnnData subsets obsp and obsm, but not uns): the error
    says to ``rerun``. Then the sparse structure is checked (indices in range), so that no
    compiled function reads outside the arrays.
    """
    if not sp.issparse(M):
        if isinstance(M, np.ndarray) and M.ndim == 2:
            real_dtype(M.dtype, where)
            M = sp.csr_matrix(M)
        else:
            raise TypeError(f"{where} must be a scipy sparse matrix, got {type(M).__name__}")
    real_dtype(M.dtype, where)
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
    X = adata.obsm[key]
    X = np.asarray(X.to_numpy() if isinstance(X, pd.DataFrame) else X)
    real_dtype(X.dtype, f"adata.obsm['{key}']")
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(f"adata.obsm['{key}'] must have at least 2 columns, got shape {X.shape}")
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise ValueError(f"adata.obsm['{key}'] contains NaN or inf (first at row {row})")
    if len(X) > 1 and (X == X[0]).all():
        raise ValueError(f"adata.obsm['{key}'] puts every cell at the same point: no direction or distance between "
                         f"cells is defined in it (arrows and the diffusion width would be NaN). Recompute it, or "
                         f"pass another basis")
    return X


def gene_mask(adata, gene_subset) -> np.ndarray:
    """Boolean mask over adata.var_names from a list of names or a boolean mask.

    scVelo accepts only names (a mask selects no genes there and crashes); unknown
    names are an error here rather than silently ignored. A boolean pandas Series indexed
    by gene names is aligned to ``adata.var_names`` by name, not by position.
    """
    if isinstance(gene_subset, pd.Series) and not (pd.api.types.is_object_dtype(gene_subset.dtype)
                                                   or pd.api.types.is_string_dtype(gene_subset.dtype)):
        gene_subset = aligned_flags(adata, gene_subset)
    elif isinstance(gene_subset, pd.Series):
        gene_subset = gene_subset.to_numpy()
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


def aligned_flags(adata, flags: pd.Series) -> np.ndarray:
    """A boolean Series over genes as a mask in ``adata.var_names`` order, matched by name.

    A Series with a default RangeIndex (0..n_vars-1) is taken by position; one indexed by
    gene names must name every gene of ``adata`` exactly once, in any order.
    """
    where = "gene_subset (a pandas Series)"
    values = boolean_column(flags, where)
    index = flags.index
    if isinstance(index, pd.RangeIndex):  # no gene names: positions, like a numpy mask
        if len(values) != adata.n_vars:
            raise ValueError(f"{where} has {len(values)} entries but adata has n_vars = {adata.n_vars} genes")
        return values
    if index.has_duplicates:
        raise ValueError(f"{where} names gene {index[index.duplicated()][0]!r} twice")
    missing = adata.var_names.difference(index)
    extra = index.difference(adata.var_names)
    if len(missing) or len(extra):
        shown = ", ".join(map(repr, list(missing[:3]) + list(extra[:3])))
        raise ValueError(f"{where} must be indexed by adata.var_names (every gene once, any order): {len(missing)} "
                         f"genes missing and {len(extra)} unknown names ({shown})")
    return pd.Series(values, index=index).reindex(adata.var_names).to_numpy(dtype=bool)


def not_supported(**options) -> None:
    """Raise NotImplementedError for scVelo options that velograph does not reproduce.

    Each option is ``(value, accepted, why)``: ``accepted`` is the default, or a tuple of the
    values that select the path velograph implements (e.g. ``approx=False`` as well as None).
    """
    for name, (value, accepted, why) in options.items():
        allowed = accepted if isinstance(accepted, tuple) else (accepted,)
        if not any(value is a or (a is not None and isinstance(value, (str, bool, np.bool_)) and value == a)
                   for a in allowed):
            raise NotImplementedError(f"{name}={value!r} is not supported by velograph.tl ({why}); use scVelo for it")
