"""Opcode tables of the ISA (values are upstream VTA's, so binaries stay compatible)."""

from enum import IntEnum


class Opcode(IntEnum):
    """Instruction opcode, bits 0-2 of every instruction."""

    LOAD = 0
    STORE = 1
    GEMM = 2
    FINISH = 3
    ALU = 4


class MemType(IntEnum):
    """Memory type of LOAD/STORE; selects the SRAM and the DRAM element size."""

    UOP = 0
    WGT = 1
    INP = 2
    ACC = 3
    OUT = 4


class AluOp(IntEnum):
    """ALU operation; all act on signed ACC lanes with 32-bit wrap (see docs/isa.md)."""

    MIN = 0
    MAX = 1
    ADD = 2
    SHR = 3
    MUL = 4


class Stage(IntEnum):
    """Pipeline stage (queue id) an instruction executes in; upstream's kLoad/Compute/StoreStage."""

    LOAD = 1
    COMPUTE = 2
    STORE = 3


#: Upstream's ACC_8BIT memory type (fsim/intelfocl only); the kit rejects it with this note.
ACC_8BIT_MEMTYPE = 5
