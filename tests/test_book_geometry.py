"""velograph_book.geometry: the book's one cosine and one angle, against closed forms."""

import warnings

import numpy as np
import pytest

from velograph_book.geometry import rowwise_angle_degrees, rowwise_cosine, signed_angle_degrees


def test_rowwise_cosine_closed_forms():
    A = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [3.0, 4.0], [0.01, 0.0], [1.0, np.nan]])
    B = np.array([[0.0, 2.0], [2.0, 2.0], [1.0, 0.0], [-6.0, -8.0], [0.02, 0.02], [1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN by design, not a numpy warning
        out = rowwise_cosine(A, B)
    np.testing.assert_allclose(out[[0, 1, 3, 4]], [0.0, 1.0, -1.0, 1 / np.sqrt(2)], atol=1e-15)
    assert np.isnan(out[2]) and np.isnan(out[5])  # a zero or non-finite arrow has no direction


def test_rowwise_cosine_one_vector_against_rows_and_two_vectors():
    # the blog's vectors: cos = 2.45 / sqrt(3.5 * 1.78)
    delta, v = np.array([1.5, -1.0, 0.5]), np.array([1.2, -0.5, 0.3])
    assert rowwise_cosine(delta, v) == pytest.approx(2.45 / np.sqrt(3.5 * 1.78), abs=1e-15)
    assert isinstance(rowwise_cosine(delta, v), float)
    rows = rowwise_cosine([1.0, 0.0], [[3.0, 4.0], [0.0, -2.0], [0.0, 0.0]])
    np.testing.assert_allclose(rows[:2], [0.6, 0.0], atol=1e-15)
    assert np.isnan(rows[2])


def test_rowwise_cosine_any_scale_and_in_range():
    # product of norms 1e-400 underflows and 1e400 overflows in the naive formula; unit vectors do not
    for scale in (1e-200, 1e200, 5e-324):
        assert rowwise_cosine([scale, 0.0], [scale, scale]) == pytest.approx(1 / np.sqrt(2), abs=1e-15)
    rng = np.random.default_rng(0)
    A = rng.normal(size=(2000, 3))
    out = rowwise_cosine(A, 3.0 * A)  # same directions: exactly within [-1, 1], never 1 + 2e-16
    assert out.max() <= 1.0 and out.min() > 1 - 1e-15


def test_rowwise_angle_closed_forms():
    assert rowwise_angle_degrees([1, 0], [0, 1]) == 90.0
    assert rowwise_angle_degrees([1, 1], [2, 2]) == 0.0
    assert rowwise_angle_degrees([1, 0, 0], [-1, 0, 0]) == 180.0
    assert rowwise_angle_degrees([1, 0], [1, 1]) == pytest.approx(45.0, abs=1e-13)
    delta, v = np.array([1.5, -1.0, 0.5]), np.array([1.2, -0.5, 0.3])
    assert rowwise_angle_degrees(delta, v) == pytest.approx(np.degrees(np.arccos(2.45 / np.sqrt(3.5 * 1.78))),
                                                            abs=1e-12)
    rows = rowwise_angle_degrees(np.array([[1, 0], [0, 0], [0, -3]]), [1, 0])
    assert rows[0] == 0.0 and np.isnan(rows[1]) and rows[2] == pytest.approx(90.0, abs=1e-13)


def test_rowwise_angle_keeps_small_and_near_opposite_angles():
    # An angle of 1e-9 rad: arccos of its cosine (1 - 5e-19, which rounds to 1) gives 0; atan2 gives it.
    epsilon = 1e-9
    a, b = np.array([1.0, 0.0]), np.array([np.cos(epsilon), np.sin(epsilon)])
    assert rowwise_angle_degrees(a, b) == pytest.approx(np.degrees(epsilon), rel=1e-12)
    assert rowwise_angle_degrees(a, -b) == pytest.approx(180 - np.degrees(epsilon), rel=1e-15)
    assert np.degrees(np.arccos(rowwise_cosine(a, b))) == 0.0  # what the arccos form printed


def test_angle_and_cosine_agree_and_shapes_are_checked():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(500, 4)), rng.normal(size=(500, 4))
    np.testing.assert_allclose(np.cos(np.radians(rowwise_angle_degrees(A, B))), rowwise_cosine(A, B), atol=1e-14)
    np.testing.assert_array_equal(rowwise_angle_degrees(A, B), rowwise_angle_degrees(B, A))
    with pytest.raises(ValueError, match="same length"):
        rowwise_angle_degrees(A, B[:, :3])
    with pytest.raises(ValueError, match="same number of rows"):
        rowwise_cosine(A, B[:3])
    with pytest.raises(ValueError, match="A must be"):
        rowwise_cosine(np.zeros((2, 2, 2)), B)


def test_signed_angle_sign_convention():
    up = [0, 1]
    out = signed_angle_degrees([[-1, 1], [1, 1], [0, -1], [0, 0], [3, 0]], up)
    np.testing.assert_allclose(out[[0, 1, 2, 4]], [45, -45, 180, -90], atol=1e-13)
    assert np.isnan(out[3])
    assert signed_angle_degrees([-1, 0], [1, 0])[0] == 180.0  # (-180, 180]: never -180
    # unsigned angle = |signed angle|
    rng = np.random.default_rng(2)
    arrows = rng.normal(size=(200, 2))
    np.testing.assert_allclose(np.abs(signed_angle_degrees(arrows, up)), rowwise_angle_degrees(arrows, up),
                               atol=1e-12)
    with pytest.raises(ValueError, match="reference"):
        signed_angle_degrees(arrows, [0, 0])
    with pytest.raises(ValueError, match="arrows must be 2-D"):
        signed_angle_degrees(np.ones((3, 3)), up)
