"""Shared pieces of the cocotb benches: clock/reset, the generated package's numbers, memory helpers."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from vta.hw import regmap
from vta.isa import Config
from vta.isa.encode import encode_insn
from vta.isa.fields import Kind
from vta.isa.layout import insn_layout


async def start_clock_and_reset(dut, cycles: int = 5) -> None:
    """10 ns clock on clk_i; rst_ni low for `cycles` edges."""
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, cycles)
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)


def insn_int(insn, config: Config) -> int:
    """An instruction as the 128-bit integer a bench drives onto an insn port."""
    return int.from_bytes(encode_insn(insn, config), "little")


def lanes(config: Config, elem_bits: int) -> int:
    return max(1, config.bus_width // elem_bits)


def slices(config: Config, elem_bits: int) -> int:
    return max(1, elem_bits // config.bus_width)


def pack_bits(values: np.ndarray, width: int) -> int:
    """Little-endian packing of unsigned `values` (1-D) of `width` bits into one integer."""
    out = 0
    for i, v in enumerate(np.asarray(values, dtype=np.uint64).tolist()):
        out |= (int(v) & ((1 << width) - 1)) << (i * width)
    return out


def unpack_bits(value: int, width: int, count: int, signed: bool = False) -> np.ndarray:
    mask = (1 << width) - 1
    vals = [(value >> (i * width)) & mask for i in range(count)]
    if signed:
        vals = [v - (1 << width) if v >> (width - 1) else v for v in vals]
    return np.array(vals, dtype=np.int64)


def mem_type_field(config: Config) -> tuple[int, int]:
    """(lsb, width) of memory_type in the MEM layout (used to forge bad instructions)."""
    s = insn_layout(Kind.MEM, config).slot("memory_type")
    return s.lsb, s.width


REG = {r.name: r.offset for r in regmap.REGISTERS}
