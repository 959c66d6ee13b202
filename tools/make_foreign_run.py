"""Run the pancreas recipe once more, as a *different computer* would, and ship what differs.

Usage (inside the environment that tools/setup-env.sh builds):
    python tools/make_foreign_run.py

Why: chapter 5 says that the same recipe, code, versions and seeds give different low
digits on another computer, and that some steps amplify them. Its live run happens on
the reader's machine and usually matches the prepared copy exactly (both come from a
similar CPU), so the lesson could only be stated. This script makes the second run for
real, under the configuration that tools/test.sh calls "old-laptop": OpenBLAS's
Sandybridge kernel (no AVX2/FMA), numba code for a generic x86-64 CPU, numpy's SIMD loops
limited to AVX, one thread, a cold numba cache. It re-executes itself with those
settings (they must be set before numpy and numba load).

What it ships (src/velograph_book/data/pancreas_foreign_run.h5ad, ~1 MiB, checksummed
in velograph_book/machines.py): the foreign run on the prepared copy's genes and cells,
only the parts that can differ:

* ``obsp['distances']``: its kNN graph (29 neighbours per cell);
* ``obsm['X_umap']``: its UMAP (seed 0, as the prepared one);
* ``uns['moment_cells']``, ``uns['Ms_rows']``, ``uns['Mu_rows']``: the cells whose
  moments differ from the prepared copy, and their rows (every other row is identical
  bit for bit; checked here);
* ``var['velocity_gamma']``, ``var['velocity_genes']``: its stochastic fit
  (the velocity is rebuilt as Mu - gamma Ms in float32, exact on every CPU);
* ``uns['run']``: the settings, BLAS kernel, package versions, the number of genes the
  recipe kept and how many velocity genes it found overall.

Everything chapter 5 then computes from the two shipped runs is the same on every computer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _shipping import blas_kernel, dense32, write_checksummed

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "velograph_book" / "data" / "pancreas_foreign_run.h5ad"
MODULE = ROOT / "src" / "velograph_book" / "machines.py"
# tools/test.sh's "old-laptop": no AVX2/FMA anywhere, one thread, a cold compilation cache
NO_AVX2 = ("F16C FMA3 AVX2 AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL "
           "AVX512_SPR")
FOREIGN = {"OPENBLAS_CORETYPE": "Sandybridge", "NUMBA_CPU_NAME": "generic", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NPY_DISABLE_CPU_FEATURES": NO_AVX2}
PACKAGES = ("scvelo", "scanpy", "numpy", "scipy", "umap-learn", "pynndescent", "scikit-learn", "numba")


def relaunch() -> None:
    """Run this script again in a child process with the foreign settings (and a fresh numba cache)."""
    env = dict(os.environ, **FOREIGN, VELOGRAPH_FOREIGN_RUN="1", NUMBA_CACHE_DIR=tempfile.mkdtemp())
    raise SystemExit(subprocess.call([sys.executable, __file__], env=env))


def foreign_run():
    from importlib.metadata import version

    import anndata as ad
    import numpy as np
    import scipy.sparse as sp

    from velograph import datasets
    from velograph_book import pipeline
    from velograph_book.prepared import pancreas_prepared, stochastic_velocity

    run = pipeline.preprocess(datasets.pancreas())
    pipeline.velocities(run, mode="stochastic")
    pipeline.umap(run)
    prepared = pancreas_prepared("stochastic")
    genes = list(prepared.var_names)
    missing = [g for g in genes if g not in set(run.var_names)]
    if missing:
        raise SystemExit(f"the foreign run lost {len(missing)} of the prepared genes (e.g. {missing[:3]})")
    part = run[:, genes]

    Ms, Mu = dense32(part.layers["Ms"]), dense32(part.layers["Mu"])
    differs = np.flatnonzero((Ms != prepared.layers["Ms"]).any(axis=1) | (Mu != prepared.layers["Mu"]).any(axis=1))
    gamma = part.var["velocity_gamma"].to_numpy(np.float32)
    if not np.array_equal(stochastic_velocity(Mu, Ms, gamma), dense32(part.layers["velocity"])):
        raise SystemExit("Mu - gamma * Ms does not reproduce scVelo's stochastic velocity bit for bit")
    out = ad.AnnData(obs=prepared.obs[[]].copy(), var=prepared.var[[]].copy())
    out.var["velocity_gamma"] = gamma
    out.var["velocity_genes"] = part.var["velocity_genes"].to_numpy(bool)
    out.obsp["distances"] = sp.csr_matrix(run.obsp["distances"], dtype=np.float32)
    out.obsm["X_umap"] = np.asarray(run.obsm["X_umap"], dtype=np.float32)
    out.uns["moment_cells"] = differs.astype(np.int64)
    out.uns["Ms_rows"] = Ms[differs]
    out.uns["Mu_rows"] = Mu[differs]
    out.uns["run"] = {
        "settings": np.asarray([f"{k}={v}" for k, v in FOREIGN.items()], dtype=str),
        "blas": blas_kernel(),
        "versions": np.asarray([f"{p}=={version(p)}" for p in PACKAGES], dtype=str),
        "n_genes_kept": int(run.n_vars),
        "n_velocity_genes": int(run.var["velocity_genes"].sum()),
        "raw_sha256": datasets.PANCREAS_SHA256,
    }
    return out


def main() -> None:
    if os.environ.get("VELOGRAPH_FOREIGN_RUN") != "1":
        relaunch()
    out = foreign_run()
    digest = write_checksummed(out, TARGET, MODULE, "FOREIGN_RUN_SHA256")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(out.uns['moment_cells'])} cells with other moments, "
          f"{TARGET.stat().st_size / 2**20:.2f} MiB, sha256 {digest}; BLAS {out.uns['run']['blas']}")


if __name__ == "__main__":
    main()
