"""Smoke test of the benchmark command (quick mode): it runs, writes its report, and the
numbers it compares agree with scVelo. No timing is asserted: performance claims live in
benchmarks/results.md, measured as ratios in one run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from _ci import require_module

# slow: scVelo, the shipped data or subprocesses; tools/test.sh runs it beside the book build
pytestmark = pytest.mark.slow

require_module("scvelo")
ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_runs_and_agrees_with_scvelo(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(tmp_path)],
                   check=True, capture_output=True, text=True, timeout=300)
    written = (tmp_path / "results.json").read_text()
    assert "_out" not in written and str(tmp_path) not in written and "/tmp" not in written
    rows = json.loads(written)
    assert len(rows) == 1 and rows[0]["cells"] == 2000
    row = rows[0]
    assert row["graph_diff"] <= 1e-5 and row["T_diff"] <= 1e-5 and row["emb_diff"] <= 1e-4
    assert {"graph", "transition", "embedding"} <= set(row["velograph"]["timings"])
    assert row["velograph"]["peak_gb"] > 0
    report = (tmp_path / "results.md").read_text()
    assert "| 2,000 |" in report and (tmp_path / "results.png").stat().st_size > 1000


def test_stored_results_name_no_path_of_the_machine():
    stored = (ROOT / "benchmarks" / "results.json").read_text()
    assert "_out" not in stored and "/tmp" not in stored and "/home" not in stored and "/root" not in stored
