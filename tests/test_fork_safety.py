"""Fork safety: after velograph has run, forked children, fork pools and spawn pools compute the same graph.

Each scenario runs in a fresh Python process (a subprocess of the test), because a
process that forks after GNU OpenMP has started is killed, and a deadlocked child
would hang the test run itself. The timeout is only a hang guard, generous enough
for a loaded machine; the verdict is the exit code and the printed comparison.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

HANG_GUARD_SECONDS = 600

COMMON = textwrap.dedent('''
    import multiprocessing as mp
    import threading

    import anndata as ad
    import numpy as np
    import scipy.sparse as sp

    import velograph.tl as vtl


    def make_adata():
        rng = np.random.default_rng(3)
        n, g, k = 400, 40, 10
        Ms = rng.normal(size=(n, g)).astype(np.float32)
        velocity = rng.normal(size=(n, g)).astype(np.float32)
        adata = ad.AnnData(X=Ms.copy(), layers={"Ms": Ms, "velocity": velocity})
        d = np.linalg.norm(Ms[:, None] - Ms[None], axis=2)
        np.fill_diagonal(d, np.inf)
        idx = np.argsort(d, axis=1)[:, :k]
        rows = np.repeat(np.arange(n), k)
        adata.obsp["distances"] = sp.csr_matrix((d[rows, idx.ravel()], (rows, idx.ravel())), shape=(n, n))
        adata.uns["velocity_params"] = {"mode": "stochastic"}
        return adata


    def graph_bytes(_=None):
        adata = make_adata()
        vtl.velocity_graph(adata)
        G = adata.uns["velocity_graph"]
        T = vtl.transition_matrix(adata)
        return (G.data.tobytes(), G.indices.tobytes(), G.indptr.tobytes(), T.data.tobytes())


    def to_queue(queue):
        queue.put(graph_bytes())


    def result_of(child, queue):
        """The child's result; fails at once (instead of waiting forever) when the child died without one."""
        import queue as queues

        while True:
            try:
                return queue.get(timeout=1)
            except queues.Empty:
                if not child.is_alive():
                    raise SystemExit(f"the child died without a result, exit code {child.exitcode}")


    def assert_a_forked_child_matches(expected):
        """Fork one child, take its graph, and compare it with the parent's."""
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=to_queue, args=(queue,))
        child.start()
        got = result_of(child, queue)
        child.join()
        assert child.exitcode == 0, child.exitcode
        assert got == expected, "the forked child computed another graph"
''')

SCENARIOS = {
    "fork-child": '''
        expected = graph_bytes()
        assert_a_forked_child_matches(expected)
    ''',
    "fork-pool": '''
        expected = graph_bytes()
        with mp.get_context("fork").Pool(2) as pool:
            results = pool.map(graph_bytes, range(4))
        assert all(r == expected for r in results), "a fork-pool worker computed another graph"
    ''',
    "spawn-pool": '''
        expected = graph_bytes()
        with mp.get_context("spawn").Pool(2) as pool:
            results = pool.map(graph_bytes, range(2))
        assert all(r == expected for r in results), "a spawn-pool worker computed another graph"
    ''',
    # Other numba code (scanpy's neighbours, UMAP) runs its first parallel loop after
    # `import velograph` but before velograph's first compiled call: numba's layer is then
    # chosen by that code, so velograph must have asked for a fork-safe one at import.
    "other-numba-code-first": '''
        import numba

        @numba.njit(parallel=True)
        def other_packages_loop(x):
            total = 0.0
            for i in numba.prange(x.size):
                total += x[i]
            return total

        other_packages_loop(np.ones(1000))
        expected = graph_bytes()
        assert_a_forked_child_matches(expected)
    ''',
    # Another thread is inside velograph (it may hold the compiled-call lock) when the
    # process forks: the child must not inherit a held lock.
    "fork-while-a-thread-computes": '''
        expected = graph_bytes()
        stop = threading.Event()

        def busy():
            while not stop.is_set():
                graph_bytes()

        worker = threading.Thread(target=busy)
        worker.start()
        try:
            for _ in range(6):
                assert_a_forked_child_matches(expected)
        finally:
            stop.set()
            worker.join()
    ''',
}


def run_scenario(name: str, tmp_path) -> subprocess.CompletedProcess:
    body = textwrap.indent(textwrap.dedent(SCENARIOS[name]), "    ")
    script = tmp_path / f"{name}.py"
    # spawn workers re-import the script as __mp_main__: everything but main() at top level
    script.write_text(COMMON + "\n\ndef main():\n" + body + '\n    print("OK")\n\n\nif __name__ == "__main__":\n'
                      "    main()\n")
    # its own process group, so that a hang guard that fires also ends the children it forked
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=tmp_path, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=HANG_GUARD_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n(hang guard: no result after {HANG_GUARD_SECONDS} s; process group killed)"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_children_compute_the_parents_graph(name, tmp_path):
    result = run_scenario(name, tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("OK"), (
        f"exit code {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-3000:]}")


# --------------------------------------------------------------------------- the choice itself, in this process


@pytest.mark.parametrize(("user_env", "chosen", "started", "expected"), [
    (False, "default", False, "forksafe"),  # nobody chose, nothing runs: velograph asks for forksafe
    (True, "default", False, "default"),  # NUMBA_THREADING_LAYER set: the user's choice stands
    (False, "workqueue", False, "workqueue"),  # numba.config set in code: left alone
    (False, "default", True, "default"),  # a layer already runs: it cannot be switched
])
def test_forksafe_is_asked_for_only_when_nobody_chose_and_nothing_runs(monkeypatch, user_env, chosen, started,
                                                                       expected):
    import numba
    from numba.np.ufunc import parallel

    from velograph._threading import prefer_fork_safe_threading_layer

    if user_env:
        monkeypatch.setenv("NUMBA_THREADING_LAYER", "omp")
    else:
        monkeypatch.delenv("NUMBA_THREADING_LAYER", raising=False)
    monkeypatch.setattr(numba.config, "THREADING_LAYER", chosen)
    monkeypatch.setattr(parallel, "_is_initialized", started)
    prefer_fork_safe_threading_layer()
    assert numba.config.THREADING_LAYER == expected
