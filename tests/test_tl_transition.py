"""transition_matrix: both graphs read from where they are, and numbers that cannot give a NaN T."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import velograph.tl as vtl
from velograph.tl._graph import self_transition_probability
from velograph.tl._transition import embedding_diffusion, kernel

from _tl_data import assert_unchanged, graphed, knn_distances, small_adata, snapshot


def test_both_graphs_moved_to_obsp_are_both_read():
    # Before: graph_neg was found in obsp but read from uns only, so it was dropped (T off by 0.45).
    adata = graphed()
    expected = vtl.transition_matrix(adata)
    moved = adata.copy()
    moved.obsp["velocity_graph"] = moved.uns.pop("velocity_graph")
    moved.obsp["velocity_graph_neg"] = moved.uns.pop("velocity_graph_neg")
    assert (vtl.transition_matrix(moved) != expected).nnz == 0
    without_negative = vtl.transition_matrix(adata, vgraph=adata.uns["velocity_graph"])
    assert abs(without_negative - expected).max() > 0.01  # what dropping graph_neg would have given


@pytest.mark.parametrize("scale", [np.nan, np.inf, -np.inf])
def test_non_finite_scale_is_refused(scale):
    # Before: T full of NaN, no error.
    with pytest.raises(ValueError, match=r"^scale must be a finite number, got"):
        vtl.transition_matrix(graphed(), scale=scale)


@pytest.mark.parametrize("scale", [None, "10", True])
def test_scale_of_another_type_is_refused(scale):
    with pytest.raises(TypeError, match=r"^scale must be a finite real number, got"):
        vtl.transition_matrix(graphed(), scale=scale)


@pytest.mark.parametrize("value", [0, -1.0, np.nan])
def test_scale_diffusion_must_be_positive(value):
    # Before: scale_diffusion=0 gave NaN entries.
    with pytest.raises(ValueError, match=r"^scale_diffusion must be"):
        vtl.transition_matrix(graphed(), basis="umap", scale_diffusion=value)


def test_an_embedding_whose_points_all_coincide_is_refused():
    adata = graphed()
    adata.obsm["X_umap"] = np.ones((adata.n_obs, 2))
    with pytest.raises(ValueError, match=r"adata.obsm\['X_umap'\] puts every cell at the same point"):
        vtl.transition_matrix(adata, basis="umap")


def test_neighbours_that_coincide_in_the_embedding_are_refused():
    # Not every point coincides, but every pair of neighbours does: sigma = 0 (before: NaN entries).
    adata = small_adata()
    Ms = adata.layers["Ms"].copy()
    Ms[:20] += 100.0  # two groups far apart: every cell's neighbours are in its own group
    adata.layers["Ms"] = Ms
    adata.obsp["distances"] = knn_distances(Ms, 5)
    vtl.velocity_graph(adata)
    group = (np.arange(40) < 20).astype(float)
    adata.obsm["X_umap"] = np.stack([group, group], axis=1)  # each group at one point
    with pytest.raises(ValueError, match=r"diffusion width scale_diffusion \* mean distance between neighbours"):
        vtl.transition_matrix(adata, basis="umap")


@pytest.mark.parametrize("graph", ["bool", "complex"])
def test_a_boolean_or_complex_stored_graph_is_refused_by_name(graph):
    adata = graphed()
    stored = adata.uns["velocity_graph"]
    adata.uns["velocity_graph"] = stored > 0 if graph == "bool" else stored * (1 + 0j)
    before = snapshot(adata)
    with pytest.raises(TypeError, match=r"^adata.uns\['velocity_graph'\] (must hold real numbers, got dtype bool|"
                                        r"holds complex numbers)"):
        vtl.transition_matrix(adata)
    assert_unchanged(adata, before)


def test_perc_and_threshold_are_checked():
    with pytest.raises(ValueError, match=r"^perc must be a percentile in \[0, 100\], got 150"):
        vtl.transition_matrix(graphed(), perc=150)
    with pytest.raises(ValueError, match=r"^threshold must be a finite number"):
        vtl.transition_matrix(graphed(), threshold=np.nan)


def test_a_scale_so_large_that_the_kernel_overflows_is_refused():
    # Before: scale=2000 returned T with NaN rows (as scVelo does), and NaN arrows downstream.
    adata = graphed()
    assert np.isfinite(vtl.transition_matrix(adata, scale=50).data).all()
    with pytest.raises(ValueError, match=r"^scale=2000 is too large for this graph"):
        vtl.transition_matrix(adata, scale=2000)
    with pytest.raises(ValueError, match=r"^scale=2000 is too large for this graph"):
        vtl.velocity_embedding(adata, basis="umap", scale=2000)


# Positive graph: 0->1 0.5, 1->2 0.2, 2->0 0.1, 2->1 0.3; negative graph: 0->2 -0.4.
POS = sp.csr_matrix((np.array([0.5, 0.2, 0.1, 0.3]), [1, 2, 0, 1], [0, 1, 2, 4]), shape=(3, 3))


NEG = sp.csr_matrix((np.array([-0.4]), [2], [0, 1, 1, 1]), shape=(3, 3))


# c = row maxima of POS = (0.5, 0.2, 0.3); P98 of c by linear interpolation = 0.3 + 0.96 * 0.2 = 0.492;
# s = clip(0.492 - c, 0, 1) = (0, 0.292, 0.192).
S = np.array([0.0, 0.292, 0.192])


LAM = 10.0


def _rows_normalised(M):
    M = np.asarray(M, dtype=float)
    return M / np.abs(M).sum(axis=1, keepdims=True)


def test_self_transition_probability_by_hand():
    np.testing.assert_allclose(self_transition_probability(POS), S, atol=1e-12)
    # a row of zeros has c_i = 0; s is clipped to [0, 1]
    G = sp.csr_matrix((np.array([0.9, -0.5]), [1, 0], [0, 1, 2, 2]), shape=(3, 3))
    c = np.array([0.9, 0.0, 0.0])  # row 1's only entry is negative: its maximum is an implicit 0
    np.testing.assert_allclose(self_transition_probability(G), np.clip(np.percentile(c, 98) - c, 0, 1))


def test_default_kernel_closed_form():
    e = np.exp
    expected = _rows_normalised([
        [0.0, e(LAM * 0.5), e(LAM * -0.4)],              # s_0 = 0: no diagonal
        [0.0, e(LAM * S[1]), e(LAM * 0.2)],
        [e(LAM * 0.1), e(LAM * 0.3), e(LAM * S[2])],
    ])
    T = kernel(POS, NEG, scale=LAM)
    np.testing.assert_allclose(T.toarray(), expected, rtol=1e-12)
    assert T[0, 0] == 0 and T.nnz == 7  # the zero diagonal of row 0 is not stored


def test_kernel_without_self_transitions():
    e = np.exp
    expected = _rows_normalised([[0, e(5.0), e(-4.0)], [0, 0, e(2.0)], [e(1.0), e(3.0), 0]])
    np.testing.assert_allclose(kernel(POS, NEG, scale=LAM, self_transitions=False).toarray(), expected, rtol=1e-12)


def test_negative_cosines_closed_form():
    m = np.expm1
    expected = _rows_normalised([
        [0.0, m(5.0), -m(4.0)],
        [0.0, m(LAM * S[1]), m(2.0)],
        [m(1.0), m(3.0), m(LAM * S[2])],
    ])
    T = kernel(POS, NEG, scale=LAM, use_negative_cosines=True)
    np.testing.assert_allclose(T.toarray(), expected, rtol=1e-12)
    np.testing.assert_allclose(np.abs(T.toarray()).sum(axis=1), 1.0, atol=1e-12)


def test_without_negative_graph_no_plus_one():
    m = np.expm1
    expected = _rows_normalised([
        [0.0, m(5.0), 0.0],
        [0.0, m(LAM * S[1]), m(2.0)],
        [m(1.0), m(3.0), m(LAM * S[2])],
    ])
    np.testing.assert_allclose(kernel(POS, None, scale=LAM).toarray(), expected, rtol=1e-12)


def test_scale_is_lambda():
    e = np.exp
    T = kernel(POS, NEG, scale=2.0, self_transitions=False).toarray()
    np.testing.assert_allclose(T[0, 1:], np.array([e(1.0), e(-0.8)]) / (e(1.0) + e(-0.8)), rtol=1e-12)


def test_backward_transposes_before_normalising():
    e = np.exp
    U = np.array([[0, e(5.0), e(-4.0)], [0, 0, e(2.0)], [e(1.0), e(3.0), 0]])  # unnormalised, no self
    T = kernel(POS, NEG, scale=LAM, self_transitions=False, backward=True).toarray()
    np.testing.assert_allclose(T, _rows_normalised(U.T), rtol=1e-12)


def test_threshold_and_percentile_drop_small_entries():
    e = np.exp
    U = np.array([[0, e(5.0), e(-4.0)], [0, 0, e(2.0)], [e(1.0), e(3.0), 0]])
    kept = np.where(U >= e(1.5), U, 0)  # drops e^-4 and e^1
    T = kernel(POS, NEG, scale=LAM, self_transitions=False, threshold=e(1.5)).toarray()
    np.testing.assert_allclose(T, _rows_normalised(kept), rtol=1e-12)
    # the 40th percentile of the five stored values (e^-4, e^1, e^2, e^3, e^5) interpolates
    # between e^1 and e^2: it drops e^-4 and e^1 the same way
    T_perc = kernel(POS, NEG, scale=LAM, self_transitions=False, perc=40).toarray()
    assert np.percentile(U[U > 0], 40) > e(1.0)
    np.testing.assert_allclose(T_perc, _rows_normalised(kept), rtol=1e-12)


def _random_graph_pair(seed, n=40):
    rng = np.random.default_rng(seed)
    pos = sp.random(n, n, density=0.15, random_state=rng, format="csr")
    pos.data = rng.random(pos.nnz)
    neg = sp.random(n, n, density=0.1, random_state=rng, format="csr")
    neg.data = -rng.random(neg.nnz)
    return pos, neg  # overlapping entries and stored diagonals included


@pytest.mark.parametrize("self_transitions", [True, False])
@pytest.mark.parametrize("negative", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_default_path_equals_the_sparse_general_path(self_transitions, negative, seed):
    """perc=0 drops nothing (nothing lies below the minimum) but takes the scipy.sparse path."""
    pos, neg = _random_graph_pair(seed)
    kw = dict(scale=LAM, self_transitions=self_transitions, use_negative_cosines=negative)
    compiled = kernel(pos, neg, **kw)
    general = kernel(pos, neg, perc=0, **kw)
    np.testing.assert_allclose(compiled.toarray(), general.toarray(), rtol=1e-12, atol=1e-15)
    assert compiled.has_canonical_format
    before = (pos.data.copy(), neg.data.copy())
    kernel(pos, neg, **kw)
    np.testing.assert_array_equal(before[0], pos.data)  # inputs are only read
    np.testing.assert_array_equal(before[1], neg.data)


def test_embedding_diffusion_closed_form():
    # Cells at 0, 3, 4 on a line; T has the diagonal and two neighbours per row.
    X = np.array([[0.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    T = sp.csr_matrix(np.array([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3], [0.0, 0.4, 0.6]]))
    d = np.array([[0, 3, 4], [3, 0, 1], [0, 1, 0]], dtype=float)  # distances on the support of T > 0
    sigma = 2.0 * d[T.toarray() > 0].mean()  # scale_diffusion = 2; 8 supported entries, the diagonal counts
    expected = _rows_normalised(T.toarray() * np.exp(-0.5 * d**2 / sigma**2) * (T.toarray() > 0))
    np.testing.assert_allclose(embedding_diffusion(T, X, scale_diffusion=2.0).toarray(), expected, rtol=1e-12)
    # weight_diffusion mixes in a Gaussian of half the width (on the same support)
    W = (1 - 0.25) * T.toarray() * np.exp(-0.5 * d**2 / sigma**2) + 0.25 * np.exp(-0.5 * d**2 / (sigma / 2) ** 2)
    W *= T.toarray() > 0
    np.testing.assert_allclose(embedding_diffusion(T, X, scale_diffusion=2.0, weight_diffusion=0.25).toarray(),
                               _rows_normalised(W), rtol=1e-12)


def test_embedding_diffusion_drops_negative_entries():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    T = sp.csr_matrix(np.array([[0, 0.7, -0.3], [0.5, 0, 0.5], [0.5, 0.5, 0]]))
    out = embedding_diffusion(T, X).toarray()
    assert out[0, 2] == 0 and out[0, 1] == pytest.approx(1.0)
