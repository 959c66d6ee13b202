#!/usr/bin/env bash
# Run every test, fastest first, stopping at the first stage that fails:
#   1. lint (ruff)                                   seconds
#   2. unit, property, parity and sync tests (-x)    about a minute
#   3. the book, built fail-closed on this machine   every chapter executes once, natively;
#      its executed outputs must equal the goldens, and a browser opens every page
#   4. the chapters again under two foreign computers, in parallel (nbval on the goldens):
#        old-laptop  OpenBLAS Sandybridge kernel, numba code for a generic x86-64, 1 thread
#        avx512      OpenBLAS SkylakeX kernel (what AVX-512 machines get), numba code for
#                    Haswell (AVX2, no AVX-512), 1 thread
#      each with a cold numba cache; every checked output must equal the golden.
# So each chapter executes once per configuration, and determinism is shown by comparing
# runs that happen anyway. Extra arguments go to the pytest call of stage 2 (e.g. -k kernel).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/setup-env.sh"
cd "$ROOT"
start=$SECONDS
stage() { echo "[test] $1 (at $((SECONDS - start)) s)"; }
PYTEST=(python -m pytest -p no:cacheprovider)
NEEDS_BOOK=(tests/test_book_outputs.py tests/test_browser.py)

stage "1/4 lint: ruff check"
ruff check src tests tools benchmarks book/_ext

stage "2/4 unit, property, parity and sync tests"
"${PYTEST[@]}" -x -q tests/ --ignore=tests/notebooks "${NEEDS_BOOK[@]/#/--ignore=}" "$@"

stage "3/4 book build (this machine) and its outputs"
jb build book/ --all --config _config.yml --path-output . -W -n --keep-going
"${PYTEST[@]}" -q "${NEEDS_BOOK[@]}"

stage "4/4 chapters under two foreign configurations"
# Foreign settings must reach the kernels nbval starts: they inherit this environment.
# numba takes the host's features unless told otherwise (except for "generic"), so the
# Haswell target names its features explicitly.
HASWELL="+64bit,+avx,+avx2,+bmi,+bmi2,+cmov,+cx16,+f16c,+fma,+fxsr,+lzcnt,+mmx,+movbe,+pclmul,+popcnt"
HASWELL="$HASWELL,+rdrnd,+sse,+sse2,+sse3,+sse4.1,+sse4.2,+ssse3,+xsave,+xsaveopt"
foreign() {  # name, OpenBLAS kernel, numba CPU name, numba CPU features (empty: the name's default)
  local settings=(OPENBLAS_CORETYPE="$2" NUMBA_CPU_NAME="$3" NUMBA_CACHE_DIR="$(mktemp -d)"
                  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 MKL_NUM_THREADS=1)
  [ -n "$4" ] && settings+=(NUMBA_CPU_FEATURES="$4")
  env "${settings[@]}" "${PYTEST[@]}" -q --nbval-lax --nbval-sanitize-with tests/sanitize.cfg tests/notebooks/ \
      >"_build/foreign-$1.log" 2>&1
}
mkdir -p _build
foreign old-laptop Sandybridge generic "" & first=$!
foreign avx512 SkylakeX haswell "$HASWELL" & second=$!
status=0
wait "$first" || status=1
wait "$second" || status=1
for name in old-laptop avx512; do
  echo "[test] --- foreign configuration: $name ---"
  cat "_build/foreign-$name.log"
done
stage "done"
exit "$status"
