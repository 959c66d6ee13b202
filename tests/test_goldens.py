"""The book's chapters, their executed goldens and the checked cells never drift apart."""

import re
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from chapters import CHECK_TAG, GOLDENS, cell_signature, chapters, golden_for, read_chapter, toc_files  # noqa: E402

CHAPTERS = chapters()


def test_every_toc_entry_exists_and_there_are_chapters():
    assert len(CHAPTERS) >= 4
    for stem in toc_files():
        assert (Path(__file__).resolve().parents[1] / "book" / f"{stem}.md").exists(), stem


def test_no_stray_goldens():
    stems = {c.stem for c in CHAPTERS}
    stray = sorted(p.name for p in GOLDENS.glob("*.ipynb") if p.stem not in stems)
    assert not stray, f"goldens without a chapter in book/_toc.yml: {stray}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_golden_matches_chapter_source(chapter):
    golden = golden_for(chapter)
    assert golden.exists(), f"{golden} is missing: run python tools/regenerate_goldens.py {chapter.stem}"
    source_cells = [cell_signature(c) for c in read_chapter(chapter).cells]
    golden_cells = [cell_signature(c) for c in nbformat.read(golden, as_version=4).cells]
    assert golden_cells == source_cells, (
        f"{golden.name} differs from {chapter.name}: run python tools/regenerate_goldens.py {chapter.stem}"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_golden_was_executed_and_has_checked_outputs(chapter):
    nb = nbformat.read(golden_for(chapter), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{chapter.stem} has no code cells"
    unexecuted = [i for i, c in enumerate(code) if c.execution_count is None]
    assert not unexecuted, f"{chapter.stem}: code cells {unexecuted} were never executed"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{chapter.stem}: a cell raised {errors[0].ename}"
    checked = [c for c in code if CHECK_TAG in c.metadata.get("tags", [])]
    assert checked, f"{chapter.stem} has no cell tagged {CHECK_TAG}"
    for c in checked:
        assert c.outputs, f"{chapter.stem}: checked cell without output:\n{c.source}"


def checked_cells_without_assertion(cells) -> list[int]:
    """Indices of checked cells whose numbers no assertion follows.

    The convention (nbdev style): a checked cell prints numbers, and either it or the
    code cell right after it (before any further prose) asserts them.
    """
    bad = []
    for k, cell in enumerate(cells):
        if cell.cell_type != "code" or CHECK_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        following = cells[k + 1] if k + 1 < len(cells) else None
        asserted = "assert " in cell.source or (
            following is not None and following.cell_type == "code" and "assert " in following.source)
        if not asserted:
            bad.append(k)
    return bad


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_checked_cell_is_asserted(chapter):
    cells = read_chapter(chapter).cells
    bad = checked_cells_without_assertion(cells)
    assert not bad, f"{chapter.stem}: checked cells with no assertion in them or right after them:\n" + "\n---\n".join(
        cells[k].source for k in bad)


def test_the_assertion_rule_can_fail():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    checked = new_code_cell("display.show('x', x)", metadata={"tags": [CHECK_TAG]})
    assert checked_cells_without_assertion([checked, new_code_cell("assert x == 1")]) == []
    assert checked_cells_without_assertion([checked, new_markdown_cell("x is 1")]) == [0]
    assert checked_cells_without_assertion([checked]) == [0]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_imports_velograph(chapter):
    code = "\n".join(c.source for c in read_chapter(chapter).cells if c.cell_type == "code")
    assert re.search(r"^(import velograph|from velograph)", code, re.M), f"{chapter.stem} does not use velograph"


RAW_FLOAT = re.compile(r"\d\.\d{7,}|\de[-+]\d\d")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_checked_outputs_have_no_raw_float_reprs(chapter):
    """Checked cells print numbers through vg.show/vg.table at fixed precision, never raw reprs."""
    nb = nbformat.read(golden_for(chapter), as_version=4)
    for cell in nb.cells:
        if CHECK_TAG not in cell.metadata.get("tags", []):
            continue
        for output in cell.outputs:
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            assert not RAW_FLOAT.search(text), f"{chapter.stem}: raw float in checked output:\n{text}"
