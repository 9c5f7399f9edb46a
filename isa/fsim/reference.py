"""The plain reference interpreter: one micro-op, one row, one lane at a time.

Written for obviousness, not speed, and independent of the fast executor's
numpy tricks (no strided views, no matmul factoring, no hazard analysis). Tests
run random programs on both and require identical DRAM and SRAM contents.
"""

from __future__ import annotations

import numpy as np

from ..dram import Dram
from ..opcodes import AluOp, MemType
from .machine import Machine
from .program import MemFields, NestFields


def _wrap32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def _wrap8(v: int) -> int:
    v &= 0xFF
    return v - 256 if v >= 128 else v


def ref_alu(op: int, a: int, b: int) -> int:
    """The ALU of isa/semantics.md on Python ints."""
    if op == AluOp.MIN:
        return min(a, b)
    if op == AluOp.MAX:
        return max(a, b)
    if op == AluOp.ADD:
        return _wrap32(a + b)
    if op == AluOp.MUL:
        return _wrap32(a * b)
    if b >= 0:
        return a >> min(b, 31)
    return 0 if -b >= 32 else _wrap32(a << -b)


class ReferenceExecutor:
    """Executor for walk(): per-element Python loops."""

    def load(self, m: Machine, dram: Dram, f: MemFields) -> None:
        sram = m.sram(f.memory_type)
        eb = sram.shape[1]
        width = f.x_pad_0 + f.x_size + f.x_pad_1
        height = f.y_pad_0 + f.y_size + f.y_pad_1
        for row in range(height):
            for col in range(width):
                dest = f.sram_base + row * width + col
                y, x = row - f.y_pad_0, col - f.x_pad_0
                if 0 <= y < f.y_size and 0 <= x < f.x_size:
                    at = (f.dram_base + y * f.x_stride + x) * eb
                    sram[dest] = dram.data[at : at + eb]
                else:
                    sram[dest] = 0

    def store(self, m: Machine, dram: Dram, f: MemFields) -> None:
        out = m.sram(MemType.OUT)
        eb = out.shape[1]
        for y in range(f.y_size):
            for x in range(f.x_size):
                at = (f.dram_base + y * f.x_stride + x) * eb
                dram.data[at : at + eb] = out[f.sram_base + y * f.x_size + x]

    def gemm(self, m: Machine, f: NestFields) -> None:
        for dst, src, wgt in _points(m, f):
            if f.reset_reg:
                m.acc[dst] = 0
                continue
            x = m.inp[src].astype(np.int64)  # (B, Bi)
            w = m.wgt[wgt].astype(np.int64)  # (Bo, Bi)
            acc = m.acc[dst]
            for b in range(x.shape[0]):
                for j in range(w.shape[0]):
                    total = int(acc[b, j]) + sum(int(x[b, k]) * int(w[j, k]) for k in range(x.shape[1]))
                    acc[b, j] = _wrap32(total)
                    m.out[dst, b, j] = _wrap8(int(acc[b, j]))

    def alu(self, m: Machine, f: NestFields) -> None:
        for dst, src, _ in _points(m, f):
            a = m.acc[dst]
            b = m.acc[src] if not f.use_imm else None
            result = [[ref_alu(f.alu_opcode, int(a[i, j]), f.imm if b is None else int(b[i, j]))
                       for j in range(a.shape[1])] for i in range(a.shape[0])]
            m.acc[dst] = np.array(result, dtype=np.int64).astype(np.int32)
            m.out[dst] = np.array([[_wrap8(v) for v in row] for row in result], dtype=np.int8)


def _points(m: Machine, f: NestFields):
    for y in range(f.iter_out):
        for x in range(f.iter_in):
            for u in range(f.uop_bgn, f.uop_end):
                yield (int(m.uop_dst[u]) + y * f.dst_factor_out + x * f.dst_factor_in,
                       int(m.uop_src[u]) + y * f.src_factor_out + x * f.src_factor_in,
                       int(m.uop_wgt[u]) + y * f.wgt_factor_out + x * f.wgt_factor_in)
