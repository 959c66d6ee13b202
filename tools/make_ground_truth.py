"""Make the ground-truth datasets of the book once (simulate + the scVelo recipe) and ship them.

Usage (inside the environment that tools/setup-env.sh builds):
    python tools/make_ground_truth.py

For every scenario and seed of velograph_book.simulation.SCENARIOS: simulate(N_CELLS,
seed, **options) (pure numpy, seeded), prepare(**PREPARE) (scVelo's recipe: filter and
normalise, log1p, PCA, kNN, moments, the stochastic model, the dynamical model on the
stochastic velocity genes where the scenario asks for it, UMAP).

Why shipped: PCA (BLAS), kNN and UMAP (numba, fastmath) and the dynamical fit give
different low digits on different machines, and every number downstream inherits them.
What is stored is only what is machine-dependent and what the chapters read: Ms, Mu
(float32), the dynamical velocities, the per-gene fits, obsp['distances'], X_umap,
X_pca, the labels and uns['simulation'] (the parameters, the seed and the sha256 of the
simulated counts). The truth (true velocity, noise-free state) and the stochastic
velocity (Mu - gamma * Ms in float32) are rebuilt on load by
velograph_book.simulation.load_ground_truth, which checks that simulate() still
reproduces the recorded counts.

Writes src/velograph_book/data/ground_truth/<scenario>_seed<k>.h5ad and records their
sha256 in src/velograph_book/simulation.py (GROUND_TRUTH_SHA256).
"""

from __future__ import annotations

import hashlib
import platform
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from _shipping import clean_uns

from velograph_book import simulation
from velograph_book.prepared import stochastic_velocity

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "velograph_book" / "data" / "ground_truth"
MODULE = ROOT / "src" / "velograph_book" / "simulation.py"
PACKAGES = ("scvelo", "scanpy", "anndata", "numpy", "scipy", "umap-learn", "pynndescent", "scikit-learn", "numba")
VAR_TRUTH = ("driver", "driver_of", "bystander", "bystander_kind", "matched_to", "direction", "alpha_on", "beta",
             "gamma")


def shipped(prepared, simulated, spec) -> ad.AnnData:
    """The compact copy of one prepared dataset (see the module docstring)."""
    var = prepared.var[list(VAR_TRUTH)].copy()
    var["stochastic_velocity_genes"] = prepared.var["velocity_genes"].to_numpy(bool)
    for column in ("velocity_gamma", "velocity_r2"):
        var[column] = prepared.var[column].to_numpy()
    out = ad.AnnData(obs=prepared.obs[["latent_time", "branch", "clusters"]].copy(), var=var)
    out.layers["Ms"] = np.asarray(prepared.layers["Ms"], dtype=np.float32)
    out.layers["Mu"] = np.asarray(prepared.layers["Mu"], dtype=np.float32)
    genes = var["stochastic_velocity_genes"].to_numpy()
    rebuilt = stochastic_velocity(out.layers["Mu"], out.layers["Ms"], var["velocity_gamma"].to_numpy(np.float32))
    scvelo = np.asarray(prepared.layers["velocity"], dtype=np.float32)
    print(f"  rebuilt stochastic velocity equals scVelo's on all genes: {np.array_equal(rebuilt, scvelo)}")
    if not np.array_equal(rebuilt[:, genes], scvelo[:, genes]):
        raise SystemExit("Mu - gamma * Ms does not reproduce scVelo's stochastic velocity bit for bit")
    if spec["dynamical"]:
        out.layers["velocity_dynamical"] = np.asarray(prepared.layers["velocity_dynamical"], dtype=np.float32)
        out.var["dynamical_velocity_genes"] = prepared.var["dynamical_velocity_genes"].to_numpy(bool)
        for column in prepared.var.columns:
            if column.startswith("fit_"):
                out.var[column] = prepared.var[column].to_numpy()
    out.obsp["distances"] = sp.csr_matrix(prepared.obsp["distances"], dtype=np.float32)
    out.obsm["X_umap"] = np.asarray(prepared.obsm["X_umap"], dtype=np.float32)
    out.obsm["X_pca"] = np.asarray(prepared.obsm["X_pca"], dtype=np.float32)
    out.uns["neighbors"] = {"params": clean_uns(dict(prepared.uns["neighbors"]["params"])),
                            "distances_key": "distances"}
    params = dict(simulated.uns["simulation"])
    params["counts_sha256"] = simulation.counts_sha256(simulated)
    out.uns["simulation"] = params
    out.uns["recipe"] = {
        "prepare": {k: v for k, v in simulation.PREPARE.items()},
        "dynamical_genes": "stochastic velocity genes" if spec["dynamical"] else "none",
        "versions": " ".join(f"{p}=={version(p)}" for p in PACKAGES),
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
    }
    return out


def repack(source: Path, target: Path) -> None:
    """Copy an .h5ad with every array in one chunk, byte-shuffled and gzip-9 compressed (anndata's chunks are small).

    Same groups, datasets, dtypes and attributes (anndata's encoding metadata), so
    anndata reads the same object; the files come out about a fifth smaller.
    """
    import h5py

    def copy_attributes(source_object, target_object):
        for key, value in source_object.attrs.items():
            target_object.attrs[key] = value

    def copy_group(source_group, target_group):
        for key, item in source_group.items():
            if isinstance(item, h5py.Group):
                group = target_group.create_group(key)
                copy_attributes(item, group)
                copy_group(item, group)
            elif item.shape == () or item.dtype.kind in "OSU" or item.size < 64:
                copy_attributes(item, target_group.create_dataset(key, data=item[()], dtype=item.dtype))
            else:
                copy_attributes(item, target_group.create_dataset(key, data=item[()], chunks=item.shape,
                                                                  compression="gzip", compression_opts=9,
                                                                  shuffle=True))

    with h5py.File(source, "r") as fin, h5py.File(target, "w") as fout:
        copy_attributes(fin, fout)
        copy_group(fin, fout)


def record_checksums(digests: dict) -> None:
    text = MODULE.read_text()
    body = "".join(f'    "{name}": "{digest}",\n' for name, digest in sorted(digests.items()))
    new, count = re.subn(r"GROUND_TRUTH_SHA256 = \{[^}]*\}", "GROUND_TRUTH_SHA256 = {\n" + body + "}", text)
    if count != 1:
        raise SystemExit(f"could not find GROUND_TRUTH_SHA256 in {MODULE}")
    MODULE.write_text(new)


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    digests, rows = {}, []
    for scenario, spec in simulation.SCENARIOS.items():
        for seed in spec["seeds"]:
            start = time.perf_counter()
            simulated = simulation.simulate(simulation.N_CELLS, seed=seed, **spec["simulate"])
            simulated_s = time.perf_counter() - start
            prepared = simulation.prepare(simulated, dynamical_genes="velocity_genes" if spec["dynamical"] else None,
                                          **simulation.PREPARE)
            out = shipped(prepared, simulated, spec)
            name = simulation.ground_truth_file(scenario, seed)
            path = TARGET / name
            written, partial = path.with_suffix(".written.h5ad"), path.with_suffix(".partial.h5ad")
            out.write_h5ad(written)
            repack(written, partial)
            written.unlink()
            check = ad.read_h5ad(partial)
            if not (np.array_equal(check.layers["Ms"], out.layers["Ms"]) and check.obs.equals(out.obs)
                    and check.var.equals(out.var)):
                raise SystemExit(f"the repacked {name} does not read back as written")
            partial.replace(path)
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
            rows.append({"file": name, "cells": out.n_obs, "genes": out.n_vars, "MiB": path.stat().st_size / 2**20,
                         "simulate s": simulated_s, "total s": time.perf_counter() - start})
            print(f"wrote {path.relative_to(ROOT)}: {out.n_obs} cells x {out.n_vars} genes, "
                  f"{path.stat().st_size / 2**20:.2f} MiB", flush=True)
    stale = {p.name for p in TARGET.glob("*.h5ad")} - set(digests)  # scenarios or seeds no longer made
    for name in stale:
        (TARGET / name).unlink()
    record_checksums(digests)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    print(f"total {table['MiB'].sum():.2f} MiB")


if __name__ == "__main__":
    main()
