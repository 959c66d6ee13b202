"""velograph.tl against scVelo 0.3.4 itself, on simulated and real data.

Graphs and transition matrices must agree to 1e-5 with identical sparsity,
embeddings to 1e-4, and the same keys must be written.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from _ci import require_module  # noqa: E402

scv = require_module("scvelo")  # part of the dev environment; the array-level tests need no scVelo
import scanpy as sc  # noqa: E402

import velograph.tl as vtl  # noqa: E402
from velograph.tl import _access as vtl_access  # noqa: E402

# slow: scVelo, the shipped data or subprocesses; tools/test.sh runs it beside the book build
pytestmark = pytest.mark.slow

warnings.filterwarnings("ignore")
scv.settings.verbosity = 0

GRAPH_TOL = 1e-5
EMBEDDING_TOL = 1e-4


@functools.cache
def _simulation(seed, mode):
    adata = scv.datasets.simulation(n_obs=300, n_vars=30, random_seed=seed)
    sc.pp.pca(adata, n_comps=20, random_state=0)
    sc.pp.neighbors(adata, n_neighbors=30, random_state=0)
    scv.pp.moments(adata, n_pcs=None, n_neighbors=None)
    if mode == "dynamical":
        scv.tl.recover_dynamics(adata, n_jobs=1, show_progress_bar=False)
    scv.tl.velocity(adata, mode=mode)
    sc.tl.umap(adata, random_state=0)
    return adata


def simulation(seed, mode):
    return _simulation(seed, mode).copy()


@functools.cache
def _pancreas():
    from velograph_book.prepared import pancreas_prepared

    return pancreas_prepared("stochastic")


def both_graphs(adata, **kwargs):
    ours, theirs = adata.copy(), adata.copy()
    scv.tl.velocity_graph(theirs, n_jobs=1, show_progress_bar=False, **kwargs)
    vtl.velocity_graph(ours, **kwargs)
    return ours, theirs


def assert_same_sparse(ours, theirs, tol=GRAPH_TOL):
    ours, theirs = sp.csr_matrix(ours), sp.csr_matrix(theirs)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    assert (ours != 0).astype(int).__ne__((theirs != 0).astype(int)).nnz == 0, "sparsity differs"
    assert abs(ours - theirs).max() <= tol


CASES = [(seed, mode) for seed in (0, 1, 2) for mode in ("stochastic", "dynamical")]


@pytest.mark.parametrize("seed,mode", CASES)
def test_velocity_graph_parity(seed, mode):
    ours, theirs = both_graphs(simulation(seed, mode))
    for key in ("velocity_graph", "velocity_graph_neg"):
        assert_same_sparse(ours.uns[key], theirs.uns[key])
    np.testing.assert_allclose(ours.obs["velocity_self_transition"], theirs.obs["velocity_self_transition"],
                               atol=GRAPH_TOL)
    assert set(ours.uns) == set(theirs.uns) and set(ours.obs) == set(theirs.obs)
    # one documented extra: the fingerprint of the cells the graph belongs to (scVelo has none)
    params = dict(ours.uns["velocity_params"])
    assert params.pop("graph_cells_sha256") == vtl_access.cells_fingerprint(ours)
    assert params == theirs.uns["velocity_params"]
    # no diagonal is ever stored, and the default neighbourhood is 2-hop (more than the 29 kNN)
    assert ours.uns["velocity_graph"].diagonal().max() == 0
    assert (ours.uns["velocity_graph"] + ours.uns["velocity_graph_neg"]).getnnz(axis=1).mean() > 29


@pytest.mark.parametrize("mode", ["stochastic", "dynamical"])
@pytest.mark.parametrize("options", [dict(sqrt_transform=True), dict(sqrt_transform=False), dict(n_recurse_neighbors=1),
                                     dict(n_neighbors=10)], ids=str)
def test_velocity_graph_options_parity(mode, options):
    ours, theirs = both_graphs(simulation(0, mode), **options)
    assert_same_sparse(ours.uns["velocity_graph"], theirs.uns["velocity_graph"])
    assert_same_sparse(ours.uns["velocity_graph_neg"], theirs.uns["velocity_graph_neg"])


@pytest.mark.parametrize("mode", ["stochastic", "dynamical"])
def test_gene_subset_parity_names_and_mask(mode):
    adata = simulation(1, mode)
    names = list(adata.var_names[:12])  # includes genes that are not velocity genes
    ours, theirs = both_graphs(adata, gene_subset=names)
    assert_same_sparse(ours.uns["velocity_graph"], theirs.uns["velocity_graph"])
    mask = adata.var_names.isin(names)
    with_mask = adata.copy()
    vtl.velocity_graph(with_mask, gene_subset=mask)  # scVelo crashes on a mask
    assert_same_sparse(with_mask.uns["velocity_graph"], theirs.uns["velocity_graph"])


TRANSITION_OPTIONS = [{}, dict(use_negative_cosines=True), dict(self_transitions=False),
                      dict(use_negative_cosines=True, self_transitions=False), dict(backward=True), dict(scale=3),
                      dict(basis="umap"), dict(basis="umap", weight_diffusion=0.3), dict(perc=50)]


@pytest.mark.parametrize("seed,mode", CASES[:4])
@pytest.mark.parametrize("options", TRANSITION_OPTIONS, ids=str)
def test_transition_matrix_parity(seed, mode, options):
    ours, theirs = both_graphs(simulation(seed, mode))
    assert_same_sparse(vtl.transition_matrix(ours, **options), scv.tl.transition_matrix(theirs, **options))


def test_transition_matrix_vgraph_parity():
    ours, theirs = both_graphs(simulation(0, "dynamical"))
    graph = theirs.uns["velocity_graph"] + theirs.uns["velocity_graph_neg"]
    assert_same_sparse(vtl.transition_matrix(ours, vgraph=graph), scv.tl.transition_matrix(theirs, vgraph=graph))


@pytest.mark.parametrize("seed,mode", CASES[:4])
@pytest.mark.parametrize("basis", ["umap", "pca"])
@pytest.mark.parametrize("autoscale", [False, True])
def test_velocity_embedding_parity(seed, mode, basis, autoscale):
    ours, theirs = both_graphs(simulation(seed, mode))
    scv.tl.velocity_embedding(theirs, basis=basis, autoscale=autoscale)
    vtl.velocity_embedding(ours, basis=basis, autoscale=autoscale)
    key = f"velocity_{basis}"
    assert ours.obsm[key].shape == theirs.obsm[key].shape
    np.testing.assert_allclose(ours.obsm[key], theirs.obsm[key], atol=EMBEDDING_TOL, rtol=0)
    assert ours.uns["velocity_params"]["embeddings"] == theirs.uns["velocity_params"]["embeddings"]


def test_zero_velocity_cell_gets_nan_arrow_like_scvelo():
    adata = simulation(0, "dynamical")
    adata.layers["velocity"][5] = 0.0
    ours, theirs = both_graphs(adata)
    assert ours.uns["velocity_graph"][5].nnz == 0
    scv.tl.velocity_embedding(theirs, basis="umap")
    vtl.velocity_embedding(ours, basis="umap")
    assert np.isnan(theirs.obsm["velocity_umap"][5]).all() and np.isnan(ours.obsm["velocity_umap"][5]).all()
    np.testing.assert_allclose(ours.obsm["velocity_umap"], theirs.obsm["velocity_umap"], atol=EMBEDDING_TOL)


def test_reconstructability_matches_scvelo_recipe():
    """scvelo-semantics.md section 4: graph + graph_neg rows, dense Pearson per row, nanmedian."""
    from scvelo.tools.utils import vcorrcoef

    adata = simulation(2, "dynamical")
    top = list(adata.var["fit_likelihood"].sort_values(ascending=False).index[:10])
    full, sub = adata.copy(), adata.copy()
    scv.tl.velocity_graph(full, n_jobs=1, show_progress_bar=False)
    scv.tl.velocity_graph(sub, gene_subset=top, n_jobs=1, show_progress_bar=False)
    G = (full.uns["velocity_graph"] + full.uns["velocity_graph_neg"]).toarray()
    Gs = (sub.uns["velocity_graph"] + sub.uns["velocity_graph_neg"]).toarray()
    expected = np.nanmedian(vcorrcoef(G, Gs))
    assert vtl.reconstructability(adata, top) == pytest.approx(expected, abs=1e-5)
    per_cell = vtl.reconstructability(adata, top, per_cell=True)
    assert per_cell.shape == (adata.n_obs,)


def test_pancreas_full_chain_parity():
    ours, theirs = both_graphs(_pancreas())
    for key in ("velocity_graph", "velocity_graph_neg"):
        assert_same_sparse(ours.uns[key], theirs.uns[key])
    assert_same_sparse(vtl.transition_matrix(ours), scv.tl.transition_matrix(theirs))
    scv.tl.velocity_embedding(theirs, basis="umap")
    vtl.velocity_embedding(ours, basis="umap")
    np.testing.assert_allclose(ours.obsm["velocity_umap"], theirs.obsm["velocity_umap"], atol=EMBEDDING_TOL, rtol=0)


def test_tl_writes_only_documented_keys():
    adata = simulation(0, "stochastic")
    before_uns, before_obs, before_obsm = set(adata.uns), set(adata.obs), set(adata.obsm)
    layers = {k: np.array(v, copy=True) for k, v in adata.layers.items()}
    vtl.velocity_graph(adata)
    assert set(adata.uns) - before_uns == {"velocity_graph", "velocity_graph_neg"}
    assert set(adata.obs) - before_obs == {"velocity_self_transition"}
    graph = adata.uns["velocity_graph"].copy()
    vtl.transition_matrix(adata)
    vtl.reconstructability(adata, list(adata.var_names[:5]))
    assert (adata.uns["velocity_graph"] != graph).nnz == 0
    vtl.velocity_embedding(adata, basis="umap")
    assert set(adata.obsm) - before_obsm == {"velocity_umap"}
    for k, v in layers.items():
        np.testing.assert_array_equal(np.asarray(adata.layers[k]), v)


def test_copy_returns_new_object_and_leaves_input():
    adata = simulation(0, "stochastic")
    result = vtl.velocity_graph(adata, copy=True)
    assert "velocity_graph" in result.uns and "velocity_graph" not in adata.uns


@pytest.mark.parametrize("seed,mode", CASES[:4])
def test_velocity_confidence_parity(seed, mode):
    ours, theirs = both_graphs(simulation(seed, mode))
    scv.tl.velocity_confidence(theirs)
    vtl.velocity_confidence(ours)
    for key in ("velocity_length", "velocity_confidence"):
        np.testing.assert_allclose(ours.obs[key], theirs.obs[key], atol=1e-5, err_msg=key)
    # confidence_transition: corr(T x - x, v). Where cells mostly stay put, T x - x is tiny and
    # scVelo's float32 T and product are noise (velograph computes in float64): compare where the
    # displacement is not cancellation-bound, and check the rest lies in [-1, 1].
    keep = theirs.var["velocity_genes"].to_numpy() & ~np.isnan(theirs.layers["velocity"].sum(0))
    X = theirs.layers["Ms"][:, keep].astype(np.float64)
    dX = scv.tl.transition_matrix(theirs).astype(np.float64) @ X - X
    clear = np.linalg.norm(dX - dX.mean(1, keepdims=True), axis=1) > 1e-2 * np.linalg.norm(X, axis=1)
    assert clear.mean() > 0.5
    ours_t = ours.obs["velocity_confidence_transition"].to_numpy()
    np.testing.assert_allclose(ours_t[clear], theirs.obs["velocity_confidence_transition"].to_numpy()[clear], atol=1e-5)
    assert np.all(np.abs(ours_t) <= 1 + 1e-9)


def test_pancreas_dynamical_chain_parity():
    """The shipped data with dynamical-model velocities: no square root, 261 velocity genes."""
    from velograph_book.prepared import pancreas_prepared

    ours, theirs = both_graphs(pancreas_prepared("dynamical"))
    for key in ("velocity_graph", "velocity_graph_neg"):
        assert_same_sparse(ours.uns[key], theirs.uns[key])
    assert_same_sparse(vtl.transition_matrix(ours, use_negative_cosines=True),
                       scv.tl.transition_matrix(theirs, use_negative_cosines=True))
    scv.tl.velocity_embedding(theirs, basis="umap")
    vtl.velocity_embedding(ours, basis="umap")
    np.testing.assert_allclose(ours.obsm["velocity_umap"], theirs.obsm["velocity_umap"], atol=EMBEDDING_TOL, rtol=0)


# -- parity corners (issue 13 item 3) ------------------------------------------------------

def graphs_with(adata, edit):
    """Copies for velograph and scVelo with the same edit of uns['velocity_graph'] / ['velocity_graph_neg']."""
    ours, theirs = both_graphs(adata)
    for a in (ours, theirs):
        graph, graph_neg = edit(a.uns["velocity_graph"].copy(), a.uns["velocity_graph_neg"].copy())
        a.uns["velocity_graph"], a.uns["velocity_graph_neg"] = graph, graph_neg
    return ours, theirs


def canonical(M):
    return sp.csr_matrix((M.data, M.indices, M.indptr), shape=M.shape).has_canonical_format


def with_stored_diagonal(graph, graph_neg):
    graph = graph.tolil()
    graph.setdiag(np.linspace(0.05, 0.6, graph.shape[0], dtype=np.float32))
    return sp.csr_matrix(graph, dtype=np.float32), graph_neg


def with_overlap(graph, graph_neg):
    # every third stored positive entry also gets a negative value at the same place
    extra = graph.copy()
    extra.data = -np.where(np.arange(extra.nnz) % 3 == 0, 0.4 * extra.data, 0).astype(np.float32)
    extra.eliminate_zeros()
    return graph, sp.csr_matrix(graph_neg + extra, dtype=np.float32)


def with_stored_zeros(graph, graph_neg):
    graph = graph.copy()
    graph.data[::7] = 0.0  # explicit zeros: scVelo's sparse addition drops them
    return graph, graph_neg


@pytest.mark.parametrize("edit", [with_stored_diagonal, with_overlap, with_stored_zeros], ids=lambda f: f.__name__)
@pytest.mark.parametrize("options", [{}, dict(self_transitions=False), dict(use_negative_cosines=True),
                                     dict(use_negative_cosines=True, self_transitions=False)], ids=str)
def test_transition_matrix_parity_on_odd_stored_graphs(edit, options):
    # A stored diagonal gave a duplicate entry (T[0,0] 0.510 against scVelo's 0.064),
    # overlapping positive and negative graphs differed by 0.005.
    ours, theirs = graphs_with(simulation(0, "stochastic"), edit)
    T = vtl.transition_matrix(ours, **options)
    assert canonical(T)
    assert_same_sparse(T, scv.tl.transition_matrix(theirs, **options))


def test_velocity_embedding_parity_with_a_stored_diagonal():
    ours, theirs = graphs_with(simulation(1, "dynamical"), with_stored_diagonal)
    scv.tl.velocity_embedding(theirs, basis="umap")
    vtl.velocity_embedding(ours, basis="umap")
    np.testing.assert_allclose(ours.obsm["velocity_umap"], theirs.obsm["velocity_umap"], atol=EMBEDDING_TOL, rtol=0)


def test_confidence_parity_with_a_zero_velocity_neighbour():
    # scVelo divides by the zero norm of the neighbour: NaN for every cell that has it as a
    # kNN neighbour (20 cells on pancreas); velograph gave finite values.
    adata = simulation(0, "stochastic")
    adata.layers["velocity"] = np.array(adata.layers["velocity"], copy=True)
    adata.layers["velocity"][7] = 0.0
    ours, theirs = both_graphs(adata)
    scv.tl.velocity_confidence(theirs)
    vtl.velocity_confidence(ours)
    theirs_c, ours_c = theirs.obs["velocity_confidence"].to_numpy(), ours.obs["velocity_confidence"].to_numpy()
    assert np.isnan(theirs_c).sum() > 1
    np.testing.assert_array_equal(np.isnan(ours_c), np.isnan(theirs_c))
    np.testing.assert_allclose(ours_c, theirs_c, atol=1e-5)


def test_read_only_unsorted_uns_graphs_parity():
    ours, theirs = both_graphs(simulation(2, "stochastic"))
    expected = scv.tl.transition_matrix(theirs)
    for key in ("velocity_graph", "velocity_graph_neg"):
        m = ours.uns[key]
        order = np.concatenate([np.arange(m.indptr[i], m.indptr[i + 1])[::-1] for i in range(m.shape[0])])
        m = sp.csr_matrix((m.data[order], m.indices[order], m.indptr.copy()), shape=m.shape)
        for array in (m.data, m.indices, m.indptr):
            array.flags.writeable = False
        ours.uns[key] = m
    assert_same_sparse(vtl.transition_matrix(ours), expected)
