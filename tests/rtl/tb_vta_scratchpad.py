"""cocotb bench of vta_scratchpad with TwoPort: random traffic on the wide port 0 (lane and slice
enables) and the one-element port 1 in the same clocks, within the dual-issue contract (the two
ports' writes, and port 1's read and port 0's lane-0 read, in different halves of a RAM), against a
Python model of the elements: reads read-first with one clock of latency. A port-0 lane other than
lane 0 whose bank port 1 reads in that clock is not checked (the header gives port 1 that RAM)."""

from __future__ import annotations

import os

import numpy as np
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

from rtl_build import config_from_env

SEED = 32


class ScratchpadModel:
    """Elements as `slices` parts each (None: not written yet); lane k of port 0 is element idx + k."""

    def __init__(self, depth: int, elem_bits: int, lanes: int, slices: int) -> None:
        self.depth, self.lanes, self.slices = depth, lanes, slices
        self.slice_bits = elem_bits // slices
        self.mem: list[list[int | None]] = [[None] * slices for _ in range(depth)]

    def half(self, e: int) -> int:
        return e * 2 // self.depth

    def ram(self, e: int) -> tuple[int, int]:
        """(bank, half) of element e: the RAM half that holds it."""
        return e % self.lanes, self.half(e)

    def read(self, e: int) -> int | None:
        parts = self.mem[e]
        if any(p is None for p in parts):
            return None
        return sum(p << (s * self.slice_bits) for s, p in enumerate(parts))

    def write(self, e: int, value: int, slice_en: int) -> None:
        m = (1 << self.slice_bits) - 1
        for s in range(self.slices):
            if slice_en >> s & 1:
                self.mem[e][s] = (value >> (s * self.slice_bits)) & m


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def random_two_port_traffic(dut):
    cfg = config_from_env()
    elem_bits, log_depth = int(os.environ["VTA_TB_ELEM_BITS"]), int(os.environ["VTA_TB_LOG_DEPTH"])
    lanes = max(1, cfg.bus_width // elem_bits)
    slices = max(1, elem_bits // cfg.bus_width)
    depth, half = 1 << log_depth, 1 << (log_depth - 1)
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, %d x %d bits, %d lanes, %d slices", SEED, depth, elem_bits, lanes, slices)
    model = ScratchpadModel(depth, elem_bits, lanes, slices)
    emask = (1 << elem_bits) - 1
    for s in (dut.wr_en_i, dut.rd_en_i, dut.wr1_en_i, dut.rd1_en_i):
        s.value = 0
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    await RisingEdge(dut.clk_i)

    # A few elements per half (both ends of each half among them) so reads meet recent writes; port 0's
    # lanes run from its index, which may straddle the halves.
    pool = [sorted({int(a) for a in rng.integers(0, half, size=6)} | {0, 1, half - 1} if depth > 64
                   else set(range(half))) for _ in (0, 1)]

    def element(h: int, wide: bool = False) -> int:
        e = h * half + int(rng.choice(pool[h]))
        return min(e, depth - lanes) if wide else e

    def rand_elem() -> int:
        return int.from_bytes(rng.bytes(elem_bits // 8), "little") & emask

    pending: tuple[list[int | None] | None, int | None] = (None, None)
    checked = [0, 0]
    both = 0
    for cycle in range(2500):
        h0 = int(rng.integers(0, 2))
        h1 = 1 - h0 if rng.random() < 0.8 else h0
        w0, r0, w1, r1 = (bool(rng.random() < p) for p in (0.5, 0.5, 0.5, 0.5))
        wi0, ri0 = element(h0, wide=True), element(h0 if rng.random() < 0.7 else 1 - h0, wide=True)
        wi1, ri1 = element(h1), element(h1 if rng.random() < 0.7 else 1 - h1)
        lane_en = (1 << lanes) - 1 if rng.random() < 0.5 else int(rng.integers(1, 1 << lanes))
        slice_en = (1 << slices) - 1 if rng.random() < 0.5 else int(rng.integers(1, 1 << slices))
        # The contract: no RAM half written by both ports, nor read by port 1 and port 0's lane 0.
        if w0 and w1:
            for k in range(lanes):
                if model.ram(wi0 + k) == model.ram(wi1):
                    lane_en &= ~(1 << k)
            w0 = lane_en != 0
        if r0 and r1 and model.ram(ri0) == model.ram(ri1):
            r1 = False
        wdata0 = [rand_elem() for _ in range(lanes)]
        wdata1 = rand_elem()
        dut.wr_en_i.value = int(w0)
        dut.wr_idx_i.value = wi0
        dut.wr_lane_en_i.value = lane_en
        dut.wr_slice_en_i.value = slice_en
        dut.wr_data_i.value = sum(v << (k * elem_bits) for k, v in enumerate(wdata0))
        dut.rd_en_i.value = int(r0)
        dut.rd_idx_i.value = ri0
        dut.wr1_en_i.value = int(w1)
        dut.wr1_idx_i.value = wi1
        dut.wr1_data_i.value = wdata1
        dut.rd1_en_i.value = int(r1)
        dut.rd1_idx_i.value = ri1
        await RisingEdge(dut.clk_i)

        # The reads of the clock before.
        want0, want1 = pending
        if want0 is not None:
            got = int(dut.rd_data_o.value)
            for k, w in enumerate(want0):
                if w is not None:
                    g = (got >> (k * elem_bits)) & emask
                    assert g == w, f"cycle {cycle}: port 0 lane {k} read {g:#x}, want {w:#x} (seed {SEED})"
                    checked[0] += 1
        if want1 is not None:
            got1 = int(dut.rd1_data_o.value)
            assert got1 == want1, f"cycle {cycle}: port 1 read {got1:#x}, want {want1:#x} (seed {SEED})"
            checked[1] += 1
        both += (w0 or r0) and (w1 or r1)

        # Model: reads (read-first), then writes.
        stolen = {model.ram(ri1)[0]} if r1 else set()
        want0 = None
        if r0:
            want0 = [None if k and (ri0 + k) % lanes in stolen else model.read(ri0 + k) for k in range(lanes)]
        pending = (want0, model.read(ri1) if r1 else None)
        if w0:
            for k in range(lanes):
                if lane_en >> k & 1:
                    model.write(wi0 + k, wdata0[k], slice_en if lanes == 1 else 1)
        if w1:
            model.write(wi1, wdata1, (1 << slices) - 1)
    dut._log.info("checked %d port-0 lanes and %d port-1 reads; %d clocks used both ports", *checked, both)
    assert min(checked) > 500 and both > 1000
