"""Synthetic AnnData for the benchmarks: cells on a low-dimensional trajectory, 500 genes.

Cells sit on a noisy 2-D sheet curled into a trajectory; genes are smooth random
functions of the position, and velocities are their derivatives along the
trajectory plus noise, so that velocities, displacements and kNN neighbourhoods
(two-hop neighbourhoods of ~100-200 cells, as in real data) look like real data.
The kNN graph (30 neighbours counting the cell itself, as scanpy stores it) is
exact, computed in the 2-D latent space.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def knn_distances(latent: np.ndarray, n_neighbors: int = 30) -> sp.csr_matrix:
    """scanpy-style kNN distance graph: n_neighbors - 1 other cells per row, self excluded."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=n_neighbors, algorithm="kd_tree").fit(latent)
    distances, indices = nn.kneighbors(latent)
    n = len(latent)
    k = n_neighbors - 1
    # drop each cell itself (the nearest point, distance 0)
    keep = indices != np.arange(n)[:, None]
    keep[keep.sum(axis=1) > k, -1] = False  # exact duplicates: keep k
    indices = indices[keep].reshape(n, k)
    distances = distances[keep].reshape(n, k)
    return sp.csr_matrix((distances.ravel().astype(np.float32), indices.ravel(), np.arange(0, n * k + 1, k)),
                         shape=(n, n))


def synthetic_adata(n_cells: int, n_genes: int = 500, n_neighbors: int = 30, seed: int = 0):
    import anndata as ad

    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, n_cells)                       # pseudotime
    w = rng.uniform(-1, 1, n_cells)                      # position across the trajectory
    latent = np.c_[np.cos(3 * t) * (2 + w * 0.3), np.sin(3 * t) * (2 + w * 0.3)] * 10
    frequency = rng.uniform(0.5, 3.0, n_genes)
    phase = rng.uniform(0, 2 * np.pi, n_genes)
    mix = rng.normal(0, 0.5, n_genes)
    Ms = np.empty((n_cells, n_genes), dtype=np.float32)
    velocity = np.empty((n_cells, n_genes), dtype=np.float32)
    block = 50_000
    for start in range(0, n_cells, block):
        sl = slice(start, start + block)
        arg = frequency * t[sl, None] * 2 * np.pi + phase
        Ms[sl] = (1.5 + np.sin(arg) + mix * w[sl, None] + 0.05 * rng.standard_normal((len(t[sl]), n_genes)))
        velocity[sl] = (np.cos(arg) * frequency + 0.5 * rng.standard_normal((len(t[sl]), n_genes)))
    adata = ad.AnnData(X=sp.csr_matrix((n_cells, n_genes), dtype=np.float32), layers={"Ms": Ms, "velocity": velocity})
    adata.obsp["distances"] = knn_distances(latent, n_neighbors)
    adata.obsp["connectivities"] = (adata.obsp["distances"] > 0).astype(np.float32)
    adata.uns["neighbors"] = {"params": {"n_neighbors": n_neighbors, "method": "umap"},
                              "distances_key": "distances", "connectivities_key": "connectivities"}
    adata.uns["velocity_params"] = {"mode": "stochastic"}
    adata.var["velocity_genes"] = True
    adata.obsm["X_umap"] = (latent + rng.normal(0, 0.05, latent.shape)).astype(np.float32)
    return adata
