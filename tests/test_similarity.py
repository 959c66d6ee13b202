"""velograph.similarity: the blog's worked numbers (DESIGN.md section 4).

And the edge cases of cosine, Pearson and sign-sqrt."""

from __future__ import annotations

import numpy as np
import pytest

import velograph as vg
from velograph.graph import pair_similarities
from velograph.reference import pair_similarities_numpy
from velograph.similarity import constant_tolerance
from velograph_book.toy import blog_vectors

S_I, S_J, V_I = blog_vectors()


DELTA = S_J - S_I


def test_plain_cosine_worked_numbers():
    # 2.45 / (sqrt(3.5) * sqrt(1.78)), DESIGN.md section 4
    assert vg.cosine_similarity(DELTA, V_I) == pytest.approx(2.45 / np.sqrt(3.5 * 1.78), abs=1e-15)
    assert vg.cosine_similarity(DELTA, V_I) == pytest.approx(0.981572, abs=1e-6)


def test_sign_sqrt_worked_numbers():
    np.testing.assert_allclose(vg.sign_sqrt(DELTA), [1.224745, -1.0, 0.707107], atol=1e-6)
    np.testing.assert_allclose(vg.sign_sqrt(V_I), [1.095445, -0.707107, 0.547723], atol=1e-6)
    assert vg.sign_sqrt(DELTA) @ vg.sign_sqrt(V_I) == pytest.approx(2.436046, abs=1e-6)


def test_stabilised_norm_is_sqrt_of_l1_norm():
    for x in (DELTA, V_I, np.random.default_rng(0).normal(size=50)):
        assert np.linalg.norm(vg.sign_sqrt(x)) ** 2 == pytest.approx(np.abs(x).sum(), rel=1e-12)
    assert np.linalg.norm(vg.sign_sqrt(DELTA)) == pytest.approx(1.732051, abs=1e-6)
    assert np.linalg.norm(vg.sign_sqrt(V_I)) == pytest.approx(1.414214, abs=1e-6)


def test_stabilised_cosine_worked_number():
    assert vg.cosine_similarity(vg.sign_sqrt(DELTA), vg.sign_sqrt(V_I)) == pytest.approx(0.994512, abs=1e-6)


def test_blog_rounded_intermediates_give_the_blogs_2443_and_142():
    rounded_d = np.round(vg.sign_sqrt(DELTA), 2)
    rounded_v = np.round(vg.sign_sqrt(V_I), 2)
    # With the 2-decimal intermediates the dot product is 2.4425, which the blog
    # writes as 2.443 (half up); the exact value is 2.436046.
    assert rounded_d @ rounded_v == pytest.approx(2.4425, abs=1e-12)
    assert np.linalg.norm(rounded_v) == pytest.approx(1.420070, abs=1e-6)  # blog: 1.42, exact sqrt(2) = 1.414214
    assert np.linalg.norm(rounded_d) == pytest.approx(1.729884, abs=1e-6)  # blog: 1.73, exact sqrt(3) = 1.732051


def test_pearson_is_scvelos_value():
    assert vg.pearson_similarity(DELTA, V_I) == pytest.approx(0.988933, abs=1e-6)
    assert vg.pearson_similarity(vg.sign_sqrt(DELTA), vg.sign_sqrt(V_I)) == pytest.approx(0.997062, abs=1e-6)
    assert vg.pearson_similarity(DELTA, V_I) == pytest.approx(np.corrcoef(DELTA, V_I)[0, 1], abs=1e-12)


def test_similarities_bounded_and_scale_invariant():
    rng = np.random.default_rng(1)
    for _ in range(200):
        a, b = rng.normal(size=(2, 7))
        for sim in (vg.cosine_similarity, vg.pearson_similarity):
            value = sim(a, b)
            assert -1 <= value <= 1
            assert sim(a, 3.7 * b) == pytest.approx(value, abs=1e-12)
            assert sim(a, -b) == pytest.approx(-value, abs=1e-12)


def test_zero_vector_gives_zero_similarity():
    assert vg.cosine_similarity([0.0, 0.0, 0.0], V_I) == 0.0
    assert vg.pearson_similarity([2.0, 2.0, 2.0], V_I) == 0.0


def test_inputs_not_mutated():
    d, v = DELTA.copy(), V_I.copy()
    vg.cosine_similarity(d, v)
    vg.pearson_similarity(d, v)
    vg.sign_sqrt(d)
    np.testing.assert_array_equal(d, DELTA)
    np.testing.assert_array_equal(v, V_I)


def test_cosine_of_short_vectors():
    """The 'undefined' branch is for zero vectors only, not for vectors shorter than 1."""
    assert vg.cosine_similarity([0.1, 0.0], [0.1, 0.1]) == pytest.approx(1 / np.sqrt(2), abs=1e-15)
    assert vg.cosine_similarity([1e-3, 0.0], [0.0, 1e-3]) == 0.0  # orthogonal
    assert vg.pearson_similarity([0.01, 0.02, 0.03], [0.03, 0.02, 0.01]) == pytest.approx(-1.0, abs=1e-12)


def test_sign_sqrt_of_integers_and_booleans():
    np.testing.assert_array_equal(vg.sign_sqrt(np.array([4, -9, 0], dtype=np.int32)), [2.0, -3.0, 0.0])
    np.testing.assert_array_equal(vg.sign_sqrt([True, False]), [1.0, 0.0])
    assert vg.sign_sqrt(np.float32(-16)).dtype == np.float64


def test_sign_sqrt_refuses_complex():
    with pytest.raises(TypeError, match=r"^x must be real"):
        vg.sign_sqrt(np.array([1 + 1j, 2]))


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
