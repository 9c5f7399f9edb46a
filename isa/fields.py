"""The ISA as data: one declarative field table per instruction kind and for the micro-op.

Widths are numbers or functions of the Config. Bit positions are not written
here: `layout.py` places the fields with upstream's C bit-field packing rule,
and the encoder, decoder, assembler, SystemVerilog package and docs/isa.md are
all generated from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class FromConfig:
    """A width equal to the largest of some Config properties, plus an offset."""

    attrs: tuple[str, ...]
    offset: int = 0

    def __call__(self, config: object) -> int:
        return max(getattr(config, a) for a in self.attrs) + self.offset

    def describe(self) -> str:
        names = [a.upper() for a in self.attrs]
        text = names[0] if len(names) == 1 else f"max({', '.join(names)})"
        return text + (f"+{self.offset}" if self.offset else "")


def cfg(*attrs: str, offset: int = 0) -> FromConfig:
    return FromConfig(tuple(attrs), offset)


@dataclass(frozen=True)
class Field:
    """One bit field: name (also the instruction dataclass attribute), width, meaning."""

    name: str
    width: int | FromConfig
    doc: str
    signed: bool = False

    def bits(self, config: object) -> int:
        return self.width if isinstance(self.width, int) else self.width(config)

    def describe_width(self) -> str:
        return str(self.width) if isinstance(self.width, int) else self.width.describe()


class Kind(Enum):
    """Instruction layouts. FINISH shares the GEMM layout with every field zero."""

    MEM = "mem"
    GEMM = "gemm"
    ALU = "alu"
    FINISH = "finish"


HEADER: tuple[Field, ...] = (
    Field("opcode", 3, "Opcode (LOAD 0, STORE 1, GEMM 2, FINISH 3, ALU 4)"),
    Field("pop_prev_dep", 1, "Wait for and pop a token from the previous stage before executing"),
    Field("pop_next_dep", 1, "Wait for and pop a token from the next stage before executing"),
    Field("push_prev_dep", 1, "Push a token to the previous stage after executing"),
    Field("push_next_dep", 1, "Push a token to the next stage after executing"),
)

MEM_FIELDS: tuple[Field, ...] = HEADER + (
    Field("memory_type", 3, "Memory type (UOP 0, WGT 1, INP 2, ACC 3, OUT 4)"),
    Field("sram_base", 16, "First SRAM element (LOAD destination, STORE source)"),
    Field("dram_base", 32, "DRAM address in elements of memory_type (bytes = dram_base * element bytes)"),
    Field("y_size", 16, "Rows to transfer"),
    Field("x_size", 16, "Elements per row; 0 makes the instruction a dependency-only NOP"),
    Field("x_stride", 16, "DRAM row stride in elements"),
    Field("y_pad_0", 4, "Zero rows written before the data (LOAD only)"),
    Field("y_pad_1", 4, "Zero rows written after the data (LOAD only)"),
    Field("x_pad_0", 4, "Zero elements written before each row (LOAD only)"),
    Field("x_pad_1", 4, "Zero elements written after each row (LOAD only)"),
)

_NEST: tuple[Field, ...] = (
    Field("reset_reg", 1, "GEMM: zero ACC over the index nest instead of accumulating (ignored by ALU)"),
    Field("uop_bgn", cfg("log_uop_depth"), "First micro-op of the kernel"),
    Field("uop_end", cfg("log_uop_depth", offset=1), "One past the last micro-op of the kernel"),
    Field("iter_out", 14, "Outer loop extent"),
    Field("iter_in", 14, "Inner loop extent"),
    Field("dst_factor_out", cfg("log_acc_depth"), "ACC index step per outer iteration"),
    Field("dst_factor_in", cfg("log_acc_depth"), "ACC index step per inner iteration"),
)

GEMM_FIELDS: tuple[Field, ...] = HEADER + _NEST + (
    Field("src_factor_out", cfg("log_inp_depth"), "INP index step per outer iteration"),
    Field("src_factor_in", cfg("log_inp_depth"), "INP index step per inner iteration"),
    Field("wgt_factor_out", cfg("log_wgt_depth"), "WGT index step per outer iteration"),
    Field("wgt_factor_in", cfg("log_wgt_depth"), "WGT index step per inner iteration"),
)

ALU_FIELDS: tuple[Field, ...] = HEADER + _NEST + (
    Field("src_factor_out", cfg("log_acc_depth"), "Source ACC index step per outer iteration"),
    Field("src_factor_in", cfg("log_acc_depth"), "Source ACC index step per inner iteration"),
    Field("alu_opcode", 3, "ALU operation (MIN 0, MAX 1, ADD 2, SHR 3, MUL 4)"),
    Field("use_imm", 1, "Second operand is imm instead of ACC[src]"),
    Field("imm", 16, "Immediate, two's complement, sign-extended to the accumulator width", signed=True),
)

UOP_FIELDS: tuple[Field, ...] = (
    Field("dst_idx", cfg("log_acc_depth"), "ACC (and OUT) index"),
    Field("src_idx", cfg("log_acc_depth", "log_inp_depth"), "INP index (GEMM) or source ACC index (ALU)"),
    Field("wgt_idx", cfg("log_wgt_depth"), "WGT index (GEMM; 0 for ALU)"),
)

TABLES: dict[Kind, tuple[Field, ...]] = {
    Kind.MEM: MEM_FIELDS,
    Kind.GEMM: GEMM_FIELDS,
    Kind.ALU: ALU_FIELDS,
    Kind.FINISH: GEMM_FIELDS,
}

INSN_BITS = 128
INSN_WORD_BITS = 64
UOP_BITS = 32
UOP_WORD_BITS = 32
