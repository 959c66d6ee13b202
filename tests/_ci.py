"""A missing test requirement is a skip on a developer's machine and a failure in CI.

CI (``CI=true``) installs everything the suite needs, so a test that would vanish there
through a skip is a broken set-up, and must turn the run red instead of hiding.
"""

import importlib
import os

import pytest

IN_CI = os.environ.get("CI") == "true"


def missing(reason: str) -> None:
    """Skip (locally) or fail (in CI) the calling test or module, saying what is missing."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str):
    """Import and return module ``name``, or skip/fail as :func:`missing` says."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        missing(f"{name} cannot be imported ({err}); install the dev extra: pip install -e '.[dev]'")
