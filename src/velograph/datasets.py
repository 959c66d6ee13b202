"""Real data shipped with velograph, loadable offline.

``pancreas()``: mouse pancreatic endocrinogenesis, embryonic day 15.5
(Bastidas-Ponce A., Tritschler S. et al. 2019, *Development* 146:dev173849; raw data
GEO GSE132188), 3,696 cells x 2,000 genes, 10x Chromium, spliced and unspliced counts:
the dataset of scVelo's tutorials (``scv.datasets.pancreas()``), same cells and
cluster labels. Obtained from the R package SuperCell (GfellerLab/SuperCell, commit
5de820e93ba4, ``data/pancreas.rda``; the package is GPL-3, the counts are the authors'
public GEO deposit) and converted with ``tools/make_pancreas.py``. Provenance and
licence: ``data/README.md`` beside the file (the counts are not under velograph's BSD-3).
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anndata import AnnData

PANCREAS_SHA256 = "895c6f900aee83e571687515d9c22c46591e2cf45cf3e1ca96f86003eeed3df0"
REQUIRED_LAYERS = ("spliced", "unspliced")


def _shipped(name: str) -> Path:
    return Path(str(resources.files("velograph") / "data" / name))


def read_velocity_h5ad(path: str | os.PathLike) -> AnnData:
    """Read an .h5ad with spliced/unspliced layers; clear errors for a missing, corrupt or incomplete file.

    Parameters
    ----------
    path : str or path-like
        The .h5ad file.

    Returns
    -------
    anndata.AnnData
        The file's contents, with ``X`` set to a copy of the spliced counts when the file
        stores no ``X`` (or one of another shape).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a readable .h5ad (truncated or corrupt), or has no
        ``layers['spliced']`` or ``layers['unspliced']``.

    Examples
    --------
    >>> import pathlib
    >>> import tempfile
    >>> import anndata as ad
    >>> import numpy as np
    >>> from velograph.datasets import read_velocity_h5ad
    >>> counts = np.arange(6, dtype=np.int32).reshape(3, 2)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "tiny.h5ad"
    ...     ad.AnnData(shape=(3, 2), layers={"spliced": counts, "unspliced": counts // 2}).write_h5ad(path)
    ...     adata = read_velocity_h5ad(path)
    >>> print(adata.X)
    [[0 1]
     [2 3]
     [4 5]]
    >>> read_velocity_h5ad("no/such/file.h5ad")
    Traceback (most recent call last):
    ...
    FileNotFoundError: data file not found: no/such/file.h5ad
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


#: Bytes read at a time when hashing a file.
CHUNK_BYTES = 2**20


def _file_sha256(path: Path) -> str:
    """sha256 of a file as 64 hexadecimal digits, read in ``CHUNK_BYTES`` chunks (memory O(1 MB))."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: Path, expected: str, remedy: str) -> None:
    """Raise ValueError when the file's sha256 differs from the recorded one (any changed byte).

    Parameters
    ----------
    path : pathlib.Path
        The file to check (read in 1 MB chunks: memory does not grow with the file).
    expected : str
        The recorded sha256, as 64 lowercase hexadecimal digits.
    remedy : str
        What the reader should do about a mismatch; appended to the error message.

    Returns
    -------
    None
        When the digests agree.

    Raises
    ------
    ValueError
        If the file's sha256 differs from ``expected``; the message gives both digests
        and ``remedy``.

    Examples
    --------
    >>> import hashlib
    >>> import pathlib
    >>> import tempfile
    >>> from velograph.datasets import verify_checksum
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "data.txt"
    ...     _ = path.write_bytes(b"velocity")
    ...     recorded = hashlib.sha256(b"velocity").hexdigest()
    ...     verify_checksum(path, recorded, "Download it again.")  # silent: the same bytes
    ...     _ = path.write_bytes(b"Velocity")
    ...     verify_checksum(path, recorded, "Download it again.")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../data.txt is corrupt or was modified: its sha256 ... differs from the recorded ... Download it again.
    """
    digest = _file_sha256(path)
    if digest != expected:
        raise ValueError(f"{path} is corrupt or was modified: its sha256 {digest} differs from the recorded "
                         f"{expected}. {remedy}")


def pancreas(path: str | os.PathLike | None = None, *, verify: bool = True) -> AnnData:
    """The shipped pancreas dataset (see the module docstring): an AnnData, read offline.

    Parameters
    ----------
    path : str or path-like, optional
        Read another copy of the same file instead of the shipped one.
    verify : bool
        Check the file's sha256 against the shipped one first.

    Returns
    -------
    anndata.AnnData
        3,696 cells x 2,000 genes: ``layers['spliced']``, ``layers['unspliced']`` (int32
        counts), ``X`` = spliced, ``obs['clusters']`` (8 cell types),
        ``obs['clusters_coarse']``, ``obs['S_score']``, ``obs['G2M_score']``. A new object
        on every call.

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If ``verify`` and its sha256 differs from the shipped one, or the file is not a
        readable .h5ad with spliced and unspliced layers.

    Examples
    --------
    >>> from velograph.datasets import pancreas
    >>> adata = pancreas()
    >>> adata.shape
    (3696, 2000)
    >>> sorted(adata.layers)
    ['spliced', 'unspliced']
    >>> list(adata.obs["clusters"].cat.categories)  # doctest: +NORMALIZE_WHITESPACE
    ['Ductal', 'Ngn3 low EP', 'Ngn3 high EP', 'Pre-endocrine', 'Beta', 'Alpha', 'Delta',
     'Epsilon']
    """
    target = Path(path) if path is not None else _shipped("pancreas.h5ad")
    if verify and target.is_file():
        verify_checksum(target, PANCREAS_SHA256, "Reinstall velograph to restore the shipped copy, or pass "
                        "verify=False to read a file of your own.")
    return read_velocity_h5ad(target)


def toy_trajectory() -> AnnData:
    """Eight cells along a trajectory, four genes: the small AnnData of the ``velograph.tl`` examples.

    Made by hand, no randomness: ``layers['Ms']`` (states along t = 0..7) and
    ``layers['velocity']`` (their derivative plus a fixed perturbation), a kNN distance graph
    of two neighbours per cell in ``obsp['distances']`` (unit distances, each cell's
    neighbours along the line), a 2-D embedding ``obsm['X_umap']`` and genes named a-d.
    Small enough to print every number of a graph or a transition matrix.

    Returns
    -------
    anndata.AnnData
        A new object on every call, 8 cells x 4 genes, ready for
        :func:`velograph.tl.velocity_graph`.

    Examples
    --------
    >>> from velograph.datasets import toy_trajectory
    >>> adata = toy_trajectory()
    >>> adata.shape, sorted(adata.layers), adata.obsp["distances"].getnnz(axis=1).tolist()
    ((8, 4), ['Ms', 'velocity'], [2, 2, 2, 2, 2, 2, 2, 2])
    """
    import anndata as ad
    import numpy as np
    import scipy.sparse as sp

    t = np.arange(8.0)
    Ms = np.c_[t, t**2 / 8, 8 - t, (t - 3) ** 2 / 4]
    velocity = np.c_[np.ones(8), t / 4, -np.ones(8), (t - 3) / 2] + (np.arange(32).reshape(8, 4) % 5 - 2) / 10
    nearest = np.array([[1, 2]] + [[i - 1, i + 1] for i in range(1, 7)] + [[6, 5]])
    distances = sp.csr_matrix((np.ones(16), nearest.ravel(), np.arange(0, 17, 2)), shape=(8, 8))
    adata = ad.AnnData(np.zeros((8, 4)), layers={"Ms": Ms, "velocity": velocity},
                       obsp={"distances": distances}, obsm={"X_umap": np.c_[t, (t - 3.5) ** 2 / 4]})
    adata.var_names = ["a", "b", "c", "d"]
    return adata


def scvelo_dataset(name: str) -> AnnData:
    """scVelo's full datasets (e.g. 'pancreas', 'dentategyrus'): downloaded by scVelo, so they need a network.

    Not used by the book or the tests, which run offline on :func:`pancreas`.

    Parameters
    ----------
    name : str
        The name of a loader in ``scvelo.datasets``.

    Returns
    -------
    anndata.AnnData
        What ``scvelo.datasets.<name>()`` returns.

    Raises
    ------
    ValueError
        If ``scvelo.datasets`` has no loader ``name``.
    ConnectionError
        If the loader fails (it downloads its data).
    ImportError
        If scVelo is not installed (``pip install velograph[scvelo]``).

    Examples
    --------
    >>> from velograph.datasets import scvelo_dataset
    >>> adata = scvelo_dataset("dentategyrus")  # doctest: +SKIP
    >>> scvelo_dataset("no_such_dataset")
    Traceback (most recent call last):
    ...
    ValueError: scvelo.datasets has no dataset 'no_such_dataset'
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
