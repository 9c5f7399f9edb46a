"""Typed instructions and micro-ops; attribute names are the field-table names of fields.py."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from .fields import Kind
from .opcodes import AluOp, MemType, Opcode, Stage


@dataclass(frozen=True, kw_only=True)
class Insn:
    """Common header: the four dependency-token flags."""

    KIND: ClassVar[Kind]
    pop_prev_dep: bool = False
    pop_next_dep: bool = False
    push_prev_dep: bool = False
    push_next_dep: bool = False

    @property
    def stage(self) -> Stage:
        """The module that executes it (fetch routing, VTA_REFERENCE 2.9)."""
        return Stage.COMPUTE

    def replace(self, **changes: object) -> "Insn":
        return dataclasses.replace(self, **changes)

    @property
    def is_nop(self) -> bool:
        return False


@dataclass(frozen=True, kw_only=True)
class MemInsn(Insn):
    """LOAD or STORE of a 2D block of elements between DRAM and an SRAM."""

    KIND: ClassVar[Kind] = Kind.MEM
    opcode: Opcode
    memory_type: MemType | int
    sram_base: int = 0
    dram_base: int = 0
    y_size: int = 0
    x_size: int = 0
    x_stride: int = 0
    y_pad_0: int = 0
    y_pad_1: int = 0
    x_pad_0: int = 0
    x_pad_1: int = 0

    @property
    def stage(self) -> Stage:
        if self.opcode == Opcode.STORE:
            return Stage.STORE
        if self.memory_type in (MemType.INP, MemType.WGT):
            return Stage.LOAD
        return Stage.COMPUTE

    @property
    def is_nop(self) -> bool:
        return self.x_size == 0


@dataclass(frozen=True, kw_only=True)
class GemmInsn(Insn):
    """Matrix multiply-accumulate over a two-level loop nest of a micro-op kernel."""

    KIND: ClassVar[Kind] = Kind.GEMM
    opcode: ClassVar[Opcode] = Opcode.GEMM
    reset_reg: bool = False
    uop_bgn: int = 0
    uop_end: int = 0
    iter_out: int = 1
    iter_in: int = 1
    dst_factor_out: int = 0
    dst_factor_in: int = 0
    src_factor_out: int = 0
    src_factor_in: int = 0
    wgt_factor_out: int = 0
    wgt_factor_in: int = 0


@dataclass(frozen=True, kw_only=True)
class AluInsn(Insn):
    """Element-wise ACC operation over a two-level loop nest of a micro-op kernel."""

    KIND: ClassVar[Kind] = Kind.ALU
    opcode: ClassVar[Opcode] = Opcode.ALU
    reset_reg: bool = False
    uop_bgn: int = 0
    uop_end: int = 0
    iter_out: int = 1
    iter_in: int = 1
    dst_factor_out: int = 0
    dst_factor_in: int = 0
    src_factor_out: int = 0
    src_factor_in: int = 0
    alu_opcode: AluOp | int = AluOp.MIN
    use_imm: bool = False
    imm: int = 0


@dataclass(frozen=True, kw_only=True)
class FinishInsn(Insn):
    """End of the program: the host sees `finish` once the compute stage executes it."""

    KIND: ClassVar[Kind] = Kind.FINISH
    opcode: ClassVar[Opcode] = Opcode.FINISH


@dataclass(frozen=True)
class Uop:
    """One micro-op: ACC index, INP (GEMM) or ACC (ALU) source index, WGT index."""

    dst_idx: int
    src_idx: int = 0
    wgt_idx: int = 0


INSN_CLASSES: dict[Kind, type[Insn]] = {
    Kind.MEM: MemInsn,
    Kind.GEMM: GemmInsn,
    Kind.ALU: AluInsn,
    Kind.FINISH: FinishInsn,
}

OPCODE_KIND: dict[int, Kind] = {
    Opcode.LOAD: Kind.MEM,
    Opcode.STORE: Kind.MEM,
    Opcode.GEMM: Kind.GEMM,
    Opcode.ALU: Kind.ALU,
    Opcode.FINISH: Kind.FINISH,
}


def load(memory_type: MemType, **fields: int) -> MemInsn:
    """Shorthand for a LOAD instruction."""
    return MemInsn(opcode=Opcode.LOAD, memory_type=memory_type, **fields)


def store(**fields: int) -> MemInsn:
    """Shorthand for a STORE (always from OUT) instruction."""
    return MemInsn(opcode=Opcode.STORE, memory_type=MemType.OUT, **fields)
