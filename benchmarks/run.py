"""Benchmark velograph.tl against scVelo (and scvelo-rs, if installed) in the same run.

    python benchmarks/run.py                   # 10k, 100k and 1M cells x 500 genes
    python benchmarks/run.py --sizes 10000     # chosen sizes
    python benchmarks/run.py --quick           # ~2k cells, under a minute (CI smoke test)

Each (tool, size) runs in its own subprocess, so its peak memory (max RSS, which
includes the synthetic input data) is its own. Steps timed: velocity_graph,
transition_matrix, velocity_embedding (basis='umap', autoscale included).
scVelo's graph is run with n_jobs=1 and n_jobs=2 and the faster is reported;
above --scvelo-full-max cells scVelo is timed on a random sample of cells (its
own per-cell loop, VelocityGraph._compute_cosines) and extrapolated linearly
to all cells, which is stated in the results. Parity (max |difference| of the
graph, and of the transition matrix and embedding where scVelo ran in full) is
measured against scVelo in the same run. Writes results.md and results.png
next to this file (or to --out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------- child side

def _peak_gb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kB


def _child(tool: str, n_cells: int, n_jobs: int, sample: int, out: str):
    import warnings

    import numpy as np
    import scipy.sparse as sp

    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(HERE))
    from synthetic import synthetic_adata

    adata = synthetic_adata(n_cells)
    result = {"tool": tool, "cells": n_cells, "n_jobs": n_jobs}
    timings = {}
    if tool == "velograph":
        import matplotlib.pyplot  # noqa: F401  (scVelo imports it at import time too; not part of the timing)

        import velograph.tl as vtl

        warm = synthetic_adata(300)  # load the compiled kernels outside the timing (cached on disk)
        vtl.velocity_graph(warm)
        vtl.velocity_embedding(warm, basis="umap")
        start = time.perf_counter()
        vtl.velocity_graph(adata)
        timings["graph"] = time.perf_counter() - start
        start = time.perf_counter()
        T = vtl.transition_matrix(adata)
        timings["transition"] = time.perf_counter() - start
        start = time.perf_counter()
        vtl.velocity_embedding(adata, basis="umap")
        timings["embedding"] = time.perf_counter() - start
    elif tool in ("scvelo", "scvelo-rs"):
        import scvelo as scv

        scv.settings.verbosity = 0
        if tool == "scvelo-rs":
            import scvelo_rs

            graph_function = scvelo_rs.tl.velocity_graph
        else:
            graph_function = scv.tl.velocity_graph
        if sample and sample < n_cells:
            from scvelo.tools.velocity_graph import VelocityGraph

            cells = np.sort(np.random.default_rng(0).choice(n_cells, sample, replace=False))
            vgraph = VelocityGraph(adata)
            start = time.perf_counter()
            _, vals, rows, cols = vgraph._compute_cosines(cells, None)
            elapsed = time.perf_counter() - start
            timings["graph"] = elapsed * n_cells / sample
            result["sampled_cells"] = int(sample)
            flat = [np.concatenate([np.ravel(v) for v in part]) if len(part) else np.empty(0)
                    for part in (vals, rows, cols)]
            np.savez(out + ".sample.npz", vals=flat[0].astype(np.float32), rows=flat[1].astype(np.int64),
                     cols=flat[2].astype(np.int64))
        else:
            start = time.perf_counter()
            kwargs = {"n_jobs": n_jobs} if tool == "scvelo" else {}
            graph_function(adata, show_progress_bar=False, **kwargs) if tool == "scvelo" else graph_function(adata)
            timings["graph"] = time.perf_counter() - start
            if tool == "scvelo":
                start = time.perf_counter()
                T = scv.tl.transition_matrix(adata)
                timings["transition"] = time.perf_counter() - start
                start = time.perf_counter()
                scv.tl.velocity_embedding(adata, basis="umap")
                timings["embedding"] = time.perf_counter() - start
    result["timings"] = timings
    result["peak_gb"] = _peak_gb()
    if "velocity_graph" in adata.uns:
        G = adata.uns["velocity_graph"] + adata.uns["velocity_graph_neg"]
        sp.save_npz(out + ".graph.npz", sp.csr_matrix(G))
        result["pairs"] = int(G.nnz)
    if "transition" in timings:
        sp.save_npz(out + ".T.npz", sp.csr_matrix(T))
        np.save(out + ".emb.npy", adata.obsm["velocity_umap"])
    Path(out).write_text(json.dumps(result))


# ---------------------------------------------------------------------------- parent side

def _run(tool, n_cells, n_jobs=1, sample=0, workdir=None):
    out = str(Path(workdir) / f"{tool}-{n_cells}-{n_jobs}.json")
    cmd = [sys.executable, __file__, "--child", tool, str(n_cells), str(n_jobs), str(sample), out]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"tool": tool, "cells": n_cells, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(Path(out).read_text()) | {"_out": out}


def _without_paths(value):
    """``value`` without the "_out" keys: they name files in a temporary folder of this machine."""
    if isinstance(value, dict):
        return {k: _without_paths(v) for k, v in value.items() if k != "_out"}
    if isinstance(value, list):
        return [_without_paths(v) for v in value]
    return value


def _max_diff(a_path, b_path):
    import numpy as np
    import scipy.sparse as sp

    if a_path.endswith(".npy"):
        a, b = np.load(a_path), np.load(b_path)
        return float(np.nanmax(np.abs(a - b)))
    A, B = sp.load_npz(a_path), sp.load_npz(b_path)
    same_pattern = ((A != 0) != (B != 0)).nnz == 0
    return float(abs(A - B).max()) if same_pattern else float("inf")


def _sample_diff(ours_graph, sample_npz):
    import numpy as np
    import scipy.sparse as sp

    G = sp.load_npz(ours_graph).tocsr()
    s = np.load(sample_npz)
    vals = np.clip(s["vals"], -1, 1)
    vals[np.isnan(vals)] = 0
    return float(np.abs(np.asarray(G[s["rows"], s["cols"]]).ravel() - vals).max())


def main(argv=None):
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="one small size, for a smoke test")
    parser.add_argument("--scvelo-full-max", type=int, default=100_000,
                        help="above this many cells, time scVelo's graph on a sample of cells")
    parser.add_argument("--sample", type=int, default=20_000, help="cells in scVelo's sample")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.md and results.png")
    args = parser.parse_args(argv)
    sizes = [2_000] if args.quick else args.sizes
    try:
        import scvelo_rs  # noqa: F401

        have_rs = True
    except ImportError:
        have_rs = False

    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for n in sizes:
            full = n <= args.scvelo_full_max
            ours = _run("velograph", n, workdir=workdir)
            scvelo_runs = [_run("scvelo", n, n_jobs=j, sample=0 if full else args.sample, workdir=workdir)
                           for j in ((1, 2) if full and not args.quick else (1,))]
            ok = [r for r in scvelo_runs if "timings" in r]
            best = min(ok, key=lambda r: r["timings"]["graph"]) if ok else scvelo_runs[0]
            entry = {"cells": n, "velograph": ours, "scvelo": best, "scvelo_all": scvelo_runs}
            if "timings" in ours and "timings" in best:
                if full:
                    entry["graph_diff"] = _max_diff(ours["_out"] + ".graph.npz", best["_out"] + ".graph.npz")
                    entry["T_diff"] = _max_diff(ours["_out"] + ".T.npz", best["_out"] + ".T.npz")
                    entry["emb_diff"] = _max_diff(ours["_out"] + ".emb.npy", best["_out"] + ".emb.npy")
                else:
                    entry["graph_diff"] = _sample_diff(ours["_out"] + ".graph.npz", best["_out"] + ".sample.npz")
            if have_rs and full:
                rs = _run("scvelo-rs", n, workdir=workdir)
                entry["scvelo_rs"] = rs
                if "timings" in rs and "timings" in best:
                    entry["rs_graph_diff"] = _max_diff(rs["_out"] + ".graph.npz", best["_out"] + ".graph.npz")
            entry = _without_paths(entry)
            rows.append(entry)
            print(json.dumps({k: v for k, v in entry.items() if k != "scvelo_all"}, default=str)[:600], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    write_results(rows, args.out, have_rs, quick=args.quick)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1, default=str) + "\n")
    return rows


def _fmt_s(x):
    return "–" if x is None else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def write_results(rows, out: Path, have_rs: bool, quick=False):
    import platform

    import numpy as np

    lines = [
        "# Benchmarks: velograph.tl against scVelo",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on this machine ({os.cpu_count()} cores, "
        f"Python {platform.python_version()}), synthetic data: cells on a 2-D trajectory, "
        "500 genes, exact kNN with 30 neighbours (29 stored, scanpy's convention), stochastic-mode "
        "velocities (sign-sqrt on), default two-hop neighbourhoods. Times in seconds; peak memory is the "
        "subprocess's max RSS including the input data. Produced by `python benchmarks/run.py`"
        + (" --quick (smoke test, not a measurement)" if quick else "") + ".",
        "",
        "| cells | pairs | velograph graph | scVelo graph (best n_jobs) | speed-up | velograph graph + embedding | "
        "scVelo graph + embedding | speed-up | velograph peak GB | scVelo peak GB | "
        "max abs diff graph / T / embedding |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in rows:
        o, s = e["velograph"], e["scvelo"]
        ot, st = o.get("timings", {}), s.get("timings", {})
        # the chain a scVelo script runs: velocity_graph then velocity_embedding (which builds
        # its own transition matrix); tl.transition_matrix is timed separately below
        chain_o = ot["graph"] + ot["embedding"] if ot else None
        chain_s = st["graph"] + st["embedding"] if {"graph", "embedding"} <= set(st) else None
        sampled = s.get("sampled_cells")
        # an extrapolated time is an estimate: every number derived from it says so
        graph_s = _fmt_s(st.get("graph")) + (f" (extrapolated\u00b9 from {sampled:,} cells)" if sampled else "")
        if s.get("n_jobs") and not sampled:
            graph_s += f" (n_jobs={s['n_jobs']})"
        estimate = " (extrapolated\u00b9)" if sampled else ""
        diffs = " / ".join(f"{e[k]:.1e}" if k in e else "–" for k in ("graph_diff", "T_diff", "emb_diff"))
        lines.append(
            f"| {e['cells']:,} | {o.get('pairs', 0):,} | {_fmt_s(ot.get('graph'))} | {graph_s} | "
            f"{st.get('graph', np.nan) / ot['graph']:.1f}x{estimate} | {_fmt_s(chain_o)} | {_fmt_s(chain_s)} | "
            + (f"{chain_s / chain_o:.1f}x" if chain_s and chain_o else "–")
            + f" | {o.get('peak_gb', float('nan')):.1f} | {s.get('peak_gb', float('nan')):.1f} | {diffs} |"
            if ot and "graph" in st else f"| {e['cells']:,} | failed: {o.get('error') or s.get('error')} |"
        )
    lines += _extrapolation_note(rows)
    lines += ["", "Per-step times, velograph vs scVelo (velocity_graph / transition_matrix / velocity_embedding, s):",
              ""]
    for e in rows:
        t, u = e["velograph"].get("timings", {}), e["scvelo"].get("timings", {})
        if t:
            theirs = " / ".join(_fmt_s(u.get(k)) for k in ("graph", "transition", "embedding"))
            if e["scvelo"].get("sampled_cells"):
                theirs += " (graph extrapolated\u00b9)"
            per_pair = 1e9 * t["graph"] / max(1, e["velograph"].get("pairs", 1)) / 500
            lines.append(f"- {e['cells']:,} cells: velograph {t['graph']:.3f} / {t['transition']:.3f} / "
                         f"{t['embedding']:.3f}; scVelo {theirs}; velograph graph {per_pair:.3f} ns per pair and gene")
    if have_rs:
        lines += ["", "scvelo-rs 0.1.3 (`scvelo_rs.tl.velocity_graph`, same data, same run):", ""]
        for e in rows:
            rs = e.get("scvelo_rs")
            if rs and "timings" in rs and "timings" in e["velograph"]:
                g = rs["timings"]["graph"]
                ratio = g / e["velograph"]["timings"]["graph"]
                lines.append(f"- {e['cells']:,} cells: {g:.2f} s ({ratio:.1f}x velograph's time), "
                             f"max abs diff to scVelo {e.get('rs_graph_diff', float('nan')):.1e}")
    else:
        lines += ["", "scvelo-rs was not installed in this run (`pip install -e '.[bench]'` adds it)."]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    _figure(rows, out / "results.png")


def _extrapolation_note(rows) -> list[str]:
    """The footnote of every row whose scVelo graph time was extrapolated from a sample of cells."""
    sampled = [e for e in rows if e["scvelo"].get("sampled_cells")]
    if not sampled:
        return []
    note = []
    for e in sampled:
        n, m = e["cells"], e["scvelo"]["sampled_cells"]
        note.append(
            f"\u00b9 Not measured: at {n:,} cells scVelo's full `velocity_graph` was not run. Its per-cell loop "
            f"(`VelocityGraph._compute_cosines`, without the setup and the assembly of the sparse graph) was timed "
            f"on a random sample of {m:,} of the {n:,} cells (seed 0) in the same run, and that time multiplied "
            f"by {n:,} / {m:,} = {n / m:g}, i.e. extrapolated linearly in cells. The speed-up in this row is an "
            f"estimate from that extrapolation; scVelo's transition matrix and embedding were not run, its peak "
            f"memory is that of the sampled run, and the graph difference compares the sampled cells' rows.")
    full = sorted((e["cells"], e["scvelo"]["timings"]["graph"]) for e in rows
                  if not e["scvelo"].get("sampled_cells") and "graph" in e["scvelo"].get("timings", {}))
    if len(full) >= 2:
        (n0, t0), (n1, t1) = full[0], full[-1]
        note.append(
            f"Measured in full, scVelo's graph time grew {t1 / t0:.1f}-fold from {n0:,} to {n1:,} cells "
            f"({n1 / n0:g} times the cells), so a linear extrapolation is more likely too low than too high.")
    return [line for paragraph in note for line in ("", paragraph)]


def _figure(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2), constrained_layout=True)
    for key, label, style in (("velograph", "velograph.tl", "o-"), ("scvelo", "scVelo (best n_jobs)", "s--"),
                              ("scvelo_rs", "scvelo-rs", "^:")):
        pts = [(e["velograph"].get("pairs"), e[key]["timings"]["graph"], bool(e[key].get("sampled_cells")))
               for e in rows if key in e and "timings" in e[key] and e["velograph"].get("pairs")]
        measured = [(x, y) for x, y, sampled in pts if not sampled]
        if measured:
            x, y = zip(*measured, strict=True)
            line = ax.plot(x, y, style, label=label)[0]
        estimated = [(x, y) for x, y, sampled in pts if sampled]
        if estimated:  # an extrapolated time is drawn hollow, apart from the measured line
            x, y = zip(*estimated, strict=True)
            ax.plot(x, y, style[0], mfc="none", color=line.get_color() if measured else None,
                    label=f"{label}, extrapolated")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stored neighbour pairs (cells x ~100)")
    ax.set_ylabel("velocity_graph time (s)")
    ax.set_title("Time grows linearly with the neighbour pairs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        main()
