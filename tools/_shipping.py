"""What the tools that make the shipped data files share: BLAS provenance, dense float32
copies, h5ad-safe uns dictionaries, and writing a file whose sha256 a module records.

The make_* scripts run as ``python tools/make_x.py``, so this directory is on their path.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp


def blas_kernel() -> str:
    """The BLAS library, version and CPU kernel in use (provenance of every shipped file)."""
    from threadpoolctl import threadpool_info

    return ", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}" for i in threadpool_info()
                     if i.get("user_api") == "blas")


def dense32(layer) -> np.ndarray:
    """A layer as a dense float32 array (sparse or dense in)."""
    return np.asarray(layer.toarray() if sp.issparse(layer) else layer, dtype=np.float32)


def clean_uns(params: dict) -> dict:
    """A uns dictionary as h5ad can store it (no None values)."""
    return {k: v for k, v in params.items() if v is not None}


def write_checksummed(out, target: Path, module: Path, constant: str) -> str:
    """Write ``out`` to ``target`` atomically, record its sha256 as ``constant = "..."`` in ``module``.

    The file is written beside the target first and then renamed, so an interrupted run
    never leaves a half-written file under the shipped name. Returns the sha256.
    """
    partial = target.with_suffix(".partial.h5ad")
    out.write_h5ad(partial, compression="gzip", compression_opts=9)
    partial.replace(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    text = module.read_text()
    new, count = re.subn(rf'{constant} = "[0-9a-f]*"', f'{constant} = "{digest}"', text)
    if count != 1:
        raise SystemExit(f"could not find {constant} in {module}")
    module.write_text(new)
    return digest
