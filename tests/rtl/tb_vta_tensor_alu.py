"""cocotb bench of vta_tensor_alu: random micro-ops over a few ACC entries (so reads often hit writes
still in flight, through dst and src), all five ops with imm and vector operands, runs of micro-ops
sharing one src (the reused-src path) broken by micro-ops writing that src and by writes from other
units on the snoop port, against a sequential Python reference of the semantics.md ALU table; the
micro-op rates (imm, reused src, src read); retire_o on the write of each instruction's last micro-op."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from rtl_build import config_from_env
from tb_util import SramModel, alu_lane_ref, check_retire, pack_bits, start_clock_and_reset
from vta.isa import AluOp, Uop
from vta.isa.encode import encode_uop

SEED = 12
SHIFTS = [0, 1, 7, 31, 32, 33, 100, (1 << 31) - 1, -1, -8, -31, -32, -33, -(1 << 31)]
SNOOP = "acc_wr_snoop"


def random_uop(rng, n: int, *, src: int | None = None) -> tuple:
    """(op, use_imm, imm16, imm, dst_idx, src_idx, dst_off, src_off, gaps) over entries 0..n-1; with `src`
    the micro-op reads that entry (any op, any dst including `src` itself) unless it takes an imm."""
    op = int(rng.integers(0, 5))
    use_imm = bool(rng.random() < (0.2 if src is not None else 0.5))
    imm = int(rng.choice(SHIFTS[:12])) if op == AluOp.SHR else int(rng.integers(-(1 << 15), 1 << 15))
    d = int(rng.integers(0, n))
    if src is not None:
        s = src
        if rng.random() < 0.15:
            d = src  # overwrites the reused src
    else:
        s = int(rng.integers(0, n))
        if op == AluOp.SHR and not use_imm:
            s = 1  # the entry holding shift amounts
            if d == 1:
                d = 0
    do, so = int(rng.integers(0, d + 1)), int(rng.integers(0, s + 1))
    return (op, use_imm, imm & 0xFFFF, imm, d - do, s - so, do, so, False)


def random_stream(rng, n: int, lanes: int) -> list[tuple]:
    """Micro-ops and ("snoop", entry, row) events: random micro-ops, then runs sharing a src; the second
    half has random idle clocks (gaps)."""
    stream: list[tuple] = []
    while len(stream) < 600:
        if rng.random() < 0.5:
            stream.append(random_uop(rng, n))
            continue
        s = int(rng.integers(0, n))
        for _ in range(int(rng.integers(4, 24))):
            if rng.random() < 0.12:
                e = s if rng.random() < 0.7 else int(rng.integers(0, n))
                stream.append(("snoop", e, rng.integers(-(1 << 31), 1 << 31, size=lanes)))
            stream.append(random_uop(rng, n, src=s))
    return [x if x[0] == "snoop" or i < 300 else x[:8] + (True,) for i, x in enumerate(stream)]


def reference(acc0: np.ndarray, stream: list[tuple]) -> tuple[list[list[int]], dict[int, list[int]]]:
    """Sequential semantics.md ALU over `stream`: final ACC rows and the OUT rows written."""
    acc = [[int(v) for v in row] for row in acc0]
    out: dict[int, list[int]] = {}
    for ev in stream:
        if ev[0] == "snoop":
            acc[ev[1]] = [int(v) for v in ev[2]]
            continue
        op, use_imm, _, imm, dst, src, do, so, _ = ev
        d, s = dst + do, src + so
        bvals = [imm] * len(acc[d]) if use_imm else list(acc[s])
        acc[d] = [alu_lane_ref(op, a, b) for a, b in zip(acc[d], bvals)]
        out[d] = [((v + 128) % 256) - 128 for v in acc[d]]
    return acc, out


def drive_uop(dut, cfg, uop: tuple) -> None:
    op, use_imm, imm16, _, dst, src, do, so, _ = uop
    dut.in_valid_i.value = 1
    dut.in_uop_i.value = encode_uop(Uop(dst_idx=dst, src_idx=src), cfg)
    dut.in_dst_off_i.value = do
    dut.in_src_off_i.value = so
    dut.in_alu_op_i.value = op
    dut.in_use_imm_i.value = int(use_imm)
    dut.in_imm_i.value = imm16


async def setup(dut, cfg) -> tuple[SramModel, SramModel]:
    acc_m = SramModel(dut, cfg.acc_elem_bits, cfg.acc_depth, rd="acc", wr="acc", snoop=SNOOP)
    out_m = SramModel(dut, cfg.out_elem_bits, cfg.out_depth, wr="out")
    dut.in_valid_i.value = 0
    dut.in_last_i.value = 0
    dut.acc_wr_snoop_en_i.value = 0
    dut.acc_wr_snoop_idx_i.value = 0
    dut.acc_wr_snoop_lane_en_i.value = 1
    await start_clock_and_reset(dut)
    for m in (acc_m, out_m):
        cocotb.start_soon(m.run(dut.clk_i))
    return acc_m, out_m


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def random_sequences(dut):
    cfg = config_from_env()
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d", SEED)
    lanes = cfg.batch * cfg.block_out
    n = 8
    acc0 = rng.integers(-(1 << 31), 1 << 31, size=(n, lanes))
    acc0[1] = rng.choice(SHIFTS, size=lanes)
    acc_m, out_m = await setup(dut, cfg)
    acc_m.load(acc0, 32)
    stream = random_stream(rng, n, lanes)
    acc, out_ref = reference(acc0, stream)

    # A snoop write models another unit's: it waits until the ALU is idle (nothing presented or in
    # flight on the clock before), takes one clock, and the next micro-op comes after it.
    i = 0
    valid = False
    while i < len(stream):
        await RisingEdge(dut.clk_i)
        idle_before = not valid and int(dut.idle_o.value) == 1
        dut.acc_wr_snoop_en_i.value = 0
        if valid and int(dut.in_ready_o.value):
            i += 1
            valid = False
        if i < len(stream) and stream[i][0] == "snoop":
            dut.in_valid_i.value = 0
            valid = False
            if not idle_before:
                continue
            _, e, row = stream[i]
            acc_m.snoop_write(e, pack_bits(np.asarray(row) & 0xFFFFFFFF, 32))
            i += 1
        elif i < len(stream) and not (stream[i][8] and rng.random() < 0.3):
            drive_uop(dut, cfg, stream[i])
            valid = True
        else:
            dut.in_valid_i.value = 0
            valid = False
    dut.in_valid_i.value = 0
    await RisingEdge(dut.clk_i)
    dut.acc_wr_snoop_en_i.value = 0
    await ClockCycles(dut.clk_i, 5)
    assert int(dut.idle_o.value) == 1
    got = acc_m.array(32, lanes)[:n]
    want = np.array(acc, dtype=np.int64)
    bad = np.argwhere(got != want)
    assert np.array_equal(got, want), f"ACC mismatch at {bad[:5].tolist()} (seed {SEED})"
    got_out = out_m.array(8, lanes)
    for d, row in out_ref.items():
        assert list(got_out[d]) == row, f"OUT[{d}] mismatch (seed {SEED})"
    assert acc_m.writes == sum(1 for x in stream if x[0] != "snoop")


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def snoop_during_src_read(dut):
    """Another unit writes the src entry on the clock the ALU reads it, on the clock the read returns, or
    on the clock a micro-op reuses it: that micro-op sees the old value (the buffer is read-first), every
    later micro-op the new one, and the reuse resumes after one fresh read."""
    cfg = config_from_env()
    rng = np.random.default_rng(SEED + 1)
    lanes = cfg.batch * cfg.block_out
    acc_m, _ = await setup(dut, cfg)
    for at, want_accepts in ((0, [1, 3, 4]), (1, [1, 3, 4]), (2, [1, 2, 4])):
        s, base = 20 + at, 4 * at
        rows = rng.integers(-(1 << 20), 1 << 20, size=(5, lanes))  # old src, new src, three dsts
        acc_m.load(rows[0:1], 32, base=s)
        acc_m.load(rows[2:5], 32, base=base)
        uops = [(int(AluOp.ADD), False, 0, 0, base + k, s, 0, 0, False) for k in range(3)]
        seen_old = 1 if at < 2 else 2  # micro-ops that read or reuse src on or before the write's clock
        stream = uops[:seen_old] + [("snoop", s, rows[1])] + uops[seen_old:]
        acc0 = np.zeros((s + 1, lanes), dtype=np.int64)
        acc0[s], acc0[base:base + 3] = rows[0], rows[2:5]
        want, _ = reference(acc0, stream)

        accepts: list[int] = []
        drive_uop(dut, cfg, uops[0])
        clock = 0
        while len(accepts) < 3:
            if clock == at:
                acc_m.snoop_write(s, pack_bits(rows[1] & 0xFFFFFFFF, 32))
            await RisingEdge(dut.clk_i)
            dut.acc_wr_snoop_en_i.value = 0
            if int(dut.in_ready_o.value):
                accepts.append(clock)
                if len(accepts) < 3:
                    drive_uop(dut, cfg, uops[len(accepts)])
                else:
                    dut.in_valid_i.value = 0
            clock += 1
            assert clock < 20, "micro-ops not accepted"
        await ClockCycles(dut.clk_i, 4)
        assert accepts == want_accepts, f"write on clock {at}: accepted on clocks {accepts}"
        got = acc_m.array(32, lanes)
        for e in [s, base, base + 1, base + 2]:
            assert list(got[e]) == want[e], f"write on clock {at}: ACC[{e}] mismatch"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def rates(dut):
    """Clocks for N micro-ops with distinct dsts: one each with use_imm or a src repeated from the micro-op
    before (after the first read), two each when src changes every micro-op (distinct or alternating)."""
    cfg = config_from_env()
    await setup(dut, cfg)
    n = 64
    cases = (
        ("imm", 1, lambda k: 100 + k, n),
        ("distinct src", 0, lambda k: 100 + k, 2 * n),
        ("repeated src", 0, lambda k: 300, n + 1),
        ("alternating src", 0, lambda k: 400 + k % 2, 2 * n),
    )
    for name, use_imm, src_of, want_cycles in cases:
        dut.in_valid_i.value = 1
        dut.in_alu_op_i.value = int(AluOp.ADD)
        dut.in_use_imm_i.value = use_imm
        dut.in_imm_i.value = 1
        dut.in_dst_off_i.value = 0
        dut.in_src_off_i.value = 0
        done = cycles = 0
        while done < n:
            dut.in_uop_i.value = encode_uop(Uop(dst_idx=done, src_idx=src_of(done)), cfg)
            await RisingEdge(dut.clk_i)
            cycles += 1
            if int(dut.in_ready_o.value):
                done += 1
        dut.in_valid_i.value = 0
        await ClockCycles(dut.clk_i, 4)
        dut._log.info("%s: %d clocks for %d micro-ops", name, cycles, n)
        assert cycles == want_cycles, f"{name}: {cycles} clocks for {n} micro-ops, want {want_cycles}"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def retire_on_last_write(dut):
    """retire_o pulses once per instruction, on the clock of the ACC write of its last micro-op (in_last_i
    taken with the micro-op when accepted), through imm, src-read and hazard stalls; never otherwise."""
    cfg = config_from_env()
    rng = np.random.default_rng(SEED + 2)
    await setup(dut, cfg)
    n_insns = 120
    lasts: list[bool] = []
    for _ in range(n_insns):
        n = int(rng.choice([1, 1, 2, 3, int(rng.integers(1, 9))]))
        lasts += [False] * (n - 1) + [True]
    accepted: list[bool] = []
    retired = writes = clock = 0
    i = 0
    valid = False
    while i < len(lasts) or accepted:
        if not valid and i < len(lasts) and rng.random() < 0.8:
            # few entries, so dst/src hazards on writes in flight stall the micro-op
            uop = random_uop(rng, 4)
            drive_uop(dut, cfg, uop)
            dut.in_last_i.value = int(lasts[i])
            valid = True
        await RisingEdge(dut.clk_i)
        clock += 1
        wrote, retire = check_retire(dut, accepted, clock, SEED + 2)
        retired += retire
        writes += wrote
        if valid and int(dut.in_ready_o.value):
            accepted.append(lasts[i])
            i += 1
            valid = False
            dut.in_valid_i.value = 0
            dut.in_last_i.value = int(rng.random() < 0.5)  # ignored without in_valid_i
        assert clock < 10 * len(lasts), "micro-ops never written"
    assert retired == n_insns and writes == len(lasts), f"{retired} retirements, {writes} writes"
