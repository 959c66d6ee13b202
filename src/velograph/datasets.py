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
REQUIRED_LAYERS = ("spliced", "unspliced")


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
