"""The boundary between the two packages, read from their source (ast), not from what happens to import.

* The library ``velograph`` never imports the book's package ``velograph_book`` (nor any module
  under it): a user who installs the library gets no book code.
* The book's package uses only the library's public API: no module path with a component
  starting with ``_`` (``velograph._checks``, ``velograph.tl._graph``), no imported name starting
  with ``_`` (``from velograph.projection import _x``), no private attribute reached through an
  imported library module (``vtl._access``), no ``importlib.import_module`` of either, and no
  private helper passed on by a public module (``from velograph.kernel import row_of_each_entry``,
  which kernel imports from ``_sparse``): a name imported from a library module must be in its
  ``__all__`` or, where it has none, defined there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
LIBRARY, BOOK = "velograph", "velograph_book"


def sources(package: str) -> list[Path]:
    files = sorted((SRC / package).rglob("*.py"))
    assert files, f"no Python files under {SRC / package}"
    return files


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def imported_modules(tree: ast.AST):
    """(line, absolute module path, imported names or None) of every import statement and import_module call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            yield node.lineno, node.args[0].value, None


def _library_file(module: str) -> Path | None:
    path = SRC.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def public_names(module: str) -> set[str] | None:
    """The names a library module offers: its literal ``__all__``, else what it defines at top level."""
    path = _library_file(module)
    if path is None:
        return None
    tree = ast.parse(path.read_text())
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    if target.id == "__all__":
                        return set(ast.literal_eval(node.value))
                    defined.add(target.id)
    submodules = {p.stem for p in path.parent.glob("*.py")} | {p.name for p in path.parent.iterdir() if p.is_dir()}
    return defined | (submodules if path.name == "__init__.py" else set())


def library_violations(source: str) -> list[str]:
    """Imports of the book's package in one library source file."""
    tree = ast.parse(source)
    return [f"line {line}: imports {module}" for line, module, _ in imported_modules(tree) if _in(module, BOOK)]


def book_violations(source: str) -> list[str]:
    """Uses of a library private in one source file of the book's package."""
    tree = ast.parse(source)
    found = []
    library_names = set()  # local names bound to a library module, e.g. vg, vtl, tl
    for line, module, names in imported_modules(tree):
        if not _in(module, LIBRARY):
            continue
        if any(_private(part) for part in module.split(".")):
            found.append(f"line {line}: imports the private module {module}")
        offered = public_names(module)
        for name in names or ():
            if _private(name):
                found.append(f"line {line}: imports the private name {name} from {module}")
            elif offered is not None and not name.startswith("__") and name not in offered \
                    and _library_file(f"{module}.{name}") is None:
                found.append(f"line {line}: imports {name} from {module}, which neither lists it in __all__ "
                             "nor defines it (a private helper passed on)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _in(alias.name, LIBRARY):
                    library_names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _in(node.module, LIBRARY):
            library_names.update(alias.asname or alias.name for alias in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in library_names:
                found.append(f"line {node.lineno}: reaches the private attribute {node.attr} through {root.id}")
    return found


def test_the_library_never_imports_the_book_package():
    found = {str(path.relative_to(SRC)): library_violations(path.read_text()) for path in sources(LIBRARY)}
    assert not {path: v for path, v in found.items() if v}


def test_the_book_package_uses_only_the_library_public_api():
    found = {str(path.relative_to(SRC)): book_violations(path.read_text()) for path in sources(BOOK)}
    assert not {path: v for path, v in found.items() if v}


@pytest.mark.parametrize("source", [
    "import velograph_book",
    "import velograph_book.display as display",
    "from velograph_book import toy",
    "from velograph_book.display import fmt",
    "def f():\n    from velograph_book.limits import agreement\n",
    "import importlib\nimportlib.import_module('velograph_book.plotting')",
])
def test_the_library_check_sees_every_form_of_import(source):
    assert library_violations(source)


@pytest.mark.parametrize("source", [
    "import velograph._checks",
    "import velograph.tl._graph as graph",
    "from velograph import _sparse",
    "from velograph._sparse import row_of_each_entry",
    "from velograph.tl._access import layer",
    "from velograph.projection import _neighbour_directions",
    "from velograph.tl import _graph",
    "import velograph.tl as vtl\nvtl._graph.knn_indices_from_distances(d)",
    "import velograph as vg\nvg.projection._neighbour_directions",
    "from velograph import kernel\nkernel.row_of_each_entry\nkernel._row_sums(T)",
    "from velograph.kernel import row_of_each_entry",  # kernel imports it from _sparse
    "from velograph import pair_similarities",  # defined in velograph.graph, not offered by velograph
    "from velograph.tl import knn_indices_from_distances",
    "def f():\n    import importlib\n    return importlib.import_module('velograph.tl._graph')",
])
def test_the_book_check_sees_every_form_of_private_use(source):
    assert book_violations(source)


@pytest.mark.parametrize("source", [
    "import velograph as vg\nvg.transition_matrix\nvg.__version__",
    "import velograph.tl as vtl\nfrom velograph.datasets import verify_checksum",
    "from velograph import project_velocity, row_correlations, tl, datasets",
    "from velograph.graph import pair_similarities\nfrom velograph import __version__",
    "from ._pairs import row_of_each_entry\nfrom .plotting import _axes",  # the book's own privates
    "import numpy as np\nnp._NoValue",
])
def test_the_book_check_accepts_public_use(source):
    assert book_violations(source) == []


def test_the_library_check_accepts_its_own_imports():
    assert library_violations("from ._checks import choice\nimport velograph.tl\nimport numpy") == []
