"""The runtime's test programs (fresh versions of upstream's unit-test scenarios, VTA_REFERENCE 9.1).

Each scenario builds its inputs from a seeded generator, runs one program
through a CommandQueue on whatever Device it is given, and returns the inputs
and the int8 output it read back. Tests check the outputs against numpy
written in the tests; the hardware conformance suite runs the same scenarios
on TSIM and requires outputs identical to fsim's.

Shapes are in packed units (rows, cols, BATCH, BLOCK) as upstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from vta.isa.opcodes import AluOp, MemType, Stage
from vta.isa.stats import RunStats

from .buffer import DeviceBuffer
from .command_queue import CommandQueue
from .kernel import KernelBuilder


@dataclass
class ScenarioResult:
    inputs: dict[str, np.ndarray]
    output: np.ndarray
    stats: RunStats
    params: dict[str, int] = field(default_factory=dict)


def _acc_to_out(cq: CommandQueue, data: np.ndarray, ops: list[tuple[AluOp, int | None]], pad=(0, 0, 0, 0),
                second: np.ndarray | None = None) -> tuple[np.ndarray, RunStats]:
    """Load int32 `data` (rows, cols, B, BO) into ACC (optionally a second tensor after it), apply ALU
    steps (imm None = vector operand from the second tensor), store int8 and read it back."""
    rows, cols = data.shape[:2]
    y0, y1, x0, x1 = pad
    prow, pcol = rows + y0 + y1, cols + x0 + x1
    n = prow * pcol
    dev = cq.device
    src = DeviceBuffer.from_array(dev, data)
    out = DeviceBuffer(dev, n * cq.config.out_elem_bytes)
    cq.load_2d(MemType.ACC, 0, src, 0, cols, rows, cols, pad=pad)
    bufs = [src, out]
    if second is not None:
        other = DeviceBuffer.from_array(dev, second)
        bufs.append(other)
        cq.load_2d(MemType.ACC, n, other, 0, n, 1, n)
    for op, imm in ops:
        kb = KernelBuilder.alu(op, imm=imm).loop(n, dst=1, src=1)
        cq.push_alu(kb.uop(0, n if imm is None else 0).build())
    cq.dep_push(Stage.COMPUTE, Stage.STORE)
    cq.dep_pop(Stage.COMPUTE, Stage.STORE)
    cq.store_2d(0, out, 0, n, 1, n)
    stats = cq.synchronize()
    result = out.read(np.int8, (prow, pcol) + data.shape[2:])
    for b in bufs:
        b.free()
    return result, stats


def save_load_out(cq: CommandQueue, rng: np.random.Generator) -> ScenarioResult:
    """int32 into ACC, SHR 0 (so OUT is written), store: the low 8 bits come back."""
    c = cq.config
    a = rng.integers(1, 10, (6, 6, c.batch, c.block_out)).astype(np.int32)
    out, stats = _acc_to_out(cq, a, [(AluOp.SHR, 0)])
    return ScenarioResult({"a": a}, out, stats)


PAD_CASES = {"y0": (2, 0, 0, 0), "y1": (0, 2, 0, 0), "x0": (0, 0, 2, 0), "x1": (0, 0, 0, 2), "all": (1, 1, 1, 1)}


def padded_load(cq: CommandQueue, rng: np.random.Generator, case: str = "all") -> ScenarioResult:
    """ACC load with zero padding (y0, y1, x0, x1) around a (3, 5) block."""
    c = cq.config
    a = rng.integers(1, 10, (3, 5, c.batch, c.block_out)).astype(np.int32)
    pad = PAD_CASES[case]
    out, stats = _acc_to_out(cq, a, [(AluOp.SHR, 0)], pad=pad)
    return ScenarioResult({"a": a}, out, stats, {"y0": pad[0], "y1": pad[1], "x0": pad[2], "x1": pad[3]})


def gemm(cq: CommandQueue, rng: np.random.Generator, virtual_threads: int = 1) -> ScenarioResult:
    """x (4 rows of 1 input block) times w (4 output blocks): GEMM, >> 8, relu-clip to [0, 127].

    With two virtual threads the rows are split in halves whose loads and GEMMs interleave
    on separate INP buffers, like upstream's "smt" schedule.
    """
    c = cq.config
    b, bi, bo = c.batch, c.block_in, c.block_out
    x = rng.integers(-128, 128, (4, 1, b, bi), dtype=np.int8)
    w = rng.integers(-128, 128, (4, 1, bo, bi), dtype=np.int8)
    dev = cq.device
    xb, wb = DeviceBuffer.from_array(dev, x), DeviceBuffer.from_array(dev, w)
    ob = DeviceBuffer(dev, 4 * 4 * c.out_elem_bytes)
    cq.load_2d(MemType.WGT, 0, wb, 0, 4, 1, 4)
    parts = [(0, 4)] if virtual_threads == 1 else [(0, 2), (2, 4)]
    for t, (r0, r1) in enumerate(parts):
        rows = r1 - r0
        cq.load_2d(MemType.INP, 8 * t, xb, r0, rows, 1, rows)
        cq.dep_push(Stage.LOAD, Stage.COMPUTE)
    for t, (r0, r1) in enumerate(parts):
        rows = r1 - r0
        cq.dep_pop(Stage.LOAD, Stage.COMPUTE)
        dst = np.repeat(np.arange(rows), 4) * 4 + np.tile(np.arange(4), rows) + 16 * t
        src = np.repeat(np.arange(rows), 4) + 8 * t
        wgt = np.tile(np.arange(4), rows)
        cq.push_gemm(KernelBuilder.gemm(reset=True).uops(dst).build())
        cq.push_gemm(KernelBuilder.gemm().uops(dst, src, wgt).build())
        for op, imm in ((AluOp.SHR, 8), (AluOp.MAX, 0), (AluOp.MIN, 127)):
            cq.push_alu(KernelBuilder.alu(op, imm=imm).loop(4 * rows, dst=1).uop(16 * t).build())
        cq.dep_push(Stage.COMPUTE, Stage.STORE)
        cq.dep_pop(Stage.COMPUTE, Stage.STORE)
        cq.store_2d(16 * t, ob, 4 * r0, 4 * rows, 1, 4 * rows)
    stats = cq.synchronize()
    out = ob.read(np.int8, (4, 4, b, bo))
    for buf in (xb, wb, ob):
        buf.free()
    return ScenarioResult({"x": x, "w": w}, out, stats, {"virtual_threads": virtual_threads})


ALU_CASES = {
    "shl_imm": (AluOp.SHR, "neg_imm"), "max_imm": (AluOp.MAX, "imm"), "max": (AluOp.MAX, None),
    "add_imm": (AluOp.ADD, "imm"), "add": (AluOp.ADD, None), "shr_imm": (AluOp.SHR, "imm"),
    "min_imm": (AluOp.MIN, "imm"), "min": (AluOp.MIN, None), "mul_imm": (AluOp.MUL, "imm"), "mul": (AluOp.MUL, None),
    "shr": (AluOp.SHR, None),
}


def alu(cq: CommandQueue, rng: np.random.Generator, case: str = "add") -> ScenarioResult:
    """One ALU op over (8, 8) ACC blocks with an immediate in [1, 5) or a second tensor; int8 result."""
    c = cq.config
    op, kind = ALU_CASES[case]
    a = rng.integers(-16, 16, (8, 8, c.batch, c.block_out)).astype(np.int32)
    b = rng.integers(-16, 16, (8, 8, c.batch, c.block_out)).astype(np.int32)
    imm = int(rng.integers(1, 5))
    if kind is None:
        out, stats = _acc_to_out(cq, a, [(op, None)], second=b)
    else:
        out, stats = _acc_to_out(cq, a, [(op, -imm if kind == "neg_imm" else imm)])
    return ScenarioResult({"a": a, "b": b}, out, stats, {"imm": imm})


def relu(cq: CommandQueue, rng: np.random.Generator) -> ScenarioResult:
    c = cq.config
    a = rng.integers(-256, 256, (8, 10, c.batch, c.block_out)).astype(np.int32)
    out, stats = _acc_to_out(cq, a, [(AluOp.MAX, 0), (AluOp.MIN, 127)])
    return ScenarioResult({"a": a}, out, stats)


def shift_and_scale(cq: CommandQueue, rng: np.random.Generator) -> ScenarioResult:
    c = cq.config
    a = rng.integers(-10, 10, (2, 8, c.batch, c.block_out)).astype(np.int32)
    add, shift = int(rng.integers(0, 8)), int(rng.integers(1, 5))
    out, stats = _acc_to_out(cq, a, [(AluOp.ADD, add), (AluOp.SHR, shift)])
    return ScenarioResult({"a": a}, out, stats, {"add": add, "shift": shift})


def runtime_array(cq: CommandQueue, rng: np.random.Generator) -> ScenarioResult:
    """An int8 (100, 100, B, BLOCK_IN) array through device memory and back (no program)."""
    c = cq.config
    a = rng.integers(-128, 128, (100, 100, c.batch, c.block_in), dtype=np.int8)
    with DeviceBuffer.from_array(cq.device, a) as buf:
        back = buf.read(np.int8, a.shape)
    return ScenarioResult({"a": a}, back, RunStats())


def _variants() -> dict[str, Callable[[CommandQueue, np.random.Generator], ScenarioResult]]:
    table: dict[str, Callable[[CommandQueue, np.random.Generator], ScenarioResult]] = {
        "save_load_out": save_load_out, "relu": relu, "shift_and_scale": shift_and_scale,
        "runtime_array": runtime_array,
        "gemm": lambda cq, rng: gemm(cq, rng, 1), "gemm_smt": lambda cq, rng: gemm(cq, rng, 2),
    }
    for case in PAD_CASES:
        table[f"padded_load_{case}"] = lambda cq, rng, case=case: padded_load(cq, rng, case)
    for case in ALU_CASES:
        table[f"alu_{case}"] = lambda cq, rng, case=case: alu(cq, rng, case)
    return table


#: Every scenario by name; run one with SCENARIOS[name](CommandQueue(device), np.random.default_rng(seed)).
SCENARIOS = _variants()
