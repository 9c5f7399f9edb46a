"""The register map of the accelerator's AXI4-Lite control port: one table for everything.

The first ten registers are upstream's Chisel VCR layout (VTA_REFERENCE 5.3),
so an upstream TSIM/de10nano-style driver's accesses mean the same here; the
kit's status and event counters follow. The SystemVerilog package, the TSIM
C++ header, the drivers and docs/registers.md are generated from `REGISTERS`.
Append new registers at the end; never move one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Register:
    """One 32-bit register at a byte offset; access is "rw" (host writes) or "ro"."""

    offset: int
    name: str
    access: str
    doc: str


#: Bits of the control register (offset 0x00).
CTRL_LAUNCH_BIT = 0
CTRL_FINISH_BIT = 1
#: Bits of the status register.
STATUS_BUSY_BIT = 0
STATUS_ERROR_BIT = 1
STATUS_ERROR_CODE_LSB = 8  # bits [15:8]: an ErrorCode value

#: Error codes the hardware reports in status[15:8] (0 = none).
ERROR_CODES = {
    0: "none",
    1: "unknown opcode",
    2: "unknown memory type",
    3: "unknown ALU opcode",
    4: "illegal dependency flag",
    5: "AXI error response",
}

REGISTERS: tuple[Register, ...] = (
    Register(0x00, "control", "rw", "bit0 launch (host writes 1); bit1 finish (hardware writes 0b10 when FINISH completes)"),
    Register(0x04, "cycles", "ro", "clock cycles from launch to finish (upstream ecnt[0])"),
    Register(0x08, "insn_count", "rw", "number of instructions to fetch (upstream vals[0])"),
    Register(0x0C, "insn_addr", "rw", "byte address of the instruction stream (upstream ptrs[0])"),
    Register(0x10, "uop_base", "rw", "upstream ptrs[1]; kept for upstream drivers, ignored (instructions carry absolute addresses)"),
    Register(0x14, "inp_base", "rw", "upstream ptrs[2]; ignored"),
    Register(0x18, "wgt_base", "rw", "upstream ptrs[3]; ignored"),
    Register(0x1C, "acc_base", "rw", "upstream ptrs[4]; ignored"),
    Register(0x20, "out_base", "rw", "upstream ptrs[5]; ignored"),
    Register(0x24, "acc_wr_count", "ro", "ACC write events during the run (upstream ucnt[0])"),
    # ---- kit extensions ----
    Register(0x28, "status", "ro", "bit0 busy; bit1 error; bits[15:8] error code (see ERROR_CODES)"),
    Register(0x2C, "error_insn", "ro", "index of the instruction that raised the error"),
    Register(0x30, "gemm_uops", "ro", "non-reset GEMM micro-ops executed"),
    Register(0x34, "alu_uops", "ro", "ALU micro-ops executed"),
    Register(0x38, "fetch_busy", "ro", "cycles the fetch module was reading or dispatching instructions"),
    Register(0x3C, "load_busy", "ro", "cycles the load module was executing an instruction"),
    Register(0x40, "load_stall", "ro", "cycles the load module waited for a dependency token"),
    Register(0x44, "compute_busy", "ro", "cycles the compute module was executing an instruction"),
    Register(0x48, "compute_stall", "ro", "cycles the compute module waited for a dependency token"),
    Register(0x4C, "store_busy", "ro", "cycles the store module was executing an instruction"),
    Register(0x50, "store_stall", "ro", "cycles the store module waited for a dependency token"),
    Register(0x54, "mem_rd_beats", "ro", "AXI read data beats accepted"),
    Register(0x58, "mem_wr_beats", "ro", "AXI write data beats sent"),
)

BY_NAME: dict[str, Register] = {r.name: r for r in REGISTERS}

#: Byte-address bits of the AXI4-Lite port (upstream host AXI-Lite address width).
HOST_ADDR_BITS = 16


def offset(name: str) -> int:
    return BY_NAME[name].offset


def counter_registers() -> tuple[Register, ...]:
    """The read-only event counters a run reports (everything "ro" except status/error)."""
    return tuple(r for r in REGISTERS if r.access == "ro" and r.name not in ("status", "error_insn"))
