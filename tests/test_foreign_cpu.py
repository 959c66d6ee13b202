"""How far velograph's compiled results move on another CPU: measured, not assumed.

The kernels are compiled by numba with reassociation allowed (so that sums vectorise),
which lets a CPU with other vector registers add in another order. Here the same
computations run in a subprocess compiled for a generic x86-64 CPU (SSE2 only, cold
cache, one thread, another OpenBLAS kernel) and are compared with this process. The
bounds asserted are the ones the README and the book state: float64 array-level results
within 1e-12, the float32 scVelo-compatible chain within the book's rounding margin 2e-6.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from _ci import require_module

# slow: scVelo, the shipped data or subprocesses; tools/test.sh runs it beside the book build
pytestmark = pytest.mark.slow

FOREIGN = {"NUMBA_CPU_NAME": "generic", "OPENBLAS_CORETYPE": "Sandybridge", "NUMBA_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}

COMPUTE = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    warnings.filterwarnings("ignore")
    import velograph as vg

    def array_level():
        rng = np.random.default_rng(0)
        X, V = rng.gamma(1.0, size=(200, 700)), rng.normal(size=(200, 700))
        neighbors = np.array([np.roll(np.arange(200), -s)[1:9] for s in range(200)])
        G = vg.cosine_graph(X, V, neighbors, center=True, variance_stabilize=True)
        T = vg.transition_matrix(G)
        return {"graph": G.toarray(), "arrows": vg.project_velocity(T, X[:, :2])}

    def tl_chain():
        import velograph.tl as vtl
        from velograph_book import prepared
        adata = prepared.pancreas_prepared("stochastic")
        vtl.velocity_graph(adata)
        T = vtl.transition_matrix(adata)
        vtl.velocity_embedding(adata, basis="umap")
        graph = adata.uns["velocity_graph"] + adata.uns["velocity_graph_neg"]
        return {"graph": graph.toarray(), "T": T.toarray(), "arrows": adata.obsm["velocity_umap"]}

    if __name__ == "__main__":
        results = {f"array/{k}": v for k, v in array_level().items()}
        results.update({f"tl/{k}": v for k, v in tl_chain().items()})
        np.savez(sys.argv[1], **results)
""")


def run(directory, env_extra):
    import os

    script = directory / "compute.py"
    script.write_text(COMPUTE)
    out = directory / f"{'foreign' if env_extra else 'native'}.npz"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(directory / f"cache-{len(env_extra)}"), **env_extra}
    subprocess.run([sys.executable, str(script), str(out)], check=True, env=env, timeout=600)
    return np.load(out)


@pytest.fixture(scope="module")
def native_and_foreign(tmp_path_factory):
    require_module("anndata")
    directory = tmp_path_factory.mktemp("foreign_cpu")
    return run(directory, {}), run(directory, FOREIGN)


@pytest.mark.parametrize("which,bound", [("array", 1e-12), ("tl", 2e-6)])
def test_results_on_a_generic_cpu_stay_within_the_stated_bound(native_and_foreign, which, bound):
    native, foreign = native_and_foreign
    keys = [key for key in native.files if key.startswith(f"{which}/")]
    assert keys
    for key in keys:
        assert native[key].shape == foreign[key].shape
        difference = np.nanmax(np.abs(native[key].astype(np.float64) - foreign[key].astype(np.float64)))
        assert difference <= bound, f"{which} {key}: moved by {difference:.3g} on a generic CPU (bound {bound:g})"
        assert np.array_equal(np.isnan(native[key]), np.isnan(foreign[key]))
