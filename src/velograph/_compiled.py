"""Compiled kernels: the velocity graph in one pass over the genes per neighbour pair.

For a pair (i, j) the displacement d = f(x_j - x_i) over the G genes is built once
in a small per-cell scratch buffer (pass 1, which also sums it), then centred and
reduced against the already centred velocity w = f(v_i) - mean(f(v_i)) (pass 2,
from L1 cache): Pearson = (d - mean d) . w / (||d - mean d|| ||w||). Centring
explicitly, as scVelo does, avoids the cancellation of the one-pass formula
sum(d^2) - (sum d)^2 / G in float32. Sums are accumulated in the dtype of X:
float64 for the array-level functions (exact to ~1e-15), float32 for
``velograph.tl`` (what scVelo itself computes in; differences ~1e-7).

Cells are visited in a locality order (reverse Cuthill-McKee of the neighbour
graph) so that the states of a cell's neighbours are still in cache when the
next cell needs them; numba runs the cells in parallel threads (no process pool).
The readable NumPy version is ``velograph.graph._pair_similarities_numpy``; the
tests check that both agree.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# reassoc/contract let LLVM vectorise the running sums (changing only the last bits
# of a sum); NaN and inf keep their IEEE meaning (no nnan/ninf flags).
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@numba.njit(parallel=True, cache=True, fastmath=_FASTMATH)
def csr_pair_similarities(X, W, w_norm, indptr, indices, order, center, stabilize, out):  # pragma: no cover
    n_genes = X.shape[1]
    for r in numba.prange(order.shape[0]):
        i = order[r]
        x_i = X[i]
        w_i = W[i]
        d = np.empty_like(x_i)  # scratch: one displacement, reused for every neighbour of i
        for p in range(indptr[i], indptr[i + 1]):
            x_j = X[indices[p]]
            # pass 1: f(x_j - x_i) and its sum (two loops, so that each vectorises)
            s = d[:0].sum()  # 0 in the dtype of X, which sets the precision of the sums
            if stabilize:
                for g in range(n_genes):
                    delta = x_j[g] - x_i[g]
                    d[g] = np.copysign(np.sqrt(np.abs(delta)), delta)
                    s += d[g]
            else:
                for g in range(n_genes):
                    d[g] = x_j[g] - x_i[g]
                    s += d[g]
            # pass 2 over the cached displacement: centred norm and dot product. Centring
            # explicitly (as scVelo does) avoids the cancellation of sum(d^2) - (sum d)^2/G.
            mean = s / n_genes if center else s - s
            s2 = s - s
            dot = s - s
            for g in range(n_genes):
                c = d[g] - mean
                s2 += c * c
                dot += c * w_i[g]
            norm = math.sqrt(np.float64(s2)) * w_norm[i]
            out[p] = min(1.0, max(-1.0, np.float64(dot) / norm)) if norm > 0.0 else 0.0


@numba.njit(parallel=True, cache=True)
def csr_project(T_data, indptr, indices, X_emb, correction, out):  # pragma: no cover
    """nu_i = sum_j p_ij u_ij - c_i over stored off-diagonal j, u_ij unit directions.

    correction: 0 none, 1 uniform (1/n_i), 2 mean(p). Rows without neighbours are NaN.
    """
    n, dims = X_emb.shape
    for i in numba.prange(n):
        expected = np.zeros(dims)
        total = np.zeros(dims)
        direction = np.zeros(dims)
        weight_sum = 0.0
        count = 0
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j == i:
                continue
            length = 0.0
            for k in range(dims):
                direction[k] = X_emb[j, k] - X_emb[i, k]
                length += direction[k] * direction[k]
            length = math.sqrt(length)
            count += 1
            weight_sum += T_data[p]
            if length > 0.0:
                for k in range(dims):
                    expected[k] += T_data[p] * direction[k] / length
                    total[k] += direction[k] / length
        if count == 0:
            for k in range(dims):
                out[i, k] = np.nan
            continue
        factor = 0.0
        if correction == 1:
            factor = 1.0 / count
        elif correction == 2:
            factor = weight_sum / count
        for k in range(dims):
            out[i, k] = expected[k] - factor * total[k]


@numba.njit(parallel=True, cache=True)
def prepare_velocities(V, center, stabilize, out, norms):  # pragma: no cover
    """out[i] = f(V[i]) - mean(f(V[i])) (centring optional), norms[i] = ||out[i]||; f = sign*sqrt if stabilize."""
    n, n_genes = V.shape
    for i in numba.prange(n):
        total = 0.0
        for g in range(n_genes):
            w = V[i, g]
            if stabilize:
                w = np.copysign(np.sqrt(np.abs(w)), w)
            out[i, g] = w
            total += w
        mean = total / n_genes if center else 0.0
        squares = 0.0
        for g in range(n_genes):
            out[i, g] = out[i, g] - mean
            squares += np.float64(out[i, g]) * np.float64(out[i, g])
        norms[i] = math.sqrt(squares)


@numba.njit(cache=True)
def _two_hop_row(i, indices, marker, buffer):  # pragma: no cover
    """Unique members of {i} u K(i) u K(K(i)) into buffer; returns their count (marker stamps with i + 1)."""
    count = 0
    stamp = i + 1
    marker[i] = stamp
    buffer[count] = i
    count += 1
    k = indices.shape[1]
    for a in range(k):
        j = indices[i, a]
        if marker[j] != stamp:
            marker[j] = stamp
            buffer[count] = j
            count += 1
        for b in range(k):
            m = indices[j, b]
            if marker[m] != stamp:
                marker[m] = stamp
                buffer[count] = m
                count += 1
    return count


@numba.njit(parallel=True, cache=True)
def two_hop(indices, n_chunks, counts, indptr, out, fill):  # pragma: no cover
    """Two-hop neighbourhoods of all cells: counts per row (fill=False), or the sorted rows (fill=True).

    Rows are split into n_chunks blocks, each with its own marker array of n stamps,
    so the threads never share scratch memory.
    """
    n, k = indices.shape
    size = (n + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        marker = np.zeros(n, dtype=np.int64)
        buffer = np.empty(1 + k + k * k, dtype=np.int64)
        for i in range(c * size, min(n, (c + 1) * size)):
            count = _two_hop_row(i, indices, marker, buffer)
            if fill:
                out[indptr[i]:indptr[i] + count] = np.sort(buffer[:count])
            else:
                counts[i] = count


@numba.njit(parallel=True, cache=True)
def signed_kernel(pos_indptr, pos_indices, pos_data, neg_indptr, neg_indices, neg_data, self_prob, scale,
                  negative_weights, indptr, indices, data):  # pragma: no cover
    """scVelo's default kernel, row by row, into a preallocated CSR (indptr already counted).

    Each row merges the positive and negative similarities (disjoint, sorted) with the
    diagonal (present where self_prob > 0), maps them to weights and divides by the
    sum of absolute weights. negative_weights=False: e^{scale pi} everywhere (diagonal
    e^{scale s}); True: sign(pi)(e^{scale |pi|} - 1) (diagonal e^{scale s} - 1).
    """
    n = len(self_prob)
    for i in numba.prange(n):
        a, a_end = pos_indptr[i], pos_indptr[i + 1]
        b, b_end = neg_indptr[i], neg_indptr[i + 1]
        diagonal_pending = self_prob[i] > 0
        out = indptr[i]
        total = 0.0
        while a < a_end or b < b_end or diagonal_pending:
            next_a = pos_indices[a] if a < a_end else n
            next_b = neg_indices[b] if b < b_end else n
            if diagonal_pending and i <= next_a and i <= next_b:
                column, value = i, self_prob[i]
                diagonal_pending = False
            elif next_a < next_b:
                column, value = next_a, np.float64(pos_data[a])
                a += 1
            else:
                column, value = next_b, np.float64(neg_data[b])
                b += 1
            if negative_weights:
                weight = math.copysign(math.expm1(scale * abs(value)), value)
            else:
                weight = math.exp(scale * value)
            indices[out] = column
            data[out] = weight
            total += abs(weight)
            out += 1
        if total > 0:
            for p in range(indptr[i], out):
                data[p] /= total
