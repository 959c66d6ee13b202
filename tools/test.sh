#!/usr/bin/env bash
# Run every test: the fast ones first, failing fast, then the slow ones side by side.
#   1. lint (ruff)                                               seconds
#   2. unit, property and sync tests (-x: stop at the first failure)
#   3. in parallel, on the machine's 2 cores:
#      a. the book, built fail-closed on this machine: every chapter executes once,
#         natively; then its executed checked outputs must equal the goldens, and a
#         browser opens every page
#      b. the slow tests: scVelo parity, the foreign-CPU kernel check, the shipped data,
#         the environment and lock, the README example, the benchmark smoke run
#      c. the chapters under foreign computers (nbval on the goldens), each with a cold
#         numba cache and one thread:
#           old-laptop  OpenBLAS Sandybridge kernel, numba code for a generic x86-64,
#                       numpy's SIMD loops limited to AVX (no FMA3/AVX2/AVX-512)
#           avx512      OpenBLAS SkylakeX kernel (what AVX-512 machines get), numba code
#                       for Haswell (AVX2, no AVX-512); on a CPU without AVX-512, where the
#                       SkylakeX kernel is an illegal instruction, "sse4" instead: OpenBLAS
#                       Nehalem kernel (SSE4.2, no AVX), numba code for Haswell
#      every checked output must equal the golden in each.
# So each chapter executes once per configuration, and determinism is shown by comparing
# runs that happen anyway. Extra arguments go to the pytest call of stage 2 (e.g. -k kernel).
# The suite is divided by the markers of pyproject.toml (slow, book, browser), the one list
# that mutmut selects by too. Tests run in a shuffled order (pytest-randomly) so that no test
# can lean on another; the order is fixed by VELOGRAPH_TEST_ORDER (default 20261128) so that
# CI never turns red without a change; VELOGRAPH_TEST_ORDER=$RANDOM tries another order.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/setup-env.sh"
cd "$ROOT"
# matplotlib's font list of this checkout's own environment: a shared ~/.cache/matplotlib
# written by another installation (one deleted while it ran left a list without
# matplotlib's own fonts) made every figure cell print findfont warnings, and the book red.
export MPLCONFIGDIR="$ROOT/_build/matplotlib"
mkdir -p "$MPLCONFIGDIR"
start=$SECONDS
stage() { echo "[test] $1 (at $((SECONDS - start)) s)"; }
ORDER="${VELOGRAPH_TEST_ORDER:-20261128}"
PYTEST=(python -m pytest -p no:cacheprovider -p randomly "--randomly-seed=$ORDER")
SUITE=(tests/ --ignore=tests/notebooks)

stage "1/3 lint: ruff check"
ruff check src tests tools benchmarks book/_ext

stage "2/3 unit, property and sync tests"
"${PYTEST[@]}" -x -q "${SUITE[@]}" -m "not slow and not book and not browser" "$@"

stage "3/3 book build, slow tests and foreign configurations, in parallel"
mkdir -p _build
book() {
  jb build book/ --all --config _config.yml --path-output . -W -n --keep-going \
    && "${PYTEST[@]}" -q "${SUITE[@]}" -m "book or browser"
}
# numba takes the host's features unless told otherwise (except for "generic"), so the
# Haswell target names its features explicitly.
HASWELL="+64bit,+avx,+avx2,+bmi,+bmi2,+cmov,+cx16,+f16c,+fma,+fxsr,+lzcnt,+mmx,+movbe,+pclmul,+popcnt"
HASWELL="$HASWELL,+rdrnd,+sse,+sse2,+sse3,+sse4.1,+sse4.2,+ssse3,+xsave,+xsaveopt"
NO_AVX2="F16C FMA3 AVX2 AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
foreign() {  # OpenBLAS kernel, numba CPU name, numba CPU features (empty: the name's default), numpy features off
  local settings=(OPENBLAS_CORETYPE="$1" NUMBA_CPU_NAME="$2" NUMBA_CACHE_DIR="$(mktemp -d)"
                  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 MKL_NUM_THREADS=1)
  [ -n "$3" ] && settings+=(NUMBA_CPU_FEATURES="$3")
  [ -n "$4" ] && settings+=(NPY_DISABLE_CPU_FEATURES="$4")
  env "${settings[@]}" python -m pytest -p no:cacheprovider -q --nbval-lax --nbval-sanitize-with tests/sanitize.cfg tests/notebooks/
}
# The third configuration forces a BLAS kernel this CPU can run: SkylakeX needs AVX-512.
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then THIRD=avx512 THIRD_BLAS=SkylakeX; else THIRD=sse4 THIRD_BLAS=Nehalem; fi
JOBS=(book slow old-laptop "$THIRD")
book >_build/test-book.log 2>&1 & pids=($!)
"${PYTEST[@]}" -q "${SUITE[@]}" -m slow >_build/test-slow.log 2>&1 & pids+=($!)
foreign Sandybridge generic "" "$NO_AVX2" >_build/test-old-laptop.log 2>&1 & pids+=($!)
foreign "$THIRD_BLAS" haswell "$HASWELL" "" >"_build/test-$THIRD.log" 2>&1 & pids+=($!)
failed=()
for k in "${!JOBS[@]}"; do
  wait "${pids[$k]}" || failed+=("${JOBS[$k]}")
done
for name in "${JOBS[@]}"; do
  echo "[test] ----- $name -----"
  if [ "$name" = book ]; then  # the build's warnings and errors, its timings, then the tests after it
    grep -E "WARNING|ERROR|Executed notebook|build (succeeded|finished)|passed|failed" _build/test-book.log || true
  else cat "_build/test-$name.log"; fi
done
stage "done"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "[test] FAILED: ${failed[*]}" >&2
  exit 1
fi
