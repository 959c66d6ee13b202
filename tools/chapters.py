"""The book's chapters and their executed goldens: one list, used by the tools and the tests.

A chapter is a MyST notebook ``book/<stem>.md`` listed in ``book/_toc.yml``;
its golden is ``tests/notebooks/<stem>.ipynb``, the same notebook executed.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
GOLDENS = ROOT / "tests" / "notebooks"
CHECK_TAG = "nbval-check-output"


def toc_files() -> list[str]:
    """Every file stem in book/_toc.yml, in reading order (root first)."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    stems = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                stems.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return stems


def is_notebook(path: Path) -> bool:
    """A MyST notebook has a jupytext/kernelspec front matter; plain pages do not."""
    head = path.read_text().split("\n---", 1)[0]
    return path.read_text().startswith("---") and "kernelspec" in head


def chapters() -> list[Path]:
    """The notebook chapters of the book, in order."""
    return [BOOK / f"{stem}.md" for stem in toc_files() if is_notebook(BOOK / f"{stem}.md")]


def golden_for(chapter: Path) -> Path:
    return GOLDENS / f"{chapter.stem}.ipynb"


def read_chapter(chapter: Path):
    import jupytext

    return jupytext.read(chapter)


def cell_signature(cell) -> tuple:
    """What must agree between a chapter and its golden: kind, source and tags."""
    tags = tuple(sorted(cell.get("metadata", {}).get("tags", [])))
    return (cell["cell_type"], cell["source"].strip(), tags)


def checked_outputs(nb) -> list[str]:
    """The text each checked cell shows, in order. A kernel may split one cell's printout
    into several stream messages depending on timing, so the pieces are joined (as nbval does)."""
    return [
        "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", []))
        for cell in nb.cells
        if CHECK_TAG in cell.get("metadata", {}).get("tags", [])
    ]
