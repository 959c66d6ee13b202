#!/usr/bin/env bash
# Create or reuse the local virtual environment .venv with the pinned dependencies.
# Sourced by tools/book.sh and tools/test.sh; needs only Python 3.11 on the PATH.
# Reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VELOGRAPH_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.velograph-installed"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[setup] installing velograph[dev] and its pinned dependencies"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import velograph, scvelo, jupyter_book, nbval" # fail here if the install did not work
  echo "$WANT" > "$STAMP"
fi
# The browser check (tests/test_browser.py) needs Chromium; install Debian's package
# where we can (root with apt-get, as in CI), else the check skips with a message.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "[setup] installing Debian's chromium for the browser check"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "[setup] could not install chromium: the browser check will be skipped"
fi
export PATH="$VENV/bin:$PATH"
export PYTHONHASHSEED=0
