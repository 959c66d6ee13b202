"""One way to print numbers in the book, so that executed notebooks compare as stable text.

Every worked number reaches a checked notebook cell through :func:`show` (or
:func:`fmt` inside a table), at a fixed number of decimals, never as a raw numpy
repr whose spacing and precision vary between versions.
"""

from __future__ import annotations

import numbers

import numpy as np

DIGITS = 6

# How far a printed value may move between computers (CPU, BLAS kernel, thread
# count) without changing a checked digit; 0 means "exact" (Part I: float64 on exact inputs).
_MARGIN = 0.0


#: Rounding margin for angles in degrees between arrows of the real-data chain. Its
#: outputs move by at most 2e-6 between computers (tests/test_foreign_cpu.py); that turns
#: an arrow of length L by at most 57.3 * 2e-6 / L degrees, below 1e-3 for L > 0.12.
ANGLE_MARGIN_DEGREES = 1e-3


class rounding_margin:  # noqa: N801 (used like a function, as torch.set_grad_enabled is)
    """Guard every printed number against moves of up to ``margin`` (absolute).

    The real-data chapters compute in float32 with compiled sums whose order depends on
    the CPU's vector width, so a value can move by ~1e-6 between machines. With a margin
    set, :func:`fmt` refuses (ValueError) to print a value that lies within ``margin`` of a
    rounding boundary at the requested digits, because a move that small could flip the
    last digit on another computer; print fewer digits instead. :func:`share_below` and
    :func:`share_above` apply the same guard to values near a threshold.

    A context manager: ``with rounding_margin(2e-6): ...`` guards the block and restores the
    margin it found on exit. A notebook, whose cells cannot share one ``with`` block, calls
    it once (``rounding_margin(2e-6)``): the margin then holds until the next call. The
    default is 0 (exact: Part I's float64 numbers on exact inputs).
    """

    def __init__(self, margin: float):
        if isinstance(margin, bool) or not (isinstance(margin, numbers.Real) and np.isfinite(margin) and margin >= 0):
            raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
        global _MARGIN
        self.previous, self.margin = _MARGIN, float(margin)
        _MARGIN = self.margin

    def __repr__(self) -> str:
        # what a notebook cell that ends with ``rounding_margin(2e-6)`` displays: no memory address
        return f"rounding_margin({self.margin!r})"

    def __enter__(self) -> float:
        return self.margin

    def __exit__(self, *exc) -> None:
        global _MARGIN
        _MARGIN = self.previous


def current_margin() -> float:
    """The rounding margin in force (see :class:`rounding_margin`)."""
    return _MARGIN


def _check_clear_of_boundary(v: float, digits: int, margin: float | None = None) -> None:
    margin = _MARGIN if margin is None else margin
    if margin == 0.0:
        return
    scaled = v * 10.0**digits
    distance = abs(scaled - np.floor(scaled) - 0.5) / 10.0**digits  # to the nearest ...5 boundary
    if distance < margin:
        raise ValueError(
            f"{v!r} lies within {distance:.1e} of a rounding boundary at {digits} decimals, closer than the "
            f"rounding margin {margin:g}: its last digit could differ on another computer; print fewer digits"
        )


def _clear_of(values, threshold: float, margin: float | None = None) -> np.ndarray:
    margin = _MARGIN if margin is None else margin
    values = np.asarray(values, dtype=float).ravel()
    close = np.abs(values - threshold) < margin
    if close.any():
        raise ValueError(
            f"{int(close.sum())} values lie within the rounding margin {margin:g} of the threshold {threshold:g} "
            f"(e.g. {values[close][0]!r}): which side they fall on could differ on another computer"
        )
    return values


def share_below(values, threshold: float, *, margin: float | None = None) -> float:
    """Share of ``values`` strictly below ``threshold``, refusing values within the rounding margin of it.

    ``margin`` overrides the global margin, in the values' own units (as in :func:`fmt`).
    """
    values = _clear_of(values, threshold, margin)
    return float(np.mean(values < threshold))


def share_above(values, threshold: float, *, margin: float | None = None) -> float:
    """Share of ``values`` strictly above ``threshold``, refusing values within the rounding margin of it.

    ``margin`` overrides the global margin, in the values' own units (as in :func:`fmt`).
    """
    values = _clear_of(values, threshold, margin)
    return float(np.mean(values > threshold))


def fmt(value, digits: int = DIGITS, *, margin: float | None = None) -> str:
    """Format a number, or a 1-D/2-D array of numbers, at ``digits`` decimals (integers as integers).

    -0.000000 is printed as 0.000000 and NaN as nan, so the text does not depend
    on rounding noise. ``margin`` overrides the rounding margin of
    :class:`rounding_margin` for this value: a derived quantity that amplifies a move
    of the chain's outputs (an angle in degrees, a ratio of small numbers) needs a
    larger one, in its own units.
    """
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (numbers.Number, np.number)) and not isinstance(value, (bool, np.bool_)):
        v = float(value)
        if np.isnan(v):
            return "nan"
        _check_clear_of_boundary(v, digits, margin)
        text = f"{v:.{digits}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return fmt(float(arr), digits, margin=margin)
    if arr.ndim == 1:
        return "[" + ", ".join(fmt(x, digits, margin=margin) for x in arr) + "]"
    if arr.ndim == 2:
        return "[" + ",\n ".join(fmt(row, digits, margin=margin) for row in arr) + "]"
    raise ValueError(f"fmt prints numbers, vectors and matrices; got an array of shape {arr.shape}")


def show(label: str, value, digits: int = DIGITS, *, margin: float | None = None) -> None:
    """Print ``label = value`` with the value formatted by :func:`fmt` (``margin`` as there)."""
    print(f"{label} = {fmt(value, digits, margin=margin)}")


def table(rows, header, digits=DIGITS, *, margin=None) -> None:
    """Print a plain-text table: numbers through :func:`fmt`, other cells as str, columns aligned.

    ``digits`` and ``margin`` are one value for every column or a sequence with one per
    column (e.g. angles in degrees at 1 decimal beside shares at 3).
    """
    rows = [list(row) for row in rows]  # a generator is read once
    for k, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"row {k} has {len(row)} cells but the header has {len(header)} columns")
    column_digits = [DIGITS if d is None else d for d in _per_column(digits, header, "digits")]
    column_margins = _per_column(margin, header, "margin")

    def cell(k, c):
        if isinstance(c, (numbers.Number, np.number)):
            return fmt(c, column_digits[k], margin=column_margins[k])
        return str(c)

    cells = [[cell(k, c) for k, c in enumerate(row)] for row in rows]
    widths = [max(len(str(h)), *(len(r[k]) for r in cells)) for k, h in enumerate(header)]
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths, strict=True)))
    for r in cells:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def _per_column(value, header, name):
    if isinstance(value, (list, tuple)):
        if len(value) != len(header):
            raise ValueError(f"{name} has {len(value)} entries but the table has {len(header)} columns")
        return list(value)
    return [value] * len(header)
