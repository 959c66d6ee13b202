"""Copies of a shipped data file with one value changed: what the checksum tests feed the loaders."""

from pathlib import Path


def changed_copy(tmp_path: Path, source: Path, dataset: str, index, delta) -> Path:
    """A copy of ``source`` with one stored value of ``dataset`` changed by ``delta`` (the rest identical)."""
    import h5py

    copy = tmp_path / source.name
    copy.write_bytes(source.read_bytes())
    with h5py.File(copy, "r+") as f:
        values = f[dataset][...]
        values[index] += delta
        f[dataset][...] = values
    return copy
