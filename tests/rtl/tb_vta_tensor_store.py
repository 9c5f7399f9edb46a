"""cocotb bench of vta_tensor_store: 2D stores (strides, unaligned DRAM starts, NOP) from a modelled OUT
scratchpad through a modelled memory-engine write client with stalls; DRAM is compared byte for byte
with a numpy reference of semantics.md STORE, and done must wait for the write responses."""

from __future__ import annotations

import os
from collections import deque

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from rtl_build import config_from_env
from tb_util import SramModel, insn_int, lanes, slices, start_clock_and_reset
from vta.isa import MemType, store

SEED = 14


class WriteClientModel:
    """Transfers in, beats with strobes applied to `dram`; idle only once every beat is in and a
    random response latency has passed."""

    def __init__(self, dut, dram: np.ndarray, bus_bytes: int, rng, stall: float = 0.25) -> None:
        self.dut, self.dram, self.bb, self.rng, self.stall = dut, dram, bus_bytes, rng, stall
        self.beats = 0

    async def run(self, clk) -> None:
        d = self.dut
        addrs: deque[int] = deque()
        req_ready = ready = False
        resp_wait = 0
        d.wr_req_ready_i.value = 0
        d.wr_ready_i.value = 0
        d.mem_wr_idle_i.value = 1
        while True:
            await RisingEdge(clk)
            if req_ready and int(d.wr_req_valid_o.value):
                a, n = int(d.wr_req_addr_o.value), int(d.wr_req_beats_o.value)
                assert a % self.bb == 0 and n > 0
                addrs.extend(a + i * self.bb for i in range(n))
                resp_wait = int(self.rng.integers(1, 6))
            if ready and int(d.wr_valid_o.value):
                assert addrs, "write beat without a transfer"
                a = addrs.popleft()
                data = int(d.wr_data_o.value).to_bytes(self.bb, "little")
                strb = int(d.wr_strb_o.value)
                for i in range(self.bb):
                    if strb >> i & 1:
                        self.dram[a + i] = data[i]
                self.beats += 1
                resp_wait = int(self.rng.integers(1, 6))
            if not addrs and resp_wait:
                resp_wait -= 1
            d.mem_wr_idle_i.value = int(not addrs and resp_wait == 0)
            req_ready = self.rng.random() >= self.stall
            d.wr_req_ready_i.value = int(req_ready)
            ready = bool(addrs) and self.rng.random() >= self.stall
            d.wr_ready_i.value = int(ready)


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def strided_stores(dut):
    cfg = config_from_env()
    eb = cfg.out_elem_bytes
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, OUT elements of %d bits, bus %d", SEED, 8 * eb, cfg.bus_width)
    depth = 256
    sram = SramModel(dut, 8 * eb, depth, rd="", lanes=lanes(cfg, 8 * eb), slices=slices(cfg, 8 * eb))
    sram.mem = [int.from_bytes(rng.integers(0, 256, size=eb, dtype=np.uint8).tobytes(), "little")
                for _ in range(depth)]
    dram = np.zeros(1 << 16, dtype=np.uint8)
    client = WriteClientModel(dut, dram, cfg.bus_bytes, rng)
    dut.start_i.value = 0
    await start_clock_and_reset(dut)
    cocotb.start_soon(client.run(dut.clk_i))
    cocotb.start_soon(sram.run(dut.clk_i))
    buf = 4096
    cases = [
        ("one row", dict(sram_base=0, dram_base=0, y_size=1, x_size=5, x_stride=5)),
        ("strided", dict(sram_base=7, dram_base=1, y_size=3, x_size=4, x_stride=7)),
        ("unaligned", dict(sram_base=2, dram_base=3, y_size=4, x_size=3, x_stride=5)),
        ("NOP", dict(sram_base=0, dram_base=0, y_size=3, x_size=0, x_stride=2)),
        ("single", dict(sram_base=9, dram_base=2, y_size=1, x_size=1, x_stride=1)),
    ]
    for i in range(4):
        ys, xs = int(rng.integers(1, 5)), int(rng.integers(1, 9))
        cases.append((f"random {i}", dict(sram_base=int(rng.integers(0, 40)), dram_base=int(rng.integers(0, 9)),
                                          y_size=ys, x_size=xs, x_stride=xs + int(rng.integers(0, 4)))))
    for name, f in cases:
        dram[:] = 0
        want = dram.copy()
        mem = np.array([list(v.to_bytes(eb, "little")) for v in sram.mem], dtype=np.uint8)
        for y in range(f["y_size"]):
            for x in range(f["x_size"]):
                a = buf + (f["dram_base"] + y * f["x_stride"] + x) * eb
                want[a:a + eb] = mem[f["sram_base"] + y * f["x_size"] + x]
        insn = store(**{**f, "dram_base": buf // eb + f["dram_base"]})
        dut.insn_i.value = insn_int(insn, cfg)
        dut.start_i.value = 1
        await RisingEdge(dut.clk_i)
        dut.start_i.value = 0
        cycles = 0
        while not int(dut.done_o.value):
            await RisingEdge(dut.clk_i)
            cycles += 1
            assert cycles < 5000, f"{name}: no done"
        assert int(dut.mem_wr_idle_i.value) == 1, f"{name}: done before the writes were acknowledged"
        bad = np.flatnonzero(dram != want)
        assert not bad.size, f"{name}: DRAM bytes {bad[:8].tolist()} differ"
        dut._log.info("%s: ok in %d cycles", name, cycles)
        await RisingEdge(dut.clk_i)
