"""The environment: the lock file, the pins and the installed packages agree, and the
package keeps its import promises."""

import re
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from _ci import require_module

# slow: scVelo, the shipped data or subprocesses; tools/test.sh runs it beside the book build
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-lock.txt"


def pyproject_requirements() -> list[Requirement]:
    """Every requirement of velograph with its scvelo and dev extras (the self-reference left out)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    reqs = list(project["dependencies"]) + extras["scvelo"]
    reqs += [r for r in extras["dev"] if not r.startswith("velograph")]
    return [Requirement(r) for r in reqs]


def environment_yml_requirements() -> list[Requirement]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return [Requirement(r) for r in pip_section if not r.startswith("-e")]


def locked_versions(environment=None) -> dict[str, str]:
    """name -> version of every lock entry whose marker holds for Python 3.11 on this platform."""
    environment = {"python_version": "3.11", "python_full_version": "3.11.7", **(environment or {})}
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, marker = line.partition(";")
        name, _, pinned = requirement.strip().partition("==")
        assert pinned, f"lock entry without an exact version: {line!r}"
        if marker.strip() and not Marker(marker.strip()).evaluate(environment):
            continue
        pins[canonicalize_name(name)] = pinned.strip()
    return pins


def test_environment_yml_pins_equal_pyproject():
    assert sorted(map(str, environment_yml_requirements())) == sorted(map(str, pyproject_requirements()))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


@pytest.mark.parametrize("source", ["pyproject.toml", "environment.yml"])
def test_lock_satisfies_every_requirement(source):
    requirements = pyproject_requirements() if source == "pyproject.toml" else environment_yml_requirements()
    pins = locked_versions()
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} of {source} is not in requirements-lock.txt: refresh the lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements-lock.txt pins {name}=={pins[name]}, which violates {requirement} of {source}: "
            "refresh the lock"
        )


def test_lock_pins_every_package_exactly_and_once():
    pins = {}
    for line in LOCK.read_text().splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[^\s;]+(\s*;.+)?", entry), f"not an exact pin: {entry!r}"
            marker = entry.partition(";")[2].strip()
            key = (canonicalize_name(entry.split("==")[0]), marker)
            assert key not in pins, f"{key} pinned twice"
            pins[key] = entry
    assert len(pins) > 100  # the whole tree, not just the direct requirements


def test_installed_packages_are_the_locked_versions():
    """What this run tests is what the lock installs on a fresh machine."""
    wrong = []
    for name, pinned in locked_versions({"sys_platform": sys.platform, "platform_system": "Linux"}).items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # a platform-specific package of another system (e.g. appnope on macOS)
        if installed != pinned:
            wrong.append(f"{name} {installed} (lock: {pinned})")
    assert not wrong, "installed versions differ from requirements-lock.txt: " + ", ".join(wrong)


def test_known_breakages_are_avoided_by_what_is_installed():
    from packaging.version import Version

    assert Version(version("numpy")) < Version("2.4")  # 2.4 breaks scv.tl.velocity(mode="stochastic")
    assert Version(version("pynndescent")) < Version("0.7")  # 0.7 returns csr_array, breaks scanpy 1.11 > 4096 cells
    assert Version(version("jupyter-book")).major == 1  # JB2 ignores _config.yml
    assert version("scvelo") == "0.3.4"  # the version whose semantics the book documents


def test_stochastic_velocity_runs_on_the_pinned_numpy():
    """The numpy>=2.4 breakage, as a user meets it: scv.tl.velocity(mode='stochastic') must run."""
    scv = require_module("scvelo")
    scv.settings.verbosity = 0
    adata = scv.datasets.simulation(n_obs=100, n_vars=10, random_seed=0)
    scv.pp.moments(adata, n_pcs=5, n_neighbors=10)
    scv.tl.velocity(adata, mode="stochastic")
    assert adata.layers["velocity"].shape == (100, 10)


def test_importing_velograph_does_not_import_scvelo():
    code = "import sys, velograph; print('scvelo' in sys.modules, 'anndata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_ci_runs_the_readme_test_command():
    """The README names one test command; .ci/run executes exactly it, fail-closed."""
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^bash (tools/\S+\.sh)\s+# run every test", readme, re.M)
    assert commands == ["tools/test.sh"]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert "set -euo pipefail" in ci_lines and ci_lines[-1] == f"bash {commands[0]}"
