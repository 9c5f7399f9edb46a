"""TsimDevice behind the Device contract, on the fixture top (a DMA that copies the "program" bytes).

The fixture copies insn_count*16 bytes from the instruction address to the
address in register uop_base, so these tests check data movement, limits,
errors and recovery of the device without the real accelerator.
"""

from __future__ import annotations

import numpy as np
import pytest

from vta.hw import regmap
from vta.isa import Config, FinishInsn, MemType, encode_program, load
from vta.isa.errors import DeviceError, SimulationError
from vta.jit import open_device

SMALL_DRAM = 1 << 24


@pytest.fixture
def open_fixture(fixture_spec):
    """open_device("tsim") on the fixture top for a Config (default Config(), a 16 MiB DRAM, quiet build)."""
    def opener(config: Config | None = None, **options):
        config = config or Config()
        return open_device("tsim", config, spec=fixture_spec(config), **{"verbose": 0, "dram_bytes": SMALL_DRAM,
                                                                          **options})
    return opener


@pytest.fixture
def dev(fixture_lib, open_fixture):
    with open_fixture(check=False) as d:
        yield d


def start_copy(dev, nbytes: int, seed: int) -> tuple[int, int, np.ndarray]:
    src, dst = dev.alloc(nbytes), dev.alloc(nbytes)
    data = np.random.default_rng(seed).integers(0, 256, nbytes, dtype=np.uint8)
    dev.write(src, data)
    dev.write_reg("uop_base", dst)
    return src, dst, data


def test_alloc_write_run_read(dev):
    src, dst, data = start_copy(dev, 64 * 16, seed=1)
    stats = dev.run(src, 64)
    assert np.array_equal(dev.read(dst, 64 * 16), data)
    assert stats.backend == "tsim" and stats.insn_count == 64
    assert stats.cycles is not None and stats.cycles > 128
    assert set(stats.hw_counters) == {r.name for r in regmap.counter_registers()}
    assert stats.hw_counters["mem_rd_beats"] == stats.hw_counters["mem_wr_beats"] == 128
    assert stats.elapsed_s > 0
    assert dev.read_reg("control") == 0  # the device acknowledged finish


def test_runs_back_to_back(dev):
    for seed in range(3):
        src, dst, data = start_copy(dev, 32 * 16, seed=seed)
        dev.run(src, 32)
        assert np.array_equal(dev.read(dst, 32 * 16), data)


def test_check_walk_counts_merge_with_hardware_counters(open_fixture):
    program = encode_program([load(MemType.UOP, x_size=0)] * 3 + [FinishInsn()], Config())
    with open_fixture() as d:
        src, dst = d.alloc(len(program)), d.alloc(len(program))
        d.write(src, program)
        d.write_reg("uop_base", dst)
        stats = d.run(src, 4)
        assert bytes(d.read(dst, len(program))) == program
    assert stats.insns_by_opcode.get("FINISH") == 1
    assert stats.cycles is not None and stats.hw_counters["mem_rd_beats"] == 8


def test_bad_program_is_rejected_before_the_hardware_runs(open_fixture):
    program = encode_program([load(MemType.UOP, x_size=0)] * 2, Config())  # no FINISH
    with open_fixture() as d:
        src, dst = d.alloc(len(program)), d.alloc(len(program))
        d.write(src, program)
        d.write_reg("uop_base", dst)
        with pytest.raises(SimulationError, match="FINISH"):
            d.run(src, 2)
        assert not d.read(dst, len(program)).any()  # the fixture never copied: the RTL did not run


def test_cycle_limit_raises_and_the_device_recovers(fixture_lib, open_fixture):
    with open_fixture(check=False, max_cycles=5000) as d:
        src, _, _ = start_copy(d, 1 << 20, seed=2)
        with pytest.raises(SimulationError, match="cycle limit of 5000 cycles"):
            d.run(src, (1 << 20) // 16)
        src, dst, data = start_copy(d, 16 * 16, seed=3)
        d.run(src, 16)
        assert np.array_equal(d.read(dst, 256), data)


def test_wall_clock_timeout_raises_and_the_device_recovers(dev):
    src, _, _ = start_copy(dev, 4 << 20, seed=4)
    with pytest.raises(SimulationError, match="timeout"):
        dev.run(src, (4 << 20) // 16, timeout_s=0.005)
    src, dst, data = start_copy(dev, 16 * 16, seed=5)
    dev.run(src, 16)
    assert np.array_equal(dev.read(dst, 256), data)


def test_hardware_error_names_the_code_and_the_instruction(dev):
    src, _, _ = start_copy(dev, 64 * 16, seed=6)
    dev.write_reg("uop_base", SMALL_DRAM + 0x1000)  # destination outside the DRAM
    with pytest.raises(SimulationError, match=r"error 5 \(AXI error response\) at instruction 0.*SLVERR"):
        dev.run(src, 64)
    src, dst, data = start_copy(dev, 16 * 16, seed=7)
    dev.run(src, 16)
    assert np.array_equal(dev.read(dst, 256), data)


def test_axi_protocol_violation_fails_the_run(dev):
    src, _, _ = start_copy(dev, 2 * 4096, seed=8)
    dev.write_reg("out_base", 1)  # the fixture stops splitting bursts at 4 KiB
    dev.write_reg("uop_base", dev.alloc(3 * 4096) + 0xFC0)
    with pytest.raises(SimulationError, match="crosses a 4 KiB boundary"):
        dev.run(src + 0xFC0, 16)


def test_rtl_error_raises_and_the_device_recovers(dev):
    src, _, _ = start_copy(dev, 64, seed=12)
    dev.write_reg("out_base", 2)  # the fixture executes $error at the next launch
    with pytest.raises(SimulationError, match=r"RTL stopped.*fixture_dma_top\.sv"):
        dev.run(src, 4)
    src, dst, data = start_copy(dev, 64, seed=13)  # the reset cleared out_base
    dev.run(src, 4)
    assert np.array_equal(dev.read(dst, 64), data)


def test_wide_bus_device(wide_fixture_lib, open_fixture, wide_config):
    with open_fixture(wide_config, check=False) as d:
        src, dst, data = start_copy(d, 100 * 16, seed=9)
        stats = d.run(src, 100)
        assert np.array_equal(d.read(dst, 1600), data)
        assert stats.hw_counters["mem_rd_beats"] == 100


def test_slower_dram_costs_cycles(open_fixture):
    cycles = []
    for latency, bandwidth in ((4, 1.0), (64, 1.0), (64, 0.25)):
        with open_fixture(check=False, read_latency=latency, read_bandwidth=bandwidth,
                          write_bandwidth=bandwidth) as d:
            src, dst, data = start_copy(d, 128 * 16, seed=10)
            cycles.append(d.run(src, 128).cycles)
            assert np.array_equal(d.read(dst, 2048), data)
    assert cycles[0] < cycles[1] < cycles[2]


def test_trace_file_is_written(traced_fixture_lib, trace_format, open_fixture, tmp_path):
    path = tmp_path / f"run.{trace_format}"
    with open_fixture(check=False, trace=path) as d:
        src, dst, data = start_copy(d, 16 * 16, seed=11)
        d.run(src, 16)
        assert np.array_equal(d.read(dst, 256), data)
    assert path.stat().st_size > 100
    head = path.read_bytes()
    if trace_format == "vcd":
        assert b"m_axi_arvalid" in head and b"$enddefinitions" in head


def test_register_names_are_checked(dev):
    with pytest.raises(DeviceError, match="no register named 'nope'"):
        dev.read_reg("nope")


def test_closed_device_refuses_work(open_fixture):
    d = open_fixture()
    d.close()
    with pytest.raises(DeviceError, match="closed"):
        d.run(4096, 1)
    with pytest.raises(DeviceError, match="closed"):
        d.read_reg("status")


def test_spec_for_another_config_is_rejected(fixture_spec, wide_config):
    with pytest.raises(DeviceError, match="build spec is for"):
        open_device("tsim", Config(), spec=fixture_spec(wide_config), verbose=0)


def test_trace_path_needs_a_waveform_suffix(open_fixture, tmp_path):
    with pytest.raises(DeviceError, match=r"\.fst or \.vcd"):
        open_fixture(trace=tmp_path / "x.txt")


def test_options_are_checked(open_fixture):
    with pytest.raises(DeviceError, match="read_beats_per_cycle"):
        open_fixture(read_bandwidth=0)
    with pytest.raises(DeviceError, match="max_cycles"):
        open_fixture(max_cycles=-1)
