"""Compiled functions (numba): the velocity graph in one pass over the genes per neighbour pair.

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
The readable NumPy versions of these functions live in ``velograph.reference``: they
are never run by the library, and the tests check that both agree.

Every function here trusts the indices it is given: callers check them first
(``velograph._sparse``), in O(stored entries). Every one is called through
:func:`serialised`, which holds one process-wide lock: numba's ``workqueue``
threading layer aborts the process when two Python threads launch parallel
functions at once, and each call already uses every core, so serialising costs
nothing measurable: 8 Python threads making 24 ``cosine_graph`` calls (4,000 cells,
30 neighbours, 300 genes) under OpenMP on 2 shared cores took 0.74-1.27 s with the
lock and 1.02-1.35 s without.

Fork safety. Users run scanpy pipelines under ``multiprocessing`` (fork), joblib and
Snakemake, so a process that has called velograph must be able to fork, and the
child must be able to call velograph again:

* GNU OpenMP (numba's first choice on Linux) kills a child forked after it started
  ("fork() called from a process already using GNU OpenMP, this is unsafe"). Unless
  the user chose a layer (the environment variable ``NUMBA_THREADING_LAYER`` or
  ``numba.config.THREADING_LAYER``) or numba already started one in this process,
  importing this module selects numba's ``'forksafe'`` layer: TBB if installed, else
  a non-GNU OpenMP, else numba's own ``workqueue``. The threading layer only decides
  which thread runs which cell; no printed number depends on it. The layer is
  process-wide, so numba code of the caller's own runs on it too (choose one
  explicitly to keep another). It cannot be switched once started: if other numba
  code (e.g. UMAP's) started GNU OpenMP before velograph's first compiled call, a fork
  child is still killed when it runs parallel numba code; set the environment variable
  ``NUMBA_THREADING_LAYER=forksafe`` before starting Python to be safe in that order
  too. Cost, measured on the 100,000-cell synthetic data set of ``benchmarks/`` (500
  genes, 30 neighbours), 2 shared cores, two runs of two
  repetitions each: velocity_graph 7.7-10.9 s under GNU OpenMP, 6.0-9.1 s under
  ``workqueue``; transition_matrix 0.57-0.65 s and 0.17-0.44 s; velocity_embedding
  2.0-2.6 s and 0.47-1.4 s. None: on a busy machine OpenMP's spinning threads lose.
* The lock: a fork while another thread is between taking the lock and returning
  would leave the child a lock that nobody will release. ``os.register_at_fork`` takes
  the lock before every ``os.fork`` (so a fork waits for a compiled call in flight,
  and never copies the thread pool halfway through a parallel loop) and gives the
  child a fresh one.
"""

from __future__ import annotations

import functools
import math
import os
import threading

import numba
import numpy as np

from ._threading import prefer_fork_safe_threading_layer  # noqa: E402

prefer_fork_safe_threading_layer()

_LOCK = threading.Lock()


def _take_lock_before_fork() -> None:
    _LOCK.acquire()


def _release_lock_in_parent() -> None:
    _LOCK.release()


def _fresh_lock_in_child() -> None:
    # The child has one thread; the inherited lock is held (by the parent's fork hook).
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(before=_take_lock_before_fork, after_in_parent=_release_lock_in_parent,
                    after_in_child=_fresh_lock_in_child)


def serialised(function):
    """``function`` behind the process-wide lock (the un-locked one stays in ``.function``)."""

    @functools.wraps(function.py_func)
    def call(*args):
        with _LOCK:
            return function(*args)

    call.function = function
    return call


# reassoc/contract let LLVM vectorise the running sums (changing only the last bits
# of a sum); NaN and inf keep their IEEE meaning (no nnan/ninf flags).
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


def exponent_limits(dtype):
    """(lo, hi): sums of squares outside [lo, hi] are recomputed on scaled vectors.

    lo = tiny^0.8 and hi = max^0.8 of the float type (1e-246 and 4e246 in float64,
    5e-31 and 2e30 in float32): inside, no square, sum or product can overflow and
    subnormal squares cannot matter; outside (extreme scales, or a zero vector) the
    pair is recomputed exactly as the scale-free :func:`_scaled_similarity`.
    """
    info = np.finfo(dtype)
    return float(info.tiny) ** 0.8, float(info.max) ** 0.8


@numba.njit(cache=True)
def _scaled_similarity(x_i, x_j, w_i, w_norm, center, stabilize, tolerance):  # pragma: no cover
    """One pair in float64 on a displacement scaled to max |d_g| in [0.5, 1): no over- or underflow.

    d = f(x_j/2 - x_i/2) (halving is exact and cannot overflow; the similarity does not
    depend on a positive factor), then d * 2^-e with 2^(e-1) <= max |d| < 2^e.
    """
    n_genes = x_i.shape[0]
    largest = 0.0
    for g in range(n_genes):
        delta = 0.5 * np.float64(x_j[g]) - 0.5 * np.float64(x_i[g])
        if stabilize:
            delta = math.sqrt(abs(delta))
        largest = max(largest, abs(delta))
    if largest == 0.0 or w_norm == 0.0:
        return 0.0
    factor = math.ldexp(1.0, -math.frexp(largest)[1])
    total = 0.0
    for g in range(n_genes):
        delta = 0.5 * np.float64(x_j[g]) - 0.5 * np.float64(x_i[g])
        if stabilize:
            delta = math.copysign(math.sqrt(abs(delta)), delta)
        total += delta * factor
    mean = total / n_genes if center else 0.0
    s2 = 0.0
    dot = 0.0
    for g in range(n_genes):
        delta = 0.5 * np.float64(x_j[g]) - 0.5 * np.float64(x_i[g])
        if stabilize:
            delta = math.copysign(math.sqrt(abs(delta)), delta)
        c = delta * factor - mean
        s2 += c * c
        dot += c * np.float64(w_i[g])
    if center and s2 <= tolerance * (s2 + n_genes * mean * mean):
        return 0.0  # constant up to rounding: the centred vector is rounding noise
    norm = math.sqrt(s2) * w_norm
    return min(1.0, max(-1.0, dot / norm)) if norm > 0.0 else 0.0


@numba.njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _csr_pair_similarities(X, W, w_norm, indptr, indices, order, center, stabilize, lo, hi, tolerance,
                           out):  # pragma: no cover
    """out[p] = Pearson (``center``) or cosine of f(X[j] - X[i]) and W[i] for every stored pair p = (i, j).

    W holds the prepared velocities (:func:`_prepare_velocities`), w_norm their norms.
    With ``center``, a displacement whose centred sum of squares is at most
    ``tolerance`` times its uncentred one (sum of squares = centred + G mean^2) is
    constant up to rounding and gets 0, like a constant one.
    """
    n_genes = X.shape[1]
    for r in numba.prange(order.shape[0]):
        i = order[r]
        x_i = X[i]
        w_i = W[i]
        d = np.empty_like(x_i)  # scratch: one displacement, reused for every neighbour of i
        for p in range(indptr[i], indptr[i + 1]):
            if indices[p] == i:  # the cell itself (velograph.tl's pattern holds it): zero displacement
                out[p] = 0.0
                continue
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
            if s2 >= lo and s2 <= hi:  # also False for NaN (an overflowed sum)
                centred = np.float64(s2)
                if center and centred <= tolerance * (centred + n_genes * np.float64(mean) * np.float64(mean)):
                    out[p] = 0.0  # constant up to rounding (a huge mean makes the right side inf: also 0)
                    continue
                norm = math.sqrt(centred) * w_norm[i]
                out[p] = min(1.0, max(-1.0, np.float64(dot) / norm)) if norm > 0.0 else 0.0
            else:  # a zero displacement (rare), or extreme scales: recompute scale-free
                out[p] = _scaled_similarity(x_i, x_j, w_i, w_norm[i], center, stabilize, tolerance)


csr_pair_similarities = serialised(_csr_pair_similarities)


@numba.njit(cache=True)
def _length(v):  # pragma: no cover
    """Euclidean length without over- or underflow (scaled by the largest component)."""
    largest = 0.0
    for k in range(v.shape[0]):
        largest = max(largest, abs(v[k]))
    if largest == 0.0:
        return 0.0
    squares = 0.0
    for k in range(v.shape[0]):
        squares += (v[k] / largest) ** 2
    return largest * math.sqrt(squares)


@numba.njit(parallel=True, cache=True)
def _csr_project(T_data, indptr, indices, X_emb, correction, out):  # pragma: no cover
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
            for k in range(dims):
                direction[k] = X_emb[j, k] - X_emb[i, k]
            length = _length(direction)
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


csr_project = serialised(_csr_project)


@numba.njit(parallel=True, cache=True)
def _prepare_velocities(V, center, stabilize, tolerance, out, norms):  # pragma: no cover
    """out[i] = u - mean(u) (centring optional), norms[i] = ||out[i]||, with u = f(V[i]) * 2^-e.

    f = sign*sqrt if stabilize; 2^-e scales the largest |f(V[i])| into [0.5, 1), exactly
    (a power of two), so that no square under- or overflows whatever the units of V:
    the similarity does not depend on a positive factor of the velocity. With
    ``center``, a velocity constant up to rounding (centred sum of squares at most
    ``tolerance`` times the uncentred one) gets norm 0: no similarity is defined.
    """
    n, n_genes = V.shape
    for i in numba.prange(n):
        largest = 0.0
        for g in range(n_genes):
            w = V[i, g]
            if stabilize:
                w = np.copysign(np.sqrt(np.abs(w)), w)
            out[i, g] = w
            largest = max(largest, abs(np.float64(w)))
        factor = math.ldexp(1.0, -math.frexp(largest)[1]) if largest > 0.0 else 1.0
        total = 0.0
        for g in range(n_genes):
            out[i, g] = out[i, g] * factor
            total += out[i, g]
        mean = total / n_genes if center else 0.0
        squares = 0.0
        for g in range(n_genes):
            out[i, g] = out[i, g] - mean
            squares += np.float64(out[i, g]) * np.float64(out[i, g])
        if center and squares <= tolerance * (squares + n_genes * mean * mean):
            squares = 0.0
        norms[i] = math.sqrt(squares)


prepare_velocities = serialised(_prepare_velocities)


@numba.njit(cache=True)
def _two_hop_row(i, indices, marker, buffer):  # pragma: no cover
    """Unique members of {i} u K(i) u K(K(i)) into buffer; returns their count (marker stamps with i + 1).

    The mark-and-append step is written out twice on purpose: folded into a helper
    function (even inlined) the two-hop pass took 1.7x as long on 200,000 cells.
    """
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
def _two_hop(indices, n_chunks, counts, indptr, out, fill):  # pragma: no cover
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


two_hop = serialised(_two_hop)


@numba.njit(parallel=True, cache=True)
def _signed_kernel(pos_indptr, pos_indices, pos_data, neg_indptr, neg_indices, neg_data, self_prob,
                   self_transitions, scale, negative_weights, indptr, indices, data, counts):  # pragma: no cover
    """scVelo's default kernel, row by row, into a CSR with room for every candidate entry.

    Row i may use indices[indptr[i]:indptr[i+1]] (room for its positive and negative
    entries and the diagonal); it writes counts[i] <= that many entries, divided by the
    row's sum of absolute weights. :func:`_compact` then closes the gaps.

    It reproduces scVelo's sparse arithmetic for any canonical input: with
    ``self_transitions`` the diagonal of the positive graph is replaced by s_i (scipy's
    setdiag); positive p and negative q at the same column add up; a sum that is exactly 0
    is dropped (scipy drops zeros after an addition). negative_weights=False:
    expm1(scale p) + expm1(scale q) + 1 (= e^{scale p} alone); True:
    expm1(scale p) - expm1(-scale q) (a signed weight, no +1).
    """
    n = len(self_prob)
    for i in numba.prange(n):
        a, a_end = pos_indptr[i], pos_indptr[i + 1]
        b, b_end = neg_indptr[i], neg_indptr[i + 1]
        diagonal_pending = self_transitions
        start = indptr[i]
        room = indptr[i + 1]
        out = start
        total = 0.0
        while out < room:
            if self_transitions and a < a_end and pos_indices[a] == i:
                a += 1  # replaced by the self-transition probability
                continue
            next_a = pos_indices[a] if a < a_end else n
            next_b = neg_indices[b] if b < b_end else n
            next_d = i if diagonal_pending else n
            column = min(next_a, next_b, next_d)
            if column >= n:
                break
            has_p = False
            p = 0.0
            if next_d == column:
                p = self_prob[i]
                has_p = True
                diagonal_pending = False
            if next_a == column:
                p = np.float64(pos_data[a])
                has_p = True
                a += 1
            has_q = next_b == column
            q = np.float64(neg_data[b]) if has_q else 0.0
            if has_q:
                b += 1
            # the weight, and whether scipy would keep the entry (its pre-+1 sum is not 0);
            # one stored value alone is kept unless it is 0 (expm1(x) == 0 exactly when x == 0)
            if has_p and has_q:
                if negative_weights:
                    weight = math.expm1(scale * p) - math.expm1(-scale * q)
                    keep = weight != 0.0
                else:
                    weight = math.expm1(scale * p) + math.expm1(scale * q)
                    keep = weight != 0.0
                    weight += 1.0
            else:
                value = p if has_p else q
                keep = scale * value != 0.0
                if not negative_weights:
                    weight = math.exp(scale * value)
                elif has_p:
                    weight = math.expm1(scale * value)
                else:
                    weight = -math.expm1(-scale * value)
            if keep:
                indices[out] = column
                data[out] = weight
                total += abs(weight)
                out += 1
        counts[i] = out - start
        if total > 0:
            for e in range(start, out):
                data[e] /= total


signed_kernel = serialised(_signed_kernel)


@numba.njit(cache=True)
def _compact(indptr, counts, indices, data, new_indptr):  # pragma: no cover
    """Move each row's first counts[i] entries down to new_indptr[i] (in place, front to back)."""
    for i in range(len(counts)):
        source, target = indptr[i], new_indptr[i]
        if source != target:
            for e in range(counts[i]):
                indices[target + e] = indices[source + e]
                data[target + e] = data[source + e]


compact = serialised(_compact)
