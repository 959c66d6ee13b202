#!/usr/bin/env bash
# Run every test: set up .venv if needed, build the book fail-closed, then the unit
# tests, the golden/chapter sync checks and nbval on the executed goldens.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/setup-env.sh"
cd "$ROOT"
if [ "${CI:-}" = "true" ]; then
  # CI proves the cold path: preprocessing and the dynamical fit are recomputed in
  # the clone instead of being read from a cache left on the machine.
  export VELOGRAPH_CACHE="$ROOT/.velograph-cache"
fi
start=$SECONDS
bash tools/book.sh
echo "[test] book built in $((SECONDS - start)) s"
python -m pytest tests/ --nbval-lax --nbval-sanitize-with tests/sanitize.cfg -p no:cacheprovider "$@"
