"""Vectors constant up to rounding have Pearson 0 in the library, the compiled graph and the reference alike."""

from __future__ import annotations

import numpy as np
import pytest

import velograph as vg
from velograph.graph import pair_similarities
from velograph.reference import pair_similarities_numpy
from velograph.similarity import constant_tolerance


@pytest.mark.parametrize("length", [3, 5, 7, 10, 2000])
@pytest.mark.parametrize("value", [0.1, 0.2, 0.3, 0.7, 1 / 3, 1.1, -0.1])
def test_pearson_of_a_vector_constant_up_to_rounding_is_zero(length, value):
    constant = [value] * length  # its computed mean is not exactly `value` for most of these
    varying = np.linspace(-1, 2, length)
    assert vg.pearson_similarity(constant, constant) == 0.0
    assert vg.pearson_similarity(constant, varying) == 0.0
    assert vg.pearson_similarity(varying, constant) == 0.0


def test_pearson_still_sees_a_small_real_variation():
    # 1e-6 relative variation on 3 entries is far above rounding (16 (3 eps)^2 ~ 7e-30 of the squares)
    assert vg.pearson_similarity([0.1, 0.1, 0.1 + 1e-7], [0.0, 0.0, 1.0]) == pytest.approx(1.0)
    assert constant_tolerance(3) == pytest.approx(16 * (3 * np.finfo(float).eps) ** 2)


def constant_problem(rng, dtype):
    """Cells whose states and velocities are each constant over genes: every displacement is constant too."""
    n, genes = 8, int(rng.integers(2, 60))
    X = np.repeat(rng.normal(size=(n, 1)) * 10.0 ** rng.integers(-3, 4), genes, axis=1).astype(dtype)
    V = np.repeat(rng.normal(size=(n, 1)), genes, axis=1).astype(dtype)
    indptr = np.arange(0, 3 * n + 1, 3)
    indices = np.array([(i + step) % n for i in range(n) for step in (1, 2, 3)])
    return X, V, indptr, indices


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_graph_pairs_with_constant_velocity_and_displacement_are_zero_in_compiled_and_reference(dtype):
    # Before: |pi| > 0.5 for most such pairs, and the compiled code and the reference disagreed (0.378 vs -0.714).
    rng = np.random.default_rng(17)
    for _ in range(300):
        X, V, indptr, indices = constant_problem(rng, dtype)
        for stabilize in (False, True):
            compiled = pair_similarities(X, V, indptr, indices, center=True, variance_stabilize=stabilize)
            reference = pair_similarities_numpy(X, V, indptr, indices, center=True, variance_stabilize=stabilize)
            np.testing.assert_array_equal(compiled, 0.0)
            np.testing.assert_array_equal(reference, 0.0)


def test_constant_velocity_alone_gives_zero_rows_and_varying_ones_do_not():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(8, 30))
    V = rng.normal(size=(8, 30))
    V[2] = 0.1  # constant up to rounding
    indptr = np.arange(0, 25, 3)
    indices = np.array([(i + step) % 8 for i in range(8) for step in (1, 2, 3)])
    compiled = pair_similarities(X, V, indptr, indices, center=True)
    reference = pair_similarities_numpy(X, V, indptr, indices, center=True)
    np.testing.assert_array_equal(compiled[6:9], 0.0)
    assert (compiled[:6] != 0).all()
    np.testing.assert_allclose(compiled, reference, atol=1e-12)
