"""cocotb bench of vta_sram_2p: random writes and reads on both ports, mostly on different halves in
the same clock, sometimes on the same half (port 0 wins), over a few addresses per half so reads hit
fresh writes, against a Python model of the header: reads read-first with one clock of latency, a
port's data comes from the half it read last and holds while that half is not read again."""

from __future__ import annotations

import os

import numpy as np
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

from tb_util import pack_bits

SEED = 31


class Sram2pModel:
    """Two half-depth RAMs split by the address top bit (one RAM when Depth < 2), each with its own read
    register; port p's data is the register of the half it read last (None: not known yet)."""

    def __init__(self, depth: int, width: int) -> None:
        self.depth = depth
        self.mask = (1 << width) - 1
        self.mem: list[int | None] = [None] * depth
        self.half_reg: list[int | None] = [None, None]
        self.rsel: list[int | None] = [None, None]

    def half(self, addr: int) -> int:
        return addr * 2 // self.depth if self.depth >= 2 else 0

    def out(self, p: int) -> int | None:
        if self.depth < 2:
            return self.half_reg[0]
        return None if self.rsel[p] is None else self.half_reg[self.rsel[p]]

    def clock(self, we, waddr, wdata, re, raddr) -> None:
        """One clock of inputs: reads first (old contents), then writes; port 0 first in a half."""
        for h in (0, 1):
            readers = [p for p in (0, 1) if re[p] and self.half(raddr[p]) == h]
            if readers:
                self.half_reg[h] = self.mem[raddr[readers[0]]]
        for p in (0, 1):
            if re[p]:
                self.rsel[p] = self.half(raddr[p])
        for h in (0, 1):
            writers = [p for p in (0, 1) if we[p] and self.half(waddr[p]) == h]
            if writers:
                self.mem[waddr[writers[0]]] = wdata[writers[0]] & self.mask


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def random_two_port_traffic(dut):
    depth, width = int(os.environ["VTA_TB_DEPTH"]), int(os.environ["VTA_TB_WIDTH"])
    abits = max(1, (depth - 1).bit_length())
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, %d x %d bits", SEED, depth, width)
    model = Sram2pModel(depth, width)
    for s in (dut.we_i, dut.waddr_i, dut.wdata_i, dut.re_i, dut.raddr_i):
        s.value = 0
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    await RisingEdge(dut.clk_i)

    half = max(1, depth // 2)
    pool = [sorted({int(a) for a in rng.integers(0, half, size=3)} | {0, half - 1}) for _ in (0, 1)]

    def addr(h: int) -> int:
        if depth < 2:
            return 0
        return h * half + int(rng.choice(pool[h]))

    checked = [0, 0]
    same_half = 0
    for cycle in range(3000):
        # Port 1 on the other half three times in four; contents first written, then mixed traffic.
        h0 = int(rng.integers(0, 2))
        h1 = 1 - h0 if rng.random() < 0.75 else h0
        p_we = 0.9 if cycle < 40 else 0.5
        we = [bool(rng.random() < p_we) for _ in (0, 1)]
        re = [bool(rng.random() < 0.6) for _ in (0, 1)]
        waddr = [addr(h0), addr(h1)]
        raddr = [addr(int(rng.integers(0, 2))) if rng.random() < 0.3 else addr(h) for h in (h0, h1)]
        wdata = [int.from_bytes(rng.bytes(width // 8 + 1), "little") & model.mask for _ in (0, 1)]
        dut.we_i.value = pack_bits(np.array(we, dtype=np.uint64), 1)
        dut.re_i.value = pack_bits(np.array(re, dtype=np.uint64), 1)
        dut.waddr_i.value = waddr[0] | waddr[1] << abits
        dut.raddr_i.value = raddr[0] | raddr[1] << abits
        dut.wdata_i.value = wdata[0] | wdata[1] << width
        await RisingEdge(dut.clk_i)
        rdata = int(dut.rdata_o.value)
        for p in (0, 1):
            want = model.out(p)
            if want is not None:
                got = (rdata >> (p * width)) & model.mask
                assert got == want, f"cycle {cycle}: port {p} read {got:#x}, want {want:#x} (seed {SEED})"
                checked[p] += 1
        same_half += (we[0] and we[1] and model.half(waddr[0]) == model.half(waddr[1])) or \
                     (re[0] and re[1] and model.half(raddr[0]) == model.half(raddr[1]))
        model.clock(we, waddr, wdata, re, raddr)
    dut._log.info("checked %s reads, %d same-half clocks", checked, same_half)
    assert min(checked) > 1000 and same_half > 100
