#!/usr/bin/env bash
# Create or reuse the local virtual environment .venv with the exact versions of the lock file.
# Sourced by tools/book.sh and tools/test.sh; needs only Python 3.11 on the PATH.
# Installs requirements-lock.txt (every package at the version CI tested), then the two
# packages of this repository without dependencies: the library velograph (pyproject.toml)
# and the book's helpers velograph_book (book-helpers/pyproject.toml); reinstalls only when
# one of the two project files or the lock changed.
# Any failed step stops the command: nothing here is allowed to fail quietly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VELOGRAPH_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
LOCK="$ROOT/requirements-lock.txt"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi

# pip, with this machine's harmless "WARNING: Location ... is ignored" lines filtered out of
# its output; its exit status is kept, and on failure its whole output is shown.
pip_quietly() {
  local log status=0
  log="$(mktemp)"
  "$VENV/bin/python" -m pip "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    grep -v "^WARNING: Location" "$log" >&2 || true
    rm -f "$log"
    echo "[setup] pip $* failed (exit $status)" >&2
    return "$status"
  fi
  rm -f "$log"
}

STAMP="$VENV/.velograph-installed"
WANT="$(cat "$ROOT/pyproject.toml" "$ROOT/book-helpers/pyproject.toml" "$LOCK" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[setup] installing the locked dependencies ($(grep -c '==' "$LOCK") packages), velograph and velograph_book"
  pip_quietly install --quiet --upgrade "pip>=24"
  pip_quietly install --quiet -r "$LOCK"
  pip_quietly install --quiet --no-deps -e "$ROOT"
  pip_quietly install --quiet --no-deps -e "$ROOT/book-helpers"
  "$VENV/bin/python" -m pip check
  "$VENV/bin/python" -c "import velograph, velograph_book, scvelo, jupyter_book, nbval"
  echo "$WANT" > "$STAMP"
fi

# The browser check (tests/test_browser.py) needs Chromium; install Debian's package
# where we can (root with apt-get, as in CI). In CI a missing browser is an error.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "[setup] installing Debian's chromium for the browser check"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1; then
    echo "[setup] could not install chromium" >&2
  fi
fi
if ! command -v chromium >/dev/null 2>&1 && [ "${CI:-}" = "true" ]; then
  echo "[setup] CI=true but chromium is not installed: the browser check cannot run" >&2
  exit 1
fi
export PATH="$VENV/bin:$PATH"
export PYTHONHASHSEED=0
