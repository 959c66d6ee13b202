"""velograph_book.limits: null models, arrow comparisons and geometry, on closed-form cases."""

import numpy as np
import pytest
import scipy.sparse as sp

import velograph as vg
from velograph_book import display, limits
from velograph_book.geometry import rowwise_cosine

from _ci import require_module
from _tl_data import star, velocity_adata

# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def margin():
    """Run a test with a rounding margin set, and restore the previous one."""
    with display.rounding_margin(1e-3) as margin:
        yield margin


def synthetic_adata(seed=0, n=80, genes=12, k=10):
    """Cells along a curve in gene space with tangent velocities: everything velocity_graph needs."""
    require_module("anndata")
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 3, n))
    directions = rng.normal(size=(3, genes))
    X = np.c_[t, np.sin(t), t**2 / 3] @ directions + 0.05 * rng.normal(size=(n, genes)) + 5
    V = np.c_[np.ones(n), np.cos(t), 2 * t / 3] @ directions + 0.3 * rng.normal(size=(n, genes))
    adata = velocity_adata(X, V, k=k, embedding=np.c_[t, np.sin(2 * t)] + 0.01 * rng.normal(size=(n, 2)),
                           clusters=np.where(t < 1.5, "early", "late"), spliced=X)
    adata.var["velocity_genes"] = np.r_[np.ones(genes - 2, bool), False, False]
    return adata


# ----------------------------------------------------------------------------- null velocities


def test_gene_shuffle_permutes_each_row_within_itself():
    V = np.arange(24, dtype=np.float32).reshape(4, 6)
    out = limits.null_velocities(V, "genes", rng=np.random.default_rng(0))
    assert out.dtype == V.dtype and out.shape == V.shape
    assert np.array_equal(np.sort(out, axis=1), V)  # every row keeps its own values
    assert not np.array_equal(out, V)
    again = limits.null_velocities(V, "genes", rng=np.random.default_rng(0))
    assert np.array_equal(out, again)  # fixed seed, same draw


def test_cell_permutation_keeps_whole_rows():
    V = np.arange(20.0).reshape(5, 4)
    out = limits.null_velocities(V, "cells", rng=np.random.default_rng(1))
    assert sorted(map(tuple, out)) == sorted(map(tuple, V))


def test_group_permutation_stays_within_groups():
    V = np.arange(8.0)[:, None] * np.ones((1, 3))
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    out = limits.null_velocities(V, "groups", rng=np.random.default_rng(2), groups=groups)
    assert set(out[:4, 0]) == {0, 1, 2, 3} and set(out[4:, 0]) == {4, 5, 6, 7}


def test_shared_and_reversed_in_closed_form():
    V = np.array([[1.0, 2.0], [3.0, -2.0]], dtype=np.float32)
    assert np.array_equal(limits.null_velocities(V, "shared"), [[2.0, 0.0], [2.0, 0.0]])
    assert np.array_equal(limits.null_velocities(V, "reversed"), -V)


@pytest.mark.parametrize("call, message", [
    (lambda V: limits.null_velocities(V, "nope"), "kind must be one of"),
    (lambda V: limits.null_velocities(V, "genes"), "rng="),
    (lambda V: limits.null_velocities(V, "groups", rng=np.random.default_rng(0)), "groups="),
    (lambda V: limits.null_velocities(V, "groups", rng=np.random.default_rng(0), groups=[1]), "one label per cell"),
    (lambda V: limits.null_velocities(V[0], "reversed"), "cells x genes"),
])
def test_null_velocities_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(np.ones((3, 2)))


# ----------------------------------------------------------------------------- arrow comparisons


def test_agreement_in_closed_form():
    reference = np.array([[1.0, 0.0]] * 4)
    arrows = np.array([[1.0, 0.0], [1.0, -1.0], [-1.0, 0.0], [0.5, 0.5]])  # 0, 45, 180, 45 degrees
    s = limits.agreement(reference, arrows)
    assert s["within_90"] == 0.75
    assert np.isclose(s["median_angle"], 45.0)
    assert np.isclose(s["length_ratio"], np.median([1, np.sqrt(2), 1, np.sqrt(0.5)]))
    both = limits.agreement_over_draws(reference, [arrows, -arrows])
    assert both["draws"] == 2 and np.isclose(both["within_90"], 0.5)
    assert both["within_90_min"] == 0.25 and both["within_90_max"] == 0.75


def test_agreement_refuses_a_cosine_on_the_threshold(margin):
    with pytest.raises(ValueError, match="threshold"):
        limits.agreement(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]]))


# ----------------------------------------------------------------------------- reconstructability nulls


def test_random_gene_sets_are_reproducible_and_distinct():
    genes = [f"g{k}" for k in range(10)]
    sets = limits.random_gene_sets(genes, 4, 3, seed=0)
    assert len(sets) == 3 and all(len(set(s)) == 4 for s in sets)
    rng = np.random.default_rng(0)
    assert sets[1] == list((rng.choice(genes, 4, replace=False), rng.choice(genes, 4, replace=False))[1])
    with pytest.raises(ValueError, match="size"):
        limits.random_gene_sets(genes, 11, 1, seed=0)


def test_null_summary_in_closed_form():
    s = limits.null_summary(0.35, [0.1, 0.2, 0.3, 0.4], quantiles=(0.5,), threshold=0.15)
    assert s["at_least"] == 1 and s["n"] == 4
    assert np.isclose(s["p_value"], 2 / 5)  # (1 + 1) / (1 + 4)
    assert np.isclose(s["quantiles"][0], 0.25) and s["above_threshold"] == 3
    assert limits.null_summary(0.5, [0.1, 0.5])["at_least"] == 1  # a tie counts as "at least"


def test_null_summary_refuses_ties_within_the_margin(margin):
    with pytest.raises(ValueError, match="threshold"):
        limits.null_summary(0.5, [0.1, 0.5004])


def test_reconstructability_null_equals_tl():
    vtl = require_module("velograph.tl")
    adata = synthetic_adata()
    genes = list(adata.var_names[adata.var["velocity_genes"].to_numpy()])
    subsets = [genes[:4], genes[3:8]]
    result = limits.reconstructability_null(adata, genes[:5], subsets)
    for matrix in ("transition", "graph"):
        observed, null = result[(matrix, "all")]
        expected = vtl.reconstructability_many(adata, [genes[:5], *subsets], matrix=matrix)
        assert np.isclose(observed, expected[0], rtol=0, atol=1e-12)
        assert np.allclose(null, expected[1:], rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- geometry


def test_best_neighbor_similarity():
    G = sp.csr_matrix(np.array([[0.0, 0.3, -0.5], [-0.2, 0.0, -0.1], [0.0, 0.0, 0.0]]))
    assert np.allclose(limits.best_neighbor_similarity(G), [0.3, 0.0, 0.0])


def test_transport_is_exact_for_a_linear_map():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 2))
    A = np.array([[2.0, 1.0], [-0.5, 3.0]])
    pattern = sp.csr_matrix(rng.uniform(size=(30, 30)) < 0.3, dtype=float)
    arrows = rng.normal(size=(30, 2))
    carried, r2 = limits.transport_arrows(pattern, X, X @ A, arrows)
    has = np.diff(pattern.indptr) - (pattern.diagonal() != 0) >= 2
    assert np.allclose(carried[has], arrows[has] @ A) and np.allclose(r2[has], 1)


def test_arrow_fidelity_in_closed_form():
    directions = [0, 60, 135, 200, 290]
    arrow = np.array([[1.0, 0.0]] + [[0.0, 0.0]] * 5)
    towards = np.cos(np.radians(directions))
    X, G = star(directions, values=towards)
    assert np.isclose(limits.arrow_fidelity(G, X, arrow)[0], 1.0)
    X, G = star(directions, values=-towards)
    assert np.isclose(limits.arrow_fidelity(G, X, arrow)[0], -1.0)
    assert np.isnan(limits.arrow_fidelity(G, X, arrow)[1])  # no neighbours


def test_arrow_fidelity_is_the_two_pass_pearson_on_nearly_constant_similarities():
    # Similarities 0.5 + 1e-9 x: the one-pass m S_aa - S_a^2 cancels every digit of the 3e-18 variance
    # (NaN or noise); the two-pass correlation of velograph.row_correlations keeps it.
    directions = [0, 60, 120, 180]
    x = np.array([1.0, 0.0, 0.0, 0.0])
    towards = np.cos(np.radians(directions))
    X, G = star(directions, values=0.5 + 1e-9 * x)
    arrow = np.array([[1.0, 0.0]] + [[0.0, 0.0]] * 4)
    expected = 1 / np.sqrt(1.875)  # corr(x, towards): cov 1, variances 0.75 and 2.5
    assert np.corrcoef(x, towards)[0, 1] == pytest.approx(expected, abs=1e-15)
    assert limits.arrow_fidelity(G, X, arrow)[0] == pytest.approx(expected, abs=1e-6)
    # exactly constant similarities have no correlation
    X, G = star(directions, values=np.full(4, 0.1))
    assert np.isnan(limits.arrow_fidelity(G, X, arrow)[0])


def test_arrow_fidelity_leaves_out_pairs_without_a_direction():
    # neighbour 5 sits on the cell itself and the diagonal is stored: neither has a direction
    directions = [0, 90, 180]
    towards = np.cos(np.radians(directions))
    X, G = star(directions, values=towards, n_extra=1)
    G = G.tolil()
    G[0, 0], G[0, 4] = 0.7, -5.0
    arrow = np.array([[2.0, 0.0]] + [[0.0, 0.0]] * 4)
    assert limits.arrow_fidelity(G.tocsr(), X, arrow)[0] == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(ValueError, match="arrows must have the shape"):
        limits.arrow_fidelity(G.tocsr(), X, arrow[:3])


# ----------------------------------------------------------------------------- confidence


def test_knn_velocity_correlation_in_closed_form():
    V = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [-1.0, 0.0, 1.0]])
    neighbours = np.array([[1], [0], [0]])
    assert np.allclose(limits.knn_velocity_correlation(V, neighbours), [1.0, 1.0, 0.0])  # -1 is clipped to 0
    assert np.allclose(limits.knn_velocity_correlation(-V, neighbours), limits.knn_velocity_correlation(V, neighbours))
    assert np.allclose(limits.knn_velocity_correlation(np.ones((3, 1)) * [1.0, 2.0, 4.0], neighbours), 1.0)
    assert np.isnan(limits.knn_velocity_correlation(np.array([[1.0, 1.0], [1.0, 2.0]]), np.array([[1], [0]]))).all()
    with pytest.raises(ValueError, match="index array"):
        limits.knn_velocity_correlation(V, np.array([0, 1, 2]))


def test_knn_velocity_correlation_equals_tl_velocity_confidence():
    vtl = require_module("velograph.tl")
    adata = synthetic_adata(seed=1)
    vtl.velocity_graph(adata)
    vtl.velocity_confidence(adata)
    genes = adata.var["velocity_genes"].to_numpy()
    ours = limits.knn_velocity_correlation(adata.layers["velocity"][:, genes], limits.stored_knn_indices(adata))
    assert np.allclose(ours, adata.obs["velocity_confidence"], atol=1e-6)


# ----------------------------------------------------------------------------- AnnData level


def test_arrow_fields_match_tl_and_each_other():
    vtl = require_module("velograph.tl")
    adata = synthetic_adata(seed=2)
    vtl.velocity_graph(adata)
    umap = adata.obsm["X_umap"]
    fields = limits.arrow_fields(adata, umap)
    scvelo = vtl.velocity_embedding(adata, basis="umap", autoscale=False, copy=True).obsm["velocity_umap"]
    assert np.allclose(fields["scvelo"], scvelo, atol=1e-6)
    P = vtl.transition_matrix(adata, self_transitions=False)
    assert np.allclose(fields["textbook"], vg.project_velocity(P, umap, correction="uniform"))
    assert np.allclose(fields["density"], fields["uncorrected"] - fields["textbook"])


def test_null_adata_shuffles_only_velocity_genes_and_leaves_the_input():
    require_module("velograph.tl")
    adata = synthetic_adata(seed=3)
    before = adata.layers["velocity"].copy()
    null = limits.null_adata(adata, "genes", rng=np.random.default_rng(0))
    genes = adata.var["velocity_genes"].to_numpy()
    assert np.array_equal(adata.layers["velocity"], before) and "velocity_graph" not in adata.uns
    assert np.array_equal(null.layers["velocity"][:, ~genes], before[:, ~genes])
    assert np.array_equal(np.sort(null.layers["velocity"][:, genes], axis=1), np.sort(before[:, genes], axis=1))
    assert "velocity_graph" in null.uns


def test_reversed_velocities_reverse_every_arrow():
    require_module("velograph.tl")
    adata = synthetic_adata(seed=4)
    umap = adata.obsm["X_umap"]
    real = limits.arrow_fields(limits.with_velocity(adata), umap)["scvelo"]
    draw = limits.null_draws(adata, "reversed", umap)[0]
    assert np.allclose(rowwise_cosine(real, draw["scvelo"]), -1)
    assert len(limits.null_draws(adata, "cells", umap, n_draws=2, rng=np.random.default_rng(0))) == 2


def test_with_velocity_checks_the_shape():
    require_module("velograph.tl")
    with pytest.raises(ValueError, match="shape"):
        limits.with_velocity(synthetic_adata(), np.ones((2, 2)))
