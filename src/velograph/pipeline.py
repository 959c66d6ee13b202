"""The upstream scVelo/scanpy recipe that feeds the velocity graph (DESIGN.md section 7).

Lives in the library so that chapters and tests run the same steps with the same
seeds. Imports scVelo and scanpy only when called.
"""

from __future__ import annotations


def preprocess(adata, *, min_shared_counts=20, n_top_genes=2000, n_pcs=30, n_neighbors=30, random_state=0):
    """Filter, normalise, log, select genes, PCA, kNN and moments; returns a new AnnData.

    The scVelo 0.3.4 recipe: ``scv.pp.filter_and_normalize(min_shared_counts=20)``,
    ``sc.pp.log1p``, ``sc.pp.highly_variable_genes(n_top_genes, subset=True)``,
    ``sc.pp.pca``, ``sc.pp.neighbors(n_pcs, n_neighbors)``, ``scv.pp.moments``
    (writes ``layers['Ms']``, ``layers['Mu']``: kNN means of spliced/unspliced).
    ``adata`` is not modified.
    """
    import scanpy as sc
    import scvelo as scv

    scv.settings.verbosity = 0
    adata = adata.copy()
    if adata.X is None:
        adata.X = adata.layers["spliced"].copy()
    scv.pp.filter_and_normalize(adata, min_shared_counts=min_shared_counts)
    sc.pp.log1p(adata)
    sc.pp.highly_variable_genes(adata, n_top_genes=n_top_genes, subset=True)
    sc.pp.pca(adata, random_state=random_state)
    sc.pp.neighbors(adata, n_pcs=n_pcs, n_neighbors=n_neighbors, random_state=random_state)
    scv.pp.moments(adata, n_pcs=None, n_neighbors=None)
    return adata


def velocities(adata, *, mode="stochastic", n_jobs=1):
    """Estimate RNA velocities in place with ``scv.tl.velocity`` (after ``recover_dynamics`` for 'dynamical').

    Writes ``layers['velocity']``, ``var['velocity_genes']`` and ``uns['velocity_params']``.
    """
    import warnings

    import scvelo as scv

    scv.settings.verbosity = 0
    with warnings.catch_warnings():
        # scVelo 0.3.4 trips numpy's "conversion of an array with ndim > 0 to a scalar"
        # deprecation in optimization.leastsq_generalized; the result is unaffected.
        warnings.simplefilter("ignore", DeprecationWarning)
        if mode == "dynamical":
            scv.tl.recover_dynamics(adata, n_jobs=n_jobs, show_progress_bar=False)
        scv.tl.velocity(adata, mode=mode)
    return adata


def umap(adata, *, random_state=0):
    """``sc.tl.umap`` with a fixed seed, in place (writes ``obsm['X_umap']``)."""
    import scanpy as sc

    sc.tl.umap(adata, random_state=random_state)
    return adata


def _cache_dir():
    import os
    from pathlib import Path

    return Path(os.environ.get("VELOGRAPH_CACHE", Path.home() / ".cache" / "velograph"))


def _cache_key(mode: str) -> str:
    """Changes whenever anything that could change the prepared data changes."""
    import hashlib
    from importlib.metadata import version
    from pathlib import Path

    from .datasets import PANCREAS_SHA256

    parts = [mode, PANCREAS_SHA256, Path(__file__).read_text()]
    for package in ("scvelo", "scanpy", "anndata", "numpy", "scipy", "umap-learn", "pynndescent", "scikit-learn", "numba"):
        parts.append(f"{package}={version(package)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def prepared_pancreas(mode="stochastic", *, cache=True, n_jobs=2):
    """The shipped pancreas data through the whole recipe: preprocess, velocities, UMAP.

    ``mode="stochastic"``: ``scv.tl.velocity(mode="stochastic")``. ``mode="dynamical"``:
    the stochastic run first (it selects the velocity genes), then
    ``scv.tl.recover_dynamics`` on those genes (about a minute on 2 cores) and
    ``scv.tl.velocity(mode="dynamical")``. With ``cache`` the result is stored as
    .h5ad under $VELOGRAPH_CACHE (default ~/.cache/velograph), keyed by the mode,
    the data, this file and the versions of every package involved, so a stale copy
    is never used. Returns a new AnnData each call.
    """
    import anndata as ad

    from .datasets import pancreas

    if mode not in ("stochastic", "dynamical"):
        raise ValueError(f"mode must be 'stochastic' or 'dynamical', got {mode!r}")
    path = _cache_dir() / f"pancreas-{mode}-{_cache_key(mode)}.h5ad"
    if cache and path.is_file():
        return ad.read_h5ad(path)
    adata = preprocess(pancreas())
    velocities(adata, mode="stochastic")
    umap(adata)
    if mode == "dynamical":
        velocities(adata, mode="dynamical", n_jobs=n_jobs)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.h5ad")
        adata.write_h5ad(partial)
        partial.replace(path)  # atomic: a crash never leaves a half-written cache file
    return adata
