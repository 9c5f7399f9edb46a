"""cocotb bench of vta_inflight: random dispatches (with bank sets) and in-order retirements against a
Python FIFO model: count, full and the union of the bank sets still in flight, every clock; clear."""

from __future__ import annotations

import os

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from tb_util import start_clock_and_reset

SEED = 34


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def random_add_retire(dut):
    depth = int(os.environ["VTA_TB_DEPTH"])
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, depth %d", SEED, depth)
    for s in (dut.clr_i, dut.add_i, dut.banks_i, dut.retire_i):
        s.value = 0
    await start_clock_and_reset(dut)

    fifo: list[int] = []
    stats = {"empty": 0, "full": 0, "add+retire": 0, "add+retire full": 0, "clr": 0}
    unions = set()
    for cycle in range(4000):
        phase = (cycle // 300) % 3  # fill, drain, mixed
        p_add, p_ret = ((0.6, 0.2), (0.2, 0.6), (0.45, 0.45))[phase]
        retire = bool(fifo) and rng.random() < p_ret
        add = rng.random() < p_add and (len(fifo) < depth or retire)
        # Bank sets of one bank most of the time, as the compiler's threads make them.
        banks = int(rng.choice([0, 1, 2, 3], p=[0.05, 0.4, 0.4, 0.15]))
        clr = rng.random() < 0.003
        dut.add_i.value, dut.banks_i.value = int(add), banks
        dut.retire_i.value, dut.clr_i.value = int(retire), int(clr)
        await RisingEdge(dut.clk_i)

        union = 0
        for b in fifo:
            union |= b
        got = (int(dut.count_o.value), int(dut.full_o.value), int(dut.banks_o.value))
        want = (len(fifo), int(len(fifo) == depth), union)
        assert got == want, f"cycle {cycle}: (count, full, banks) {got}, want {want}; fifo {fifo} (seed {SEED})"
        unions.add(union)
        stats["empty"] += not fifo
        stats["full"] += len(fifo) == depth
        stats["add+retire"] += add and retire
        stats["add+retire full"] += add and retire and len(fifo) == depth
        stats["clr"] += clr
        if retire:
            fifo.pop(0)
        if add:
            fifo.append(banks)
        if clr:
            fifo = []
    dut._log.info("%s, unions seen %s", stats, sorted(unions))
    assert all(stats.values()) and unions == {0, 1, 2, 3}, f"not every case came up: {stats} {unions}"
