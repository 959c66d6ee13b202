"""`import velograph` stays light; the heavier submodules load on first attribute access.

Run in a fresh interpreter (the test session has imported everything already), with this
process's sys.path so that it imports the same copy of velograph as the tests.
"""

import os
import subprocess
import sys

import pytest

import velograph as vg

CODE = r"""
import sys
import velograph as vg
heavy = ("velograph.tl", "velograph.datasets", "velograph.reference",
         "anndata", "scvelo")
assert not [m for m in heavy if m in sys.modules], [m for m in heavy if m in sys.modules]
for name in ("tl", "datasets", "reference"):
    module = getattr(vg, name)
    assert module.__name__ == "velograph." + name and sys.modules["velograph." + name] is module
assert callable(vg.tl.velocity_graph) and callable(vg.datasets.pancreas)
try:
    vg.no_such_thing
except AttributeError as err:
    assert str(err) == "module 'velograph' has no attribute 'no_such_thing'", str(err)
else:
    raise AssertionError("no AttributeError")
print("ok")
"""


def test_submodules_load_on_first_access_only():
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        vg.missing  # noqa: B018 (the in-process call: ties this test to velograph.__getattr__)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
