"""Summarise a finished mutmut run as the per-module table of tests/mutation-report.md.

Usage, in the directory where ``mutmut run`` ran (it holds ``mutants/``):
    mutmut results --all true > results.txt
    python tools/mutation_table.py results.txt

Score = killed / checked mutants of the module ("not checked" and interrupted mutants
are left out: they have no result). A timeout, a crash (segfault) or a type-check catch
counts as killed: the mutant was detected. "suspicious" and "skipped" mutants count in
the total and have their own column. Mutants of figure functions (``plot_*``,
``*_plot``) are counted apart: the fast selection does not draw figures (the notebook
goldens check them), so most of them report "no tests"; the package score is given
with and without them.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

KILLED = {"killed", "timeout", "segfault", "caught by type check"}
NO_RESULT = {"not checked", "check was interrupted by user"}
LINE = re.compile(r"^\s*(?P<module>[\w.]+)\.x(?:_|ǁ)(?P<function>.+?)__mutmut_\d+: (?P<status>.+?)\s*$")


def read(lines):
    """Counts of statuses per (package, module), figure functions apart."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        status = "killed" if m["status"] in KILLED else "not checked" if m["status"] in NO_RESULT else m["status"]
        name = m["function"].split("ǁ")[-1].lstrip("_")
        figure = name.startswith("plot_") or name.endswith("_plot")
        counts[(m["module"].split(".")[0], m["module"])][("figure " if figure else "") + status] += 1
    return counts


def share(killed: int, total: int) -> str:
    return f"{killed}/{total} = {100 * killed / total:.1f}%" if total else "-"


def table(counts) -> str:
    out = ["| module | score | survived | no tests | suspicious or skipped | figure-function mutants |",
           "|---|---|---|---|---|---|"]
    totals: dict[str, Counter] = defaultdict(Counter)
    for (package, module), c in sorted(counts.items()):
        plain = {k: v for k, v in c.items() if not k.startswith("figure ") and k != "not checked"}
        total = sum(plain.values())
        figures = sum(v for k, v in c.items() if k.startswith("figure ") and not k.endswith("not checked"))
        other = plain.get("suspicious", 0) + plain.get("skipped", 0)
        out.append(f"| {module} | {share(plain.get('killed', 0), total)} | {plain.get('survived', 0)} | "
                   f"{plain.get('no tests', 0)} | {other or ''} | {figures or ''} |")
        totals[package].update(c)
    out.append("")
    out.append("| package | score without figure functions | score over all checked mutants | not checked |")
    out.append("|---|---|---|---|")
    for package, c in sorted(totals.items()):
        plain_total = sum(v for k, v in c.items() if not k.startswith("figure ") and k != "not checked")
        all_total = sum(v for k, v in c.items() if not k.endswith("not checked"))
        killed = c.get("killed", 0) + c.get("figure killed", 0)
        out.append(f"| {package} | {share(c.get('killed', 0), plain_total)} | {share(killed, all_total)} | "
                   f"{c.get('not checked', 0) + c.get('figure not checked', 0)} |")
    return "\n".join(out)


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        print(table(read(f)))


if __name__ == "__main__":
    main(sys.argv[1])
