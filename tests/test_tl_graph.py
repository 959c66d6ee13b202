"""velocity_graph and graph_inputs on odd metadata: correct results or clear errors, nothing of the caller's changed."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import velograph.tl as vtl

from _tl_data import assert_unchanged, small_adata, snapshot


def graph_of(adata, **options):
    return vtl.velocity_graph(adata, copy=True, **options).uns["velocity_graph"]


def same(a, b):
    return a.shape == b.shape and (a != b).nnz == 0


# -- silent wrong results -------------------------------------------------------------------

def test_gene_subset_as_a_boolean_series_is_aligned_by_gene_name():
    # Before: applied by position (73 of 164 intended genes in the report; graph off by 0.67).
    adata = small_adata()
    wanted = list(adata.var_names[[0, 2, 3, 5, 8, 9, 11]])
    flags = pd.Series(adata.var_names.isin(wanted), index=adata.var_names)[::-1]  # another order
    assert same(graph_of(adata, gene_subset=flags), graph_of(adata, gene_subset=wanted))
    assert not same(graph_of(adata, gene_subset=flags.to_numpy()), graph_of(adata, gene_subset=wanted))


def test_gene_subset_series_with_unknown_or_missing_genes_is_refused():
    adata = small_adata()
    flags = pd.Series(True, index=[f"other{i}" for i in range(12)])
    with pytest.raises(ValueError, match=r"gene_subset \(a pandas Series\) must be indexed by adata.var_names"):
        vtl.velocity_graph(adata, gene_subset=flags)


@pytest.mark.parametrize("column", [
    pd.Series(["True", "False"] * 6),     # a CSV round trip
    pd.Series(["true", "FALSE"] * 6),
    pd.Series([1, 0] * 6),
    pd.Series([1.0, 0.0] * 6),
], ids=["strings", "mixed-case", "ints", "floats"])
def test_velocity_genes_as_text_or_numbers_select_the_flagged_genes(column):
    # Before: np.asarray(column, dtype=bool) made every gene a velocity gene.
    adata = small_adata()
    expected = graph_of(adata, gene_subset=list(adata.var_names[::2]))
    adata.var["velocity_genes"] = column.to_numpy()
    assert same(graph_of(adata), expected)


@pytest.mark.parametrize("column,message", [
    (np.array([1.0, np.nan] * 6), r"adata.var\['velocity_genes'\] has a missing value"),
    (pd.array([True, None] * 6, dtype="boolean"), r"adata.var\['velocity_genes'\] has a missing value \(<NA>"),
    (np.array(["yes", "no"] * 6, dtype=object), r"velocity_genes.\] must hold True/False for every gene.*.yes."),
    (np.array([2, 0] * 6), r"adata.var\['velocity_genes'\] holds numbers other than 0 and 1"),
], ids=["1.0-and-NaN", "nullable-NA", "yes-no", "two"])
def test_ambiguous_velocity_genes_are_refused(column, message):
    adata = small_adata()
    adata.var["velocity_genes"] = column
    before = snapshot(adata)
    with pytest.raises(ValueError, match=message):
        vtl.velocity_graph(adata)
    assert_unchanged(adata, before)


def test_complex_velocity_layer_is_refused_not_cast():
    # Before: the imaginary part was dropped silently (the array level refused it).
    adata = small_adata()
    adata.layers["velocity"] = adata.layers["velocity"] + 1j
    with pytest.raises(TypeError, match=r"adata.layers\['velocity'\] holds complex numbers"):
        vtl.velocity_graph(adata)


def test_one_velocity_gene_is_an_error_not_an_empty_graph():
    # Before: an empty graph, then NaN arrows, without a word.
    adata = small_adata()
    adata.var["velocity_genes"] = np.arange(12) == 3
    before = snapshot(adata)
    with pytest.raises(ValueError, match=r"only 1 gene is left to compare.*Pearson correlation over one gene"):
        vtl.velocity_graph(adata)
    assert_unchanged(adata, before)


def test_a_duplicated_distance_entry_is_refused():
    # Before: the duplicate took one of the cell's k neighbour slots.
    adata = small_adata()
    D = adata.obsp["distances"]
    raw = sp.csr_matrix(D)  # rebuilt by hand: scipy's constructors would sum the duplicate away
    row0 = slice(raw.indptr[0], raw.indptr[1])
    indices = np.r_[raw.indices[row0], raw.indices[0], raw.indices[raw.indptr[1]:]]
    data = np.r_[raw.data[row0], raw.data[0], raw.data[raw.indptr[1]:]]
    indptr = raw.indptr + np.r_[0, np.ones(len(raw.indptr) - 1, int)]
    adata.obsp["distances"] = sp.csr_matrix((data, indices, indptr), shape=raw.shape)
    with pytest.raises(ValueError, match=r"adata.obsp\['distances'\] stores the pair \(cell 0, neighbour \d+\) twice"):
        vtl.velocity_graph(adata)


# -- mutation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [None, "stochastic", ["mode"], 3])
def test_velocity_params_not_a_dict_is_refused_before_anything_is_written(params):
    # Before: AttributeError on 'NoneType', or the graph, graph_neg and self-transitions were
    # written first (without a fingerprint) and then the call failed.
    adata = small_adata()
    adata.uns["velocity_params"] = params
    before = snapshot(adata)
    with pytest.raises(TypeError, match=r"adata.uns\['velocity_params'\] must be a dict"):
        vtl.velocity_graph(adata)
    assert_unchanged(adata, before)


def test_graph_inputs_returns_new_arrays():
    # Before: the caller's dense float32 layers themselves; editing the result edited layers['Ms'].
    adata = small_adata()
    before = snapshot(adata)
    X, V = vtl.graph_inputs(adata)
    X[:] = 7
    V[:] = 7
    assert_unchanged(adata, before)


def test_velocity_graph_on_a_view_leaves_the_parent_unchanged():
    parent = small_adata()
    before = snapshot(parent)
    view = parent[:, :8]
    vtl.velocity_graph(view)
    assert_unchanged(parent, before)


def test_a_failing_call_writes_nothing():
    adata = small_adata()
    before = snapshot(adata)
    with pytest.raises(NotImplementedError):
        vtl.velocity_graph(adata, n_neighbors=50)
    with pytest.raises(TypeError):
        vtl.velocity_graph(adata, vkey=3)
    assert_unchanged(adata, before)


# -- resources --------------------------------------------------------------------------------

def test_huge_n_recurse_neighbors_stops_when_the_neighbourhoods_stop_growing():
    # Before: 10**6 sparse products (no end in sight); scVelo fails in 1.6 s.
    adata = small_adata()
    start = time.process_time()
    G = graph_of(adata, n_recurse_neighbors=10**6)
    assert time.process_time() - start < 60  # generous: a hang guard, the test is the equality below
    assert same(G, graph_of(adata, n_recurse_neighbors=40))


def test_n_recurse_neighbors_beyond_the_pair_budget_is_a_clear_error(monkeypatch):
    import velograph.neighbors as neighbors

    monkeypatch.setattr(neighbors, "MAX_PAIRS", 100)
    adata = small_adata(n=200, k=5)
    with pytest.raises(ValueError, match=r"n_recurse_neighbors=1000000 is too large: after \d hops.*"
                                         r"Use n_recurse_neighbors <= \d"):
        vtl.velocity_graph(adata, n_recurse_neighbors=10**6)
    vtl.velocity_graph(adata, n_recurse_neighbors=2)  # the default always fits


# -- scVelo's defaults ---------------------------------------------------------------------------

def test_scvelo_default_values_select_the_implemented_path():
    # Before: approx=False and compute_uncertainties=False raised NotImplementedError.
    adata = small_adata()
    expected = graph_of(adata)
    assert same(graph_of(adata, approx=False, compute_uncertainties=False), expected)
    assert same(graph_of(adata, approx=np.False_), expected)
    for option in ("approx", "compute_uncertainties"):
        with pytest.raises(NotImplementedError, match=rf"^{option}=True"):
            vtl.velocity_graph(adata, **{option: True})


# -- unclear messages ------------------------------------------------------------------------

def with_layer(adata, key, value):
    adata.layers[key] = value
    return adata


MESSAGES = [
    ("velocity_params-None", lambda a: a.uns.__setitem__("velocity_params", None), TypeError,
     r"^adata.uns\['velocity_params'\] must be a dict"),
    ("object-layer-with-a-string", lambda a: with_layer(a, "velocity", np.array(
        [["x"] + [1.0] * 11] + [[1.0] * 12] * 39, dtype=object)), TypeError,
     r"^adata.layers\['velocity'\] must hold real numbers, got dtype object \(an object array"),
    ("boolean-layer", lambda a: with_layer(a, "Ms", a.layers["Ms"] > 0), TypeError,
     r"^adata.layers\['Ms'\] must hold real numbers, got dtype bool"),
    ("zero-genes", None, ValueError, r"^adata has no genes \(n_vars = 0\)"),
    ("uns-neighbors-not-a-dict", lambda a: a.uns.__setitem__("neighbors", "knn"), NotImplementedError,
     r"n_neighbors=50 exceeds the stored neighbour graph \(6, from adata.obsp"),
    ("uns-n_neighbors-text", lambda a: a.uns.__setitem__("neighbors", {"params": {"n_neighbors": "30"}}), TypeError,
     r"^adata.uns\['neighbors'\]\['params'\]\['n_neighbors'\] must be an integer, got str"),
    ("distances-complex", lambda a: a.obsp.__setitem__("distances", a.obsp["distances"] * (1 + 0j)), TypeError,
     r"^adata.obsp\['distances'\] holds complex numbers"),
    ("vkey-not-a-string", None, TypeError, r"^vkey must be the name of a layer such as 'velocity', got int 3"),
]


@pytest.mark.parametrize("case", MESSAGES, ids=[c[0] for c in MESSAGES])
def test_unclear_inputs_get_messages_naming_the_argument(case):
    name, change, exception, message = case
    adata = small_adata()
    options = {}
    if name == "zero-genes":
        adata = adata[:, :0].copy()
    elif name == "vkey-not-a-string":
        options["vkey"] = 3
    else:
        change(adata)
    if name.startswith("uns-n"):
        options["n_neighbors"] = 50
    with pytest.raises(exception, match=message):
        vtl.velocity_graph(adata, **options)
