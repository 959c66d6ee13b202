"""velograph_book's package: light to import, every module reachable as an attribute on first use."""

import os
import pkgutil
import subprocess
import sys

import pytest

import velograph_book as vb

CODE = r"""
import sys
import velograph_book as vb
heavy = [m for m in ("matplotlib", "anndata", "scvelo", "velograph.tl") if m in sys.modules]
assert not heavy, heavy
assert vb.show and vb.rounding_margin
print("ok")
"""


def test_importing_the_book_package_loads_no_heavy_module():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("name", [m.name for m in pkgutil.iter_modules(vb.__path__) if not m.name.startswith("_")])
def test_every_module_is_an_attribute(name):
    assert getattr(vb, name).__name__ == f"velograph_book.{name}"
    # the loader itself (an imported module is an attribute already and never reaches it)
    assert vb.__getattr__(name) is sys.modules[f"velograph_book.{name}"]


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'velograph_book' has no attribute 'nothing_here'"):
        vb.nothing_here  # noqa: B018
    with pytest.raises(AttributeError, match="'_pairs'"):  # a private module is not loaded as an attribute
        vb.__getattr__("_pairs")
