"""velograph_book.factors: chapter 7's factor effects per context, step flips with intervals, the consensus rule."""

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp

from velograph_book import comparisons, factors

STEPS = (("a", "b"), ("b", "c"))


def toy_trajectory(n=120, seed=0):
    """Cells on a line x in [0, 3) labelled a, b, c by thirds, with their 6 nearest neighbours on the line."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 3, n))
    X_emb = np.c_[x, 0.05 * rng.normal(size=n)]
    labels = np.array(["a", "b", "c"])[np.minimum((x // 1).astype(int), 2)]
    order = np.argsort(np.abs(x[:, None] - x[None, :]), axis=1)[:, 1:7]
    return X_emb, labels, order


def test_boundary_cell_scores_average_to_cross_boundary_correctness():
    X_emb, labels, knn = toy_trajectory()
    rng = np.random.default_rng(1)
    arrows = np.c_[np.ones(len(labels)), 0.3 * rng.normal(size=len(labels))]
    arrows[np.flatnonzero(labels == "a")[-1]] = np.nan  # a boundary cell without an arrow
    expected = comparisons.cross_boundary_correctness(arrows, X_emb, labels, knn, STEPS)
    for step in STEPS:
        cells, scores = factors.boundary_cell_scores(arrows, X_emb, labels, knn, *step)
        assert len(cells) > 0 and (labels[cells] == step[0]).all()
        assert np.nanmean(scores) == pytest.approx(expected[step], abs=1e-12)
    cells, scores = factors.boundary_cell_scores(arrows, X_emb, labels, sp.csr_matrix(
        (np.ones(knn.size), knn.ravel(), np.arange(0, knn.size + 1, knn.shape[1])), shape=(len(labels),) * 2),
        "a", "b")
    assert np.isnan(scores).sum() == 1  # the cell without an arrow, kept but NaN


def test_boundary_cell_scores_refuses_mismatched_shapes():
    X_emb, labels, knn = toy_trajectory()
    with pytest.raises(ValueError, match="one row per cell"):
        factors.boundary_cell_scores(np.ones((5, 2)), X_emb, labels, knn, "a", "b")
    with pytest.raises(ValueError, match="neighbors"):
        factors.boundary_cell_scores(np.ones_like(X_emb), X_emb, labels, knn[:5], "a", "b")


def test_bootstrap_is_seeded_paired_and_brackets_the_score():
    X_emb, labels, knn = toy_trajectory()
    forward = np.c_[np.ones(len(labels)), np.zeros(len(labels))]
    fields = {"forward": forward, "backward": -forward}
    first = factors.bootstrap_step_scores(fields, X_emb, labels, knn, transitions=STEPS, seed=3)
    again = factors.bootstrap_step_scores(fields, X_emb, labels, knn, transitions=STEPS, seed=3)
    assert first == again
    for step in STEPS:
        f, b = first[step]["forward"], first[step]["backward"]
        assert f.ci_low <= f.score <= f.ci_high and f.ci_low > 0
        # paired: the same resamples, so the backward interval mirrors the forward one exactly
        assert (b.ci_low, b.ci_high) == pytest.approx((-f.ci_high, -f.ci_low), abs=1e-12)
    with pytest.raises(ValueError, match="n_boot"):
        factors.bootstrap_step_scores(fields, X_emb, labels, knn, transitions=STEPS, n_boot=50)


def test_step_flips_counts_a_reversal_only_when_both_intervals_exclude_zero():
    S = factors.StepScore
    scores = {("a", "b"): {"ref": S(0.5, 0.4, 0.6, 30), "x": S(-0.5, -0.6, -0.4, 30)},   # reversed
              ("b", "c"): {"ref": S(-0.1, -0.3, 0.1, 30), "x": S(0.04, -0.1, 0.2, 30)},  # sign change near 0
              ("c", "d"): {"ref": S(0.5, 0.4, 0.6, 30), "x": S(0.4, 0.3, 0.5, 30)}}      # no change
    flipped, uncertain = factors.step_flips(scores, "ref", "x")
    assert flipped == [("a", "b")] and uncertain == [("b", "c")]


def test_rank_with_intervals_separates_a_reversal_from_an_identical_field():
    X_emb, labels, knn = toy_trajectory()
    rng = np.random.default_rng(2)
    reference = np.c_[np.ones(len(labels)), 0.2 * rng.normal(size=len(labels))]
    fields = {"scVelo": reference, "same": reference.copy(), "reversed": -reference}
    rows, intervals = factors.rank_with_intervals(fields, X_emb, labels, knn, transitions=STEPS,
                                                  labels={"reversed": "R"})
    assert [row[0] for row in rows] == ["R", "same"]
    label, angle, turned, flipped, uncertain, verdict = rows[0]
    assert angle == pytest.approx(180) and turned == 1.0 and flipped == list(STEPS) and uncertain == []
    assert verdict == "changes a conclusion"
    assert rows[1][1:] == (0.0, 0.0, [], [], "cosmetic")
    table = factors.flip_rows(rows, intervals, labels={"reversed": "R"})
    assert [row[:2] for row in table] == [("R", "a -> b"), ("R", "b -> c")]
    assert all(ref_low > 0 and high < 0 for _, _, ref_low, _, _, high in table)


def test_factor_effects_by_context_shows_an_interaction_that_pooling_hides():
    n = 50
    base = np.c_[np.ones(n), np.zeros(n)]
    fields = {}
    for model in ("stochastic", "dynamical"):
        for sqrt in (True, False):
            for genes in ("stochastic", "dynamical"):
                # the gene set reverses the arrows only for the dynamical model without sqrt
                flip = model == "dynamical" and not sqrt and genes == "dynamical"
                fields[(model, sqrt, genes)] = -base if flip else base
    rows = factors.factor_effects_by_context(fields)
    assert len(rows) == 12
    effect = {(factor, context): share for factor, context, _, share in rows}
    assert effect[("genes", "dyn, no sqrt")] == 1.0
    assert effect[("genes", "stoch, sqrt")] == 0.0
    assert effect[("model", "no sqrt, dyn genes")] == 1.0 and effect[("sqrt", "dyn, dyn genes")] == 1.0
    pooled = dict((factor, share) for factor, _, share in comparisons.factor_effects(fields))
    assert pooled["genes"] == 0.25  # the pooled number averages the interaction away
    with pytest.raises(ValueError, match="two levels"):
        factors.factor_effects_by_context({k: v for k, v in fields.items() if k[0] == "stochastic"})


def test_row_sum_shortfall_splits_diagonal_and_negative_weights():
    # rows normalised by the sum of absolute values, diagonal included (scVelo's signed matrix)
    signed = sp.csr_matrix(np.array([[0.2, 0.5, -0.3],
                                     [0.0, 0.6, 0.4],
                                     [-0.25, 0.25, 0.5]]))
    result = factors.row_sum_shortfall(signed)
    assert np.allclose(result.diagonal, [0.2, 0.6, 0.5])
    assert np.allclose(result.negative, [0.6, 0.0, 0.5])
    off = signed.toarray() - np.diag(signed.diagonal())
    assert np.allclose(result.shortfall, 1 - off.sum(axis=1))
    assert np.allclose(result.shortfall, result.diagonal + result.negative)
    with pytest.raises(ValueError, match="absolute values sum to 1"):
        factors.row_sum_shortfall(signed * 2)
    with pytest.raises(ValueError, match="square"):
        factors.row_sum_shortfall(sp.csr_matrix(np.ones((2, 3)) / 3))


def test_row_sum_shortfall_on_the_pancreas_matches_the_projection_rows():
    import velograph.tl as vtl
    from velograph_book import diagnostics
    from velograph_book.prepared import pancreas_prepared

    adata = pancreas_prepared("stochastic")
    vtl.velocity_graph(adata)
    signed = vtl.transition_matrix(adata, use_negative_cosines=True)
    result = factors.row_sum_shortfall(signed)
    signed.setdiag(0)
    signed.eliminate_zeros()
    assert np.allclose(1 - result.shortfall, diagnostics.offdiagonal_row_sums(signed), atol=1e-5)
    assert 0.5 < result.negative.sum() / result.shortfall.sum() < 1  # the negative weights dominate


def test_model_settings_and_with_both_models():
    rng = np.random.default_rng(0)
    genes = [f"g{i}" for i in range(6)]
    layers = {"Ms": rng.normal(size=(10, 6)).astype(np.float32),
              "velocity": rng.normal(size=(10, 6)).astype(np.float32)}
    stochastic = ad.AnnData(np.zeros((10, 6)), layers=dict(layers), var={"velocity_genes": [True] * 5 + [False]})
    stochastic.var_names = genes
    dynamical = stochastic.copy()
    dynamical.layers["velocity"] = -layers["velocity"]
    dynamical.var["velocity_genes"] = [True] * 3 + [False] * 3
    settings = factors.model_settings(stochastic, dynamical)
    assert len(settings) == 8 and settings["dyn/no sqrt/stoch genes"] == {
        "vkey": "dynamical_velocity", "sqrt_transform": False, "gene_subset": genes[:5]}
    both = factors.with_both_models(stochastic, dynamical)
    assert np.array_equal(both.layers["dynamical_velocity"], -layers["velocity"])
    assert "dynamical_velocity" not in stochastic.layers  # the input is not modified
    other = dynamical.copy()
    other.layers["Ms"] = other.layers["Ms"] + 1
    with pytest.raises(ValueError, match="Ms"):
        factors.with_both_models(stochastic, other)
    with pytest.raises(ValueError, match="same cells and genes"):
        factors.with_both_models(stochastic, dynamical[:5])


def test_consensus_verdicts_agree_is_the_rule_without_the_null():
    from sklearn.neighbors import kneighbors_graph

    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 1, 300))
    w = rng.normal(size=20)
    Ms = np.outer(t, w) + 0.05 * rng.normal(size=(300, 20))
    velocity = np.tile(w, (300, 1)) + 0.5 * rng.normal(size=(300, 20))
    a = ad.AnnData(np.zeros((300, 20)), layers={"Ms": Ms, "velocity": velocity.astype(np.float32)},
                   obsm={"X_umap": np.c_[t, 0.05 * rng.normal(size=300)]},
                   obs={"clusters": np.where(t < 0.5, "a", "b")})
    a.obsp["distances"] = sp.csr_matrix(kneighbors_graph(Ms, 15, mode="distance"))
    rows = factors.consensus_verdicts(a, [("a", "b")], {"sqrt": {"sqrt_transform": True},
                                                       "no sqrt": {"sqrt_transform": False}})
    (row,) = rows
    assert row.agree and row.low > 0  # every setting forward ...
    assert row.verdict == "cannot tell (shared velocity scores it too)"  # ... but so is one shared velocity
    assert row.null_low > 0 and row.cells > 0


def test_rate_with_se():
    assert factors.rate_with_se(9, 36) == pytest.approx((0.25, np.sqrt(0.25 * 0.75 / 36)))
    assert factors.rate_with_se(0, 21) == (0.0, 0.0)
    with pytest.raises(ValueError):
        factors.rate_with_se(5, 4)
    with pytest.raises(TypeError):
        factors.rate_with_se(1.5, 4)


def test_calibrate_consensus_counts_the_verdicts_of_both_controls(monkeypatch):
    """One shipped seed per control (the chapter uses every seed): the counts are those of the rows."""
    from velograph_book import simulation

    scenarios = {name: {**spec, "seeds": spec["seeds"][:1]} for name, spec in simulation.SCENARIOS.items()}
    monkeypatch.setattr(simulation, "SCENARIOS", scenarios)
    positive, negative = factors.calibrate_consensus(n_boot=50, seed=0)
    assert (positive.control, positive.scenario, negative.control, negative.scenario) == (
        "positive", "branching", "negative", "steady_dense_end")
    assert len(positive.settings) == 8 and len(negative.settings) == 2
    for result in (positive, negative):
        (rows,) = result.rows.values()
        assert result.steps == len(rows) == len(factors.SIMULATED_TRANSITIONS)
        assert result.agree == sum(row.agree for row in rows)
        assert result.agree_forward == sum(row.agree and row.low > 0 for row in rows)
        assert result.calls == sum("in every setting, beyond shared velocity" in row.verdict for row in rows)
        assert result.forward == sum(row.verdict.startswith("forward in every setting") for row in rows)
    # chapter 7's findings on one seed: agreement alone finds every true step and fires without velocity;
    # the shared-velocity null keeps some true steps and does not remove every false call (all backward)
    assert positive.agree_forward == positive.steps and 0 < positive.forward == positive.calls
    assert 0 < negative.agree < negative.steps
    assert negative.calls > 0 and negative.forward == 0
