"""The book's prepared inputs: the pancreas data after scVelo's recipe, shipped and checksummed.

Made once by ``tools/make_prepared.py`` from :func:`velograph.datasets.pancreas`, because the
recipe's low digits depend on the CPU, BLAS kernel and thread count (chapter 5 explains why).
Chapters 6-8 start from it, so every number they print is the same on every machine. The
file belongs to the book (16 MB), not to the library's wheel.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from velograph.datasets import verify_checksum

#: sha256 of data/pancreas_prepared.h5ad, written by tools/make_prepared.py.
PREPARED_SHA256 = "f1757654fb0d59cac62c3177f1df7d33012183821f5df8fc579bc1d99f38cf88"
MODES = ("stochastic", "dynamical")


def _shipped(name: str) -> Path:
    return Path(str(resources.files("velograph_book") / "data" / name))


def stochastic_velocity(Mu, Ms, gamma):
    """scVelo's steady-state velocity v = Mu - gamma * Ms (no offset), elementwise in float32.

    Each operation is one IEEE-rounded float32 multiply or subtract, so the result is
    bit-identical on every CPU; ``tools/make_prepared.py`` checks it equals scVelo's layer.
    """
    import numpy as np

    Mu, Ms = np.asarray(Mu, dtype=np.float32), np.asarray(Ms, dtype=np.float32)
    return Mu - np.asarray(gamma, dtype=np.float32)[None, :] * Ms


#: What tools/make_prepared.py writes and pancreas_prepared reads, by AnnData attribute.
REQUIRED_ENTRIES = {
    "layers": ("Ms", "Mu", "spliced", "velocity_dynamical"),
    "var": ("stochastic_velocity_genes", "dynamical_velocity_genes", "stochastic_velocity_gamma"),
    "uns": ("velocity_params_stochastic", "velocity_params_dynamical"),
}


def _check_entries(adata, target) -> None:
    """Raise ValueError naming what a file lacks, instead of a bare KeyError halfway through the loader."""
    missing = [f"{where}[{key!r}]" for where, keys in REQUIRED_ENTRIES.items()
               for key in keys if key not in getattr(adata, where)]
    if not missing:
        return
    raw = "spliced" in adata.layers and "unspliced" in adata.layers and "Ms" not in adata.layers
    hint = (" It looks like the raw counts (velograph.datasets.pancreas()), not the prepared file: run the recipe "
            "on it, or python tools/make_prepared.py to remake the prepared file" if raw else
            " Remake it with python tools/make_prepared.py")
    raise ValueError(f"{target} is not a prepared pancreas file: it has no {', '.join(missing)}.{hint}")


def pancreas_prepared(mode="stochastic", *, path=None, verify=True):
    """The pancreas data after scVelo's recipe and velocity model ``mode``, as shipped: an AnnData.

    Made once by ``tools/make_prepared.py`` from :func:`velograph.datasets.pancreas` and shipped, because
    the recipe's low digits depend on the CPU, BLAS kernel and thread count (chapter 5
    of the book explains why); everything computed from this file is the same on every
    machine. 3,696 cells x the velocity genes of either model (dynamical ones are a
    subset of the stochastic ones), ready for ``velocity_graph``:

    * ``layers``: ``Ms``, ``Mu`` (kNN moments, float32), ``spliced``, ``unspliced``
      (normalised counts, sparse), ``velocity`` (of ``mode``, in Ms units per unit time);
    * ``var['velocity_genes']`` of ``mode``; ``var['velocity_gamma']``/``velocity_r2``
      (stochastic) or the dynamical fit ``var['fit_*']`` (``fit_likelihood`` among them);
    * ``obsp['distances']``, ``obsp['connectivities']`` and ``uns['neighbors']`` (30
      neighbours on 30 PCs, 29 stored per cell); ``obsm['X_umap']``, ``obsm['X_pca']``;
    * ``obs['clusters']``, ``obs['clusters_coarse']``; ``uns['velocity_params']['mode']``;
    * ``uns['recipe']``: the genes the recipe kept, the package versions, BLAS kernel and
      machine that made the file.

    ``verify`` checks the file's sha256 first: a single changed value is reported as a
    modified file, not left to surface as a confusing difference later. Returns a new
    AnnData on every call.
    """
    import anndata as ad
    import numpy as np

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}; got {mode!r}")
    target = Path(path) if path is not None else _shipped("pancreas_prepared.h5ad")
    if not target.is_file():
        raise FileNotFoundError(f"prepared data not found: {target}; run python tools/make_prepared.py")
    if verify:
        verify_checksum(target, PREPARED_SHA256, "Reinstall velograph_book, or remake it with python "
                        "tools/make_prepared.py (which records the new checksum).")
    try:
        adata = ad.read_h5ad(target)  # a new object on every call: nothing to copy
    except Exception as err:
        raise ValueError(f"{target} is not a readable .h5ad file (truncated or corrupt?): {err}") from err
    _check_entries(adata, target)
    other = MODES[1 - MODES.index(mode)]
    if mode == "stochastic":
        gamma = adata.var["stochastic_velocity_gamma"].to_numpy(np.float32)
        adata.layers["velocity"] = stochastic_velocity(adata.layers["Mu"], adata.layers["Ms"], gamma)
        del adata.layers["velocity_dynamical"]
    else:
        adata.layers["velocity"] = adata.layers.pop("velocity_dynamical")
    adata.var["velocity_genes"] = adata.var.pop(f"{mode}_velocity_genes").astype(bool)
    adata.var.pop(f"{other}_velocity_genes")
    prefix = "stochastic_"
    for column in list(adata.var.columns):
        if column.startswith(prefix):
            values = adata.var.pop(column)
            if mode == "stochastic":
                adata.var[column[len(prefix):]] = values
        elif column.startswith("fit_") and mode == "stochastic":
            del adata.var[column]
    adata.uns["velocity_params"] = dict(adata.uns.pop(f"velocity_params_{mode}"))
    adata.uns.pop(f"velocity_params_{other}")
    if mode == "stochastic":
        adata.uns.pop("recover_dynamics", None)
    adata.X = adata.layers["spliced"].copy()
    return adata
