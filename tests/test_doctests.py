"""The Examples of every module of the library run as doctests, with fixed numpy print options.

Each module's docstrings (functions, classes, the module itself) are collected by
``doctest.DocTestFinder``; an object re-exported by a package is tested once, in the
module that defines it. The numbers an example prints must be the same on every
machine, so examples print few decimals (``np.round``, f-strings).
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import velograph

MODULES = sorted(module.name for module in pkgutil.walk_packages(velograph.__path__, "velograph."))
FLAGS = doctest.ELLIPSIS


def run_examples(module) -> tuple[doctest.TestResults, str]:
    """(results, report) of running every example defined in ``module``."""
    report = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    with np.printoptions(precision=8, threshold=1000, linewidth=75, suppress=False, floatmode="maxprec",
                         legacy=False):
        for test in doctest.DocTestFinder().find(module, module.__name__):
            runner.run(test, out=report.append)
    return runner.summarize(verbose=False), "".join(report)


def test_every_library_module_is_collected():
    assert {"velograph.kernel", "velograph.tl._graph", "velograph.datasets", "velograph.reference"} <= set(MODULES)
    assert not any(name.startswith("velograph_book") for name in MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    results, report = run_examples(importlib.import_module(name))
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples in {name} failed:\n{report}"


def test_a_wrong_example_fails():
    import types

    module = types.ModuleType("planted")
    module.__doc__ = ">>> import numpy as np\n>>> print(np.round(np.float64(1) / 3, 3))\n0.334\n"
    results, report = run_examples(module)
    assert (results.attempted, results.failed) == (2, 1)
    assert "Expected:\n    0.334\nGot:\n    0.333" in report
