"""The C++ harness through ctypes, on the fixture top: AXI DRAM model timing and errors, registers, reset."""

from __future__ import annotations

import numpy as np
import pytest

from vta.hw import regmap
from vta.isa.errors import DeviceError
from vta.tsim.binding import RUN_CYCLE_LIMIT, RUN_FINISHED, RUN_STOPPED, DramTiming, Harness

MEM_BYTES = 1 << 22
SRC, DST = 0x10000, 0x80000
OFF = {r.name: r.offset for r in regmap.REGISTERS}


def make(lib, **timing) -> tuple[Harness, np.ndarray]:
    mem = np.zeros(MEM_BYTES, dtype=np.uint8)
    return Harness(lib.path, mem, DramTiming(**timing)), mem


def copy(h: Harness, src: int, dst: int, count: int, max_cycles: int = 10**7) -> tuple[int, int, dict[str, int]]:
    """Run the fixture's copy of `count` 16-byte records; (run status, cycles stepped, registers)."""
    h.write_reg(OFF["uop_base"], dst)
    h.launch(src, count)
    rc, stepped = h.run(max_cycles, 30.0)
    return rc, stepped, h.read_registers()


def fill(mem: np.ndarray, addr: int, nbytes: int, seed: int) -> np.ndarray:
    data = np.random.default_rng(seed).integers(0, 256, nbytes, dtype=np.uint8)
    mem[addr:addr + nbytes] = data
    return data


def test_register_write_read_round_trip(fixture_lib):
    h, _ = make(fixture_lib)
    h.write_reg(OFF["insn_count"], 0xDEADBEEF)
    h.write_reg(OFF["insn_addr"], 0x1234_5670)
    assert h.read_reg(OFF["insn_count"]) == 0xDEADBEEF
    regs = h.read_registers()
    assert list(regs) == [r.name for r in regmap.REGISTERS]
    assert regs["insn_addr"] == 0x1234_5670
    h.close()


@pytest.mark.parametrize("count", [1, 7, 300])  # 300 records cross 4 KiB pages: bursts get split
def test_copy_through_the_dram_model_matches_numpy(fixture_lib, count):
    h, mem = make(fixture_lib)
    data = fill(mem, SRC, count * 16, seed=count)
    rc, stepped, regs = copy(h, SRC, DST, count)
    assert rc == RUN_FINISHED
    assert np.array_equal(mem[DST:DST + count * 16], data)
    assert not mem[DST + count * 16:].any()  # nothing written past the copy
    assert regs["control"] == 1 << regmap.CTRL_FINISH_BIT and h.irq
    beats = count * 16 // h.bus_bytes
    assert regs["mem_rd_beats"] == regs["mem_wr_beats"] == beats
    dram = h.dram_counters()
    assert dram["rd_beats"] == dram["wr_beats"] == beats
    assert dram["rd_errors"] == dram["wr_errors"] == dram["violations"] == 0
    assert abs(regs["cycles"] - stepped) <= 2


def test_wide_bus_copy_matches_numpy(wide_fixture_lib):
    h, mem = make(wide_fixture_lib)
    assert h.bus_bytes == 16
    data = fill(mem, SRC, 200 * 16, seed=5)
    rc, _, regs = copy(h, SRC, DST, 200)
    assert rc == RUN_FINISHED
    assert np.array_equal(mem[DST:DST + 200 * 16], data)
    assert regs["mem_rd_beats"] == 200


def test_read_latency_delays_every_burst_by_the_difference(fixture_lib):
    cycles = {}
    for latency in (4, 40):
        h, mem = make(fixture_lib, read_latency=latency)
        fill(mem, SRC, 100 * 16, seed=1)
        _, stepped, _ = copy(h, SRC, DST, 100)
        cycles[latency] = (stepped, h.dram_counters()["rd_bursts"])
    (fast, bursts), (slow, bursts2) = cycles[4], cycles[40]
    assert bursts == bursts2 == 13  # the fixture reads one 16-beat burst at a time
    assert slow - fast == 36 * bursts


def test_half_read_bandwidth_spaces_beats_one_cycle_apart(fixture_lib):
    results = {}
    for bw in (1.0, 0.5):
        h, mem = make(fixture_lib, read_beats_per_cycle=bw)
        fill(mem, SRC, 64 * 16, seed=2)
        _, stepped, _ = copy(h, SRC, DST, 64)
        results[bw] = (stepped, h.dram_counters())
    full, half = results[1.0], results[0.5]
    # Each burst's first beat goes at once (the credit is full), every later one waits a cycle more.
    assert half[0] - full[0] == half[1]["rd_beats"] - half[1]["rd_bursts"]
    assert np.array_equal(half[1]["rd_beats"], full[1]["rd_beats"])


def test_write_outside_the_memory_is_answered_with_slverr(fixture_lib):
    h, mem = make(fixture_lib)
    fill(mem, SRC, 64, seed=3)
    before = mem.copy()
    rc, _, regs = copy(h, SRC, MEM_BYTES + 0x1000, 4)
    assert rc == RUN_FINISHED
    assert regs["status"] >> regmap.STATUS_ERROR_BIT & 1
    assert (regs["status"] >> regmap.STATUS_ERROR_CODE_LSB) & 0xFF == 5  # AXI error response
    assert regs["error_insn"] == 0
    assert h.dram_counters()["wr_errors"] == 1
    assert np.array_equal(mem, before)


def test_read_outside_the_memory_returns_slverr_and_zeros(fixture_lib):
    h, mem = make(fixture_lib)
    rc, _, regs = copy(h, 0xFFFF_F000, DST, 2)
    assert rc == RUN_FINISHED
    assert (regs["status"] >> regmap.STATUS_ERROR_CODE_LSB) & 0xFF == 5
    assert h.dram_counters()["rd_errors"] == 1
    assert not mem.any()


def test_burst_crossing_4k_is_a_protocol_violation(fixture_lib):
    h, mem = make(fixture_lib)
    fill(mem, SRC, 4096, seed=4)
    h.write_reg(OFF["out_base"], 1)  # the fixture stops splitting bursts at page boundaries
    rc, _, regs = copy(h, SRC + 0xFC0, DST + 0xFC0, 16)  # 16-beat bursts from 64 bytes before a page end
    assert rc == RUN_FINISHED
    assert h.dram_counters()["violations"] >= 1
    assert "crosses a 4 KiB boundary" in h.violation()
    assert regs["status"] >> regmap.STATUS_ERROR_BIT & 1
    h.clear_dram_counters()
    assert h.violation() == ""


def test_cycle_limit_stops_and_reset_recovers(fixture_lib):
    h, mem = make(fixture_lib)
    rc, stepped, regs = copy(h, SRC, DST, 8192, max_cycles=5000)
    assert (rc, stepped) == (RUN_CYCLE_LIMIT, 5000)
    assert regs["status"] >> regmap.STATUS_BUSY_BIT & 1
    h.reset()
    assert h.read_registers()["status"] == 0
    data = fill(mem, SRC, 32 * 16, seed=6)
    rc, _, regs = copy(h, SRC, 0x200000, 32)
    assert rc == RUN_FINISHED and regs["status"] == 0
    assert np.array_equal(mem[0x200000:0x200000 + 512], data)


def test_two_harnesses_are_independent(fixture_lib):
    (h1, m1), (h2, m2) = make(fixture_lib), make(fixture_lib)
    d1, d2 = fill(m1, SRC, 256, seed=7), fill(m2, SRC, 512, seed=8)
    h1.write_reg(OFF["uop_base"], DST)
    h1.launch(SRC, 16)
    assert copy(h2, SRC, DST, 32)[0] == RUN_FINISHED
    assert h1.run(10**6, 10.0)[0] == RUN_FINISHED
    assert np.array_equal(m1[DST:DST + 256], d1) and not m1[DST + 256:DST + 512].any()
    assert np.array_equal(m2[DST:DST + 512], d2)


def test_memory_must_be_a_flat_uint8_array(fixture_lib):
    with pytest.raises(DeviceError, match="uint8"):
        Harness(fixture_lib.path, np.zeros(1024, dtype=np.int32))


def test_dram_timing_is_checked():
    with pytest.raises(DeviceError, match="read_beats_per_cycle"):
        DramTiming(read_beats_per_cycle=1.5)
    with pytest.raises(DeviceError, match="read_latency"):
        DramTiming(read_latency=0)


def test_untraced_library_refuses_a_trace(fixture_lib, tmp_path):
    h, _ = make(fixture_lib)
    assert not h.has_trace
    with pytest.raises(DeviceError, match="without tracing"):
        h.trace_open(tmp_path / "x.fst")


def test_closed_harness_raises(fixture_lib):
    h, _ = make(fixture_lib)
    h.close()
    with pytest.raises(DeviceError, match="closed"):
        h.read_reg(0)


def test_rtl_error_stops_the_run_without_ending_the_process(fixture_lib):
    h, mem = make(fixture_lib)
    h.write_reg(OFF["out_base"], 2)  # the fixture executes $error at the next launch
    h.write_reg(OFF["uop_base"], DST)
    h.launch(SRC, 4)
    rc, _ = h.run(10_000, 10.0)
    assert rc == RUN_STOPPED
    assert "fixture_dma_top.sv" in h.last_error() and "stopped" in h.last_error()
    h.reset()
    data = fill(mem, SRC, 64, seed=9)
    rc, _, regs = copy(h, SRC, DST, 4)
    assert rc == RUN_FINISHED and regs["status"] == 0
    assert np.array_equal(mem[DST:DST + 64], data)
