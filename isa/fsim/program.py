"""An instruction stream decoded at once into per-field numpy columns, plus its static checks.

Decoding is vectorized (one pass per instruction kind over all N instructions),
so per-instruction work in the simulator is a few list look-ups.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..asm import disasm_bytes
from ..config import Config
from ..encode import decode_columns, program_words
from ..errors import SimulationError
from ..fields import Kind
from ..opcodes import AluOp, MemType, Opcode, Stage

OPCODE_NAMES = {int(o): o.name for o in Opcode}


class MemFields(NamedTuple):
    opcode: int
    memory_type: int
    sram_base: int
    dram_base: int
    y_size: int
    x_size: int
    x_stride: int
    y_pad_0: int
    y_pad_1: int
    x_pad_0: int
    x_pad_1: int


class NestFields(NamedTuple):
    """GEMM and ALU share the nest; ALU-only fields are 0 for GEMM and vice versa."""

    reset_reg: int
    uop_bgn: int
    uop_end: int
    iter_out: int
    iter_in: int
    dst_factor_out: int
    dst_factor_in: int
    src_factor_out: int
    src_factor_in: int
    wgt_factor_out: int
    wgt_factor_in: int
    alu_opcode: int
    use_imm: int
    imm: int


class DecodedProgram:
    """Columns of every field, the opcode and stage of each instruction, and flag columns."""

    def __init__(self, raw: np.ndarray, config: Config) -> None:
        self.config = config
        self.raw = np.ascontiguousarray(raw, dtype=np.uint8)
        words = program_words(self.raw)
        self.count = len(words)
        self.opcode = (words[:, 0] & np.uint64(7)).astype(np.int64)
        mem = decode_columns(words, Kind.MEM, config)
        gemm = decode_columns(words, Kind.GEMM, config)
        alu = decode_columns(words, Kind.ALU, config)
        self.flags = [gemm[n].tolist() for n in ("pop_prev_dep", "pop_next_dep", "push_prev_dep", "push_next_dep")]
        self._mem = [mem[n].tolist() for n in MemFields._fields]
        # GEMM and ALU place the source factors with different widths: decode each kind with its own layout.
        zeros = np.zeros(self.count, np.int64)
        self._gemm = [gemm.get(n, zeros).tolist() for n in NestFields._fields]
        self._alu = [alu.get(n, zeros).tolist() for n in NestFields._fields]
        self.memory_type = mem["memory_type"]
        self.x_size = mem["x_size"]
        self.stage = self._stages()
        self.opcode_list = self.opcode.tolist()

    def _stages(self) -> np.ndarray:
        stage = np.full(self.count, int(Stage.COMPUTE), dtype=np.int64)
        is_load = self.opcode == Opcode.LOAD
        stage[is_load & np.isin(self.memory_type, (MemType.INP, MemType.WGT))] = Stage.LOAD
        stage[self.opcode == Opcode.STORE] = Stage.STORE
        return stage

    def mem(self, i: int) -> MemFields:
        return MemFields(*(col[i] for col in self._mem))

    def nest(self, i: int) -> NestFields:
        cols = self._alu if self.opcode_list[i] == Opcode.ALU else self._gemm
        return NestFields(*(col[i] for col in cols))

    def disasm(self, i: int) -> str:
        return disasm_bytes(bytes(self.raw[16 * i : 16 * i + 16]), self.config)

    def error(self, i: int, rule: str) -> SimulationError:
        return SimulationError(f"instruction {i} ({self.disasm(i)}): {rule}")

    def static_check(self) -> None:
        """Rules checkable without running: opcodes, memory types, ALU ops, flags, FINISH placement."""
        n = self.count
        bad = np.flatnonzero(self.opcode > Opcode.ALU)
        if bad.size:
            i = int(bad[0])
            raise self.error(i, f"unknown opcode {int(self.opcode[i])}")
        loads = np.flatnonzero((self.opcode == Opcode.LOAD) & ~np.isin(
            self.memory_type, (MemType.UOP, MemType.INP, MemType.WGT, MemType.ACC)))
        if loads.size:
            i = int(loads[0])
            mt = int(self.memory_type[i])
            what = "OUT cannot be loaded" if mt == MemType.OUT else f"memory type {mt} is not supported (UOP, WGT, INP, ACC)"
            raise self.error(i, f"LOAD: {what}")
        stores = np.flatnonzero((self.opcode == Opcode.STORE) & (self.x_size != 0) & (self.memory_type != MemType.OUT))
        if stores.size:
            i = int(stores[0])
            raise self.error(i, f"STORE: memory type {int(self.memory_type[i])} is not OUT (only OUT can be stored)")
        alu = np.flatnonzero(self.opcode == Opcode.ALU)
        if alu.size:
            ops = np.array([self._alu[NestFields._fields.index("alu_opcode")][i] for i in alu.tolist()])
            badop = np.flatnonzero(ops > max(AluOp))
            if badop.size:
                i = int(alu[badop[0]])
                raise self.error(i, f"ALU: unknown alu_opcode {int(ops[badop[0]])} (MIN 0, MAX 1, ADD 2, SHR 3, MUL 4)")
        pop_prev, pop_next, push_prev, push_next = (np.asarray(f, dtype=bool) for f in self.flags)
        illegal = ((self.stage == Stage.LOAD) & (pop_prev | push_prev)) | ((self.stage == Stage.STORE) & (pop_next | push_next))
        bad = np.flatnonzero(illegal)
        if bad.size:
            i = int(bad[0])
            stage = "load" if self.stage[i] == Stage.LOAD else "store"
            side = "prev" if stage == "load" else "next"
            raise self.error(i, f"the {stage} stage has no {side} stage: pop_{side}_dep/push_{side}_dep must be 0")
        finishes = np.flatnonzero(self.opcode == Opcode.FINISH)
        if finishes.size == 0:
            raise SimulationError(f"program of {n} instructions has no FINISH (it must end with one)")
        if finishes[0] != n - 1:
            i = int(finishes[0])
            raise self.error(i, f"FINISH must be the last instruction (found at {i} of {n}); nothing may follow it")
