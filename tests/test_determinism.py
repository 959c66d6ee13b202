"""Executing a chapter twice gives identical checked outputs (fixed seeds, fixed-precision prints)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from chapters import CHECK_TAG, chapters  # noqa: E402
from regenerate_goldens import execute  # noqa: E402


def checked_outputs(nb):
    """The text each checked cell shows. A kernel may split one cell's printout into several
    stream messages depending on timing, so the pieces are joined (as nbval does)."""
    return [
        "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        for cell in nb.cells
        if CHECK_TAG in cell.metadata.get("tags", [])
    ]


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_chapter_executes_identically_twice(chapter):
    first, _ = execute(chapter)
    second, _ = execute(chapter)
    assert checked_outputs(first) == checked_outputs(second)
    assert checked_outputs(first), f"{chapter.stem} has no checked outputs"
