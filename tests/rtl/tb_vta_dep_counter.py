"""cocotb bench of vta_dep_counter: random pushes and pops against a model counter; a push to a full
counter stalls, a pop waits for a token, clear empties it."""

from __future__ import annotations

import os

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from tb_util import start_clock_and_reset

SEED = 16


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def push_pop_full_clear(dut):
    bits = int(os.environ["VTA_TB_BITS"])
    full = (1 << bits) - 1
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, %d-bit counter", SEED, bits)
    for s in (dut.push_valid_i, dut.pop_ready_i, dut.clr_i):
        s.value = 0
    await start_clock_and_reset(dut)
    count = 0
    saw_full = saw_stall = 0
    for cycle in range(3000):
        # bias towards pushes first (fill up), then towards pops (drain)
        p_push = 0.8 if (cycle // 500) % 2 == 0 else 0.2
        push, pop, clr = rng.random() < p_push, rng.random() < 1 - p_push, rng.random() < 0.002
        dut.push_valid_i.value = int(push)
        dut.pop_ready_i.value = int(pop)
        dut.clr_i.value = int(clr)
        await RisingEdge(dut.clk_i)
        assert int(dut.count_o.value) == count, f"cycle {cycle}: count {int(dut.count_o.value)} != {count}"
        assert int(dut.push_ready_o.value) == (count < full)
        assert int(dut.pop_valid_o.value) == (count > 0)
        do_push = push and count < full
        do_pop = pop and count > 0
        saw_full += count == full
        saw_stall += push and count == full
        count = 0 if clr else count + do_push - do_pop
    assert saw_full and saw_stall, "the counter never filled up"
