"""The upstream scVelo/scanpy recipe that feeds the velocity graph (DESIGN.md section 7).

Lives in the library so that chapter 5 and ``tools/make_prepared.py`` run the same
steps with the same seeds. Its results differ in their low digits between computers
(BLAS kernel, numba target, threads), so the chapters after 5 start from the copy
that ``tools/make_prepared.py`` made once and ships
(:func:`velograph_book.prepared.pancreas_prepared`). Imports scVelo and scanpy only when called.
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


def velocities(adata, *, mode="stochastic", n_jobs=1, var_names="velocity_genes"):
    """Estimate RNA velocities in place with ``scv.tl.velocity`` (after ``recover_dynamics`` for 'dynamical').

    Writes ``layers['velocity']``, ``var['velocity_genes']`` and ``uns['velocity_params']``.
    ``var_names`` (dynamical only) are the genes whose kinetics are fitted: by default
    scVelo's velocity genes of an earlier stochastic run; a short list of names fits
    just those (seconds instead of a minute).
    """
    import warnings

    import scvelo as scv

    scv.settings.verbosity = 0
    with warnings.catch_warnings():
        # scVelo 0.3.4 trips numpy's "conversion of an array with ndim > 0 to a scalar"
        # deprecation in optimization.leastsq_generalized; the result is unaffected.
        warnings.simplefilter("ignore", DeprecationWarning)
        if mode == "dynamical":
            scv.tl.recover_dynamics(adata, var_names=var_names, n_jobs=n_jobs, show_progress_bar=False)
        scv.tl.velocity(adata, mode=mode)
    return adata


def umap(adata, *, random_state=0):
    """``sc.tl.umap`` with a fixed seed, in place (writes ``obsm['X_umap']``)."""
    import scanpy as sc

    sc.tl.umap(adata, random_state=random_state)
    return adata
