"""One way to print numbers in the book, so that executed notebooks compare as stable text.

Every worked number reaches a checked notebook cell through :func:`show` (or
:func:`fmt` inside a table), at a fixed number of decimals, never as a raw numpy
repr whose spacing and precision vary between versions.
"""

from __future__ import annotations

import numbers

import numpy as np

DIGITS = 6


def fmt(value, digits: int = DIGITS) -> str:
    """Format a number, or a 1-D/2-D array of numbers, at ``digits`` decimals (integers as integers).

    -0.000000 is printed as 0.000000 and NaN as nan, so the text does not depend
    on rounding noise.
    """
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (numbers.Number, np.number)) and not isinstance(value, (bool, np.bool_)):
        v = float(value)
        if np.isnan(v):
            return "nan"
        text = f"{v:.{digits}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return fmt(float(arr), digits)
    if arr.ndim == 1:
        return "[" + ", ".join(fmt(x, digits) for x in arr) + "]"
    if arr.ndim == 2:
        return "[" + ",\n ".join(fmt(row, digits) for row in arr) + "]"
    raise ValueError(f"fmt prints numbers, vectors and matrices; got an array of shape {arr.shape}")


def show(label: str, value, digits: int = DIGITS) -> None:
    """Print ``label = value`` with the value formatted by :func:`fmt`."""
    print(f"{label} = {fmt(value, digits)}")


def table(rows, header, digits: int = DIGITS) -> None:
    """Print a plain-text table: numbers through :func:`fmt`, other cells as str, columns aligned."""
    cells = [[fmt(c, digits) if isinstance(c, (numbers.Number, np.number)) else str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[k]) for r in cells)) for k, h in enumerate(header)]
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths, strict=True)))
    for r in cells:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
