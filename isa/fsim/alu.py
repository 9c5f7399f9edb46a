"""Fast ALU: whole-nest numpy work that still equals strictly sequential evaluation.

Sequential semantics matter when micro-ops alias: a later point may read (as
src) or rewrite (as dst) an ACC entry an earlier point wrote. The nest is
executed as:

- with an immediate: only dst is read, so repeated dsts compose in closed form
  (MIN/MAX are idempotent; ADD, MUL and SHR repeat c times);
- without aliasing: one vectorized step from the pre-state;
- when dsts repeat but no point reads an earlier write through src: ufunc.at
  (MIN/MAX/ADD/MUL commute), or hazard-free chunks for SHR;
- otherwise: the nest is cut into maximal hazard-free chunks in order, each one
  vectorized (a point's chunk starts after the last earlier write it depends on).
"""

from __future__ import annotations

import numpy as np

from ..opcodes import AluOp
from .gemm import _as_slice, nest_indices
from .machine import Machine
from .program import NestFields

_MASK32 = (1 << 32) - 1


def alu_op(op: int, a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """f(a, b) of isa/semantics.md on int32 lanes (b broadcast), returning int32."""
    if isinstance(b, int) and (op in (AluOp.MIN, AluOp.MAX) or (op == AluOp.SHR and b >= 0)):
        # immediates that cannot overflow: stay in int32 (the common requantization steps)
        if op == AluOp.MIN:
            return np.minimum(a, np.int32(b))
        if op == AluOp.MAX:
            return np.maximum(a, np.int32(b))
        return a >> np.int32(min(b, 31))
    a64 = a.astype(np.int64)
    b64 = np.asarray(b, dtype=np.int64)
    if op == AluOp.MIN:
        r = np.minimum(a64, b64)
    elif op == AluOp.MAX:
        r = np.maximum(a64, b64)
    elif op == AluOp.ADD:
        r = a64 + b64
    elif op == AluOp.MUL:
        r = a64 * b64  # |product| < 2^62: exact in int64, then wrapped
    else:
        r = shift(a64, b64)
    return r.astype(np.int32)


def shift(a64: np.ndarray, b64: np.ndarray) -> np.ndarray:
    """SHR: b >= 0 arithmetic right shift by min(b, 31); b < 0 left shift by -b (0 from 32 on)."""
    right = a64 >> np.minimum(np.maximum(b64, 0), 31)
    left_amt = np.minimum(np.maximum(-b64, 0), 32)
    left = np.where(left_amt >= 32, 0, (a64 << np.minimum(left_amt, 31)) & _MASK32)
    return np.where(b64 >= 0, right, left)


def alu_fast(m: Machine, f: NestFields) -> None:
    entry = m.nest_plan(f)
    plan = entry.get("alu")
    if plan is None:
        plan = entry["alu"] = _plan(m, f)
    mode, dst, src, dep = plan
    if mode == "imm":
        _with_imm(m, f.alu_opcode, dst, f.imm)
    elif mode == "vector":
        _apply(m, f.alu_opcode, dst, m.acc[src])
    elif mode == "reduce":
        _reduce_at(m, f.alu_opcode, dst, m.acc[src].astype(np.int64))
    else:
        _chunked(m, f.alu_opcode, dst, src, dep)


def _plan(m: Machine, f: NestFields) -> tuple[str, np.ndarray, np.ndarray, np.ndarray | None]:
    """Pick the evaluation strategy from the nest's index pattern (cached while the micro-ops stay)."""
    dst, src, _ = nest_indices(m, f)
    if f.use_imm:
        return "imm", _as_slice(dst), src, None
    dep_raw = last_write_before(dst, src)
    dep_waw = last_write_before(dst, dst)
    if dep_raw.max(initial=-1) < 0 and dep_waw.max(initial=-1) < 0:
        return "vector", _as_slice(dst), _as_slice(src), None
    if dep_raw.max(initial=-1) < 0 and f.alu_opcode != AluOp.SHR:
        return "reduce", dst, src, None
    return "chunked", dst, src, np.maximum(dep_raw, dep_waw)


def _apply(m: Machine, op: int, dst: np.ndarray | slice, b: np.ndarray | int) -> None:
    """One hazard-free step: every point reads the state before any of them writes."""
    r = alu_op(op, m.acc[dst], b)
    m.acc[dst] = r
    m.out[dst] = r.astype(np.int8)


def _with_imm(m: Machine, op: int, dst: np.ndarray | slice, imm: int) -> None:
    if isinstance(dst, slice):  # contiguous, hence unique
        _apply(m, op, dst, imm)
        return
    uniq, counts = np.unique(dst, return_counts=True)
    if uniq.size == dst.size or op in (AluOp.MIN, AluOp.MAX):
        _apply(m, op, uniq, imm)
        return
    a = m.acc[uniq].astype(np.int64)
    c = counts.astype(np.int64)[:, None, None]
    if op == AluOp.ADD:
        r = a + c * imm
    elif op == AluOp.MUL:
        powers = {int(k): pow(imm, int(k), 1 << 32) for k in np.unique(counts)}
        r = a * np.vectorize(powers.__getitem__, otypes=[np.int64])(c)
    else:  # repeated shifts add up; the clamps make the sum exact (see shift())
        total = np.clip(c * imm, -64, 64)
        r = shift(a, total)
    r = r.astype(np.int32)
    m.acc[uniq] = r
    m.out[uniq] = r.astype(np.int8)


def _reduce_at(m: Machine, op: int, dst: np.ndarray, b: np.ndarray) -> None:
    """Repeated dsts, sources never written by the nest: commutative ops fold with ufunc.at."""
    uniq = np.unique(dst)
    acc = m.acc.astype(np.int64) if uniq.size > m.acc.shape[0] // 4 else None
    work = acc if acc is not None else np.zeros(m.acc.shape, np.int64)
    if acc is None:
        work[uniq] = m.acc[uniq]
    ufunc = {AluOp.MIN: np.minimum, AluOp.MAX: np.maximum, AluOp.ADD: np.add, AluOp.MUL: np.multiply}[AluOp(op)]
    ufunc.at(work, dst, b)  # int64 add/multiply wrap mod 2^64, so the low 32 bits are exact
    r = work[uniq].astype(np.int32)
    m.acc[uniq] = r
    m.out[uniq] = r.astype(np.int8)


def _chunked(m: Machine, op: int, dst: np.ndarray, src: np.ndarray, dep: np.ndarray) -> None:
    """Run maximal hazard-free chunks in order; chunk [s, e) has no point depending on another in it."""
    n = len(dst)
    start = 0
    window = 64
    while start < n:
        hi = min(n, start + window)
        hit = np.flatnonzero(dep[start + 1 : hi] >= start)
        if hit.size:
            end = start + 1 + int(hit[0])
            window = max(64, window // 2)
        else:
            end = hi
            window *= 2
        sel = slice(start, end)
        _apply(m, op, dst[sel], m.acc[src[sel]])
        start = end


def last_write_before(writes: np.ndarray, reads: np.ndarray) -> np.ndarray:
    """For each position p: the largest q < p with writes[q] == reads[p], or -1."""
    n = len(writes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.concatenate([reads, writes])
    times = np.concatenate([np.arange(n), np.arange(n)])
    is_write = np.concatenate([np.zeros(n, np.int64), np.ones(n, np.int64)])
    order = np.lexsort((is_write, times, keys))  # by key, then time, a read before a write at equal time
    k, t, w = keys[order], times[order], is_write[order]
    group = np.cumsum(np.r_[0, k[1:] != k[:-1]])
    span = n + 1
    tagged = np.where(w == 1, group * span + t, group * span - 1)
    best = np.maximum.accumulate(tagged) - group * span
    result = np.empty(n, dtype=np.int64)
    reads_at = w == 0
    result[order[reads_at]] = np.where(best[reads_at] >= 0, best[reads_at], -1)
    return result
