"""Bad input gets a clear error naming the argument; degenerate input has documented results.

Each case asserts the exception type and that the message names the argument
(and, for AnnData inputs, the scanpy/scVelo call that makes what is missing)."""

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
import velograph.tl as vtl
from velograph.projection import project_velocity_csr

from _tl_data import dense_support
from _tl_data import small_adata as small_adata_of

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


def corrupted(matrix, attribute, position, value):
    """A copy of a sparse matrix with one entry of its structure arrays overwritten (scipy does not check)."""
    out = matrix.copy()
    getattr(out, attribute)[position] = value
    return out


ADJACENCY = sp.csr_matrix(dense_support(NBRS, 6))


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
    ("nbrs-sparse-range", lambda: vg.cosine_graph(X, V, corrupted(ADJACENCY, "indices", 3, 10**6)),
     ValueError, r"^neighbors has column index 1000000 in row 1, outside 0\.\.5"),
    ("nbrs-sparse-negative", lambda: vg.cosine_graph(X, V, corrupted(ADJACENCY, "indices", 0, -1)),
     ValueError, r"^neighbors has column index -1 in row 0"),
    ("nbrs-sparse-indptr", lambda: vg.cosine_graph(X, V, corrupted(ADJACENCY, "indptr", 2, 1)),
     ValueError, r"^neighbors has an inconsistent sparse structure: indptr decreases at row 1"),
    ("nbrs-coo-range", lambda: vg.cosine_graph(X, V, corrupted(sp.coo_matrix(dense_support(NBRS, 6)), "col", 2, 6)),
     ValueError, r"^neighbors has column index 6 at position 2, outside 0\.\.5"),
    ("nbrs-inf", lambda: vg.cosine_graph(X, V, with_value(NBRS, (1, 1), np.inf)), ValueError,
     r"^neighbors\[1, 1\] = inf is not a cell index \(indices must be finite integers in 0\.\.5\)"),
    ("nbrs-nan", lambda: vg.cosine_graph(X, V, with_value(NBRS, (4, 0), np.nan)), ValueError,
     r"^neighbors\[4, 0\] = nan is not a cell index"),
    ("nbrs-float-range", lambda: vg.cosine_graph(X, V, with_value(NBRS, (2, 1), 1e6)), ValueError,
     r"^neighbors\[2, 1\] = 1e\+06 is not a cell index in 0\.\.5"),
    ("nbrs-dense-adjacency", lambda: vg.cosine_graph(X, V, dense_support(NBRS, 6)), ValueError,
     r"^neighbors is a dense 6 x 6 array: an adjacency matrix.*scipy.sparse.csr_matrix"),
    ("nbrs-dense-adjacency-float", lambda: vg.cosine_graph(X, V, dense_support(NBRS, 6).astype(float)), ValueError,
     r"^neighbors is a dense 6 x 6 array"),
    ("sigma-zero", lambda: vg.transition_matrix(G, sigma=0), ValueError, r"^sigma must be a positive, finite"),
    ("sigma-negative", lambda: vg.transition_matrix(G, sigma=-0.3), ValueError, r"^sigma must be a positive"),
    ("sigma-nan", lambda: vg.transition_matrix(G, sigma=float("nan")), ValueError, r"^sigma must be a positive"),
    ("sigma-inf", lambda: vg.transition_matrix(G, sigma=float("inf")), ValueError, r"^sigma must be a positive"),
    ("sigma-str", lambda: vg.transition_matrix(G, sigma="0.3"), TypeError, r"^sigma must be a positive real number"),
    ("sigma-bool", lambda: vg.transition_matrix(G, sigma=True), TypeError, r"^sigma must be a positive real number"),
    ("graph-not-square", lambda: vg.transition_matrix(sp.random(3, 4, format="csr")), ValueError,
     r"^graph must be a square n x n matrix"),
    ("graph-out-of-range", lambda: vg.transition_matrix(G * 3), ValueError,
     r"^graph must hold similarities in \[-1, 1\]"),
    ("graph-nan", lambda: vg.transition_matrix(sp.csr_matrix(with_value(G.toarray(), (1, 0), np.nan))), ValueError,
     r"^graph contains a non-finite value at row 1, column 0"),
    ("graph-list", lambda: vg.transition_matrix([[0, 1], [1, 0]]), TypeError, r"^graph must be a scipy sparse matrix"),
    ("graph-empty", lambda: vg.transition_matrix(sp.csr_matrix((0, 0))), ValueError, r"^graph is empty"),
    ("graph-index-range", lambda: vg.transition_matrix(corrupted(G, "indices", 5, 10**6)), ValueError,
     r"^graph has column index 1000000 in row 2, outside 0\.\.5"),
    ("graph-indptr-end", lambda: vg.transition_matrix(corrupted(G, "indptr", -1, G.nnz + 5)), ValueError,
     r"^graph has an inconsistent sparse structure: indptr ends at 17 but only 12 indices are stored"),
    ("graph-csc-range", lambda: vg.transition_matrix(corrupted(G.tocsc(), "indices", 0, 7)), ValueError,
     r"^graph has row index 7 in column 0, outside 0\.\.5"),
    ("correction", lambda: vg.project_velocity(T, E, correction="median"), ValueError,
     r"^correction must be one of 'uniform', 'mean', None"),
    ("T-vs-X_emb", lambda: vg.project_velocity(T, E[:5]), ValueError,
     r"^X_emb has 5 rows but T is 6 x 6: both must describe the same cells"),
    ("T-index-range", lambda: vg.project_velocity(corrupted(T, "indices", 1, 10**6), E), ValueError,
     r"^T has column index 1000000 in row 0, outside 0\.\.5"),
    ("T-index-negative", lambda: vg.project_velocity(corrupted(T, "indices", 4, -2), E), ValueError,
     r"^T has column index -2 in row 2"),
    ("T-indptr-start", lambda: vg.project_velocity(corrupted(T, "indptr", 0, 1), E), ValueError,
     r"^T has an inconsistent sparse structure: indptr starts at 1, not 0"),
    ("T-csr-direct", lambda: vg.projection.project_velocity_csr(corrupted(T, "indices", 1, 10**6), E), ValueError,
     r"^T has column index 1000000"),
    ("T-csr-direct-shape", lambda: vg.projection.project_velocity_csr(T[:5, :5], E), ValueError,
     r"^T must be a CSR matrix of shape \(6, 6\)"),
    ("distance-weighted-range", lambda: vg.project_velocity_distance_weighted(corrupted(T, "indices", 1, 99), E),
     ValueError, r"^T has column index 99"),
    ("confidence-index-range", lambda: vg.project_velocity_confidence_weighted(T, E, corrupted(T, "indices", 1, 99)),
     ValueError, r"^confidence has column index 99"),
    ("T_sub-index-range", lambda: vg.reconstructability_score(T, corrupted(T, "indices", 1, 99)), ValueError,
     r"^T_sub has column index 99"),
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
    ("over", lambda: vg.reconstructability_score(T, T, over="rows"), ValueError,
     r"^over must be one of 'all', 'neighbors'"),
    ("T_sub-shape", lambda: vg.reconstructability_score(T, T[:5, :5]), ValueError,
     r"^T_sub is 5 x 5 but there are 6 cells"),
    ("T_full-not-square", lambda: vg.reconstructability_score(T[:, :5], T), ValueError, r"^T_full must be a square"),
    ("pairs-index", lambda: vg.graph.pair_similarities(X, V, G.indptr, corrupted(G, "indices", 0, 10**6).indices),
     ValueError, r"^the pair pattern \(indptr, indices\) has column index 1000000 in row 0"),
    ("pairs-indptr", lambda: vg.graph.pair_similarities(X, V, np.array([0, 1]), np.array([1])), ValueError,
     r"^the pair pattern \(indptr, indices\) has an inconsistent sparse structure: indptr has length 2, "
     r"expected n_rows \+ 1 = 7"),
    ("pairs-order", lambda: vg.graph.pair_similarities(X, V, G.indptr, G.indices, order=np.array([0, 1, 2, 3, 4, 4])),
     ValueError, r"^order must be a permutation of the 6 cells"),
    ("pairs-order-range", lambda: vg.graph.pair_similarities(X, V, G.indptr, G.indices, order=np.arange(1, 7)),
     ValueError, r"^order has cell index 6 at position 5, outside 0\.\.5"),
    ("pairs-shape", lambda: vg.graph.pair_similarities(X, V[:4], G.indptr, G.indices), ValueError,
     r"^X and V must be 2-D arrays of the same shape"),
    # issue 17: a ragged neighbour list raised numpy's "inhomogeneous shape" error
    ("neighbors-ragged", lambda: vg.cosine_graph(X, V, [[1, 2], [0], [0, 1], [2, 4], [3, 5], [4, 0]]), ValueError,
     r"^neighbors is ragged \(its rows have different lengths\).*sparse matrix"),
]


@pytest.mark.parametrize("case", ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES])
def test_array_level_bad_input(case):
    _, call, exception, message = case
    with pytest.raises(exception, match=message):
        call()


@pytest.fixture
def small_adata():
    """A minimal AnnData with everything velocity_graph needs, built without scVelo.

    A new object for every test (30 cells: microseconds), so that no test can leave
    anything behind for another, in whatever order they run; tests still work on copies.
    """
    return small_adata_of(n=30, genes=8, k=5, seed=1, names=False)


def graphed(adata):
    """A copy of the fixture with its velocity graph (30 cells: milliseconds)."""
    out = adata.copy()
    vtl.velocity_graph(out)
    return out


def distances_with(adata, attribute, position, value):
    D = sp.csr_matrix(adata.obsp["distances"])
    return replaced(adata, "obsp", "distances", corrupted(D, attribute, position, value))


def uns_with(adata, key, value):
    out = graphed(adata)
    out.uns[key] = value
    return out


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
    ("empty-neighbour-row",
     lambda a: vtl.velocity_graph(replaced(a, "obsp", "distances", sp.csr_matrix(a.obsp["distances"].shape))),
     ValueError, r"no neighbours.*sc.pp.neighbors"),
    ("unknown-genes", lambda a: vtl.velocity_graph(a.copy(), gene_subset=["0", "nope"]), KeyError,
     r"gene_subset has 1 names not in adata.var_names: 'nope'"),
    ("mask-length", lambda a: vtl.velocity_graph(a.copy(), gene_subset=np.ones(3, bool)), ValueError,
     r"^gene_subset as a boolean mask must have length n_vars = 8"),
    ("mask-empty", lambda a: vtl.velocity_graph(a.copy(), gene_subset=np.zeros(8, bool)), ValueError,
     r"^gene_subset selects no genes"),
    ("all-nan-velocity",
     lambda a: vtl.velocity_graph(replaced(a, "layers", "velocity", np.full(a.shape, np.nan, np.float32))),
     ValueError, r"NaN in adata.layers\['velocity'\]"),
    ("tkey", lambda a: vtl.velocity_graph(a.copy(), tkey="time"), NotImplementedError,
     r"^tkey='time' is not supported"),
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
    ("embedding-nan-basis",
     lambda a: vtl.velocity_embedding(replaced(a, "obsm", "X_umap", with_value(a.obsm["X_umap"], (7, 0), np.nan)),
                                                             basis="umap"),
     ValueError, r"obsm\['X_umap'\] contains NaN or inf \(first at row 7\)"),
    ("embedding-retain-scale", lambda a: vtl.velocity_embedding(a.copy(), basis="umap", retain_scale=True),
     NotImplementedError, r"^retain_scale=True"),
    ("reconstructability-matrix", lambda a: vtl.reconstructability(a, ["0"], matrix="dense"), ValueError,
     r"^matrix must be one of 'graph', 'transition'"),
    ("empty-anndata", lambda a: vtl.velocity_graph(a[:0].copy()), ValueError, r"^data has no cells"),
    # malformed neighbour graphs: caught before the compiled two-hop kernel reads them
    ("distances-index-range", lambda a: vtl.velocity_graph(distances_with(a, "indices", 3, 10**6)), ValueError,
     r"^adata.obsp\['distances'\] has column index 1000000 in row 0, outside 0\.\.29"),
    ("distances-negative", lambda a: vtl.velocity_graph(distances_with(a, "indices", 7, -1)), ValueError,
     r"^adata.obsp\['distances'\] has column index -1 in row 1"),
    ("distances-indptr", lambda a: vtl.velocity_graph(distances_with(a, "indptr", 3, 2)), ValueError,
     r"^adata.obsp\['distances'\] has an inconsistent sparse structure: indptr decreases at row 2"),
    ("distances-nan", lambda a: vtl.velocity_graph(distances_with(a, "data", 4, np.nan)), ValueError,
     r"^adata.obsp\['distances'\] contains NaN or inf distances"),
    ("neighborhoods-index-range", lambda a: vtl.neighborhoods(distances_with(a, "indices", 3, 10**6)), ValueError,
     r"^adata.obsp\['distances'\] has column index 1000000"),
    # a stale graph: AnnData subsets obsp and obsm but not uns
    ("stale-transition", lambda a: vtl.transition_matrix(graphed(a)[:20].copy()), ValueError,
     r"^adata.uns\['velocity_graph'\] is 30 x 30 but adata has 20 cells: .*before subsetting.*"
     r"Rerun velograph.tl.velocity_graph\(adata, vkey='velocity'\) on this object"),
    ("stale-embedding", lambda a: vtl.velocity_embedding(graphed(a)[:20].copy(), basis="umap"), ValueError,
     r"^adata.uns\['velocity_graph'\] is 30 x 30 but adata has 20 cells.*Rerun velograph.tl.velocity_graph"),
    ("stale-confidence", lambda a: vtl.velocity_confidence(graphed(a)[:20].copy()), ValueError,
     r"^adata.uns\['velocity_graph'\] is 30 x 30 but adata has 20 cells.*Rerun velograph.tl.velocity_graph"),
    ("stale-graph-neg", lambda a: vtl.transition_matrix(stale_negative_graph(a)), ValueError,
     r"^adata.uns\['velocity_graph_neg'\] is 30 x 30 but adata has 20 cells"),
    ("uns-graph-index-range", lambda a: vtl.transition_matrix(
        uns_with(a, "velocity_graph", corrupted(graphed(a).uns["velocity_graph"], "indices", 2, 10**6))), ValueError,
     r"^adata.uns\['velocity_graph'\] has column index 1000000 in row 1"),
    ("uns-graph-neg-negative", lambda a: vtl.velocity_embedding(
        uns_with(a, "velocity_graph_neg", corrupted(graphed(a).uns["velocity_graph_neg"], "indices", 0, -5)),
        basis="umap"), ValueError, r"^adata.uns\['velocity_graph_neg'\] has column index -5 in row 0"),
    ("vgraph-shape", lambda a: vtl.transition_matrix(a, vgraph=sp.eye(5, format="csr")), ValueError,
     r"^vgraph is 5 x 5 but adata has 30 cells"),
    ("embedding-T-shape", lambda a: vtl.velocity_embedding(graphed(a), basis="umap",
                                                           T=vtl.transition_matrix(graphed(a))[:10, :10]),
     ValueError, r"^T is 10 x 10 but adata has 30 cells.*velograph.tl.transition_matrix\(adata\)"),
    ("embedding-T-index", lambda a: vtl.velocity_embedding(graphed(a), basis="umap", T=corrupted(
        vtl.transition_matrix(graphed(a)), "indices", 1, 10**6)), ValueError, r"^T has column index 1000000 in row 0"),
    ("embedding-T-list", lambda a: vtl.velocity_embedding(graphed(a), basis="umap", T=[[0.0]]), TypeError,
     r"^T must be a scipy sparse matrix, got list"),
    # item 5 of issue 13: messages that name the real cause
    ("velocity-genes-none", lambda a: vtl.velocity_graph(replaced(a, "var", "velocity_genes", np.zeros(8, bool))),
     ValueError, r"^adata.var\['velocity_genes'\] is False for every gene: no velocity gene.*scv.tl.velocity"),
    ("confidence-no-genes", lambda a: vtl.velocity_confidence(replaced(graphed(a), "var", "velocity_genes",
                                                                       np.zeros(8, bool))),
     ValueError, r"^no gene is left for velocity_confidence"),
    ("n_neighbors-zero", lambda a: vtl.velocity_graph(a.copy(), n_neighbors=0), ValueError,
     r"^n_neighbors must be a positive integer, got 0"),
    ("n_neighbors-negative", lambda a: vtl.velocity_graph(a.copy(), n_neighbors=-3), ValueError,
     r"^n_neighbors must be a positive integer, got -3"),
    ("n_neighbors-string", lambda a: vtl.velocity_graph(a.copy(), n_neighbors="5"), TypeError,
     r"^n_neighbors must be a positive integer, got str '5'"),
    ("n_neighbors-float", lambda a: vtl.velocity_graph(a.copy(), n_neighbors=2.5), TypeError,
     r"^n_neighbors must be a positive integer, got float 2.5"),
    ("n_recurse-zero", lambda a: vtl.velocity_graph(a.copy(), n_recurse_neighbors=0), ValueError,
     r"^n_recurse_neighbors must be a positive integer, got 0"),
    ("neighborhoods-n_neighbors", lambda a: vtl.neighborhoods(a, n_neighbors=0), ValueError,
     r"^n_neighbors must be a positive integer, got 0"),
    ("no-uns-neighbors-too-many", lambda a: vtl.velocity_graph(without(a, "uns", "neighbors"), n_neighbors=50),
     NotImplementedError, r"^n_neighbors=50 exceeds the stored neighbour graph \(6, from adata.obsp\['distances'\]"),
    ("confidence-block-zero", lambda a: vtl.velocity_confidence(graphed(a), block=0), ValueError,
     r"^block must be a positive integer, got 0"),
    ("confidence-block-string", lambda a: vtl.velocity_confidence(graphed(a), block="all"), TypeError,
     r"^block must be a positive integer, got str 'all'"),
    ("embedding-basis-missing", lambda a: vtl.velocity_embedding(graphed(a), basis="tsne"), KeyError,
     r"basis='tsne': adata.obsm\['X_tsne'\] not found \(embeddings present: 'umap'\); run sc.tl.tsne\(adata\)"),
    ("embedding-basis-type", lambda a: vtl.velocity_embedding(graphed(a), basis=2), TypeError,
     r"^basis must be the name of an embedding"),
]


def stale_negative_graph(adata):
    """The graph moved to obsp (which AnnData subsets) while graph_neg stays in uns (which it does not)."""
    out = graphed(adata)
    out.obsp["velocity_graph"] = out.uns.pop("velocity_graph")
    return out[:20].copy()


@pytest.mark.parametrize("case", ANNDATA_CASES, ids=[c[0] for c in ANNDATA_CASES])
def test_anndata_level_bad_input(small_adata, case):
    _, call, exception, message = case
    with pytest.raises(exception, match=message):
        call(small_adata)


def test_integer_float16_and_sparse_inputs_are_converted():
    reference = vg.cosine_graph(X, V, NBRS).toarray()
    Xi, Vi = np.round(X * 100).astype(int), np.round(V * 100).astype(int)
    np.testing.assert_allclose(vg.cosine_graph(Xi, Vi, NBRS).toarray(),
                               vg.cosine_graph(Xi.astype(float), Vi.astype(float), NBRS).toarray())
    half = vg.cosine_graph(X.astype(np.float16), V.astype(np.float16), NBRS).toarray()
    np.testing.assert_allclose(half, reference, atol=5e-3)
    np.testing.assert_allclose(vg.cosine_graph(sp.csr_matrix(X), sp.csr_matrix(V), NBRS).toarray(), reference)
    np.testing.assert_allclose(vg.transition_matrix(G.toarray()).toarray(), vg.transition_matrix(G).toarray())


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


def read_only(matrix):
    out = matrix.copy()
    for array in (out.data, out.indices, out.indptr):
        array.flags.writeable = False
    return out


def unsorted(matrix):
    """The same matrix with each row's stored entries in reverse order (a valid, non-canonical CSR)."""
    m = sp.csr_matrix(matrix)
    order = np.concatenate([np.arange(m.indptr[i], m.indptr[i + 1])[::-1] for i in range(m.shape[0])])
    return sp.csr_matrix((m.data[order], m.indices[order], m.indptr.copy()), shape=m.shape)


def test_read_only_arrays_work_at_array_level():
    arrays = [np.array(a, copy=True) for a in (X, V, NBRS, E)]
    for a in arrays:
        a.flags.writeable = False
    Xr, Vr, Nr, Er = arrays
    Gr = vg.cosine_graph(Xr, Vr, Nr, center=True)
    np.testing.assert_array_equal(Gr.toarray(), vg.cosine_graph(X, V, NBRS, center=True).toarray())
    Tr = vg.transition_matrix(read_only(unsorted(Gr)))
    np.testing.assert_allclose(Tr.toarray(), vg.transition_matrix(Gr).toarray(), atol=1e-15)
    np.testing.assert_allclose(vg.project_velocity(read_only(unsorted(Tr)), Er), vg.project_velocity(Tr, E), atol=1e-15)
    assert np.isfinite(vg.reconstructability_score(read_only(Tr), read_only(unsorted(Tr))))
    vg.cosine_graph(Xr, Vr, read_only(unsorted(sp.csr_matrix(dense_support(NBRS, 6)))))


def test_tl_reads_uns_graphs_without_sorting_or_writing_them(small_adata):
    adata = graphed(small_adata)
    expected = vtl.transition_matrix(adata).toarray()
    arrows = adata.copy()
    vtl.velocity_embedding(arrows, basis="umap")
    T_signed = vtl.transition_matrix(adata, use_negative_cosines=True)  # what velocity_embedding uses
    for key in ("velocity_graph", "velocity_graph_neg"):
        adata.uns[key] = read_only(unsorted(adata.uns[key]))
    before = {key: adata.uns[key].indices.copy() for key in ("velocity_graph", "velocity_graph_neg")}
    T = vtl.transition_matrix(adata)
    np.testing.assert_allclose(T.toarray(), expected, atol=1e-7)
    assert sp.csr_matrix((T.data, T.indices, T.indptr), shape=T.shape).has_canonical_format
    vtl.velocity_embedding(adata, basis="umap")
    np.testing.assert_allclose(adata.obsm["velocity_umap"], arrows.obsm["velocity_umap"], atol=1e-6)
    vtl.velocity_embedding(adata, basis="umap", T=read_only(unsorted(T_signed)))
    np.testing.assert_allclose(adata.obsm["velocity_umap"], arrows.obsm["velocity_umap"], atol=1e-6)
    vtl.velocity_confidence(adata)
    for key, indices in before.items():  # still the caller's unsorted arrays, untouched
        np.testing.assert_array_equal(adata.uns[key].indices, indices)


def test_dense_graph_stores_its_nonzero_entries_only():
    # Row 0 has neighbours 1 and 2, with similarities 0.5 and exactly 0. As a sparse
    # matrix with an explicit 0 both are neighbours; as a dense array the 0 cannot be
    # told from a non-neighbour, so (as documented) only the nonzero entry is stored.
    sparse = sp.csr_matrix((np.array([0.5, 0.0]), np.array([1, 2]), np.array([0, 2, 2, 2])), shape=(3, 3))
    with_zero = vg.transition_matrix(sparse)
    assert with_zero[0].nnz == 2
    np.testing.assert_allclose(with_zero[0, 2], 1 / (1 + np.exp(0.5 / vg.DEFAULT_SIGMA**2)))
    dense = vg.transition_matrix(sparse.toarray())
    assert dense[0].nnz == 1 and dense[0, 1] == 1.0


def test_subset_after_rerunning_velocity_graph_works(small_adata):
    sub = graphed(small_adata)[:20].copy()
    vtl.velocity_graph(sub)  # what the error message asks for
    assert vtl.transition_matrix(sub).shape == (20, 20)
    vtl.velocity_embedding(sub, basis="umap")
    assert sub.obsm["velocity_umap"].shape == (20, 2)


def test_reconstructability_reads_no_stored_graph(small_adata):
    # reconstructability computes both graphs from obsp['distances'] (which AnnData
    # subsets), never from uns: a subset gives the same r as a fresh object without uns.
    sub = graphed(small_adata)[:20].copy()
    fresh = ad.AnnData(X=sub.X.copy(), layers={k: v.copy() for k, v in sub.layers.items()},
                       obsp={"distances": sub.obsp["distances"].copy()},
                       uns={"velocity_params": {"mode": "stochastic"}})
    genes = list(sub.var_names[:4])
    assert vtl.reconstructability(sub, genes) == vtl.reconstructability(fresh, genes)


def test_n_neighbors_without_uns_neighbors(small_adata):
    with_uns, without_uns = small_adata.copy(), without(small_adata, "uns", "neighbors")
    vtl.velocity_graph(with_uns, n_neighbors=3)
    vtl.velocity_graph(without_uns, n_neighbors=3)
    assert (with_uns.uns["velocity_graph"] != without_uns.uns["velocity_graph"]).nnz == 0


def test_zero_velocity_neighbour_gives_nan_confidence_like_scvelo(small_adata):
    from velograph.tl._graph import knn_indices_from_distances

    knn = knn_indices_from_distances(small_adata.obsp["distances"])
    cell = int(np.bincount(knn.ravel()).argmax())  # the cell that is a neighbour most often
    adata = small_adata.copy()
    adata.layers["velocity"] = adata.layers["velocity"].copy()
    adata.layers["velocity"][cell] = 0.0
    vtl.velocity_graph(adata)
    vtl.velocity_confidence(adata)
    confidence = adata.obs["velocity_confidence"].to_numpy()
    has_zero_neighbour = (knn == cell).any(axis=1)
    assert has_zero_neighbour.sum() >= 2
    np.testing.assert_array_equal(np.isnan(confidence), has_zero_neighbour | (np.arange(30) == cell))


def test_graph_on_a_reordered_copy_is_refused_everywhere_it_is_read(small_adata):
    """Same cells, another order: the shapes agree, but the stored graph describes other rows."""
    import velograph.tl as vtl

    adata = graphed(small_adata)  # a copy: the fixture is never written to
    order = np.random.default_rng(0).permutation(adata.n_obs)
    reordered = adata[order].copy()
    for call in (vtl.transition_matrix, lambda a: vtl.velocity_embedding(a, basis="umap"), vtl.velocity_confidence):
        with pytest.raises(ValueError, match="in another order.*Rerun velograph.tl.velocity_graph"):
            call(reordered)
    vtl.velocity_graph(reordered)  # rerunning on the copy is the fix
    vtl.velocity_embedding(reordered, basis="umap")
    vtl.velocity_embedding(adata.copy(), basis="umap")  # a plain copy keeps its cells: accepted


N = 4


X4 = np.arange(N * 3, dtype=float).reshape(N, 3) ** 1.5


V4 = np.cos(np.arange(N * 3, dtype=float)).reshape(N, 3)


E4 = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def _csr_with_column(col, entry=2):
    """A valid 4 x 4 CSR whose stored entry number ``entry`` (2: row 1's, 4: row 3's) is then
    pointed at column ``col``, after construction: scipy does not check index ranges there."""
    M = sp.csr_matrix((np.full(5, 0.5), np.array([1, 2, 0, 1, 2]), np.array([0, 2, 3, 4, 5])), shape=(N, N))
    M.indices[entry] = col
    return M


@pytest.mark.parametrize("call", [
    lambda M: vg.transition_matrix(M),
    lambda M: vg.project_velocity(M, E4),
    lambda M: project_velocity_csr(M, E4),
    lambda M: vg.cosine_graph(X4, V4, M),
    lambda M: vg.row_correlations(M, M),
])
def test_column_index_n_is_refused_and_n_minus_1_accepted(call):
    call(_csr_with_column(N - 1))
    call(_csr_with_column(0))
    for bad in (N, -1):
        with pytest.raises(ValueError, match=rf"column index {bad} in row 1, outside 0\.\.{N - 1}"):
            call(_csr_with_column(bad))


def test_square_shape_and_cell_count():
    with pytest.raises(ValueError, match=r"^graph must be a square n x n matrix, got shape \(2, 3\)"):
        vg.transition_matrix(sp.csr_matrix((2, 3)))
    with pytest.raises(ValueError, match=r"^X_emb has 4 rows but T is 3 x 3"):
        vg.project_velocity(sp.identity(3, format="csr"), E4)
    with pytest.raises(ValueError, match=r"^T_sub is 4 x 4 but there are 3 cells"):
        vg.row_correlations(sp.identity(3, format="csr"), sp.identity(4, format="csr"))
    with pytest.raises(ValueError, match=r"^graph is empty"):
        vg.transition_matrix(sp.csr_matrix((0, 0)))
