"""cocotb bench of vta_tensor_alu: random micro-ops over a few ACC entries (so reads often hit writes
still in flight, through dst and src), all five ops with imm and vector operands, against a sequential
Python reference of the semantics.md ALU table."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from rtl_build import config_from_env
from tb_util import SramModel, alu_lane_ref, start_clock_and_reset
from vta.isa import AluOp, Uop
from vta.isa.encode import encode_uop

SEED = 12
SHIFTS = [0, 1, 7, 31, 32, 33, 100, (1 << 31) - 1, -1, -8, -31, -32, -33, -(1 << 31)]


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def random_sequences(dut):
    cfg = config_from_env()
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d", SEED)
    lanes = cfg.batch * cfg.block_out
    n = 8
    acc0 = rng.integers(-(1 << 31), 1 << 31, size=(n, lanes))
    acc0[1] = rng.choice(SHIFTS, size=lanes)
    acc_m = SramModel(dut, cfg.acc_elem_bits, cfg.acc_depth, rd="acc", wr="acc")
    out_m = SramModel(dut, cfg.out_elem_bits, cfg.out_depth, wr="out")
    acc_m.load(acc0, 32)
    dut.in_valid_i.value = 0
    await start_clock_and_reset(dut)
    for m in (acc_m, out_m):
        cocotb.start_soon(m.run(dut.clk_i))

    stream = []
    for i in range(300):
        op = int(rng.integers(0, 5))
        use_imm = bool(rng.random() < 0.5)
        imm = int(rng.choice(SHIFTS[:12])) if op == AluOp.SHR else int(rng.integers(-(1 << 15), 1 << 15))
        d, s = int(rng.integers(0, n)), int(rng.integers(0, n))
        if op == AluOp.SHR and not use_imm:
            s = 1  # the entry holding shift amounts
            if d == 1:
                d = 0
        do, so = int(rng.integers(0, d + 1)), int(rng.integers(0, s + 1))
        stream.append((op, use_imm, imm & 0xFFFF, imm, d - do, s - so, do, so, i >= 150))

    acc = [[int(v) for v in row] for row in acc0]
    out_ref = {}
    for op, use_imm, _, imm, dst, src, do, so, _ in stream:
        d, s = dst + do, src + so
        bvals = [imm] * lanes if use_imm else list(acc[s])
        acc[d] = [alu_lane_ref(op, a, b) for a, b in zip(acc[d], bvals)]
        out_ref[d] = [((v + 128) % 256) - 128 for v in acc[d]]

    i = 0
    accepted = 0
    valid = False
    while accepted < len(stream):
        await RisingEdge(dut.clk_i)
        if valid and int(dut.in_ready_o.value):
            accepted += 1
            i += 1
            valid = False
        if i < len(stream) and not (stream[i][8] and rng.random() < 0.3):
            op, use_imm, imm16, _, dst, src, do, so, _ = stream[i]
            dut.in_valid_i.value = 1
            dut.in_uop_i.value = encode_uop(Uop(dst_idx=dst, src_idx=src), cfg)
            dut.in_dst_off_i.value = do
            dut.in_src_off_i.value = so
            dut.in_alu_op_i.value = op
            dut.in_use_imm_i.value = int(use_imm)
            dut.in_imm_i.value = imm16
            valid = True
        else:
            dut.in_valid_i.value = 0
            valid = False
    dut.in_valid_i.value = 0
    await ClockCycles(dut.clk_i, 5)
    assert int(dut.idle_o.value) == 1
    got = acc_m.array(32, lanes)[:n]
    want = np.array(acc, dtype=np.int64)
    bad = np.argwhere(got != want)
    assert np.array_equal(got, want), f"ACC mismatch at {bad[:5].tolist()}"
    got_out = out_m.array(8, lanes)
    for d, row in out_ref.items():
        assert list(got_out[d]) == row, f"OUT[{d}] mismatch"
    assert acc_m.writes == len(stream)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def imm_rate(dut):
    """With use_imm and distinct entries the ALU takes one micro-op per clock; without, one per two."""
    cfg = config_from_env()
    acc_m = SramModel(dut, cfg.acc_elem_bits, cfg.acc_depth, rd="acc", wr="acc")
    out_m = SramModel(dut, cfg.out_elem_bits, cfg.out_depth, wr="out")
    dut.in_valid_i.value = 0
    await start_clock_and_reset(dut)
    for m in (acc_m, out_m):
        cocotb.start_soon(m.run(dut.clk_i))
    for use_imm, want_cycles in ((1, 32), (0, 64)):
        dut.in_valid_i.value = 1
        dut.in_alu_op_i.value = int(AluOp.ADD)
        dut.in_use_imm_i.value = use_imm
        dut.in_imm_i.value = 1
        dut.in_dst_off_i.value = 0
        dut.in_src_off_i.value = 0
        done = cycles = 0
        while done < 32:
            dut.in_uop_i.value = encode_uop(Uop(dst_idx=done, src_idx=100 + done), cfg)
            await RisingEdge(dut.clk_i)
            cycles += 1
            if int(dut.in_ready_o.value):
                done += 1
        dut.in_valid_i.value = 0
        await ClockCycles(dut.clk_i, 4)
        assert cycles <= want_cycles + 1, f"use_imm={use_imm}: {cycles} cycles for 32 micro-ops"
