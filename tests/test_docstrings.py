"""Every public library function has a numpydoc docstring that matches its signature, and type hints.

Public means: ``velograph.__all__``, ``velograph.tl.__all__``, the public functions of
``velograph.datasets`` and ``velograph.reference``, and the two lower-level entry points
the API page documents (``velograph.graph.pair_similarities``,
``velograph.projection.project_velocity_csr``). numpydoc itself is not a dependency, so
the sections are read by the small parser below: a section is a title line followed by
a line of dashes of the same length.
"""

import inspect
import re
import typing

import anndata
import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import scipy.sparse as sp

import velograph
import velograph.datasets
import velograph.graph
import velograph.projection
import velograph.reference
import velograph.tl

# numpydoc's order of sections (https://numpydoc.readthedocs.io/en/latest/format.html)
ORDER = ("Parameters", "Returns", "Yields", "Receives", "Other Parameters", "Raises", "Warns", "Warnings",
         "See Also", "Notes", "References", "Examples")
REQUIRED = ("Parameters", "Returns", "Examples")


def public_objects() -> dict:
    objects = {f"velograph.{name}": getattr(velograph, name) for name in velograph.__all__}
    objects.update({f"velograph.tl.{name}": getattr(velograph.tl, name) for name in velograph.tl.__all__})
    for module in (velograph.datasets, velograph.reference):
        for name, obj in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == module.__name__:
                objects[f"{module.__name__}.{name}"] = obj
    objects["velograph.graph.pair_similarities"] = velograph.graph.pair_similarities
    objects["velograph.projection.project_velocity_csr"] = velograph.projection.project_velocity_csr
    return {name: obj for name, obj in objects.items() if inspect.isfunction(obj) or inspect.isclass(obj)}


PUBLIC = public_objects()


def sections(doc: str) -> dict[str, str]:
    """{title: body} of the numpydoc sections of ``doc``, in order; '' holds the text before the first."""
    lines = inspect.cleandoc(doc).splitlines()
    found, title, body = {}, "", []
    i = 0
    while i < len(lines):
        line = lines[i]
        rule = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and not line.startswith(" ") and re.fullmatch(r"-+", rule) and len(rule) == len(line):
            if line in found:
                raise AssertionError(f"section {line!r} appears twice")
            found[title] = "\n".join(body)
            title, body = line, []
            i += 2
            continue
        body.append(line)
        i += 1
    found[title] = "\n".join(body)
    return found


def documented_names(parameters: str) -> list[str]:
    """Names of the entries of a Parameters section: unindented lines 'name : type' or 'a, b : type'."""
    names = []
    for line in parameters.splitlines():
        if line.strip() and not line.startswith(" "):
            names += [name.strip() for name in line.split(" : ")[0].split(",")]
    return names


def signature_names(obj) -> list[str]:
    return [p.name if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) else ("*" if p.kind == p.VAR_POSITIONAL
            else "**") + p.name for p in inspect.signature(obj).parameters.values()]


def check_docstring(obj) -> list[str]:
    """What is wrong with the numpydoc docstring of ``obj`` (empty when nothing is)."""
    doc = inspect.getdoc(obj)
    if not doc:
        return ["no docstring"]
    problems = []
    found = sections(doc)
    summary = found[""].strip().split("\n\n")[0]
    if not summary or "\n" in summary or not summary.endswith((".", "?")):
        problems.append(f"the summary is not one line ending with a period (or a question mark): {summary[:80]!r}")
    unknown = [t for t in found if t and t not in ORDER]
    if unknown:
        problems.append(f"unknown sections {unknown}")
    titles = [t for t in found if t in ORDER]
    if titles != sorted(titles, key=ORDER.index):
        problems.append(f"sections out of numpydoc's order: {titles}")
    wanted = [s for s in REQUIRED if s != "Parameters" or signature_names(obj)]
    problems += [f"no {s} section" for s in wanted if s not in found]
    if "Parameters" in found:
        documented, actual = documented_names(found["Parameters"]), signature_names(obj)
        if documented != actual:
            problems.append(f"Parameters lists {documented}, the signature has {actual}")
    if "Examples" in found and ">>>" not in found["Examples"]:
        problems.append("the Examples section has no >>> example")
    if "Returns" in found and not found["Returns"].strip():
        problems.append("the Returns section is empty")
    return problems


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_numpydoc_sections(name):
    problems = check_docstring(PUBLIC[name])
    assert not problems, f"{name}: " + "; ".join(problems)


# The names type hints may use; anndata's AnnData is imported only under TYPE_CHECKING.
HINT_NAMESPACE = {"AnnData": anndata.AnnData, "ArrayLike": npt.ArrayLike, "NDArray": npt.NDArray, "np": np,
                  "sp": sp, "pd": pd, "anndata": anndata}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_type_hints(name):
    obj = PUBLIC[name]
    signature = inspect.signature(obj)
    missing = [p.name for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{name}: no return type hint"
    typing.get_type_hints(obj, localns=HINT_NAMESPACE)  # every hint names something that exists


def test_public_set_is_what_the_api_page_documents():
    """The API page lists each checked function (reference's by ``:members:``), and checks nothing else."""
    from pathlib import Path

    page = (Path(__file__).parents[1] / "book" / "api.md").read_text()
    listed = set(re.findall(r"^\.\. autofunction:: (velograph\.[\w.]+)$", page, flags=re.M))
    assert ".. automodule:: velograph.reference\n   :members:" in page
    checked = {name for name in PUBLIC if not name.startswith("velograph.reference.")}
    assert listed == checked
    assert "velograph.DEFAULT_SIGMA" not in PUBLIC  # a constant: documented by its #: comment


GOOD = '''Add two numbers.

Parameters
----------
a, b : float
    The numbers.

Returns
-------
float
    a + b.

Examples
--------
>>> 1 + 1
2
'''


@pytest.mark.parametrize("broken, message", [
    (GOOD, None),
    (GOOD.replace("Examples\n--------", "Example\n-------"), "unknown sections"),
    (GOOD.replace("Examples\n--------", "Examples\n-------"), "no Examples section"),
    (GOOD.replace("Returns\n-------\nfloat\n    a + b.\n", ""), "no Returns section"),
    (GOOD.replace("Returns\n-------", "Returns\n------"), "no Returns section"),
    (GOOD.replace("a, b : float", "a : float"), "Parameters lists ['a']"),
    (GOOD.replace(">>> 1 + 1\n2", "1 + 1 is 2"), "no >>> example"),
    (GOOD.replace("Add two numbers.", "Add two\nnumbers."), "summary"),
])
def test_the_checker_catches_a_missing_or_wrong_section(broken, message):
    def function(a: float, b: float) -> float:
        return a + b

    function.__doc__ = broken
    problems = check_docstring(function)
    if message is None:
        assert problems == []
    else:
        assert any(message in p for p in problems), problems
