"""Dual issue in the compute stage (vta_compute): a GEMM and an ALU instruction overlap when they work in
different ACC/OUT halves, and the results are those of running the program in order (fsim).

Each program loads ACC, INP, WGT and micro-ops, runs a long GEMM nest and a long ALU nest, and stores
OUT of both halves; DRAM is compared with fsim byte for byte. The cycle counts show whether the two
nests overlapped: a bank-disjoint pair takes about the longer nest, a pair that shares a bank (or whose
ALU reads a tensor operand in the GEMM's bank) about the sum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from vta.isa import AluInsn, AluOp, Config, FinishInsn, GemmInsn, MemType, Uop, encode_program, encode_uop, load, store
from vta.jit import open_device
from vta.tsim.rtl import rtl_dir

CFG = Config()
DRAM = 1 << 24
HALF = CFG.acc_depth // 2
N = 16          # ACC elements per region
ITERS = 64      # outer iterations of the ALU nest (and by default of the GEMM nest)

pytestmark = pytest.mark.skipif(not (rtl_dir() / "vta_top.sv").is_file(), reason="no RTL")


@pytest.fixture(scope="module")
def devices():
    with open_device("tsim", CFG, dram_bytes=DRAM, verbose=0) as tsim, \
         open_device("fsim", CFG, dram_bytes=DRAM) as fsim:
        yield tsim, fsim


@dataclass(frozen=True)
class Pair:
    """A GEMM nest into ACC [gemm_dst, +N) and an ALU nest over [alu_dst, +N), in program order."""

    gemm_dst: int
    alu_dst: int
    alu_first: bool = False
    alu_src: int | None = None   # tensor operand base (None: immediate)
    alu_pushes: bool = False     # the younger instruction pushes the store's token (else a NOP does)
    gemm_iters: int = 64

    @property
    def work(self) -> tuple[int, int]:
        """Clocks of micro-op work of the GEMM and the ALU nest (a tensor operand costs a second read)."""
        return self.gemm_iters * N, ITERS * N * (1 if self.alu_src is None else 2)


def _put(dev, arr: np.ndarray) -> int:
    raw = np.ascontiguousarray(arr).view(np.uint8).ravel()
    addr = dev.alloc(raw.size)
    dev.write(addr, raw)
    return addr


def run_pair(dev, pair: Pair, seed: int = 5) -> tuple[bytes, int]:
    """Run the pair's program; returns (the stored OUT of both halves, TSIM/fsim cycles)."""
    rng = np.random.default_rng(seed)
    eb = {t: CFG.elem_bytes(t) for t in (MemType.INP, MemType.WGT, MemType.ACC, MemType.OUT, MemType.UOP)}
    acc = rng.integers(-(1 << 20), 1 << 20, (2 * N, CFG.batch * CFG.block_out), dtype=np.int32)
    inp = rng.integers(-128, 128, (1, CFG.batch * CFG.block_in), dtype=np.int8)
    wgt = rng.integers(-128, 128, (1, CFG.block_out * CFG.block_in), dtype=np.int8)
    gemm_uops = [Uop(pair.gemm_dst + i, 0, 0) for i in range(N)]
    alu_uops = [Uop(pair.alu_dst + i, (pair.alu_src or 0) + i, 0) for i in range(N)]
    uops = np.array([encode_uop(u, CFG) for u in gemm_uops + alu_uops], dtype=np.uint32)
    a_acc, a_inp, a_wgt, a_uop = (_put(dev, x) for x in (acc, inp, wgt, uops))
    a_out = dev.alloc(2 * N * eb[MemType.OUT])
    gemm = GemmInsn(uop_bgn=0, uop_end=N, iter_out=pair.gemm_iters)
    alu = AluInsn(uop_bgn=N, uop_end=2 * N, iter_out=ITERS, alu_opcode=AluOp.ADD,
                  use_imm=pair.alu_src is None, imm=3)
    first, second = (alu, gemm) if pair.alu_first else (gemm, alu)
    if pair.alu_pushes:
        second = second.replace(push_next_dep=True)
        sync = []
    else:
        sync = [load(MemType.UOP, x_size=0, push_next_dep=True)]  # a NOP waits for both units
    insns = [
        load(MemType.UOP, sram_base=0, dram_base=a_uop // eb[MemType.UOP], y_size=1, x_size=2 * N,
             x_stride=2 * N),
        load(MemType.ACC, sram_base=0, dram_base=a_acc // eb[MemType.ACC], y_size=1, x_size=N, x_stride=N),
        load(MemType.ACC, sram_base=HALF, dram_base=a_acc // eb[MemType.ACC] + N, y_size=1, x_size=N,
             x_stride=N),
        load(MemType.INP, sram_base=0, dram_base=a_inp // eb[MemType.INP], y_size=1, x_size=1, x_stride=1),
        load(MemType.WGT, sram_base=0, dram_base=a_wgt // eb[MemType.WGT], y_size=1, x_size=1, x_stride=1,
             push_next_dep=True),
        first.replace(pop_prev_dep=True),
        second,
        *sync,
        store(sram_base=0, dram_base=a_out // eb[MemType.OUT], y_size=1, x_size=N, x_stride=N,
              pop_prev_dep=True),
        store(sram_base=HALF, dram_base=a_out // eb[MemType.OUT] + N, y_size=1, x_size=N, x_stride=N,
              push_prev_dep=True),
        FinishInsn(pop_next_dep=True),
    ]
    blob = encode_program(insns, CFG)
    a_insn = _put(dev, np.frombuffer(blob, np.uint8))
    stats = dev.run(a_insn, len(insns), timeout_s=30)
    out = bytes(dev.read(a_out, 2 * N * eb[MemType.OUT]))
    for a in (a_acc, a_inp, a_wgt, a_uop, a_out, a_insn):
        dev.free(a)
    return out, stats.cycles or 0


CASES = {
    "disjoint": (Pair(gemm_dst=HALF, alu_dst=0), True),
    "disjoint_alu_first": (Pair(gemm_dst=0, alu_dst=HALF, alu_first=True), True),
    "same_bank": (Pair(gemm_dst=0, alu_dst=0), False),
    "alu_src_in_gemm_bank": (Pair(gemm_dst=HALF, alu_dst=0, alu_src=HALF), False),
    # the ALU (younger, shorter) pushes the store's token: the push must wait for the older GEMM,
    # whose OUT the store also reads
    "younger_pushes_for_older": (Pair(gemm_dst=HALF, alu_dst=0, alu_pushes=True, gemm_iters=3 * ITERS), True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_pair_matches_fsim_and_overlaps_only_when_disjoint(devices, name):
    tsim, fsim = devices
    pair, overlaps = CASES[name]
    got, cycles = run_pair(tsim, pair)
    want, _ = run_pair(fsim, pair)
    assert got == want, f"{name}: OUT differs from fsim"
    gemm_work, alu_work = pair.work
    if overlaps:
        # the same program with both nests in one bank runs them in turn; here the shorter one hides
        _, serial = run_pair(tsim, replace(pair, alu_dst=pair.gemm_dst))
        assert cycles <= serial - 0.8 * min(gemm_work, alu_work), (name, cycles, serial)
    else:
        assert cycles >= gemm_work + alu_work, (name, cycles)
