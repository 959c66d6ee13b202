"""The shipped data loads offline; bad files give clear errors."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp

from velograph import datasets

from _shipped_files import changed_copy

# slow: scVelo, the shipped data or subprocesses; tools/test.sh runs it beside the book build
pytestmark = pytest.mark.slow


def test_pancreas_loads_with_layers_and_x():
    adata = datasets.pancreas()
    assert adata.shape == (3696, 2000)
    assert {"spliced", "unspliced"} <= set(adata.layers)
    assert adata.X is not None and (adata.X != adata.layers["spliced"]).nnz == 0
    assert adata.obs["clusters"].nunique() == 8


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        datasets.pancreas(tmp_path / "nope.h5ad")


def test_truncated_file(tmp_path):
    shipped = datasets._shipped("pancreas.h5ad").read_bytes()
    broken = tmp_path / "broken.h5ad"
    broken.write_bytes(shipped[: len(shipped) // 3])
    with pytest.raises(ValueError, match="corrupt or was modified"):
        datasets.pancreas(broken)
    with pytest.raises(ValueError, match="not a readable .h5ad"):
        datasets.pancreas(broken, verify=False)


def test_file_without_velocity_layers(tmp_path):
    path = tmp_path / "plain.h5ad"
    ad.AnnData(X=sp.random(5, 4, density=0.5, format="csr", random_state=0)).write_h5ad(path)
    with pytest.raises(ValueError, match="'spliced' or 'unspliced' layer"):
        datasets.read_velocity_h5ad(path)


def test_corrupt_shipped_copy_is_detected(tmp_path, monkeypatch):
    fake = tmp_path / "pancreas.h5ad"
    fake.write_bytes(datasets._shipped("pancreas.h5ad").read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(datasets, "_shipped", lambda name: fake)
    with pytest.raises(ValueError, match="corrupt or was modified: its sha256"):
        datasets.pancreas()


def test_other_copy_of_the_file_loads(tmp_path):
    copy = tmp_path / "copy.h5ad"
    copy.write_bytes(datasets._shipped("pancreas.h5ad").read_bytes())
    adata = datasets.pancreas(copy)
    assert np.array_equal(adata.obs_names, datasets.pancreas().obs_names)


def test_one_changed_raw_count_is_caught_by_the_checksum(tmp_path):
    copy = changed_copy(tmp_path, datasets._shipped("pancreas.h5ad"), "layers/spliced/data", 0, 1)
    with pytest.raises(ValueError, match="corrupt or was modified: its sha256 .* differs from the recorded"):
        datasets.pancreas(copy)
    unchecked = datasets.pancreas(copy, verify=False)
    assert unchecked.layers["spliced"].data[0] == datasets.pancreas().layers["spliced"].data[0] + 1


def test_checksum_streams_the_file_in_chunks(tmp_path, monkeypatch):
    # Before: path.read_bytes() held the whole file in memory before hashing it.
    path = tmp_path / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MB
    with open(path, "wb") as stream:
        for _ in range(32):
            stream.write(block)
    expected = hashlib.sha256(block * 32).hexdigest()
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read the whole file at once"))
    tracemalloc.start()
    try:
        datasets.verify_checksum(path, expected, "")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * datasets.CHUNK_BYTES, peak  # a 32 MB file, a few MB at most
    with pytest.raises(ValueError, match="is corrupt or was modified"):
        datasets.verify_checksum(path, "0" * 64, "")
