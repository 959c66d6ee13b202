"""Real data shipped with velograph, loadable offline.

``pancreas()``: mouse pancreatic endocrinogenesis, embryonic day 15.5
(Bastidas-Ponce A., Tritschler S. et al. 2019, *Development* 146:dev173849; raw data
GEO GSE132188), 3,696 cells x 2,000 genes, 10x Chromium, spliced and unspliced counts:
the dataset of scVelo's tutorials (``scv.datasets.pancreas()``), same cells and
cluster labels. Obtained from the R package SuperCell (GfellerLab/SuperCell, commit
5de820e93ba4, ``data/pancreas.rda``; the package is GPL-3, the counts are the authors'
public GEO deposit) and converted with ``make_pancreas.py`` (see the README).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

PANCREAS_SHA256 = "895c6f900aee83e571687515d9c22c46591e2cf45cf3e1ca96f86003eeed3df0"
#: sha256 of data/pancreas_prepared.h5ad, written by tools/make_prepared.py.
PREPARED_SHA256 = "f1757654fb0d59cac62c3177f1df7d33012183821f5df8fc579bc1d99f38cf88"
REQUIRED_LAYERS = ("spliced", "unspliced")
MODES = ("stochastic", "dynamical")


def _shipped(name: str) -> Path:
    return Path(str(resources.files("velograph") / "data" / name))


def read_velocity_h5ad(path) -> anndata.AnnData:  # noqa: F821
    """Read an .h5ad with spliced/unspliced layers; clear errors for a missing, corrupt or incomplete file.

    Sets ``X`` to a copy of the spliced counts when the file stores no ``X``.
    """
    import anndata as ad
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    try:
        adata = ad.read_h5ad(path)
    except Exception as err:
        raise ValueError(f"{path} is not a readable .h5ad file (truncated or corrupt?): {err}") from err
    missing = [layer for layer in REQUIRED_LAYERS if layer not in adata.layers]
    if missing:
        raise ValueError(f"{path} has no {' or '.join(repr(m) for m in missing)} layer; velocity needs "
                         "spliced and unspliced counts in adata.layers")
    if adata.X is None or (hasattr(adata.X, "shape") and np.prod(adata.X.shape) and adata.X.shape != adata.shape):
        adata.X = adata.layers["spliced"].copy()
    return adata


def verify_checksum(path: Path, expected: str, remedy: str) -> None:
    """Raise ValueError when the file's sha256 differs from the recorded one (any changed byte)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ValueError(f"{path} is corrupt or was modified: its sha256 {digest} differs from the recorded "
                         f"{expected}. {remedy}")


def pancreas(path=None, *, verify=True):
    """The shipped pancreas dataset (see the module docstring): an AnnData, read offline.

    ``layers['spliced']``, ``layers['unspliced']`` (int32 counts), ``X`` = spliced,
    ``obs['clusters']`` (8 cell types), ``obs['clusters_coarse']``, ``obs['S_score']``,
    ``obs['G2M_score']``. ``path`` reads another copy of the same file; ``verify``
    checks the file's sha256 against the shipped one first.
    """
    target = Path(path) if path is not None else _shipped("pancreas.h5ad")
    if verify and target.is_file():
        verify_checksum(target, PANCREAS_SHA256, "Reinstall velograph to restore the shipped copy, or pass "
                        "verify=False to read a file of your own.")
    return read_velocity_h5ad(target)


def stochastic_velocity(Mu, Ms, gamma):
    """scVelo's steady-state velocity v = Mu - gamma * Ms (no offset), elementwise in float32.

    Each operation is one IEEE-rounded float32 multiply or subtract, so the result is
    bit-identical on every CPU; ``tools/make_prepared.py`` checks it equals scVelo's layer.
    """
    import numpy as np

    Mu, Ms = np.asarray(Mu, dtype=np.float32), np.asarray(Ms, dtype=np.float32)
    return Mu - np.asarray(gamma, dtype=np.float32)[None, :] * Ms


def pancreas_prepared(mode="stochastic", *, path=None, verify=True):
    """The pancreas data after scVelo's recipe and velocity model ``mode``, as shipped: an AnnData.

    Made once by ``tools/make_prepared.py`` from :func:`pancreas` and shipped, because
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
        verify_checksum(target, PREPARED_SHA256, "Reinstall velograph, or remake it with python "
                        "tools/make_prepared.py (which records the new checksum).")
    try:
        adata = ad.read_h5ad(target)  # a new object on every call: nothing to copy
    except Exception as err:
        raise ValueError(f"{target} is not a readable .h5ad file (truncated or corrupt?): {err}") from err
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


def scvelo_dataset(name: str):
    """scVelo's full datasets (e.g. 'pancreas', 'dentategyrus'): downloaded by scVelo, so they need a network.

    Not used by the book or the tests, which run offline on :func:`pancreas`.
    """
    import scvelo as scv

    loader = getattr(scv.datasets, name, None)
    if loader is None:
        raise ValueError(f"scvelo.datasets has no dataset {name!r}")
    try:
        return loader()
    except Exception as err:  # network errors come in many types
        raise ConnectionError(f"scv.datasets.{name}() failed ({err}); it downloads its data and needs a network. "
                              "Use velograph.datasets.pancreas() offline") from err
