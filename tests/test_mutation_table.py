"""tools/mutation_table.py: the report's per-module scores from mutmut's results list."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from mutation_table import read, table  # noqa: E402

RESULTS = """\
    velograph.kernel.x_transition_matrix__mutmut_1: killed
    velograph.kernel.x_transition_matrix__mutmut_2: survived
    velograph.kernel.x_transition_matrix__mutmut_3: timeout
    velograph.kernel.x_transition_matrix__mutmut_4: segfault
    velograph.tl._graph.x_velocity_graph__mutmut_1: no tests
    velograph.tl._graph.x_velocity_graph__mutmut_2: not checked
    velograph_book.limits.x_plot_edge_cells__mutmut_1: no tests
    velograph_book.comparisons.x_stream_plot__mutmut_7: no tests
    velograph_book.toy.xǁToy\u01c1__init____mutmut_1: killed
    velograph_book.limits.x_agreement__mutmut_3: survived
    velograph.similarity.x_sign_sqrt__mutmut_1: caught by type check
    velograph.similarity.x_sign_sqrt__mutmut_2: suspicious
    velograph.similarity.x_sign_sqrt__mutmut_3: skipped
    velograph.similarity.x_sign_sqrt__mutmut_4: check was interrupted by user
a line that is not a mutant
"""


def test_statuses_are_counted_per_module_and_figures_apart():
    counts = read(RESULTS.splitlines())
    assert counts[("velograph", "velograph.kernel")] == {"killed": 3, "survived": 1}
    assert counts[("velograph", "velograph.tl._graph")] == {"no tests": 1, "not checked": 1}
    assert counts[("velograph_book", "velograph_book.limits")] == {"figure no tests": 1, "survived": 1}
    assert counts[("velograph_book", "velograph_book.comparisons")] == {"figure no tests": 1}
    assert counts[("velograph_book", "velograph_book.toy")] == {"killed": 1}
    assert counts[("velograph", "velograph.similarity")] == {"killed": 1, "suspicious": 1, "skipped": 1,
                                                              "not checked": 1}


def test_scores_exclude_unchecked_mutants_and_report_figures_separately():
    text = table(read(RESULTS.splitlines()))
    assert "| velograph.kernel | 3/4 = 75.0% | 1 | 0 |  |  |" in text
    assert "| velograph.tl._graph | 0/1 = 0.0% | 0 | 1 |  |  |" in text
    assert "| velograph.similarity | 1/3 = 33.3% | 0 | 0 | 2 |  |" in text
    assert "| velograph_book.limits | 0/1 = 0.0% | 1 | 0 |  | 1 |" in text
    # package totals: without figure mutants, and over all checked mutants
    assert "| velograph | 4/8 = 50.0% | 4/8 = 50.0% | 2 |" in text
    assert "| velograph_book | 1/2 = 50.0% | 1/4 = 25.0% | 0 |" in text
