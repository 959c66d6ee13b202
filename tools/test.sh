#!/usr/bin/env bash
# Run every test: set up .venv if needed, build the book fail-closed, then the unit
# tests, the golden/chapter sync checks and nbval on the executed goldens.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/setup-env.sh"
cd "$ROOT"
start=$SECONDS
bash tools/book.sh
echo "[test] book built in $((SECONDS - start)) s"
python -m pytest tests/ --nbval-lax --nbval-sanitize-with tests/sanitize.cfg -p no:cacheprovider "$@"
