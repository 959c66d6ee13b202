"""The book that was just built shows exactly the checked outputs of the goldens.

``jb build`` executes every chapter on this machine (stage 3 of tools/test.sh) and keeps
the executed notebooks in _build/jupyter_execute; the goldens were executed earlier (by
tools/regenerate_goldens.py, possibly on another machine). Equal checked outputs show
that a chapter is deterministic and machine independent without executing it again.
Outputs are compared after the same sanitising that nbval applies.
"""

import configparser
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from _ci import missing  # noqa: E402
from chapters import chapters, checked_outputs, golden_for  # noqa: E402

# book: needs the executed book in _build (tools/test.sh runs it after the build)
pytestmark = pytest.mark.book

EXECUTED = ROOT / "_build" / "jupyter_execute"


def sanitizers():
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def sanitized(texts):
    rules = sanitizers()
    out = []
    for text in texts:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        out.append(text)
    return out


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_built_chapter_shows_the_goldens_checked_outputs(chapter):
    executed = EXECUTED / f"{chapter.stem}.ipynb"
    if not executed.exists():
        missing(f"{executed} not found: build the book first (bash tools/book.sh)")
    built = sanitized(checked_outputs(nbformat.read(executed, as_version=4)))
    golden = sanitized(checked_outputs(nbformat.read(golden_for(chapter), as_version=4)))
    assert golden, f"{chapter.stem} has no checked outputs"
    assert len(built) == len(golden), f"{chapter.stem}: {len(built)} checked cells built, {len(golden)} in the golden"
    for number, (ours, theirs) in enumerate(zip(built, golden, strict=True)):
        assert ours == theirs, (
            f"{chapter.stem}, checked cell {number}: the built book shows\n{ours}\nthe golden\n{theirs}")


def test_sanitizer_rules_apply():
    assert sanitized(["finished (0:00:03) at 0x7f3a <Figure size 640x480 with 2 Axes>"]) == [
        "finished (TIME) at 0xADDRESS <Figure>"
    ]
