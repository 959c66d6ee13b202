"""Make the prepared pancreas inputs of Part II once, from the shipped raw data, and ship them.

Usage (inside the environment that tools/setup-env.sh builds):
    python tools/make_prepared.py

Why a shipped file: the upstream recipe (PCA through the BLAS library, UMAP and
pynndescent through numba with fastmath, the dynamical model's iterative fit) gives
different low digits on different CPUs, BLAS kernels and thread counts, and every
number downstream inherits them. Chapters 6 and 7 therefore start from this file,
made once here; chapter 5 still runs the recipe and compares its own run with it by
tolerances that hold on every machine.

What it stores (only what Part II reads; the genes are the velocity genes of either
model, so the file stays small): layers Ms, Mu, spliced/unspliced (normalised counts),
the dynamical velocities (the stochastic ones are rebuilt exactly from Ms, Mu and
gamma); per-gene results of both models; the kNN graph (distances, connectivities); the
UMAP and PCA coordinates; cluster labels; the genes the recipe kept; and the provenance
(package versions, BLAS kernel, CPU).

It writes src/velograph_book/data/pancreas_prepared.h5ad and records the file's sha256 in
src/velograph_book/prepared.py (PREPARED_SHA256), so that any change to a shipped value is
caught on load with a clear error. Regenerating changes the real-data goldens:
run tools/regenerate_goldens.py afterwards.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import version
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from _shipping import blas_kernel, clean_uns, dense32, write_checksummed

from velograph import datasets
from velograph_book import pipeline
from velograph_book.prepared import stochastic_velocity

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "velograph_book" / "data" / "pancreas_prepared.h5ad"
DATASETS = ROOT / "src" / "velograph_book" / "prepared.py"
PACKAGES = ("scvelo", "scanpy", "anndata", "numpy", "scipy", "umap-learn", "pynndescent", "scikit-learn", "numba")


def run_recipe():
    """The stochastic and the dynamical model on the same preprocessed data (DESIGN.md section 7)."""
    stochastic = pipeline.preprocess(datasets.pancreas())
    pipeline.velocities(stochastic, mode="stochastic")
    pipeline.umap(stochastic)
    dynamical = stochastic.copy()
    pipeline.velocities(dynamical, mode="dynamical", n_jobs=1)
    return stochastic, dynamical


def prepared(stochastic, dynamical) -> ad.AnnData:
    genes = stochastic.var["velocity_genes"].to_numpy() | dynamical.var["velocity_genes"].to_numpy()
    s, d = stochastic[:, genes], dynamical[:, genes]

    var = pd.DataFrame(index=s.var_names.copy())
    var["stochastic_velocity_genes"] = s.var["velocity_genes"].to_numpy(bool)
    var["dynamical_velocity_genes"] = d.var["velocity_genes"].to_numpy(bool)
    for column in ("velocity_gamma", "velocity_r2", "velocity_qreg_ratio"):
        if column in s.var:
            var[f"stochastic_{column}"] = s.var[column].to_numpy()
    for column in d.var.columns:
        if column.startswith("fit_"):
            var[column] = d.var[column].to_numpy()
    obs = stochastic.obs[[c for c in ("clusters", "clusters_coarse") if c in stochastic.obs]].copy()
    out = ad.AnnData(obs=obs, var=var)
    out.layers["Ms"] = dense32(s.layers["Ms"])
    out.layers["Mu"] = dense32(s.layers["Mu"])
    out.layers["spliced"] = sp.csr_matrix(s.layers["spliced"], dtype=np.float32)
    out.layers["unspliced"] = sp.csr_matrix(s.layers["unspliced"], dtype=np.float32)
    # The stochastic velocity is v = Mu - gamma * Ms, elementwise in float32 (scVelo's
    # fit_offset=False): exactly reproducible on every CPU, so it is rebuilt on load
    # instead of shipped. Check that the rebuild is bit-identical to scVelo's layer.
    gamma = var["stochastic_velocity_gamma"].to_numpy(np.float32)
    rebuilt = stochastic_velocity(out.layers["Mu"], out.layers["Ms"], gamma)
    if not np.array_equal(rebuilt, dense32(s.layers["velocity"])):
        raise SystemExit("Mu - gamma * Ms does not reproduce scVelo's stochastic velocity bit for bit")
    out.layers["velocity_dynamical"] = dense32(d.layers["velocity"])
    out.obsp["distances"] = sp.csr_matrix(stochastic.obsp["distances"], dtype=np.float32)
    out.obsp["connectivities"] = sp.csr_matrix(stochastic.obsp["connectivities"], dtype=np.float32)
    out.obsm["X_umap"] = np.asarray(stochastic.obsm["X_umap"], dtype=np.float32)
    out.obsm["X_pca"] = np.asarray(stochastic.obsm["X_pca"], dtype=np.float32)
    out.uns["neighbors"] = {"params": clean_uns(dict(stochastic.uns["neighbors"]["params"])),
                            "distances_key": "distances", "connectivities_key": "connectivities"}
    out.uns["velocity_params_stochastic"] = clean_uns(dict(stochastic.uns["velocity_params"]))
    out.uns["velocity_params_dynamical"] = clean_uns(dict(dynamical.uns["velocity_params"]))
    if "recover_dynamics" in dynamical.uns:
        out.uns["recover_dynamics"] = clean_uns(dict(dynamical.uns["recover_dynamics"]))
    out.uns["recipe"] = {
        "genes_kept": np.asarray(stochastic.var_names, dtype=str),
        "raw_sha256": datasets.PANCREAS_SHA256,
        "versions": np.asarray([f"{p}=={version(p)}" for p in PACKAGES], dtype=str),
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "blas": blas_kernel(),
    }
    return out


def main() -> None:
    stochastic, dynamical = run_recipe()
    out = prepared(stochastic, dynamical)
    digest = write_checksummed(out, TARGET, DATASETS, "PREPARED_SHA256")
    print(f"wrote {TARGET.relative_to(ROOT)}: {out.n_obs} cells x {out.n_vars} genes, "
          f"{TARGET.stat().st_size / 2**20:.2f} MiB, sha256 {digest}")


if __name__ == "__main__":
    main()
