"""Bad input gets a clear error naming the argument; degenerate input has documented results.

Each case asserts the exception type and that the message names the argument
(and, for AnnData inputs, the scanpy/scVelo call that makes what is missing).
"""

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
import velograph.tl as vtl

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 4))
V = RNG.normal(size=(6, 4))
NBRS = np.array([[1, 2], [0, 2], [3, 1], [4, 2], [5, 3], [0, 4]])
E = RNG.normal(size=(6, 2))
G = vg.cosine_graph(X, V, NBRS)
T = vg.transition_matrix(G)


def with_value(array, index, value):
    out = np.array(array, dtype=float, copy=True)
    out[index] = value
    return out


ARRAY_CASES = [
    # (id, callable, exception, regex the message must match)
    ("cos-2d", lambda: vg.cosine_similarity(X, V), ValueError, r"^a must be a vector"),
    ("cos-length", lambda: vg.cosine_similarity([1, 2], [1, 2, 3]), ValueError, r"a and b must have the same length"),
    ("cos-empty", lambda: vg.cosine_similarity([], []), ValueError, r"^a is empty"),
    ("cos-nan", lambda: vg.cosine_similarity([1, np.nan], [1, 2]), ValueError, r"^a contains NaN at index 1"),
    ("cos-inf", lambda: vg.cosine_similarity([1, 2], [np.inf, 2]), ValueError, r"^b contains inf at index 0"),
    ("cos-str", lambda: vg.cosine_similarity(["x", "y"], [1, 2]), TypeError, r"^a must hold numbers"),
    ("pearson-complex", lambda: vg.pearson_similarity([1j, 2], [1, 2]), TypeError, r"^a must be real"),
    ("pearson-scalar", lambda: vg.pearson_similarity(3.0, [1, 2]), ValueError, r"^a must be a vector"),
    ("sign_sqrt-str", lambda: vg.sign_sqrt(["a"]), TypeError, r"^x must hold numbers"),
    ("graph-X-1d", lambda: vg.cosine_graph(X[0], V, NBRS), ValueError, r"^X must be a 2-D array"),
    ("graph-shapes", lambda: vg.cosine_graph(X, V[:, :3], NBRS), ValueError, r"^X and V must have the same shape"),
    ("graph-V-nan", lambda: vg.cosine_graph(X, with_value(V, (2, 3), np.nan), NBRS), ValueError,
     r"^V contains NaN at row 2, column 3"),
    ("graph-X-inf", lambda: vg.cosine_graph(with_value(X, (4, 0), -np.inf), V, NBRS), ValueError,
     r"^X contains inf at row 4, column 0"),
    ("graph-empty", lambda: vg.cosine_graph(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 1), int)), ValueError,
     r"^X is empty"),
    ("nbrs-rows", lambda: vg.cosine_graph(X, V, NBRS[:4]), ValueError, r"^neighbors must be an \(n_cells, k\)"),
    ("nbrs-range", lambda: vg.cosine_graph(X, V, with_value(NBRS, (3, 1), 99).astype(int)), ValueError,
     r"^neighbors\[3, 1\] = 99 is not a cell index"),
    ("nbrs-negative", lambda: vg.cosine_graph(X, V, with_value(NBRS, (0, 0), -1).astype(int)), ValueError,
     r"^neighbors\[0, 0\] = -1"),
    ("nbrs-self", lambda: vg.cosine_graph(X, V, with_value(NBRS, (2, 0), 2).astype(int)), ValueError,
     r"^neighbors lists cell 2 as its own neighbour"),
    ("nbrs-repeated", lambda: vg.cosine_graph(X, V, with_value(NBRS, (0, 1), 1).astype(int)), ValueError,
     r"^neighbors lists neighbour 1 twice for cell 0"),
    ("nbrs-float", lambda: vg.cosine_graph(X, V, NBRS + 0.5), TypeError, r"^neighbors must hold integer cell indices"),
    ("nbrs-sparse-shape", lambda: vg.cosine_graph(X, V, sp.eye(5, format="csr")), ValueError,
     r"^neighbors as a sparse matrix must be 6 x 6"),
    ("nbrs-sparse-self", lambda: vg.cosine_graph(X, V, sp.eye(6, format="csr")), ValueError, r"own neighbour"),
    ("sigma-zero", lambda: vg.transition_matrix(G, sigma=0), ValueError, r"^sigma must be a positive, finite"),
    ("sigma-negative", lambda: vg.transition_matrix(G, sigma=-0.3), ValueError, r"^sigma must be a positive"),
    ("sigma-nan", lambda: vg.transition_matrix(G, sigma=float("nan")), ValueError, r"^sigma must be a positive"),
    ("sigma-inf", lambda: vg.transition_matrix(G, sigma=float("inf")), ValueError, r"^sigma must be a positive"),
    ("sigma-str", lambda: vg.transition_matrix(G, sigma="0.3"), TypeError, r"^sigma must be a positive real number"),
    ("sigma-bool", lambda: vg.transition_matrix(G, sigma=True), TypeError, r"^sigma must be a positive real number"),
    ("graph-not-square", lambda: vg.transition_matrix(sp.random(3, 4, format="csr")), ValueError,
     r"^graph must be a square n x n matrix"),
    ("graph-out-of-range", lambda: vg.transition_matrix(G * 3), ValueError, r"^graph must hold similarities in \[-1, 1\]"),
    ("graph-nan", lambda: vg.transition_matrix(sp.csr_matrix(with_value(G.toarray(), (1, 0), np.nan))), ValueError,
     r"^graph contains a non-finite value at row 1, column 0"),
    ("graph-list", lambda: vg.transition_matrix([[0, 1], [1, 0]]), TypeError, r"^graph must be a scipy sparse matrix"),
    ("graph-empty", lambda: vg.transition_matrix(sp.csr_matrix((0, 0))), ValueError, r"^graph is empty"),
    ("correction", lambda: vg.project_velocity(T, E, correction="median"), ValueError,
     r"^correction must be one of 'uniform', 'mean', None"),
    ("T-vs-X_emb", lambda: vg.project_velocity(T, E[:5]), ValueError, r"^T is 6 x 6 but there are 5 cells"),
    ("X_emb-nan", lambda: vg.project_velocity(T, with_value(E, (5, 1), np.nan)), ValueError,
     r"^X_emb contains NaN at row 5, column 1"),
    ("X_emb-1d", lambda: vg.project_velocity(T, E[:, 0]), ValueError, r"^X_emb must be a 2-D array"),
    ("bandwidth", lambda: vg.project_velocity_distance_weighted(T, E, bandwidth=0), ValueError, r"^bandwidth must be"),
    ("normalize", lambda: vg.project_velocity_distance_weighted(T, E, normalize="sum"), ValueError,
     r"^normalize must be one of 'blog', 'weights'"),
    ("normalize-confidence", lambda: vg.project_velocity_confidence_weighted(T, E, np.ones(6), normalize=None),
     ValueError, r"^normalize must be one of 'blog', 'weights'"),
    ("confidence-length", lambda: vg.project_velocity_confidence_weighted(T, E, np.ones(4)), ValueError,
     r"^confidence must have one value per cell \(6\)"),
    ("confidence-negative", lambda: vg.project_velocity_confidence_weighted(T, E, -np.ones(6)), ValueError,
     r"^confidence must be non-negative"),
    ("over", lambda: vg.reconstructability_score(T, T, over="rows"), ValueError, r"^over must be one of 'all', 'neighbors'"),
    ("T_sub-shape", lambda: vg.reconstructability_score(T, T[:5, :5]), ValueError, r"^T_sub is 5 x 5 but there are 6 cells"),
    ("T_full-not-square", lambda: vg.reconstructability_score(T[:, :5], T), ValueError, r"^T_full must be a square"),
    ("engine", lambda: vg.graph.pair_similarities(X, V, np.array([0, 1]), np.array([1]), engine="gpu"), ValueError,
     r"^engine must be one of"),
]


@pytest.mark.parametrize("case", ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES])
def test_array_level_bad_input(case):
    _, call, exception, message = case
    with pytest.raises(exception, match=message):
        call()


@pytest.fixture(scope="module")
def small_adata():
    """A minimal AnnData with everything velocity_graph needs, built without scVelo."""
    rng = np.random.default_rng(1)
    n, g, k = 30, 8, 5
    Ms = rng.normal(size=(n, g)).astype(np.float32)
    velocity = rng.normal(size=(n, g)).astype(np.float32)
    adata = ad.AnnData(X=Ms.copy(), layers={"Ms": Ms, "velocity": velocity})
    d = np.linalg.norm(Ms[:, None] - Ms[None], axis=2)
    np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1)[:, :k]
    rows = np.repeat(np.arange(n), k)
    adata.obsp["distances"] = sp.csr_matrix((d[rows, idx.ravel()], (rows, idx.ravel())), shape=(n, n))
    adata.uns["neighbors"] = {"params": {"n_neighbors": k + 1}}
    adata.uns["velocity_params"] = {"mode": "stochastic"}
    adata.obsm["X_umap"] = rng.normal(size=(n, 2))
    return adata


def without(adata, where, key):
    out = adata.copy()
    del getattr(out, where)[key]
    return out


def replaced(adata, where, key, value):
    out = adata.copy()
    getattr(out, where)[key] = value
    return out


ANNDATA_CASES = [
    # (id, call on the fixture AnnData `a`, exception, regex the message must match)
    ("not-anndata", lambda a: vtl.velocity_graph(a.layers["Ms"]), TypeError, r"^data must be an anndata.AnnData"),
    ("no-Ms", lambda a: vtl.velocity_graph(without(a, "layers", "Ms")), KeyError, r"layers\['Ms'\].*scv.pp.moments"),
    ("no-velocity", lambda a: vtl.velocity_graph(without(a, "layers", "velocity")), KeyError,
     r"layers\['velocity'\].*scv.tl.velocity"),
    ("no-neighbours", lambda a: vtl.velocity_graph(without(a, "obsp", "distances")), KeyError,
     r"obsp\['distances'\].*sc.pp.neighbors"),
    ("empty-neighbour-row", lambda a: vtl.velocity_graph(replaced(a, "obsp", "distances", sp.csr_matrix(a.obsp["distances"].shape))),
     ValueError, r"no neighbours.*sc.pp.neighbors"),
    ("unknown-genes", lambda a: vtl.velocity_graph(a.copy(), gene_subset=["0", "nope"]), KeyError,
     r"gene_subset has 1 names not in adata.var_names: 'nope'"),
    ("mask-length", lambda a: vtl.velocity_graph(a.copy(), gene_subset=np.ones(3, bool)), ValueError,
     r"^gene_subset as a boolean mask must have length n_vars = 8"),
    ("mask-empty", lambda a: vtl.velocity_graph(a.copy(), gene_subset=np.zeros(8, bool)), ValueError,
     r"^gene_subset selects no genes"),
    ("all-nan-velocity", lambda a: vtl.velocity_graph(replaced(a, "layers", "velocity", np.full(a.shape, np.nan, np.float32))),
     ValueError, r"NaN in adata.layers\['velocity'\]"),
    ("tkey", lambda a: vtl.velocity_graph(a.copy(), tkey="time"), NotImplementedError, r"^tkey='time' is not supported"),
    ("connectivities", lambda a: vtl.velocity_graph(a.copy(), mode_neighbors="connectivities"), NotImplementedError,
     r"^mode_neighbors='connectivities'"),
    ("n_neighbors-too-many", lambda a: vtl.velocity_graph(a.copy(), n_neighbors=50), NotImplementedError,
     r"^n_neighbors=50 exceeds the stored neighbour graph.*sc.pp.neighbors"),
    ("approx", lambda a: vtl.velocity_graph(a.copy(), approx=True), NotImplementedError, r"^approx=True"),
    ("transition-before-graph", lambda a: vtl.transition_matrix(a.copy()), KeyError,
     r"uns\['velocity_graph'\].*velocity_graph\(adata\)"),
    ("transition-not-anndata", lambda a: vtl.transition_matrix({}), TypeError, r"^adata must be an anndata.AnnData"),
    ("transition-unsupported", lambda a: vtl.transition_matrix(a.copy(), weight_indirect_neighbors=0.5),
     NotImplementedError, r"^weight_indirect_neighbors=0.5"),
    ("embedding-no-basis", lambda a: vtl.velocity_embedding(without(a, "obsm", "X_umap"), basis="umap"), KeyError,
     r"obsm\['X_umap'\].*sc.tl.umap"),
    ("embedding-basis-none", lambda a: vtl.velocity_embedding(without(a, "obsm", "X_umap")), KeyError,
     r"basis=None.*X_umap"),
    ("embedding-nan-basis", lambda a: vtl.velocity_embedding(replaced(a, "obsm", "X_umap", with_value(a.obsm["X_umap"], (7, 0), np.nan)),
                                                             basis="umap"),
     ValueError, r"obsm\['X_umap'\] contains NaN or inf \(first at row 7\)"),
    ("embedding-retain-scale", lambda a: vtl.velocity_embedding(a.copy(), basis="umap", retain_scale=True),
     NotImplementedError, r"^retain_scale=True"),
    ("reconstructability-matrix", lambda a: vtl.reconstructability(a, ["0"], matrix="dense"), ValueError,
     r"^matrix must be one of 'graph', 'transition'"),
    ("empty-anndata", lambda a: vtl.velocity_graph(a[:0].copy()), ValueError, r"^data has no cells"),
]


@pytest.mark.parametrize("case", ANNDATA_CASES, ids=[c[0] for c in ANNDATA_CASES])
def test_anndata_level_bad_input(small_adata, case):
    _, call, exception, message = case
    with pytest.raises(exception, match=message):
        call(small_adata)


def test_number_of_bad_input_cases():
    assert len(ARRAY_CASES) + len(ANNDATA_CASES) >= 40


# -- accepted conversions -----------------------------------------------------------

def test_integer_float16_and_sparse_inputs_are_converted():
    reference = vg.cosine_graph(X, V, NBRS).toarray()
    Xi, Vi = np.round(X * 100).astype(int), np.round(V * 100).astype(int)
    np.testing.assert_allclose(vg.cosine_graph(Xi, Vi, NBRS).toarray(),
                               vg.cosine_graph(Xi.astype(float), Vi.astype(float), NBRS).toarray())
    half = vg.cosine_graph(X.astype(np.float16), V.astype(np.float16), NBRS).toarray()
    np.testing.assert_allclose(half, reference, atol=5e-3)
    np.testing.assert_allclose(vg.cosine_graph(sp.csr_matrix(X), sp.csr_matrix(V), NBRS).toarray(), reference)
    np.testing.assert_allclose(vg.transition_matrix(G.toarray()).toarray(), vg.transition_matrix(G).toarray())


# -- degenerate cases ----------------------------------------------------------------

def test_zero_velocity_gives_zero_similarities_and_uniform_row():
    V0 = with_value(V, 1, 0.0)
    G0 = vg.cosine_graph(X, V0, NBRS)
    assert G0[1].nnz == 2 and not G0[1].toarray().any()
    np.testing.assert_allclose(vg.transition_matrix(G0)[1].toarray()[0, [0, 2]], 0.5)


def test_constant_vectors_have_zero_pearson():
    Xc = np.tile(np.arange(6.0)[:, None], (1, 4))  # displacements are constant across genes
    assert not vg.cosine_graph(Xc, V, NBRS, center=True).toarray().any()
    assert vg.pearson_similarity([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]) == 0.0


def test_duplicate_cells_have_zero_displacement():
    Xd = X.copy()
    Xd[1] = Xd[0]
    Gd = vg.cosine_graph(Xd, V, NBRS)
    assert Gd[0, 1] == 0.0 and Gd[0].nnz == 2  # stored, undefined -> 0
    nu = vg.project_velocity(vg.transition_matrix(Gd), np.vstack([E[0], E[0], E[2:]]))
    assert np.isfinite(nu).all()


def test_cell_without_neighbours():
    pattern = sp.csr_matrix((np.ones(3), ([0, 1, 2], [1, 2, 0])), shape=(4, 4))
    G4 = vg.cosine_graph(X[:4], V[:4], pattern)
    assert G4[3].nnz == 0
    T4 = vg.transition_matrix(G4)
    assert T4[3].sum() == 0
    assert np.isnan(vg.project_velocity(T4, E[:4])[3]).all()


def test_one_cell_dataset():
    G1 = vg.cosine_graph(X[:1], V[:1], np.zeros((1, 0), dtype=int))
    assert G1.shape == (1, 1) and G1.nnz == 0
    T1 = vg.transition_matrix(G1)
    assert np.isnan(vg.project_velocity(T1, E[:1])).all()
    assert np.isnan(vg.reconstructability_score(T1, T1, per_cell=True)).all()
