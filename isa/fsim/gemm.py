"""Fast GEMM: one exact BLAS matrix multiply per instruction wherever the nest allows it.

A GEMM nest (iter_out, iter_in, micro-ops) with affine indices is a matrix
product in disguise. Each loop axis (the two instruction loops and the axes
found in the micro-op list) is classified by which indices it moves:

- moves ACC but not WGT: a row axis (M), like the batch/pixel loop;
- moves ACC and WGT but not INP: a column axis (N), the output-channel loop;
- leaves ACC alone: a reduction axis (K), the input-channel/kernel loop.

Then ACC[h(m, n)] += X[m, k] @ Y[k, n] with X gathered from INP and Y from WGT
is a single float matmul. int8 x int8 products summed in float32 are exact
while the sum of |products| stays within 2^24 (float64: 2^53), checked from the
actual operand maxima; the exact integer result is added into ACC with int32
wrap. Because GEMM only adds into the entry it writes, micro-op order never
changes the result, so duplicate ACC indices are summed with np.add.at.
Nests that do not factor this way use a grouped fallback that is exact too.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .machine import Machine
from .program import NestFields

FLOAT32_EXACT = 1 << 24
FLOAT64_EXACT = 1 << 53


class Axis(NamedTuple):
    extent: int
    dst: int  # index step of the ACC/OUT index
    src: int  # INP (GEMM) or source ACC (ALU) index step
    wgt: int


def affine_axes(cols: np.ndarray) -> tuple[np.ndarray, list[Axis]] | None:
    """Split a sequence of index vectors (L, 3) into a row-major affine grid.

    Returns (base, axes innermost first) with cols[flat(t)] = base + sum t_a * step_a,
    or None when the sequence is not such a grid.
    """
    v = cols
    axes: list[Axis] = []
    while len(v) > 1:
        step = v[1] - v[0]
        diffs = v[1:] - v[:-1]
        breaks = np.flatnonzero(np.any(diffs != step, axis=1))
        extent = int(breaks[0]) + 1 if breaks.size else len(v)
        if len(v) % extent:
            return None
        rows = v.reshape(-1, extent, v.shape[1])
        expect = rows[:, :1] + np.arange(extent)[None, :, None] * step[None, None, :]
        if not np.array_equal(rows, expect):
            return None
        axes.append(Axis(extent, int(step[0]), int(step[1]), int(step[2])))
        v = rows[:, 0]
    return v[0], axes


def nest_axes(m: Machine, f: NestFields) -> tuple[tuple[int, int, int], list[Axis]] | None:
    """All loop axes of an instruction (outermost first) and the base indices, if the uops are affine."""
    sl = slice(f.uop_bgn, f.uop_end)
    cols = np.stack([m.uop_dst[sl], m.uop_src[sl], m.uop_wgt[sl]], axis=1)
    found = affine_axes(cols)
    if found is None:
        return None
    base, uop_axes = found
    axes = [Axis(f.iter_out, f.dst_factor_out, f.src_factor_out, f.wgt_factor_out),
            Axis(f.iter_in, f.dst_factor_in, f.src_factor_in, f.wgt_factor_in)] + uop_axes[::-1]
    return (int(base[0]), int(base[1]), int(base[2])), [a for a in axes if a.extent > 1]


def grid(base: int, axes: list[Axis], attr: str) -> np.ndarray:
    """Index array over the given axes (row-major) for one of dst/src/wgt."""
    idx = np.full((1,) * len(axes), base, dtype=np.int64)
    for k, a in enumerate(axes):
        shape = [1] * len(axes)
        shape[k] = a.extent
        idx = idx + (np.arange(a.extent, dtype=np.int64) * getattr(a, attr)).reshape(shape)
    return idx.reshape(-1) if axes else idx.reshape(1)


class MatmulPlan(NamedTuple):
    """How one GEMM nest runs as a matmul: the affine row/column/reduction axes and their bases.

    Every operand is then a strided *view* of its SRAM (no index arrays, no gathers):
    X = INP viewed over (rows, reduction), Y = WGT over (columns, reduction) and the
    target ACC/OUT over (rows, columns).
    """

    s0: int
    w0: int
    d0: int
    rows: tuple[Axis, ...]
    cols: tuple[Axis, ...]
    red: tuple[Axis, ...]
    acc_unique: np.ndarray | None  # sorted unique ACC indices when some repeat, else None
    acc_idx: np.ndarray  # flat ACC index per (row, column), for the repeated-index path
    mt: int  # rows, columns and reduction steps in total
    nt: int
    kt: int
    x_order: tuple[int, ...]  # transpose of the X view to (rows..., B, red..., Bi)
    w_order: tuple[int, ...]  # transpose of the W view to (cols..., Bo, red..., Bi)


def _as_slice(idx: np.ndarray) -> slice | np.ndarray:
    """A contiguous ascending index run as a slice (a view, no gather), else the array."""
    if idx.size and idx[-1] - idx[0] == idx.size - 1 and (idx.size == 1 or np.all(np.diff(idx) == 1)):
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def plan_matmul(m: Machine, f: NestFields) -> MatmulPlan | None:
    """Factor a non-reset GEMM nest into one matmul, or None if its axes do not separate."""
    found = nest_axes(m, f)
    if found is None:
        return None
    (d0, s0, w0), axes = found
    rows = tuple(a for a in axes if a.dst != 0 and a.wgt == 0)
    cols = tuple(a for a in axes if a.dst != 0 and a.src == 0 and a.wgt != 0)
    red = tuple(a for a in axes if a.dst == 0)
    if len(rows) + len(cols) + len(red) != len(axes):
        return None
    acc = grid(d0, list(rows + cols), "dst")
    uniq = np.unique(acc)
    nr, nc, nk = len(rows), len(cols), len(red)
    x_order = tuple(range(nr)) + (nr + nk,) + tuple(range(nr, nr + nk)) + (nr + nk + 1,)
    w_order = tuple(range(nc)) + (nc + nk,) + tuple(range(nc, nc + nk)) + (nc + nk + 1,)
    return MatmulPlan(s0, w0, d0, rows, cols, red, None if uniq.size == acc.size else uniq, acc,
                      _total(rows), _total(cols), _total(red), x_order, w_order)


def sram_view(sram: np.ndarray, base: int, axes: tuple[Axis, ...], attr: str) -> np.ndarray:
    """SRAM elements base + sum(i_a * step_a) as an (extents..., *element) strided view (steps may be 0)."""
    elem = sram.strides[0]
    shape = tuple(a.extent for a in axes) + sram.shape[1:]
    strides = tuple(getattr(a, attr) * elem for a in axes) + sram.strides[1:]
    return np.ndarray(shape, dtype=sram.dtype, buffer=sram, offset=base * elem, strides=strides)


def gemm_fast(m: Machine, f: NestFields) -> None:
    """Execute one GEMM instruction (validated) on the machine."""
    if f.reset_reg:
        m.acc[nest_indices(m, f)[0]] = 0
        return
    entry = m.nest_plan(f)
    plan = entry.get("gemm", False)
    if plan is False:
        plan = entry["gemm"] = plan_matmul(m, f)
    if plan is None:
        _grouped(m, *nest_indices(m, f))
    else:
        _matmul(m, plan)


def _total(axes: tuple[Axis, ...] | list[Axis]) -> int:
    total = 1
    for a in axes:
        total *= a.extent
    return total


def _matmul(m: Machine, p: MatmulPlan) -> None:
    mt, nt, kt = p.mt, p.nt, p.kt
    b, bi, bo = m.inp.shape[1], m.inp.shape[2], m.wgt.shape[1]
    x = sram_view(m.inp, p.s0, p.rows + p.red, "src")  # (rows..., red..., B, Bi)
    w = sram_view(m.wgt, p.w0, p.cols + p.red, "wgt")  # (cols..., red..., Bo, Bi)
    dtype = _exact_dtype(x, w, kt * bi)
    # one pass each: gather, reorder to (rows, B | reduction, Bi) and convert to float
    xm = x.transpose(p.x_order).astype(dtype, order="C").reshape(mt * b, kt * bi)
    wm = w.transpose(p.w_order).astype(dtype, order="C").reshape(nt * bo, kt * bi)
    z = (xm @ wm.T).reshape(mt, b, nt, bo).transpose(0, 2, 1, 3)  # (M, N, B, Bo)
    if p.acc_unique is None:
        # float32 results are below 2^24 in magnitude, so int32 addition with numpy's wrap-around is exact;
        # float64 ones may reach 2^53 and are wrapped through int64 first
        zi = z.astype(np.int32) if dtype is np.float32 else z.astype(np.int64).astype(np.int32)
        acc = sram_view(m.acc, p.d0, p.rows + p.cols, "dst")  # distinct entries: a safe in-place target
        shape = acc.shape
        acc += zi.reshape(shape)
        sram_view(m.out, p.d0, p.rows + p.cols, "dst")[...] = acc.astype(np.int8)
    else:
        _accumulate(m, p.acc_idx, z.astype(np.int64).reshape(mt * nt, b, bo))


def _exact_dtype(x: np.ndarray, w: np.ndarray, terms: int) -> type:
    """float32 if every partial sum is an integer within 2^24, else float64 (exact within 2^53)."""
    if terms * 128 * 128 <= FLOAT32_EXACT:  # the int8 worst case already fits: skip the data pass
        return np.float32
    bound = terms * int(np.abs(x.astype(np.int16)).max(initial=0)) * int(np.abs(w.astype(np.int16)).max(initial=0))
    if bound <= FLOAT32_EXACT:
        return np.float32
    if bound <= FLOAT64_EXACT:
        return np.float64
    raise AssertionError("int8 reductions this long cannot occur in one instruction")  # 2^39 terms


def _accumulate(m: Machine, acc_idx: np.ndarray | slice, z: np.ndarray) -> None:
    """ACC[idx] += z (int32 wrap; repeated indices summed) and OUT[idx] = low 8 bits."""
    if isinstance(acc_idx, slice):
        acc_idx = np.arange(acc_idx.start, acc_idx.stop)
    uniq = np.unique(acc_idx)
    if uniq.size == acc_idx.size:
        m.acc[acc_idx] = (m.acc[acc_idx].astype(np.int64) + z).astype(np.int32)
    else:
        total = np.zeros((m.acc.shape[0],) + z.shape[1:], dtype=np.int64)
        np.add.at(total, acc_idx, z)
        m.acc[uniq] = (m.acc[uniq].astype(np.int64) + total[uniq]).astype(np.int32)
    m.out[uniq] = m.acc[uniq].astype(np.int8)


def nest_indices(m: Machine, f: NestFields) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat (dst, src, wgt) index arrays of every point of the nest, in execution order."""
    sl = slice(f.uop_bgn, f.uop_end)
    y = np.arange(f.iter_out, dtype=np.int64)[:, None, None]
    x = np.arange(f.iter_in, dtype=np.int64)[None, :, None]
    out = []
    for col, fo, fi in ((m.uop_dst, f.dst_factor_out, f.dst_factor_in),
                        (m.uop_src, f.src_factor_out, f.src_factor_in),
                        (m.uop_wgt, f.wgt_factor_out, f.wgt_factor_in)):
        out.append((col[sl][None, None, :] + y * fo + x * fi).reshape(-1))
    return out[0], out[1], out[2]


def _grouped(m: Machine, dst: np.ndarray, src: np.ndarray, wgt: np.ndarray) -> None:
    """Exact fallback for nests that do not factor: one matmul per distinct weight block."""
    order = np.argsort(wgt, kind="stable")
    w_sorted = wgt[order]
    starts = np.flatnonzero(np.r_[True, w_sorted[1:] != w_sorted[:-1]])
    ends = np.r_[starts[1:], len(order)]
    b, bi, bo = m.inp.shape[1], m.inp.shape[2], m.wgt.shape[1]
    z = np.empty((len(dst), b, bo), dtype=np.int64)
    for s, e in zip(starts.tolist(), ends.tolist()):
        pts = order[s:e]
        x = m.inp[src[pts]].reshape(-1, bi).astype(np.float32)  # bi terms of 2^14: always exact in float32
        w = m.wgt[w_sorted[s]].astype(np.float32)
        z[pts] = (x @ w.T).reshape(len(pts), b, bo).astype(np.int64)
    _accumulate(m, dst, z)
