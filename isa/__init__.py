"""vta.isa: the configuration, the ISA tables and their encoders, and the functional simulator."""

from .config import Config, presets
from .encode import (
    decode_insn,
    decode_program,
    decode_uop,
    encode_insn,
    encode_program,
    encode_uop,
)
from .errors import ConfigError, DeviceError, IsaError, SimulationError, VtaError
from .insn import AluInsn, FinishInsn, GemmInsn, Insn, MemInsn, Uop, load, store
from .opcodes import AluOp, MemType, Opcode, Stage

__all__ = [
    "AluInsn", "AluOp", "Config", "ConfigError", "DeviceError", "FinishInsn", "GemmInsn", "Insn",
    "IsaError", "MemInsn", "MemType", "Opcode", "SimulationError", "Stage", "Uop", "VtaError",
    "decode_insn", "decode_program", "decode_uop", "encode_insn", "encode_program", "encode_uop",
    "load", "presets", "store",
]
