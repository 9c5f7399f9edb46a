"""cocotb bench of vta_gemm_core: random micro-op streams (back-to-back accumulation into one ACC entry,
resets, gaps) against a sequential numpy reference; one micro-op per clock in steady state; retire_o on
the write of each instruction's last micro-op."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from rtl_build import config_from_env
from tb_util import SramModel, check_retire, start_clock_and_reset
from vta.isa import Uop
from vta.isa.encode import encode_uop

SEED = 11


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def random_streams(dut):
    cfg = config_from_env()
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d", SEED)
    b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
    n_inp, n_wgt, n_acc = 16, 8, 8
    inp = rng.integers(-128, 128, size=(n_inp, b * bi))
    wgt = rng.integers(-128, 128, size=(n_wgt, bo * bi))
    acc0 = rng.integers(-(1 << 31), 1 << 31, size=(n_acc, b * bo))

    inp_m = SramModel(dut, cfg.inp_elem_bits, cfg.inp_depth, rd="inp")
    wgt_m = SramModel(dut, cfg.wgt_elem_bits, cfg.wgt_depth, rd="wgt")
    acc_m = SramModel(dut, cfg.acc_elem_bits, cfg.acc_depth, rd="acc", wr="acc")
    out_m = SramModel(dut, cfg.out_elem_bits, cfg.out_depth, wr="out")
    inp_m.load(inp, 8)
    wgt_m.load(wgt, 8)
    acc_m.load(acc0, 32)
    dut.in_valid_i.value = 0
    dut.in_last_i.value = 0
    await start_clock_and_reset(dut)
    for m in (inp_m, wgt_m, acc_m, out_m):
        cocotb.start_soon(m.run(dut.clk_i))

    # (dst, src, wgt, offsets, reset) with many repeats of one dst in a row.
    stream = []
    for phase in range(2):
        for _ in range(120):
            src_off, wgt_off = (int(x) for x in rng.integers(0, 4, size=2))
            # the effective ACC index d repeats the previous one half of the time
            d = int(rng.integers(0, n_acc)) if rng.random() < 0.5 or not stream else stream[-1][0] + stream[-1][3]
            dst_off = int(rng.integers(0, d + 1))
            stream.append((d - dst_off, int(rng.integers(0, n_inp - 4)), int(rng.integers(0, n_wgt - 4)),
                           dst_off, src_off, wgt_off, bool(rng.random() < 0.08), phase))

    acc = acc0.astype(np.int64).copy()
    out = np.zeros((cfg.acc_depth, b * bo), dtype=np.int64)
    touched = set()
    for dst, src, w, do, so, wo, reset, _ in stream:
        d, s, k = dst + do, src + so, w + wo
        if reset:
            acc[d] = 0
        else:
            prod = inp[s].reshape(b, bi) @ wgt[k].reshape(bo, bi).T
            acc[d] = ((acc[d] + prod.reshape(-1) + (1 << 31)) % (1 << 32)) - (1 << 31)
            out[d] = ((acc[d] + 128) % 256) - 128
            touched.add(d)

    # Phase 0: one micro-op per clock; phase 1: random gaps.
    cycles_busy = 0
    for item in stream:
        dst, src, w, do, so, wo, reset, phase = item
        while phase == 1 and rng.random() < 0.3:
            dut.in_valid_i.value = 0
            await RisingEdge(dut.clk_i)
        dut.in_valid_i.value = 1
        dut.in_uop_i.value = encode_uop(Uop(dst_idx=dst, src_idx=src, wgt_idx=w), cfg)
        dut.in_dst_off_i.value = do
        dut.in_src_off_i.value = so
        dut.in_wgt_off_i.value = wo
        dut.in_reset_i.value = int(reset)
        await RisingEdge(dut.clk_i)
        if phase == 0 and int(dut.acc_wr_o.value):
            cycles_busy += 1
    dut.in_valid_i.value = 0
    await ClockCycles(dut.clk_i, 6)
    assert int(dut.idle_o.value) == 1
    got_acc = acc_m.array(32, b * bo)[:n_acc]
    got_out = out_m.array(8, b * bo)
    assert np.array_equal(got_acc, acc[:n_acc]), f"ACC mismatch\n{got_acc}\n{acc[:n_acc]}"
    rows = sorted(touched)
    assert np.array_equal(got_out[rows], out[rows]), "OUT mismatch"
    # In phase 0 a write lands every clock once the pipeline is full (2 cycles of latency).
    assert cycles_busy >= 120 - 3, f"only {cycles_busy} writes in 120 back-to-back cycles"
    assert acc_m.writes == len(stream)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def retire_on_last_write(dut):
    """retire_o pulses once per instruction, on the clock of the ACC write of its last micro-op (in_last_i),
    reset micro-ops included, back to back and with gaps; never on another clock."""
    cfg = config_from_env()
    rng = np.random.default_rng(SEED + 1)
    dut.in_valid_i.value = 0
    dut.in_last_i.value = 0
    dut.clr_i.value = 0
    await start_clock_and_reset(dut)
    n_insns = 150
    lasts = []
    for _ in range(n_insns):
        n = int(rng.choice([1, 1, 2, 3, int(rng.integers(1, 9))]))
        lasts += [False] * (n - 1) + [True]
    in_flight: list[bool] = []
    retired = writes = clock = 0
    i = 0
    while i < len(lasts) or in_flight:
        valid = i < len(lasts) and rng.random() < (1.0 if i < len(lasts) // 2 else 0.6)
        dut.in_valid_i.value = int(valid)
        if valid:
            dut.in_uop_i.value = encode_uop(Uop(dst_idx=int(rng.integers(0, 4)), src_idx=0, wgt_idx=0), cfg)
            dut.in_dst_off_i.value = dut.in_src_off_i.value = dut.in_wgt_off_i.value = 0
            dut.in_reset_i.value = int(rng.random() < 0.2)
            dut.in_last_i.value = int(lasts[i])
        else:
            dut.in_last_i.value = int(rng.random() < 0.5)  # ignored without in_valid_i
        await RisingEdge(dut.clk_i)
        clock += 1
        wrote, retire = check_retire(dut, in_flight, clock, SEED + 1)
        retired += retire
        writes += wrote
        if valid:
            in_flight.append(lasts[i])
            i += 1
        assert clock < 10 * len(lasts), "micro-ops never written"
    assert retired == n_insns and writes == len(lasts), f"{retired} retirements, {writes} writes"
