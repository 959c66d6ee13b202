"""velocity_confidence: memory bounded by a stated multiple of its inputs, the same numbers in any block size."""

from __future__ import annotations

import tracemalloc

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import velograph.tl as vtl
from velograph.tl import _confidence

from _tl_data import assert_unchanged, graphed, snapshot


def wide_adata(n=512, genes=1000, k=40, seed=0):
    """Many genes and neighbours: the old block (4,096 cells x k x genes) was 80 MB here for 4 MB of layers."""
    rng = np.random.default_rng(seed)
    Ms = rng.normal(size=(n, genes)).astype(np.float32)
    V = rng.normal(size=(n, genes)).astype(np.float32)
    idx = np.stack([rng.choice(np.delete(np.arange(n), i), k, replace=False) for i in range(n)])
    rows = np.repeat(np.arange(n), k)
    D = sp.csr_matrix((rng.random(n * k) + 0.1, (rows, idx.ravel())), shape=(n, n))
    adata = ad.AnnData(X=sp.csr_matrix((n, genes), dtype=np.float32), layers={"Ms": Ms, "velocity": V},
                       obsp={"distances": D}, uns={"velocity_params": {"mode": "stochastic"}})
    vtl.velocity_graph(adata, n_recurse_neighbors=1)
    return adata


def test_memory_is_bounded_by_a_multiple_of_the_inputs(monkeypatch):
    # Before: 4,096 cells x 3,000 genes x 50 neighbours peaked at 2.9 GB for 98 MB of layers
    # (measured with tracemalloc; now 409 MB); the block did not adapt to k * genes.
    monkeypatch.setattr(_confidence, "BLOCK_BYTES", 2**20)
    adata = wide_adata()
    layers = adata.layers["Ms"].nbytes + adata.layers["velocity"].nbytes
    graph = adata.uns["velocity_graph"]
    T_bytes = 2 * (graph.nnz + adata.uns["velocity_graph_neg"].nnz + adata.n_obs) * 16  # float64 T and a copy
    tracemalloc.start()
    try:
        vtl.velocity_confidence(adata)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the docstring's statement: about 4x the layers, the transition matrix and one block
    assert peak < 4.5 * layers + T_bytes + 2**20, (peak, layers)


def test_block_size_does_not_change_a_number(monkeypatch):
    adata = wide_adata(n=200, genes=300, k=20)
    reference = vtl.velocity_confidence(adata, copy=True).obs
    monkeypatch.setattr(_confidence, "BLOCK_BYTES", 3 * 20 * 300 * 4)  # three cells per block
    small_blocks = vtl.velocity_confidence(adata, copy=True).obs
    pd.testing.assert_frame_equal(small_blocks, reference)
    pd.testing.assert_frame_equal(vtl.velocity_confidence(adata, copy=True, block=7).obs, reference)


def test_nothing_is_written_when_a_check_fails():
    adata = graphed()
    del adata.layers["Ms"]  # needed for the transition column, which comes last
    before = snapshot(adata)
    with pytest.raises(KeyError, match=r"layers\['Ms'\]"):
        vtl.velocity_confidence(adata)
    assert_unchanged(adata, before)


@pytest.mark.parametrize("column,message", [
    (pd.array([True, None] * 6, dtype="boolean"), r"velocity_genes'\] has a missing value \(<NA>"),
    (np.array(["True", "False"] * 6, dtype=object), None),
])
def test_velocity_genes_column_is_read_as_flags(column, message):
    adata = graphed()
    adata.var["velocity_genes"] = column
    if message:
        with pytest.raises(ValueError, match=message):
            vtl.velocity_confidence(adata)
    else:
        flags = graphed()
        flags.var["velocity_genes"] = np.array([True, False] * 6)
        vtl.velocity_confidence(adata)
        vtl.velocity_confidence(flags)
        pd.testing.assert_frame_equal(adata.obs, flags.obs)


def test_spearmans_score_as_text_is_refused_by_name():
    adata = graphed()
    adata.var["spearmans_score"] = np.array(["0.5"] * 12, dtype=object)
    with pytest.raises(TypeError, match=r"^adata.var\['spearmans_score'\] must hold real numbers"):
        vtl.velocity_confidence(adata)
