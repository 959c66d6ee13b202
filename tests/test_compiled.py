"""velograph._compiled: the numba kernels under concurrent calls.

Their results are checked against the reference in each module's tests.
"""



CONCURRENT_CALLS = """
import threading
import numpy as np
import scipy.sparse as sp
import velograph as vg
from velograph.neighbors import recursive_neighbors
from velograph.tl._transition import kernel
from velograph_book.toy import knn_indices

rng = np.random.default_rng(0)
X, V, E = rng.normal(size=(400, 30)), rng.normal(size=(400, 30)), rng.normal(size=(400, 2))
nbrs = knn_indices(X, 8)


def run():
    G = vg.cosine_graph(X, V, nbrs, center=True)
    T = vg.transition_matrix(G)
    pos, neg = G.multiply(G > 0).tocsr(), G.multiply(G < 0).tocsr()
    return [G.toarray(), vg.project_velocity(T, E), kernel(pos, neg).toarray(),
            recursive_neighbors(nbrs, 2).toarray()]


expected = run()
results, errors = [], []


def work():
    try:
        for _ in range(3):
            results.append(run())
    except Exception as err:  # pragma: no cover - reported below
        errors.append(err)


threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
import numba
assert numba.threading_layer() == "workqueue", numba.threading_layer()
assert not errors, errors
assert len(results) == 24
for result in results:
    for got, want in zip(result, expected):
        np.testing.assert_array_equal(got, want)
print("ok")
"""


def test_concurrent_calls_under_the_workqueue_threading_layer():
    # numba's fallback layer aborts the process ("Concurrent access has been detected")
    # when two Python threads launch parallel kernels at once; velograph serialises them.
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue", NUMBA_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", CONCURRENT_CALLS], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
