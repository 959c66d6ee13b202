"""Chapter 7's factor analysis with uncertainty: what flips arrows, in which context, and how sure we are.

Chapter 7 separates the three ways scVelo's stochastic and dynamical arrow fields differ
(the velocity model, the sign-sqrt, the gene set) and ranks the textbook's differences by
whether they change a conclusion. This module adds what a verdict needs:

* :func:`factor_effects_by_context`: each factor's effect in each context of the other
  two, not pooled (pooling hides interactions);
* :func:`boundary_cell_scores`, :func:`bootstrap_step_scores`, :func:`step_flips`: the
  cross-boundary score of a known step per boundary cell, its bootstrap interval, and a
  sign flip counted only when both fields' intervals exclude 0;
* :func:`rank_with_intervals`: alternative arrow fields ranked by how much they change a
  conclusion, with the flips counted that way, and the names of the flipped steps;
* :func:`model_settings`, :func:`consensus_verdicts`, :func:`calibrate_consensus`: the
  consensus rule of :func:`velograph.tl.consensus_across_settings` on the eight
  (model, sqrt, genes) settings, and its power and false-positive rate on the shipped
  ground truth (:mod:`velograph_book.simulation`);
* :func:`row_sum_shortfall`: why the projection's rows sum below 1 (diagonal or negative weights).

Bootstrap resamples come from ``numpy.random.default_rng(seed)``; every resample draws
boundary cells with replacement, the same cells for every field compared (paired).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import scipy.sparse as sp

from . import display
from .comparisons import (
    CONCLUSION_SHARE,
    COSMETIC_ANGLE,
    COSMETIC_SHARE,
    FLIP_FACTORS,
    PANCREAS_TRANSITIONS,
)
from .geometry import rowwise_angle_degrees, rowwise_cosine

#: Bootstrap resamples used by default (the team's minimum for a reported interval).
N_BOOT = 200

#: Short names of the levels of chapter 7's three factors, for tables that fit 80 columns.
LEVEL_NAMES = {("model", "stochastic"): "stoch", ("model", "dynamical"): "dyn",
               ("sqrt", True): "sqrt", ("sqrt", False): "no sqrt",
               ("genes", "stochastic"): "stoch genes", ("genes", "dynamical"): "dyn genes"}

#: Short labels of the switches of chapter 7's ranking (keys of
#: :func:`velograph_book.comparisons.textbook_switch_fields`, plus the three parts of section 17).
SHORT_SWITCH_LABELS = {
    "1": "1 cosine, not Pearson",
    "2": "2 no sign-sqrt",
    "3": "3 spliced, not Ms",
    "4": "4 every cell a neighbour",
    "7": "7 no self-transitions",
    "8": "8 probabilities, not signed",
    "9-10": "9-10 1/k, not mean(p)",
    "13 distance": "13 distance-weighted",
    "13 confidence": "13 confidence-weighted",
    "15": "15 float64, not float32",
    "17 model": "17 dynamical model only",
    "17 genes": "17 dynamical genes only",
    "17": "17 all three (dyn default)",
}

#: Short labels of the known pancreas steps, for tables that fit 80 columns.
STEP_LABELS = {
    ("Ductal", "Ngn3 low EP"): "Ductal>Ngn3 low",
    ("Ngn3 low EP", "Ngn3 high EP"): "Ngn3 low>high",
    ("Ngn3 high EP", "Pre-endocrine"): "Ngn3 high>Pre",
    ("Pre-endocrine", "Alpha"): "Pre>Alpha",
    ("Pre-endocrine", "Beta"): "Pre>Beta",
    ("Pre-endocrine", "Delta"): "Pre>Delta",
    ("Pre-endocrine", "Epsilon"): "Pre>Epsilon",
}


# --------------------------------------------------------------------------- factor effects per context
def factor_effects_by_context(fields, *, factors=FLIP_FACTORS) -> list[tuple]:
    """Each factor's effect on the arrows in each context of the other factors: rows of an interaction table.

    ``fields``: {(model, sqrt, genes): arrows (n, d)} as
    :func:`velograph_book.comparisons.flip_factor_fields` returns. For every factor and
    every combination of the other factors' levels (4 contexts for 3 two-level factors),
    the angle of each cell's arrow between the two levels of the factor: rows
    (factor, context, median angle in degrees, share of arrows turned by more than 90
    degrees), the context named with :data:`LEVEL_NAMES`. Pooling the four contexts (as
    :func:`velograph_book.comparisons.factor_effects` does) averages over interactions;
    this table shows them. Shares are guarded by the rounding margin.
    """
    rows = []
    for position, factor in enumerate(factors):
        levels = sorted({c[position] for c in fields}, key=str)
        if len(levels) != 2:
            raise ValueError(f"factor {factor!r} must have two levels in fields, got {levels}")
        for combination in sorted(fields, key=str):
            if combination[position] != levels[0]:
                continue
            partner = combination[:position] + (levels[1],) + combination[position + 1:]
            angles = rowwise_angle_degrees(fields[combination], fields[partner])
            angles = angles[np.isfinite(angles)]
            context = ", ".join(LEVEL_NAMES.get((f, v), str(v))
                                for f, v in zip(factors, combination, strict=True) if f != factor)
            rows.append((factor, context, float(np.median(angles)), display.share_above(angles, 90.0)))
    return rows


# --------------------------------------------------------------------------- steps with intervals
def _neighbour_entries(neighbors, n) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every stored neighbour pair: stored entries of a sparse matrix, or an (n, k) index array."""
    if sp.issparse(neighbors):
        pattern = sp.csr_matrix(neighbors)
        if pattern.shape != (n, n):
            raise ValueError(f"neighbors must be {n} x {n} (one row per cell), got {pattern.shape}")
        return np.repeat(np.arange(n), np.diff(pattern.indptr)), pattern.indices.astype(np.int64)
    indices = np.asarray(neighbors)
    if indices.ndim != 2 or indices.shape[0] != n or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"neighbors must be a sparse n x n matrix or an (n, k) integer array with n = {n}, "
                         f"got shape {indices.shape}")
    return np.repeat(np.arange(n), indices.shape[1]), indices.ravel().astype(np.int64)


def boundary_cell_scores(arrows, X_emb, clusters, neighbors, source: str, target: str):
    """Per boundary cell of ``source`` -> ``target``: the mean cosine of its arrow with the steps into ``target``.

    A boundary cell is a cell i of ``source`` with at least one neighbour (stored entries
    of row i of ``neighbors``, e.g. ``obsp['distances']``, or an (n, k) index array) in
    ``target``; its score is mean_{j in target} cos(nu_i, x_j - x_i) on the embedding
    (dimensionless, in [-1, 1]; NaN where the arrow is not finite or zero). The mean over
    the cells with a finite score is
    :func:`velograph_book.comparisons.cross_boundary_correctness`. Returns (cell indices
    in increasing order, scores).
    """
    arrows, X_emb = np.asarray(arrows, float), np.asarray(X_emb, float)
    labels = np.asarray(clusters).astype(str)
    n = len(labels)
    if arrows.shape[0] != n or X_emb.shape != arrows.shape:
        raise ValueError(f"arrows {arrows.shape} and X_emb {X_emb.shape} must both have one row per cell ({n}) "
                         "and the same number of columns")
    rows, columns = _neighbour_entries(neighbors, n)
    keep = (labels[rows] == source) & (labels[columns] == target)
    rows, columns = rows[keep], columns[keep]
    cosines = rowwise_cosine(arrows[rows], X_emb[columns] - X_emb[rows]) if len(rows) else np.zeros(0)
    cells, first = np.unique(rows, return_index=True)
    counts = np.bincount(rows, minlength=n)[cells]
    finite = np.isfinite(cosines)
    sums = np.bincount(rows[finite], weights=cosines[finite], minlength=n)[cells]
    complete = np.bincount(rows[finite], minlength=n)[cells] == counts
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(complete, sums / counts, np.nan)
    return cells.astype(np.int64), scores


StepScore = namedtuple("StepScore", "score ci_low ci_high n_cells")


def bootstrap_step_scores(fields, X_emb, clusters, neighbors, *, transitions=PANCREAS_TRANSITIONS,
                          n_boot: int = N_BOOT, seed: int = 0) -> dict:
    """Cross-boundary score of every known step in every field, with a paired bootstrap 95% interval.

    ``fields``: {name: arrows (n, d)}. For each step A -> B the boundary cells whose arrow
    is finite in every field are resampled with replacement ``n_boot`` times (the same
    resamples for every field: a paired bootstrap), and the 2.5% and 97.5% quantiles of
    the resampled means give the interval. Returns {(A, B): {name: StepScore(score,
    ci_low, ci_high, n_cells)}}. Treats boundary cells as independent: neighbouring cells
    share neighbours, so the intervals are, if anything, too narrow.
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 200:
        raise ValueError(f"n_boot must be an int >= 200 (a 95% interval from fewer resamples is too coarse), "
                         f"got {n_boot!r}")
    rng = np.random.default_rng(seed)
    out = {}
    for source, target in transitions:
        per_field = {name: boundary_cell_scores(arrows, X_emb, clusters, neighbors, source, target)[1]
                     for name, arrows in fields.items()}
        ok = np.logical_and.reduce([np.isfinite(s) for s in per_field.values()])
        m = int(ok.sum())
        resamples = rng.integers(0, max(m, 1), size=(n_boot, m))
        out[(source, target)] = {}
        for name, scores in per_field.items():
            scores = scores[ok]
            if m == 0:
                out[(source, target)][name] = StepScore(np.nan, np.nan, np.nan, 0)
                continue
            boot = scores[resamples].mean(axis=1)
            out[(source, target)][name] = StepScore(float(scores.mean()), float(np.quantile(boot, 0.025)),
                                                    float(np.quantile(boot, 0.975)), m)
    return out


def interval_sign(step: StepScore) -> int:
    """+1 when the interval lies above 0, -1 below 0, 0 when it includes 0 (guarded by the rounding margin)."""
    display.share_above(np.array([step.ci_low, step.ci_high]), 0.0)  # refuses a bound within the margin of 0
    if step.ci_low > 0:
        return 1
    if step.ci_high < 0:
        return -1
    return 0


def step_flips(scores: dict, reference: str, other: str) -> tuple[list, list]:
    """Steps whose direction differs between two fields of :func:`bootstrap_step_scores`.

    Returns (flipped, uncertain): **flipped** steps have intervals that both exclude 0,
    on opposite sides; **uncertain** steps have point scores of opposite sign but at
    least one interval that includes 0 (a sign flip of scores near zero, not a reversal).
    """
    flipped, uncertain = [], []
    for step, by_field in scores.items():
        a, b = by_field[reference], by_field[other]
        sa, sb = interval_sign(a), interval_sign(b)
        if sa * sb == -1:
            flipped.append(step)
        elif np.sign(a.score) != np.sign(b.score):
            uncertain.append(step)
    return flipped, uncertain


def rank_with_intervals(fields, X_emb, clusters, neighbors, *, reference: str = "scVelo", labels=None,
                        transitions=PANCREAS_TRANSITIONS, n_boot: int = N_BOOT, seed: int = 0) -> list[tuple]:
    """Rank arrow fields by how much they change a conclusion; a step reverses only when both intervals say so.

    For every field except ``reference``: median angle to the reference arrows (degrees),
    share of arrows turned by more than 90 degrees, the known steps **reversed** (both
    bootstrap intervals exclude 0, on opposite sides; :func:`step_flips`) and the steps
    whose point score merely changes sign (**uncertain**). Verdict: "changes a conclusion"
    if a step is reversed or at least ``CONCLUSION_SHARE`` of the arrows turn by more than 90 degrees; "cosmetic" if the
    median angle is below ``COSMETIC_ANGLE`` and the share below ``COSMETIC_SHARE``;
    "changes details" otherwise. Returns (rows, intervals): rows (label, median angle,
    share turned, reversed steps (list), uncertain steps (list), verdict), most
    consequential first, and the :func:`bootstrap_step_scores` they come from. One
    paired bootstrap (``n_boot`` resamples, ``seed``) covers every field.
    """
    labels = labels or {}
    scores = bootstrap_step_scores(fields, X_emb, clusters, neighbors, transitions=transitions, n_boot=n_boot,
                                   seed=seed)
    order = {"changes a conclusion": 0, "changes details": 1, "cosmetic": 2}
    rows = []
    for key, arrows in fields.items():
        if key == reference:
            continue
        angles = rowwise_angle_degrees(arrows, fields[reference])
        angles = angles[np.isfinite(angles)]
        median, turned = float(np.median(angles)), display.share_above(angles, 90.0)
        flipped, uncertain = step_flips(scores, reference, key)
        if flipped or turned >= CONCLUSION_SHARE:
            verdict = "changes a conclusion"
        elif median < COSMETIC_ANGLE and turned < COSMETIC_SHARE:
            verdict = "cosmetic"
        else:
            verdict = "changes details"
        rows.append((labels.get(key, key), median, turned, flipped, uncertain, verdict))
    return sorted(rows, key=lambda row: (order[row[5]], -row[2], -row[1])), scores


def flip_rows(ranking, intervals, *, reference: str = "scVelo", labels=None, step_labels=None) -> list[tuple]:
    """One row per step that changes sign under a switch: (switch label, step, reference interval, switched interval).

    ``ranking`` and ``intervals`` are what :func:`rank_with_intervals` returns (with the
    same ``labels``). Rows (switch label, step label, reference low, reference high,
    switched low, switched high), reversed steps and uncertain ones alike: a step is
    reversed when both intervals exclude 0 on opposite sides.
    """
    labels = labels or {}
    step_labels = step_labels or {}
    key_of = {labels.get(key, key): key for by_field in intervals.values() for key in by_field}
    rows = []
    for label, _, _, flipped, uncertain, _ in ranking:
        for step in flipped + uncertain:
            ref, other = intervals[step][reference], intervals[step][key_of[label]]
            rows.append((label, step_labels.get(step, f"{step[0]} -> {step[1]}"), ref.ci_low, ref.ci_high,
                         other.ci_low, other.ci_high))
    return rows


# --------------------------------------------------------------------------- the consensus rule
def with_both_models(stochastic, dynamical):
    """A copy of ``stochastic`` that also holds the dynamical velocities as ``layers['dynamical_velocity']``.

    Both must be the same cells and genes (same ``Ms``, neighbours and embedding), as
    :func:`velograph_book.prepared.pancreas_prepared` and
    :func:`velograph_book.simulation.load_ground_truth` give them for the two modes.
    Neither input is modified.
    """
    if list(stochastic.obs_names) != list(dynamical.obs_names) or list(stochastic.var_names) != list(
            dynamical.var_names):
        raise ValueError("stochastic and dynamical must hold the same cells and genes in the same order")
    if not np.array_equal(np.asarray(stochastic.layers["Ms"]), np.asarray(dynamical.layers["Ms"])):
        raise ValueError("stochastic and dynamical must share layers['Ms'] (the same preprocessing)")
    both = stochastic.copy()
    both.layers["dynamical_velocity"] = np.asarray(dynamical.layers["velocity"], dtype=np.float32)
    return both


def model_settings(stochastic, dynamical, *, models=("stochastic", "dynamical"), sqrts=(True, False),
                   gene_sets=("stochastic", "dynamical")) -> dict:
    """The (model, sqrt, genes) combinations of chapter 7 as settings of :func:`velograph.tl.consensus_across_settings`.

    For the AnnData of :func:`with_both_models`: model "stochastic" reads
    ``layers['velocity']``, "dynamical" ``layers['dynamical_velocity']``; genes are that
    model's velocity genes (``var['velocity_genes']`` of ``stochastic`` or ``dynamical``).
    Returns {short name: options}, e.g. "stoch/sqrt/stoch genes".
    """
    genes = {"stochastic": list(stochastic.var_names[np.asarray(stochastic.var["velocity_genes"], bool)]),
             "dynamical": list(dynamical.var_names[np.asarray(dynamical.var["velocity_genes"], bool)])}
    vkeys = {"stochastic": "velocity", "dynamical": "dynamical_velocity"}
    settings = {}
    for model in models:
        for sqrt in sqrts:
            for gene_set in gene_sets:
                name = "/".join((LEVEL_NAMES[("model", model)], LEVEL_NAMES[("sqrt", sqrt)],
                                 LEVEL_NAMES[("genes", gene_set)]))
                settings[name] = {"vkey": vkeys[model], "sqrt_transform": sqrt, "gene_subset": genes[gene_set]}
    return settings


StepVerdict = namedtuple("StepVerdict", "source target cells low high null_low null_high agree verdict")


def consensus_verdicts(adata, transitions, settings, *, n_boot: int = N_BOOT, seed: int = 0,
                       groupby: str = "clusters") -> list:
    """One :class:`StepVerdict` per known step from :func:`velograph.tl.consensus_across_settings`.

    Fields: source, target, boundary cells, lowest and highest score over the settings,
    lowest and highest score of the settings' shared-velocity nulls, **agree** (the
    consensus rule without the null: every setting's bootstrap interval on the same side
    of 0) and **verdict** (the library's full rule, the shared-velocity null included).
    Scores are dimensionless cross-boundary scores in [-1, 1]. The interval bounds the
    rule compares with 0 are guarded by the rounding margin
    (:class:`velograph_book.display.rounding_margin`).
    """
    import velograph.tl as vtl

    table = vtl.consensus_across_settings(adata, transitions, settings, groupby=groupby, n_boot=n_boot, seed=seed)
    display.share_above(table[["ci_low", "ci_high", "excess_ci_low"]].to_numpy(np.float64).ravel(), 0.0)
    rows = []
    for (source, target), block in table.groupby(["source", "target"], sort=False):
        agree = bool((block["ci_low"] > 0).all() or (block["ci_high"] < 0).all())
        rows.append(StepVerdict(source, target, int(block["n_boundary_cells"].iloc[0]), float(block["score"].min()),
                                float(block["score"].max()), float(block["shared_score"].min()),
                                float(block["shared_score"].max()), agree, str(block["verdict"].iloc[0])))
    return rows


#: The known steps of the simulated trajectory (velograph_book.simulation): trunk, then each fate.
SIMULATED_TRANSITIONS = (("trunk_1", "trunk_2"), ("trunk_2", "A_1"), ("A_1", "A_2"), ("A_2", "A_3"),
                         ("trunk_2", "B_1"), ("B_1", "B_2"), ("B_2", "B_3"))

Calibration = namedtuple("Calibration", "control scenario seeds settings steps agree agree_forward calls forward rows")


def calibrate_consensus(*, n_boot: int = N_BOOT, seed: int = 0) -> list:
    """Power and false-positive rate of the consensus rule on the shipped ground truth.

    * **Positive control**: scenario "branching" (every seed): the true velocity drives the
      cells along :data:`SIMULATED_TRANSITIONS`; the eight (model, sqrt, genes) settings of
      :func:`model_settings`, as chapter 7 applies them to the pancreas.
    * **Negative control**: scenario "steady_dense_end" (every seed): the same paths with a
      density gradient but no velocity at all (every gene at steady state). Only the
      stochastic model was fitted there, so the settings are the two (stochastic, sqrt or
      not, stochastic genes) of the eight. A step must pass in every setting, and these two
      are among the eight (same boundary cells, same resamples), so the false-positive
      rate of two settings is an upper bound on that of eight.

    Counts over seeds x steps: **agree**, every setting's bootstrap interval on the same
    side of 0 (the rule without the null), **agree_forward** the same above 0; **calls**, the library's verdict names a
    direction ("forward/backward in every setting, beyond shared velocity"); **forward**,
    it names the true one. Power = forward / steps on the positive control;
    false-positive rate = calls / steps on the negative one (any direction is wrong there).
    Returns one :class:`Calibration` per control, with the rows of
    :func:`consensus_verdicts` per seed.
    """
    from .simulation import SCENARIOS, load_ground_truth

    results = []
    for control, scenario in (("positive", "branching"), ("negative", "steady_dense_end")):
        seeds = SCENARIOS[scenario]["seeds"]
        rows, names = {}, None
        for s in seeds:
            stochastic = load_ground_truth(scenario, s, mode="stochastic", truth=False)
            if control == "positive":
                dynamical = load_ground_truth(scenario, s, mode="dynamical", truth=False)
                settings = model_settings(stochastic, dynamical)
                adata = with_both_models(stochastic, dynamical)
            else:
                settings = model_settings(stochastic, stochastic, models=("stochastic",), gene_sets=("stochastic",))
                adata = stochastic
            names = list(settings)
            rows[s] = consensus_verdicts(adata, SIMULATED_TRANSITIONS, settings, n_boot=n_boot, seed=seed)
        every = [row for per_seed in rows.values() for row in per_seed]
        agree = sum(row.agree for row in every)
        agree_forward = sum(row.agree and row.low > 0 for row in every)
        calls = sum("in every setting, beyond shared velocity" in row.verdict for row in every)
        forward = sum(row.verdict.startswith("forward in every setting") for row in every)
        results.append(Calibration(control, scenario, tuple(seeds), names, len(every), agree, agree_forward, calls,
                                   forward, rows))
    return results


# --------------------------------------------------------------------------- rows that do not sum to 1
Shortfall = namedtuple("Shortfall", "shortfall diagonal negative")


def row_sum_shortfall(signed) -> Shortfall:
    r"""Why the projection's rows sum below 1: the removed diagonal, or the negative weights.

    ``signed``: scVelo's signed transition matrix *with* its diagonal
    (``velograph.tl.transition_matrix(adata, use_negative_cosines=True)``), whose rows
    satisfy :math:`\sum_j |\tilde\pi_{ij}| = 1` (checked: ValueError otherwise). The
    projection removes the diagonal, so the weights left sum to

    .. math:: \sum_{j\ne i}\tilde\pi_{ij} = 1 - \tilde\pi_{ii} - 2\sum_{j\ne i,\ \tilde\pi_{ij}<0}|\tilde\pi_{ij}|

    Returns per cell (arrays of length n): ``shortfall`` = 1 minus that sum,
    ``diagonal`` = :math:`\tilde\pi_{ii}` and ``negative`` = twice the absolute
    off-diagonal negative weight (a negative weight is missing from the positive mass
    *and* subtracts), with shortfall = diagonal + negative up to float rounding.
    """
    T = sp.csr_matrix(signed, dtype=np.float64)
    if T.shape[0] != T.shape[1]:
        raise ValueError(f"signed must be a square matrix, got shape {T.shape}")
    absolute = np.asarray(abs(T).sum(axis=1)).ravel()
    if not np.allclose(absolute, 1.0, atol=1e-5):
        raise ValueError("signed must have rows whose absolute values sum to 1 (scVelo's signed matrix with its "
                         f"diagonal); row sums of |T| range from {absolute.min():.6g} to {absolute.max():.6g}")
    diagonal = T.diagonal()
    off = T.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    negative = -2.0 * np.asarray(off.minimum(0).sum(axis=1)).ravel()
    if (diagonal < 0).any():
        raise ValueError("signed has a negative diagonal entry: a self-transition weight is never negative")
    shortfall = 1.0 - np.asarray(off.sum(axis=1)).ravel()
    return Shortfall(shortfall, diagonal, negative)


def rate_with_se(count: int, total: int) -> tuple[float, float]:
    """A rate count / total and its binomial standard error sqrt(p (1 - p) / total)."""
    if isinstance(count, bool) or isinstance(total, bool) or int(total) != total or int(count) != count:
        raise TypeError(f"count and total must be integers, got {count!r} and {total!r}")
    if total < 1 or not 0 <= count <= total:
        raise ValueError(f"need 0 <= count <= total and total >= 1, got count={count}, total={total}")
    p = count / total
    return p, float(np.sqrt(p * (1 - p) / total))
