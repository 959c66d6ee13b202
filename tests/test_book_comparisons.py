"""velograph_book.comparisons: closed-form values for the summaries chapters 6 and 7 print."""

import numpy as np
import pytest
import scipy.sparse as sp

from velograph_book import comparisons, display
from velograph_book.geometry import rowwise_angle_degrees


@pytest.fixture
def margin():
    with display.rounding_margin(2e-6) as margin:
        yield margin


def test_stable_share_counts_strictly_beyond(margin):
    values = np.array([0.1, 0.2, 0.3, 0.4])
    assert comparisons.stable_share(values, 0.25) == 0.5
    assert comparisons.stable_share(values, 0.25, side="below") == 0.5
    assert comparisons.stable_share(values, 0.0, side="below") == 0.0


def test_stable_share_counts_ambiguous_values_both_ways(margin):
    # 1 of 100,000 values sits on the threshold: the share is 0.5 or 0.50001, both print 0.5000
    values = np.r_[np.full(50_000, 1.0), np.full(49_999, -1.0), [1e-7]]
    assert comparisons.stable_share(values, 0.0, digits=4) == 0.5
    # at 5 decimals the two ends (0.50000, 0.50001) print differently: refused
    with pytest.raises(ValueError, match="print fewer digits"):
        comparisons.stable_share(values, 0.0, digits=5)


def test_stable_share_rejects_a_bad_side_and_no_values(margin):
    with pytest.raises(ValueError, match="side"):
        comparisons.stable_share([1.0], 0.0, side="left")
    with pytest.raises(ValueError, match="nothing"):
        comparisons.stable_share([], 0.0)


def test_opposite_sign_share_on_stored_entries(margin):
    G1 = sp.csr_matrix(np.array([[0, 0.5, -0.5, 0.2], [0.3, 0, 0, 0], [0, 0, 0, 0.1], [0, 0, 0, 0]]))
    G2 = sp.csr_matrix(np.array([[0, 0.4, 0.5, 0.9], [-0.3, 0, 0, 0], [0, 0, 0, 0.2], [0, 0, 0, 0]]))
    # stored in G1: (0,1) same, (0,2) opposite, (0,3) same, (1,0) opposite, (2,3) same -> 2/5
    assert comparisons.opposite_sign_share(G1, G2, digits=4) == 0.4
    a, b = comparisons.edge_values(G1, G2)
    assert np.allclose(a, [0.5, -0.5, 0.2, 0.3, 0.1]) and np.allclose(b, [0.4, 0.5, 0.9, -0.3, 0.2])


# ---------------------------------------------------------------------------------------------
# arrow fields


def test_density_correction_difference_closed_form():
    # cell 0 has neighbours 1 (east, weight 0.5) and 2 (north, weight -0.1); rows sum to 0.4
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    T = sp.csr_matrix(np.array([[0.3, 0.5, -0.1], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]]))
    difference = comparisons.density_correction_difference(T, X)
    # (1 - 0.4) / 2 * (e1 + e2) = 0.3 * [1, 1]; row 1: (1 - 1) / 1 * ... = 0
    assert np.allclose(difference[0], [0.3, 0.3]) and np.allclose(difference[1], 0.0)
    from velograph import project_velocity

    assert np.allclose(project_velocity(T, X, correction="mean") - project_velocity(T, X, correction="uniform"),
                       difference)


def test_density_correction_difference_is_nan_without_neighbours():
    T = sp.csr_matrix(np.array([[1.0, 0.0], [0.5, 0.5]]))
    difference = comparisons.density_correction_difference(T, np.array([[0.0, 0.0], [1.0, 0.0]]))
    # row 1: its diagonal is not a neighbour; one neighbour (cell 0, to the west) with weight 0.5
    assert np.isnan(difference[0]).all() and np.allclose(difference[1], [-0.5, 0.0])


def test_cross_boundary_correctness_closed_form():
    # A cells at x = 0 and x = 1, B cells at x = 2 and x = 3 (on a line, y = 0)
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    clusters = np.array(["A", "A", "B", "B"])
    neighbors = np.array([[1, 2], [0, 2], [1, 3], [2, 1]])
    towards = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    score = comparisons.cross_boundary_correctness(towards, X, clusters, neighbors, transitions=(("A", "B"),))
    # boundary cells of A with a neighbour in B: cell 0 (cos 1 with +x), cell 1 (cos 45 degrees)
    assert np.isclose(score[("A", "B")], (1.0 + np.sqrt(0.5)) / 2)
    pattern = sp.csr_matrix((np.ones(8), neighbors.ravel(), np.arange(0, 9, 2)), shape=(4, 4))
    assert comparisons.cross_boundary_correctness(towards, X, clusters, pattern, transitions=(("A", "B"),)) == score
    back = comparisons.cross_boundary_correctness(-towards, X, clusters, neighbors,
                                                  transitions=(("A", "B"), ("B", "C")))
    assert np.isclose(back[("A", "B")], -(1.0 + np.sqrt(0.5)) / 2) and np.isnan(back[("B", "C")])


def _rotated(field, degrees):
    t = np.radians(degrees)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return field @ rotation.T


def test_factor_effects_pools_the_pairs_that_differ_in_one_factor(margin):
    base = np.tile([[1.0, 0.0]], (10, 1))
    # model turns every arrow by 120 degrees, sqrt by 10, genes by nothing
    fields = {(m, s, g): _rotated(base, (120 if m == "dynamical" else 0) + (10 if s else 0))
              for m in ("stochastic", "dynamical") for s in (True, False) for g in ("stochastic", "dynamical")}
    effects = {factor: (median, share) for factor, median, share in comparisons.factor_effects(fields)}
    assert np.isclose(effects["model"][0], 120) and effects["model"][1] == 1.0
    assert np.isclose(effects["sqrt"][0], 10) and effects["sqrt"][1] == 0.0
    assert np.isclose(effects["genes"][0], 0, atol=1e-6) and effects["genes"][1] == 0.0


# ---------------------------------------------------------------------------------------------
# AnnData level, on a small synthetic data set


@pytest.fixture
def tiny():
    import anndata as ad

    from velograph_book.toy import knn_indices

    rng = np.random.default_rng(3)
    n, g, k = 80, 12, 8
    Ms = rng.normal(size=(n, g)).astype(np.float32)
    velocity = (rng.normal(size=(n, g)) + 0.5).astype(np.float32)
    neighbours = knn_indices(Ms, k)
    rows = np.repeat(np.arange(n), k)
    distance = np.linalg.norm(Ms[rows] - Ms[neighbours.ravel()], axis=1)
    adata = ad.AnnData(X=np.abs(Ms), obs={"clusters": np.where(np.arange(n) < n // 2, "A", "B")})
    adata.layers["Ms"], adata.layers["velocity"] = Ms, velocity
    adata.layers["spliced"] = np.abs(Ms) + 1
    adata.var["velocity_genes"] = np.arange(g) < g - 2
    adata.obsp["distances"] = sp.csr_matrix((distance, neighbours.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    adata.obsm["X_umap"] = rng.normal(size=(n, 2))
    adata.obsm["X_pca"] = rng.normal(size=(n, 5))
    adata.uns["velocity_params"] = {"mode": "stochastic"}
    return adata


def test_scvelo_arrows_are_velocity_embedding_without_autoscale(tiny):
    import velograph.tl as vtl

    expected = vtl.velocity_embedding(vtl.velocity_graph(tiny, copy=True), basis="umap", autoscale=False,
                                      copy=True).obsm["velocity_umap"]
    assert np.allclose(comparisons.scvelo_arrows(tiny), expected, equal_nan=True)
    assert "velocity_graph" not in tiny.uns  # the input is not modified


def test_arrows_from_similarities_reproduces_scvelo_from_its_own_graph(tiny):
    import velograph.tl as vtl

    work = vtl.velocity_graph(tiny, copy=True)
    graph = work.uns["velocity_graph"] + work.uns["velocity_graph_neg"]
    assert np.allclose(comparisons.arrows_from_similarities(tiny, graph), comparisons.scvelo_arrows(tiny),
                       equal_nan=True)


def test_self_transitions_rescale_rows_but_keep_directions(tiny):
    # the signed kernel divides each row by its absolute sum, which includes the self term;
    # the projection is linear in the row, so dropping it only rescales the arrow
    default = comparisons.scvelo_arrows(tiny)
    without = comparisons.scvelo_arrows(tiny, self_transitions=False)
    assert np.nanmax(rowwise_angle_degrees(default, without)) < 1e-4
    assert not np.allclose(default, without)


def test_flip_factor_fields_has_all_eight_combinations(tiny):
    other = tiny.copy()
    other.layers["velocity"] = -tiny.layers["velocity"]
    other.var["velocity_genes"] = np.arange(tiny.n_vars) >= 2
    fields = comparisons.flip_factor_fields(tiny, other)
    assert len(fields) == 8
    assert np.allclose(fields[("stochastic", True, "stochastic")], comparisons.scvelo_arrows(tiny, sqrt_transform=True))
    genes = list(other.var_names[other.var["velocity_genes"]])
    assert np.allclose(fields[("dynamical", False, "dynamical")],
                       comparisons.scvelo_arrows(other, sqrt_transform=False, gene_subset=genes))


def test_textbook_switch_fields_keys_and_invariants(tiny, margin):
    fields = comparisons.textbook_switch_fields(tiny)
    assert set(fields) == {"scVelo", *[k for k in comparisons.SWITCH_LABELS if k != "17"]}
    assert np.allclose(fields["scVelo"], comparisons.scvelo_arrows(tiny))
    assert np.nanmax(rowwise_angle_degrees(fields["15"], fields["scVelo"])) < 1e-2  # float64 vs float32
    assert np.nanmax(rowwise_angle_degrees(fields["7"], fields["scVelo"])) < 1e-4


def test_reconstructability_table_matches_tl(tiny):
    import velograph.tl as vtl

    genes = list(tiny.var_names[:6])
    table = comparisons.reconstructability_table(tiny, [genes, list(tiny.var_names[3:9])])
    assert table.shape == (2, len(comparisons.ALL_READINGS)) and table.dtype == np.float64
    for m, (matrix, over) in enumerate(comparisons.ALL_READINGS):
        assert abs(table[0, m] - vtl.reconstructability(tiny, genes, matrix=matrix, over=over)) < 1e-6


def test_section_numbers_default_graph(tiny, margin):
    numbers = comparisons.section_numbers(tiny)
    assert numbers[2] is True and numbers[5] is True  # stochastic mode: the sqrt graph; section 5's identity
    assert 0 <= numbers[6] <= 1 and 0 <= numbers[8] <= 1 and numbers[11] > 0
    assert comparisons.section_numbers(tiny, sqrt_transform=False)[2] is False
