"""Execute every chapter of the book and store it as a golden in tests/notebooks/.

Usage (inside the environment that tools/setup-env.sh builds):
    python tools/regenerate_goldens.py            # every chapter
    python tools/regenerate_goldens.py 02_exponential_kernel   # some chapters, by stem

Run it after changing a chapter or the library; tests/test_goldens.py fails
while a chapter and its golden disagree, and nbval re-executes the goldens
and compares their checked outputs.
"""

from __future__ import annotations

import sys
import time

import nbformat
from nbclient import NotebookClient

from chapters import BOOK, GOLDENS, chapters, read_chapter


def execute(chapter):
    nb = read_chapter(chapter)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    return nb, time.perf_counter() - start


def main(selected: list[str]) -> None:
    GOLDENS.mkdir(parents=True, exist_ok=True)
    for chapter in chapters():
        if selected and chapter.stem not in selected:
            continue
        nb, seconds = execute(chapter)
        # Kernel metadata differs between machines; the golden keeps only what matters.
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, GOLDENS / f"{chapter.stem}.ipynb")
        print(f"{chapter.stem}: executed in {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
