"""The checksum of a data file is computed in chunks: memory does not grow with the file."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import pytest

from velograph import datasets


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
