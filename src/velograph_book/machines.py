"""Two runs of the pancreas recipe on two computers, compared by numbers that hold on every computer.

Chapter 5 teaches that the same recipe, code, versions and seeds give different low
digits on another computer, and that some steps amplify them. A live run on the
reader's machine cannot show it reliably (it may match the prepared copy exactly), so
``tools/make_foreign_run.py`` made a second run once, under a foreign configuration
(OpenBLAS's Sandybridge kernel, numba code for a generic x86-64, numpy without AVX2,
one thread), and ships what can differ (``data/pancreas_foreign_run.h5ad``, checksummed).
:func:`foreign_run` rebuilds that run beside the prepared copy, and
:func:`compare_runs` measures the differences: both inputs are shipped files, so every
number it returns is the same on every computer.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

#: sha256 of data/pancreas_foreign_run.h5ad, written by tools/make_foreign_run.py.
FOREIGN_RUN_SHA256 = "f5afec7f13195dbe466c28dd070a61b14d8558d60c094847708da4bb7fd87496"
FOREIGN_RUN_FILE = "pancreas_foreign_run.h5ad"


def foreign_run(*, path=None, verify: bool = True):
    """The recipe's stochastic run made under a foreign configuration, as an AnnData like the prepared copy.

    Starts from :func:`velograph_book.prepared.pancreas_prepared` ("stochastic") and
    replaces what the foreign run changed: ``obsp['distances']`` (its kNN graph),
    ``obsm['X_umap']`` (its UMAP, seed 0), the ``Ms``/``Mu`` rows of the cells whose
    moments differ (every other row is bit-identical; the tool checks it),
    ``var['velocity_gamma']`` and ``var['velocity_genes']``; ``layers['velocity']`` is
    rebuilt as Mu - gamma Ms in float32 (exact on every CPU). ``uns['run']`` records the
    configuration, BLAS kernel and package versions. Returns a new AnnData on every call.
    """
    import anndata as ad
    import scipy.sparse as sp

    from velograph.datasets import verify_checksum

    from .prepared import pancreas_prepared, stochastic_velocity

    target = Path(path) if path is not None else Path(str(resources.files("velograph_book") / "data" /
                                                          FOREIGN_RUN_FILE))
    if not target.is_file():
        raise FileNotFoundError(f"foreign run not found: {target}; run python tools/make_foreign_run.py")
    if verify:
        verify_checksum(target, FOREIGN_RUN_SHA256, "Reinstall the book helpers, or remake it with python "
                        "tools/make_foreign_run.py (which records the new checksum).")
    stored = ad.read_h5ad(target)
    run = pancreas_prepared("stochastic")
    if list(stored.obs_names) != list(run.obs_names) or list(stored.var_names) != list(run.var_names):
        raise ValueError(f"{target} does not hold the prepared copy's cells and genes: remake it with "
                         "python tools/make_foreign_run.py")
    cells = np.asarray(stored.uns["moment_cells"], dtype=np.int64)
    for layer in ("Ms", "Mu"):
        values = np.array(run.layers[layer], dtype=np.float32)
        values[cells] = np.asarray(stored.uns[f"{layer}_rows"], dtype=np.float32)
        run.layers[layer] = values
    run.var["velocity_gamma"] = stored.var["velocity_gamma"].to_numpy(np.float32)
    run.var["velocity_genes"] = stored.var["velocity_genes"].to_numpy(bool)
    run.layers["velocity"] = stochastic_velocity(run.layers["Mu"], run.layers["Ms"], run.var["velocity_gamma"])
    run.obsp["distances"] = sp.csr_matrix(stored.obsp["distances"], dtype=np.float32)
    del run.obsp["connectivities"]  # the prepared copy's; the foreign run's is not shipped
    run.obsm["X_umap"] = np.asarray(stored.obsm["X_umap"], dtype=np.float32)
    run.uns["run"] = dict(stored.uns["run"])
    return run


def align_similarity(reference, other) -> tuple[np.ndarray, float, float]:
    r"""Rotate, scale and shift ``other`` (n, 2) onto ``reference`` (n, 2) by least squares (Procrustes).

    Finds the rotation R (reflections excluded), scale c and shift t minimising
    :math:`\sum_i \|c\,R\,y_i + t - x_i\|^2`; a UMAP has no preferred orientation or
    scale, so only what is left after this alignment is a change of the layout itself.
    Returns (aligned coordinates (n, 2), rotation angle in degrees (counter-clockwise),
    scale c).
    """
    X = np.asarray(reference, dtype=np.float64)
    Y = np.asarray(other, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape != Y.shape:
        raise ValueError(f"reference and other must both be (n, 2) coordinates, got {X.shape} and {Y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(Y).all()):
        raise ValueError("reference and other must be finite")
    x0, y0 = X - X.mean(axis=0), Y - Y.mean(axis=0)
    # the 2-D Procrustes rotation in closed form: angle = atan2(sum cross, sum dot)
    dot = float(np.sum(y0 * x0))
    cross = float(np.sum(y0[:, 0] * x0[:, 1] - y0[:, 1] * x0[:, 0]))
    angle = np.arctan2(cross, dot)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rotated = y0 @ rotation.T
    scale = float(np.sum(rotated * x0) / np.sum(y0 * y0))
    return scale * rotated + X.mean(axis=0), float(np.degrees(angle)), scale


def compare_runs(reference, other, *, basis: str = "umap") -> dict:
    """How two runs of the recipe differ, step by step, in numbers computed from the two AnnData alone.

    Both runs hold the same cells and genes (as :func:`foreign_run` and the prepared copy
    do). Returns a dict:

    * ``neighbour_cells_changed``: cells whose stored kNN neighbours differ (count);
    * ``max_distance_difference``: largest absolute distance difference over the pairs stored
      in both kNN graphs (PCA units);
    * ``max_Ms_difference``: largest absolute Ms difference over cells and genes (normalised counts);
    * ``velocity_genes_changed``: genes that are velocity genes in one run only (count);
    * ``gene_correlations``: per velocity gene of the reference, the Pearson correlation
      of its velocity between the runs (array);
    * ``displacement``: per cell, the distance between its two positions on the embedding
      (embedding units); ``aligned_displacement``: the same after the best rotation,
      scale and shift of the other layout onto the reference (:func:`align_similarity`);
      ``rotation_degrees``, ``scale``: that alignment.
    """
    import scipy.sparse as sp

    from .reproducibility import column_correlations, neighbor_overlap

    if list(reference.obs_names) != list(other.obs_names) or list(reference.var_names) != list(other.var_names):
        raise ValueError("reference and other must hold the same cells and genes in the same order")
    A, B = sp.csr_matrix(reference.obsp["distances"]), sp.csr_matrix(other.obsp["distances"])
    overlap = neighbor_overlap(A, B)
    both = A.multiply(B > 0).tocsr(), B.multiply(A > 0).tocsr()
    distance_difference = float(abs(both[0] - both[1]).max()) if both[0].nnz else 0.0
    Ms_a = np.asarray(reference.layers["Ms"], dtype=np.float64)
    Ms_b = np.asarray(other.layers["Ms"], dtype=np.float64)
    genes_a = reference.var["velocity_genes"].to_numpy(bool)
    genes_b = other.var["velocity_genes"].to_numpy(bool)
    correlations = column_correlations(np.asarray(reference.layers["velocity"])[:, genes_a],
                                       np.asarray(other.layers["velocity"])[:, genes_a])
    X, Y = reference.obsm[f"X_{basis}"], other.obsm[f"X_{basis}"]
    aligned, angle, scale = align_similarity(X, Y)
    return {
        "neighbour_cells_changed": int(np.sum(overlap < 1)),
        "max_distance_difference": distance_difference,
        "max_Ms_difference": float(np.abs(Ms_a - Ms_b).max()),
        "velocity_genes_changed": int(np.sum(genes_a != genes_b)),
        "gene_correlations": correlations,
        "displacement": np.linalg.norm(np.asarray(Y, np.float64) - np.asarray(X, np.float64), axis=1),
        "aligned_displacement": np.linalg.norm(aligned - np.asarray(X, np.float64), axis=1),
        "rotation_degrees": angle,
        "scale": scale,
    }


def plot_displacement(X_emb, displacements, titles, *, vmax=None, axes=None):
    """Cells on the embedding ``X_emb`` coloured by how far each moved: one panel per displacement array.

    ``displacements``: a list of per-cell distances (embedding units), drawn on a shared
    colour scale (0 to ``vmax``, default the largest value) so that panels compare.
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    X_emb = np.asarray(X_emb, dtype=np.float64)
    if axes is None:
        fig, axes = plt.subplots(1, len(displacements), figsize=(5.5 * len(displacements), 4.4))
    axes = np.atleast_1d(axes)
    fig = axes[0].figure
    vmax = max(float(np.max(d)) for d in displacements) if vmax is None else vmax
    for ax, moved, title in zip(axes, displacements, titles, strict=True):
        order = np.argsort(moved)  # the cells that moved most on top
        points = ax.scatter(X_emb[order, 0], X_emb[order, 1], c=np.asarray(moved)[order], s=4, cmap="viridis",
                            vmin=0, vmax=vmax)
        ax.set_title(title)
        ax.set_xlabel("UMAP 1 (prepared copy)")
        ax.set_ylabel("UMAP 2 (prepared copy)")
        ax.set_aspect("equal", adjustable="datalim")
    fig.colorbar(points, ax=list(axes), label="distance moved (UMAP units)")
    return fig
