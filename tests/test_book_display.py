"""velograph_book.display: the fixed-precision text every checked notebook cell prints."""

import numpy as np
import pytest

from velograph_book import display


@pytest.fixture
def margin():
    """Start a test with no rounding margin and always restore the one in force before."""
    with display.rounding_margin(0.0):
        yield display.rounding_margin


def test_numbers_at_fixed_decimals():
    assert display.fmt(0.5) == "0.500000"
    assert display.fmt(1 / 3, 3) == "0.333"
    assert display.fmt(2 / 3, 2) == "0.67"
    assert display.fmt(np.float32(0.25)) == "0.250000"
    assert display.fmt(-0.5) == "-0.500000"
    assert display.fmt(12.0, 0) == "12"


def test_integers_print_as_integers():
    assert display.fmt(3) == "3"
    assert display.fmt(np.int64(-2)) == "-2"
    assert display.fmt(10**12, 2) == "1000000000000"


def test_negative_zero_and_nan_do_not_depend_on_rounding_noise():
    assert display.fmt(-1e-9) == "0.000000"
    assert display.fmt(-4e-7) == "0.000000"
    assert display.fmt(-0.0) == "0.000000"
    assert display.fmt(-6e-7) == "-0.000001"
    assert display.fmt(float("nan")) == "nan"
    assert display.fmt(np.float32("nan")) == "nan"


def test_vectors_and_matrices():
    assert display.fmt([1, 2.5], 1) == "[1.0, 2.5]"
    assert display.fmt([1, 2]) == "[1.000000, 2.000000]"  # a vector is printed as floats, even of integers
    assert display.fmt(np.array([[1.0, -0.0], [0.25, np.nan]]), 2) == "[[1.00, 0.00],\n [0.25, nan]]"
    assert display.fmt(np.array(2.5), 1) == "2.5"
    with pytest.raises(ValueError, match=r"shape \(1, 1, 1\)"):
        display.fmt(np.zeros((1, 1, 1)))


def test_show_prints_label_and_value(capsys):
    display.show("r", 0.123456789, 4)
    display.show("n", 7)
    assert capsys.readouterr().out == "r = 0.1235\nn = 7\n"


def test_table_right_aligns_columns(capsys):
    display.table([["a", 0.5, 3], ["long name", -1.25, 12]], ["gene", "value", "count"], digits=2)
    assert capsys.readouterr().out.splitlines() == [
        "     gene  value  count",
        "        a   0.50      3",
        "long name  -1.25     12",
    ]


def test_table_refuses_a_row_longer_or_shorter_than_the_header():
    with pytest.raises(ValueError, match="row 0 has 3 cells but the header has 2 columns"):
        display.table([["a", 1.0, "extra"]], ["gene", "value"])
    with pytest.raises(ValueError, match="row 1 has 1 cells but the header has 2 columns"):
        display.table([["a", 1.0], ["b"]], ["gene", "value"])


def test_table_takes_rows_from_a_generator(capsys):
    display.table(((name, value) for name, value in [("a", 1.5), ("b", -2.0)]), ["gene", "value"], digits=1)
    assert capsys.readouterr().out.splitlines() == ["gene  value", "   a    1.5", "   b   -2.0"]


def test_rounding_margin_holds_in_its_block_restores_on_exit_and_checks_its_argument(margin):
    assert display.current_margin() == 0.0
    with margin(1e-6) as inside:
        assert inside == 1e-6 and display.current_margin() == 1e-6
        with margin(2e-6):
            assert display.current_margin() == 2e-6
        assert display.current_margin() == 1e-6
    assert display.current_margin() == 0.0
    margin(3e-6)  # called without a block (a notebook's set-up cell): holds until the next call
    assert display.current_margin() == 3e-6
    for bad in (-1e-6, float("nan"), float("inf"), "1e-6", None, True):
        with pytest.raises(ValueError, match="margin must be a finite number >= 0"):
            margin(bad)
    assert display.current_margin() == 3e-6  # a refused margin changes nothing
    assert repr(margin(2e-6)) == "rounding_margin(2e-06)"  # a notebook shows this, not a memory address


def test_values_near_a_rounding_boundary_are_refused(margin):
    margin(1e-9)
    with pytest.raises(ValueError, match="rounding boundary at 6 decimals"):
        display.fmt(0.1234565)
    with pytest.raises(ValueError, match="rounding boundary at 2 decimals"):
        display.fmt(-0.125 + 1e-12, 2)
    with pytest.raises(ValueError):
        display.fmt(np.array([0.1, 0.1234565]))
    assert display.fmt(0.1234565, 5) == "0.12346"  # fewer digits: far from the 5-decimal boundary
    assert display.fmt(0.1234561) == "0.123456"
    assert display.fmt(0.12345649, 6) == "0.123456"  # 1e-8 from the boundary: clear of a 1e-9 margin
    assert display.fmt(7) == "7"
    assert display.fmt(float("nan")) == "nan"


def test_distance_to_the_boundary_is_measured_in_units_of_the_value(margin):
    """0.12345651 lies 1e-8 above the 6-decimal boundary 0.1234565 (not 1e-8 of a digit)."""
    margin(1e-7)
    with pytest.raises(ValueError, match="rounding boundary"):
        display.fmt(0.12345651)
    margin(8e-9)
    assert display.fmt(0.12345651) == "0.123457"


def test_no_margin_means_no_check(margin):
    assert display.fmt(0.125, 2) in ("0.12", "0.13")


def test_share_below_and_above_are_strict():
    values = np.array([0.1, 0.5, 0.5, 0.9])
    assert display.share_below(values, 0.5) == 0.25
    assert display.share_above(values, 0.5) == 0.25
    assert display.share_below(values, 1.0) == 1.0
    assert display.share_above([[0.2, 0.7], [0.8, 0.9]], 0.75) == 0.5


def test_share_refuses_values_within_the_margin_of_the_threshold(margin):
    margin(1e-6)
    with pytest.raises(ValueError, match=r"1 values lie within the rounding margin 1e-06 of the threshold 0\.5"):
        display.share_below([0.1, 0.5000001, 0.9], 0.5)
    with pytest.raises(ValueError, match="of the threshold"):
        display.share_above([0.4999995], 0.5)
    assert display.share_below([0.1, 0.499, 0.9], 0.5) == pytest.approx(2 / 3)
    assert display.share_above([0.1, 0.501, 0.9], 0.5) == pytest.approx(2 / 3)


def test_table_takes_digits_and_margins_per_column(capsys):
    from velograph_book import display

    display.table([("a", 13.384, 0.18)], header=("f", "angle", "share"), digits=(0, 1, 3), margin=(None, 0.01, None))
    assert capsys.readouterr().out.splitlines()[1].split() == ["a", "13.4", "0.180"]
    with pytest.raises(ValueError, match="rounding margin 0.01"):
        display.table([("a", 13.449, 0.18)], header=("f", "angle", "share"), digits=(0, 1, 3),
                      margin=(None, 0.01, None))
    with pytest.raises(ValueError, match="digits has 2 entries but the table has 3 columns"):
        display.table([("a", 1.0, 2.0)], header=("f", "x", "y"), digits=(1, 2))


def test_a_margin_given_to_one_call_overrides_the_global_one():
    from velograph_book import display

    with display.rounding_margin(0.0):
        assert display.fmt(19.549, 1) == "19.5"
        with pytest.raises(ValueError, match="within 1.0e-03 of a rounding boundary"):
            display.fmt(19.549, 1, margin=0.01)
        with display.rounding_margin(0.01):
            assert display.fmt(19.549, 1, margin=0.0) == "19.5"
