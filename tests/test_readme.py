"""The README's drop-in example runs as written on a small simulated data set."""

import re
from pathlib import Path

import numpy as np
import pytest

from _ci import require_module

scv = require_module("scvelo")
import scanpy as sc  # noqa: E402

# slow: scVelo, the shipped data or subprocesses; tools/test.sh runs it beside the book build
pytestmark = pytest.mark.slow

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_drop_in_example_runs_and_matches_scvelo():
    block = re.search(r"<!-- drop-in example.*?-->\n```python\n(.*?)```", README, re.S).group(1)
    scv.settings.verbosity = 0
    adata = scv.datasets.simulation(n_obs=200, n_vars=20, random_seed=3)
    sc.pp.pca(adata, n_comps=10, random_state=0)
    sc.pp.neighbors(adata, n_neighbors=15, random_state=0)
    scv.pp.moments(adata, n_pcs=None, n_neighbors=None)
    scv.tl.velocity(adata)
    sc.tl.umap(adata, random_state=0)
    reference = adata.copy()
    namespace = {"adata": adata}
    exec(block, namespace)
    scv.tl.velocity_graph(reference, n_jobs=1, show_progress_bar=False)
    scv.tl.velocity_embedding(reference, basis="umap")
    assert abs(namespace["T"] - scv.tl.transition_matrix(reference)).max() < 1e-5
    np.testing.assert_allclose(adata.obsm["velocity_umap"], reference.obsm["velocity_umap"], atol=1e-4)
    assert -1 <= namespace["r"] <= 1
