"""Hand-scheduled reference workloads built directly on the command queue.

`blocked_matmul` is the kit's counterpart of upstream's blocked_gemm_test: an
int8 matrix multiply tiled for the on-chip buffers, with double-buffered
(two virtual threads) INP/WGT loads overlapping the GEMMs, an ALU epilogue
(bias, shifts, clipping) and strided stores. The demo, the fsim/TSIM
benchmarks and the conformance tests use it; the compiler has its own,
general schedules.

Packed DRAM layouts (element = one SRAM entry):
    A   (M/BATCH, K/BLOCK_IN, BATCH, BLOCK_IN) int8
    W   (N/BLOCK_OUT, K/BLOCK_IN, BLOCK_OUT, BLOCK_IN) int8
    C   (M/BATCH, N/BLOCK_OUT, BATCH, BLOCK_OUT) int8
    bias (N/BLOCK_OUT, BATCH, BLOCK_OUT) int32 (the same value for every batch lane)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vta.isa.config import Config
from vta.isa.opcodes import AluOp, MemType, Stage

from .buffer import DeviceBuffer
from .command_queue import CommandQueue
from .errors import JitError
from .kernel import KernelBuilder


@dataclass(frozen=True)
class MatmulTiles:
    """Tile sizes in elements: tm row blocks, tn output-channel blocks, tk input-channel blocks."""

    tm: int
    tn: int
    tk: int


def pack_a(a: np.ndarray, config: Config) -> np.ndarray:
    m, k = a.shape
    b, bi = config.batch, config.block_in
    return a.reshape(m // b, b, k // bi, bi).transpose(0, 2, 1, 3).copy()


def pack_w(w: np.ndarray, config: Config) -> np.ndarray:
    """W given as (N, K) (output channel major), packed to (N/Bo, K/Bi, Bo, Bi)."""
    n, k = w.shape
    bo, bi = config.block_out, config.block_in
    return w.reshape(n // bo, bo, k // bi, bi).transpose(0, 2, 1, 3).copy()


def unpack_c(c: np.ndarray, m: int, n: int, config: Config) -> np.ndarray:
    b, bo = config.batch, config.block_out
    return c.reshape(m // b, n // bo, b, bo).transpose(0, 2, 1, 3).reshape(m, n)


def pack_bias(bias: np.ndarray, config: Config) -> np.ndarray:
    n = bias.shape[0]
    bo = config.block_out
    return np.broadcast_to(bias.astype(np.int32).reshape(n // bo, 1, bo), (n // bo, config.batch, bo)).copy()


def choose_tiles(mb: int, nb: int, kb: int, config: Config, bias: bool = False) -> MatmulTiles:
    """Tiles that fit double-buffered INP/WGT and the ACC, minimising modelled cycles (compute vs DRAM)."""
    best: tuple[tuple[int, int], MatmulTiles] | None = None
    for tk in _divisors(kb):
        for tn in _divisors(nb):
            if 2 * tn * tk > config.wgt_depth:
                continue
            for tm in _divisors(mb):
                if 2 * tm * tk > config.inp_depth or tm * tn + (tn if bias else 0) > config.acc_depth:
                    continue
                if tm * tn > config.uop_depth // 2:
                    continue
                # DRAM bytes moved: each A tile is reloaded per column tile, each W tile per row tile.
                moved = mb * kb * (nb // tn) * config.inp_elem_bytes + nb * kb * (mb // tm) * config.wgt_elem_bytes
                instructions = (mb // tm) * (nb // tn) * (kb // tk)
                # Loads overlap the GEMMs (one micro-op per cycle); each instruction costs some issue overhead.
                cycles = max(mb * nb * kb, moved // config.bus_bytes) + 64 * instructions
                cost = (cycles, -tk)
                if best is None or cost < best[0]:
                    best = (cost, MatmulTiles(tm, tn, tk))
    if best is None:
        raise JitError(f"no matmul tiling of {mb}x{nb}x{kb} blocks fits the buffers of {config.bitstream}")
    return best[1]


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def blocked_matmul(cq: CommandQueue, a: DeviceBuffer, w: DeviceBuffer, c: DeviceBuffer, m: int, n: int, k: int, *,
                   bias: DeviceBuffer | None = None, epilogue: tuple[tuple[AluOp, int], ...] = (),
                   tiles: MatmulTiles | None = None, virtual_threads: int = 2) -> MatmulTiles:
    """Queue C = epilogue(A @ W^T [+ bias]) (int32 accumulate, int8 store); returns the tiles used.

    epilogue: ALU steps (op, immediate) applied in order after the bias, e.g.
    ((AluOp.SHR, 8), (AluOp.MAX, 0), (AluOp.MIN, 127)).
    """
    cfg = cq.config
    b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
    if m % b or k % bi or n % bo:
        raise JitError(f"matmul {m}x{n}x{k} must be multiples of BATCH={b}, BLOCK_OUT={bo}, BLOCK_IN={bi}")
    if virtual_threads not in (1, 2):
        raise JitError("virtual_threads must be 1 or 2")
    mb, nb, kb = m // b, n // bo, k // bi
    t = tiles or choose_tiles(mb, nb, kb, cfg, bias is not None)
    if mb % t.tm or nb % t.tn or kb % t.tk:
        raise JitError(f"tiles {t} do not divide the {mb}x{nb}x{kb} block problem")
    inp_half, wgt_half = t.tm * t.tk, t.tn * t.tk
    acc_tile = t.tm * t.tn
    bias_at = acc_tile  # bias row lives after the output tile in ACC

    reset = cq.kernel(("mm-reset", t), lambda: KernelBuilder.gemm(reset=True).loop(t.tm, dst=t.tn).uops(np.arange(t.tn)))
    gemms = [cq.kernel(("mm-gemm", t, buf), lambda buf=buf: _gemm_kernel(t, buf * inp_half, buf * wgt_half))
             for buf in range(2)]
    add_bias = cq.kernel(("mm-bias", t), lambda: KernelBuilder.alu(AluOp.ADD).loop(t.tm, dst=t.tn)
                         .uops(np.arange(t.tn), bias_at + np.arange(t.tn)))
    steps = [cq.kernel(("mm-alu", t, op, imm), lambda op=op, imm=imm: KernelBuilder.alu(op, imm=imm)
                       .loop(acc_tile, dst=1).uop(0)) for op, imm in epilogue]

    step = 0
    for i0 in range(0, mb, t.tm):
        for j0 in range(0, nb, t.tn):
            if bias is not None:
                cq.load_2d(MemType.ACC, bias_at, bias, j0, t.tn, 1, t.tn)
            cq.push_gemm(reset)
            for k0 in range(0, kb, t.tk):
                buf = step % 2 if virtual_threads == 2 else 0
                if step >= virtual_threads:
                    cq.dep_pop(Stage.COMPUTE, Stage.LOAD)  # the buffer this load overwrites has been consumed
                cq.load_2d(MemType.INP, buf * inp_half, a, i0 * kb + k0, t.tk, t.tm, kb)
                cq.load_2d(MemType.WGT, buf * wgt_half, w, j0 * kb + k0, t.tk, t.tn, kb)
                cq.dep_push(Stage.LOAD, Stage.COMPUTE)
                cq.dep_pop(Stage.LOAD, Stage.COMPUTE)
                cq.push_gemm(gemms[buf])
                cq.dep_push(Stage.COMPUTE, Stage.LOAD)
                step += 1
            if bias is not None:
                cq.push_alu(add_bias)
            for kernel in steps:
                cq.push_alu(kernel)
            if not epilogue and bias is None:
                cq.push_alu(cq.kernel(("mm-copy", t), lambda: KernelBuilder.alu(AluOp.SHR, imm=0)
                                      .loop(acc_tile, dst=1).uop(0)))
            cq.dep_push(Stage.COMPUTE, Stage.STORE)
            cq.dep_pop(Stage.COMPUTE, Stage.STORE)
            cq.store_2d(0, c, i0 * nb + j0, t.tn, t.tm, nb)
            cq.dep_push(Stage.STORE, Stage.COMPUTE)
            cq.dep_pop(Stage.STORE, Stage.COMPUTE)
    return t


def _gemm_kernel(t: MatmulTiles, inp_base: int, wgt_base: int) -> KernelBuilder:
    """uops over (row m, column n) with the reduction over k as the instruction's loop."""
    mm, nn = np.meshgrid(np.arange(t.tm), np.arange(t.tn), indexing="ij")
    return (KernelBuilder.gemm().loop(t.tk, src=1, wgt=1)
            .uops(dst=(mm * t.tn + nn).ravel(), src=(inp_base + mm * t.tk).ravel(), wgt=(wgt_base + nn * t.tk).ravel()))
