"""The benchmark report labels an extrapolated scVelo time as an estimate, wherever it shows it."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_module():
    spec = importlib.util.spec_from_file_location("benchmark_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows():
    return json.loads((ROOT / "benchmarks" / "results.json").read_text())


def test_an_extrapolated_row_says_so_in_time_speed_up_per_step_line_and_footnote(tmp_path):
    rows = _rows()
    sampled = [e for e in rows if e["scvelo"].get("sampled_cells")]
    assert [e["cells"] for e in sampled] == [1_000_000]  # the stored run has one such row
    _run_module().write_results(rows, tmp_path, have_rs=False)
    report = (tmp_path / "results.md").read_text().splitlines()
    row = next(line for line in report if line.startswith("| 1,000,000 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3] == "407 (extrapolated¹ from 20,000 cells)" and cells[4] == "18.1x (extrapolated¹)"
    per_step = next(line for line in report if line.startswith("- 1,000,000 cells:"))
    assert "scVelo 407 / – / – (graph extrapolated¹)" in per_step
    footnote = next(line for line in report if line.startswith("¹ Not measured"))
    assert "20,000 of the 1,000,000 cells" in footnote and "= 50" in footnote
    assert any("grew 14.7-fold from 10,000 to 100,000 cells" in line for line in report)
    # a measured row carries no such label
    measured = next(line for line in report if line.startswith("| 100,000 |"))
    assert "extrapolated" not in measured


def test_no_footnote_when_every_row_was_measured(tmp_path):
    rows = [e for e in _rows() if not e["scvelo"].get("sampled_cells")]
    _run_module().write_results(rows, tmp_path, have_rs=False)
    assert "extrapolated" not in (tmp_path / "results.md").read_text()


def test_the_stored_report_and_readme_label_the_extrapolated_time():
    stored = (ROOT / "benchmarks" / "results.md").read_text()
    assert "18.1x (extrapolated¹)" in stored and "¹ Not measured" in stored
    readme_row = next(line for line in (ROOT / "README.md").read_text().splitlines()
                      if line.startswith("| 1,000,000 |"))
    assert "not measured: extrapolated" in readme_row
