"""cocotb bench of vta_regs through a cocotbext-axi AxiLiteMaster: every register of vta_hw/regmap.py
(read/write, read-only, byte strobes), the launch/finish handshake, irq, status and error latching."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from tb_util import REG, start_clock_and_reset
from vta.hw import regmap

SEED = 18


class Regs:
    def __init__(self, dut):
        self.dut = dut
        self.m = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni, reset_active_level=False)
        self.launches = 0

    async def count_launches(self):
        while True:
            await RisingEdge(self.dut.clk_i)
            self.launches += int(self.dut.launch_o.value)

    async def rd(self, offset: int) -> int:
        return int.from_bytes(await self.m.read(offset, 4), "little")

    async def wr(self, offset: int, value: int) -> None:
        await self.m.write(offset, value.to_bytes(4, "little"))


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def register_map(dut):
    rng = np.random.default_rng(SEED)
    counters = regmap.counter_registers()
    values = [int(v) for v in rng.integers(0, 1 << 32, size=len(counters), dtype=np.uint64)]
    dut.counters_i.value = sum(v << (32 * i) for i, v in enumerate(values))
    for s in ("busy_i", "finish_i", "err_i", "err_code_i", "err_insn_i"):
        getattr(dut, s).value = 0
    await start_clock_and_reset(dut)
    r = Regs(dut)
    cocotb.start_soon(r.count_launches())

    # Read/write registers other than control hold what is written; byte strobes update single bytes.
    for reg in regmap.REGISTERS:
        if reg.access == "rw" and reg.name != "control":
            v = int(rng.integers(0, 1 << 32))
            await r.wr(reg.offset, v)
            assert await r.rd(reg.offset) == v, reg.name
            await r.m.write(reg.offset + 2, b"\xab")
            assert await r.rd(reg.offset) == (v & ~0xFF0000) | 0xAB0000, f"{reg.name}: byte strobe"
    await r.wr(REG["insn_count"], 77)
    await r.wr(REG["insn_addr"], 0x1230)
    assert int(dut.insn_count_o.value) == 77 and int(dut.insn_addr_o.value) == 0x1230
    # Counters read what the core drives; writes to read-only registers change nothing.
    for reg, v in zip(counters, values):
        assert await r.rd(reg.offset) == v, reg.name
        await r.wr(reg.offset, 0)
        assert await r.rd(reg.offset) == v, f"{reg.name} is read-only"
    assert await r.rd(0x400) == 0, "unmapped address"
    assert await r.rd(REG["status"]) == 0

    # Launch: one pulse; control cannot be rewritten while busy; finish sets 0b10 and irq.
    assert r.launches == 0
    await r.wr(REG["control"], 1 << regmap.CTRL_LAUNCH_BIT)
    await ClockCycles(dut.clk_i, 2)
    assert r.launches == 1
    dut.busy_i.value = 1
    await r.wr(REG["control"], 1 << regmap.CTRL_LAUNCH_BIT)
    await ClockCycles(dut.clk_i, 2)
    assert r.launches == 1, "launch while busy"
    assert (await r.rd(REG["status"])) >> regmap.STATUS_BUSY_BIT & 1
    # An error is latched once (the first wins) with its code and instruction index.
    for code, idx in ((5, 42), (1, 7)):
        dut.err_i.value, dut.err_code_i.value, dut.err_insn_i.value = 1, code, idx
        await RisingEdge(dut.clk_i)
        dut.err_i.value = 0
    status = await r.rd(REG["status"])
    assert status >> regmap.STATUS_ERROR_BIT & 1 and status >> regmap.STATUS_ERROR_CODE_LSB & 0xFF == 5
    assert await r.rd(REG["error_insn"]) == 42
    assert int(dut.irq_o.value) == 0
    dut.finish_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.finish_i.value = 0
    dut.busy_i.value = 0
    await RisingEdge(dut.clk_i)
    assert await r.rd(REG["control"]) == 1 << regmap.CTRL_FINISH_BIT
    assert int(dut.irq_o.value) == 1
    # Relaunch clears the error and the finish bit.
    await r.wr(REG["control"], 1 << regmap.CTRL_LAUNCH_BIT)
    await ClockCycles(dut.clk_i, 2)
    assert r.launches == 2
    assert int(dut.irq_o.value) == 0
    assert await r.rd(REG["status"]) == 0 and await r.rd(REG["error_insn"]) == 0
