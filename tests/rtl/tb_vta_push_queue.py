"""cocotb bench of vta_push_queue: random adds, retirements of both units and pops against a Python
model of the records (counts down to zero, never below; the oldest record offered only when both of
its counts are zero; full / empty; clear). The counts of new records come mostly from two modelled
units' in-flight counts, as vta_compute computes them, else at random."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from tb_util import start_clock_and_reset

SEED = 33


@dataclass
class Record:
    flags: int
    own: int
    older: int


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def random_add_retire_pop(dut):
    depth, cnt_max = int(os.environ["VTA_TB_DEPTH"]), (1 << int(os.environ["VTA_TB_CNT_BITS"])) - 1
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, depth %d", SEED, depth)
    for s in (dut.clr_i, dut.add_i, dut.flags_i, dut.own_i, dut.older_i, dut.own_retire_i,
              dut.other_retire_i, dut.pop_i):
        s.value = 0
    await start_clock_and_reset(dut)

    recs: list[Record] = []
    own_cnt = other_cnt = 0  # the two units' instructions in flight
    stats = {"empty": 0, "full": 0, "pops": 0, "adds": 0, "held": 0, "saturated": 0, "add+pop full": 0}
    for cycle in range(4000):
        phase = (cycle // 400) % 3  # fill (slow retirements), drain (fast), mixed
        p_add, p_ret = ((0.5, 0.15), (0.15, 0.6), (0.35, 0.35))[phase]
        head = recs[0].flags if recs and recs[0].own == 0 and recs[0].older == 0 else 0
        own_ret = own_cnt > 0 and rng.random() < p_ret
        other_ret = other_cnt > 0 and rng.random() < p_ret
        pop = head != 0 and rng.random() < 0.7
        add = rng.random() < p_add and (len(recs) < depth or pop) and own_cnt < cnt_max - 1
        flags = int(rng.integers(1, 4))
        if rng.random() < 0.85:  # as vta_compute: counts after this clock's retirements
            own_i, older_i = own_cnt - own_ret + 1, other_cnt - other_ret
        else:
            own_i, older_i = int(rng.integers(0, 4)), int(rng.integers(0, 4))
        clr = rng.random() < 0.003
        dut.add_i.value, dut.flags_i.value = int(add), flags
        dut.own_i.value, dut.older_i.value = own_i, older_i
        dut.own_retire_i.value, dut.other_retire_i.value = int(own_ret), int(other_ret)
        dut.pop_i.value, dut.clr_i.value = int(pop), int(clr)
        await RisingEdge(dut.clk_i)

        got = (int(dut.head_o.value), int(dut.full_o.value), int(dut.empty_o.value))
        want = (head, int(len(recs) == depth), int(not recs))
        assert got == want, (f"cycle {cycle}: (head, full, empty) {got}, want {want}; records {recs} "
                             f"(seed {SEED})")
        stats["empty"] += not recs
        stats["full"] += len(recs) == depth
        stats["held"] += bool(recs) and head == 0
        stats["saturated"] += any((own_ret and r.own == 0) or (other_ret and r.older == 0) for r in recs)
        stats["add+pop full"] += add and pop and len(recs) == depth
        for r in recs:
            r.own -= own_ret and r.own > 0
            r.older -= other_ret and r.older > 0
        if pop:
            recs.pop(0)
            stats["pops"] += 1
        if add:
            recs.append(Record(flags, own_i, older_i))
            stats["adds"] += 1
        own_cnt += int(add) - int(own_ret)
        other_cnt += int(rng.random() < p_add and other_cnt < cnt_max - 1) - int(other_ret)
        if clr:
            recs = []
    dut._log.info("%s", stats)
    assert all(stats.values()), f"not every case came up: {stats}"
