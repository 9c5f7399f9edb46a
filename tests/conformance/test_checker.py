"""The conformance checker itself: it must notice every kind of difference (two fsim devices, no TSIM build)."""

from __future__ import annotations

import numpy as np
import pytest

from vta.isa.config import Config
from vta.isa.errors import DeviceError, SimulationError
from vta.jit import open_device
from vta.tsim.conformance import ConformanceProgram, DevicePair, programs


@pytest.fixture
def pair():
    cfg = Config()
    with DevicePair(open_device("fsim", cfg, dram_bytes=1 << 22), open_device("fsim", cfg, dram_bytes=1 << 22)) as p:
        yield p


def _run_on_second(action):
    """A program that writes an 8-byte buffer and, on the pair's second device only, does `action`."""
    seen = []

    def run(dev, seed):
        addr = dev.alloc(8)
        dev.write(addr, np.arange(8, dtype=np.uint8))
        seen.append(dev)
        if len(seen) == 2:
            action(dev, addr)
        out = dev.read(addr, 8)
        dev.free(addr)
        return {"out": out}, []
    return run


def test_identical_devices_pass(pair):
    outcome = pair.compare(programs(groups=("scenario",))[0])
    assert outcome.ok, outcome.text()


def test_an_output_difference_is_reported(pair):
    prog = ConformanceProgram("t/out", _run_on_second(lambda dev, a: dev.write(a + 3, b"\x7f")))
    outcome = pair.compare(prog)
    assert not outcome.ok
    assert "output 'out': 1 of 8 values differ; first at (3,): fsim 3, TSIM 127" in outcome.problems[0]
    assert "(seed " in outcome.text()


def test_a_write_outside_the_outputs_is_reported(pair):
    def stray(dev, addr):
        dev.dram.data[addr + 5000] = 1  # inside the arena, outside the buffer
    outcome = pair.compare(ConformanceProgram("t/stray", _run_on_second(stray)))
    assert not outcome.ok and outcome.problems[0].startswith("DRAM: 1 bytes differ")
    assert np.array_equal(pair.fsim.dram.data, pair.tsim.dram.data)  # resynchronised for the next program


def test_an_error_on_the_device_under_test_is_a_failure_and_leaks_nothing(pair):
    def fail(dev, addr):
        raise SimulationError("boom")
    outcome = pair.compare(ConformanceProgram("t/err", _run_on_second(fail)))
    assert not outcome.ok and "raised SimulationError: boom" in outcome.problems[0]
    assert pair.fsim.dram.allocations() == pair.tsim.dram.allocations() == []
    assert pair.compare(programs(groups=("scenario",))[0]).ok


def test_a_program_the_reference_rejects_is_not_counted_as_identical(pair):
    def run(dev, seed):
        raise DeviceError("does not fit")
    outcome = pair.compare(ConformanceProgram("t/unfit", run))
    assert not outcome.ok and not outcome.problems
    assert "fsim rejects it on this Config" in outcome.not_applicable


def test_every_scenario_is_a_conformance_program():
    from vta.jit.scenarios import SCENARIOS

    names = {p.name for p in programs()}
    assert {f"scenario/{n}" for n in SCENARIOS} <= names
    assert {"workload/matmul_bias_epilogue", "compiler/conv2d_c11_3x3", "compiler/dense_lstm"} <= names
