"""The library's wheel is the library: small, without the book's helpers or their data."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# slow: builds a wheel in a subprocess
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MAX_WHEEL_BYTES = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # --no-build-isolation: setuptools from the locked environment, nothing fetched
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "--wheel-dir", str(out), str(ROOT)], check=True, cwd=build, timeout=600,
                   capture_output=True)
    (path,) = out.glob("velograph-*.whl")
    return path


def test_the_wheel_is_small_and_holds_only_the_library(wheel):
    assert wheel.stat().st_size <= MAX_WHEEL_BYTES, f"{wheel.name} is {wheel.stat().st_size / 2**20:.1f} MiB"
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert packages == {"velograph"}, packages
    assert "velograph/data/pancreas.h5ad" in names and "velograph/data/README.md" in names
    assert "velograph/py.typed" in names
    assert not [name for name in names if name.endswith(".h5ad") and "pancreas.h5ad" not in name]


def test_the_wheels_version_is_the_librarys(wheel):
    import velograph

    assert wheel.name.startswith(f"velograph-{velograph.__version__}-")


def test_import_velograph_exposes_only_the_library():
    code = ("import sys, velograph; print(sorted(m for m in sys.modules if m.startswith('velograph')));"
            "print(sorted(n for n in dir(velograph) if not n.startswith('_')))")
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           timeout=300).stdout.splitlines()
    assert "velograph_book" not in lines[0]
    import velograph

    public = eval(lines[1])  # noqa: S307 (our own printed list)
    helpers = {"fmt", "show", "table", "display", "plotting", "toy", "teaching", "limits", "comparisons",
               "diagnostics", "pipeline", "reproducibility"}
    assert not helpers & set(public)
    assert set(velograph.__all__) <= set(public)
