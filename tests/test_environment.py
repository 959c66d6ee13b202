"""The environment descriptions agree, and the package keeps its import promises."""

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    reqs = list(project["dependencies"]) + extras["scvelo"]
    reqs += [r for r in extras["dev"] if not r.startswith("velograph")]
    return sorted(reqs)


def test_environment_yml_pins_equal_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = sorted(r for r in pip_section if not r.startswith("-e"))
    assert listed == _pyproject_requirements()
    assert "python=3.11" in env["dependencies"]


def test_known_breakages_are_pinned():
    reqs = " ".join(_pyproject_requirements())
    for pin in ("numpy>=1.26,<2.4", "pynndescent>=0.5,<0.7", "jupyter-book>=1.0.4,<2", "scvelo==0.3.4"):
        assert pin in reqs


def test_importing_velograph_does_not_import_scvelo():
    code = "import sys, velograph; print('scvelo' in sys.modules, 'anndata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash tools/test.sh" in readme and "bash tools/test.sh" in ci
    assert "set -euo pipefail" in ci
