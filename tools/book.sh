#!/usr/bin/env bash
# Build the book: sets up .venv if needed, executes every chapter, fails on any
# error or warning. The HTML lands in _build/html (open _build/html/index.html).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/setup-env.sh"
cd "$ROOT"
# --all: re-execute every chapter, so a library change cannot hide behind an
# incremental build that skips unchanged chapter files.
jb build book/ --all --config _config.yml --path-output . -W -n --keep-going
echo "[book] HTML in $ROOT/_build/html/index.html"
