"""Compiled kernel for the velocity graph: one pass over the genes per neighbour pair.

The algebra that makes one pass enough: for a pair (i, j) with displacement
d = f(x_j - x_i) over G genes and a velocity w = f(v_i) - mean(f(v_i)) that is
already centred,

    (d - mean(d)) . w   = d . w - mean(d) * sum(w)        (sum(w) = 0 up to rounding)
    |d - mean(d)|^2     = sum(d^2) - (sum d)^2 / G

so the Pearson correlation needs only sum(d), sum(d^2) and d . w, accumulated
in float64 while streaming through the genes once. numba compiles it and runs
the pairs in parallel threads (no process pool). The readable NumPy version is
``velograph.graph._pair_similarities_numpy``; the tests check both agree.
"""

from __future__ import annotations

import math

import numba
import numpy as np


# reassoc/contract let LLVM vectorise the three running sums (they change the last
# bits of a sum, never more); NaN and inf keep their IEEE meaning (no nnan/ninf).
@numba.njit(parallel=True, cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def pair_similarities_numba(X, W, w_sum, w_norm, rows, cols, center, stabilize, out):  # pragma: no cover - compiled
    n_genes = X.shape[1]
    for p in numba.prange(rows.shape[0]):
        i = rows[p]
        j = cols[p]
        x_i, x_j, w_i = X[i], X[j], W[i]
        s = 0.0
        s2 = 0.0
        dot = 0.0
        # Two loops rather than a branch inside one, so each vectorises.
        if stabilize:
            for g in range(n_genes):
                d = x_j[g] - x_i[g]
                d = math.copysign(math.sqrt(abs(d)), d)
                s += d
                s2 += d * d
                dot += d * w_i[g]
        else:
            for g in range(n_genes):
                d = x_j[g] - x_i[g]
                s += d
                s2 += d * d
                dot += d * w_i[g]
        if center:
            dot -= s * w_sum[i] / n_genes
            s2 -= s * s / n_genes
        norm = math.sqrt(max(s2, 0.0)) * w_norm[i]
        out[p] = min(1.0, max(-1.0, dot / norm)) if norm > 0.0 else 0.0
