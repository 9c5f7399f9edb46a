"""One eval per clock cycle (the default TSIM loop) gives exactly what evaluating both clock edges gives.

The harness skips the falling-edge eval when no output port of the top follows an
input port within a cycle (vta.tsim.build.comb_input_outputs reads that from the
Verilated code); otherwise, and in traced libraries, it evaluates both edges.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vta.isa import Config
from vta.jit import open_device
from vta.tsim.binding import Harness
from vta.tsim.build import BuildOptions, comb_input_outputs
from vta.tsim.conformance import programs

TWO_EVALS = BuildOptions(extra_args=("-CFLAGS", "-DTSIM_EVAL_NEGEDGE"))
DRAM_BYTES = 1 << 24


def test_vta_top_runs_one_eval_per_cycle():
    with open_device("tsim", Config(), dram_bytes=DRAM_BYTES, verbose=0) as dev:
        assert dev.harness.evals_per_cycle == 1
        meta = json.loads(dev.library.path.parent.joinpath("build.json").read_text())
        assert meta["outputs_following_inputs"] == []


def test_fixture_with_combinational_outputs_evaluates_both_edges(fixture_lib):
    """The fixture's AXI4-Lite awready follows awvalid and wvalid in the same cycle."""
    memory = np.zeros(1 << 16, dtype=np.uint8)
    harness = Harness(fixture_lib.path, memory)
    try:
        assert harness.evals_per_cycle == 2
    finally:
        harness.close()


def test_comb_input_outputs_reads_the_verilated_input_phase(tmp_path: Path):
    (tmp_path / "Vtop.h").write_text("    VL_IN8(&a_i,0,0);\n    VL_OUT8(&y_o,0,0);\n    VL_OUT8(&q_o,0,0);\n")
    (tmp_path / "Vtop___024root__0.cpp").write_text(
        "void Vtop___024root___ico_sequent__TOP__0(Vtop___024root* vlSelf) {\n"
        "    vlSelfRef.y_o = (1U & (~ (IData)(vlSelfRef.a_i)));\n"
        "    vlSelfRef.x__DOT__n = vlSelfRef.a_i;\n"
        "}\n"
        "void Vtop___024root___nba_sequent__TOP__0(Vtop___024root* vlSelf) {\n"
        "    vlSelfRef.q_o = vlSelfRef.x__DOT__n;\n"
        "}\n")
    assert comb_input_outputs(tmp_path) == ["y_o"]


@pytest.mark.parametrize("group", ["scenario", "edge", "workload"])
def test_one_eval_matches_two_evals_cycle_for_cycle(group):
    """Same outputs, whole DRAM arena, cycle counts and event counters for every conformance program."""
    cfg = Config()
    with open_device("tsim", cfg, dram_bytes=DRAM_BYTES, verbose=0) as one, \
            open_device("tsim", cfg, dram_bytes=DRAM_BYTES, verbose=0, build_options=TWO_EVALS) as two:
        assert (one.harness.evals_per_cycle, two.harness.evals_per_cycle) == (1, 2)
        for program in programs(cfg, groups=(group,)):
            out_one, stats_one = program.run(one, 0)
            out_two, stats_two = program.run(two, 0)
            assert out_one.keys() == out_two.keys(), program.name
            for name in out_one:
                assert np.array_equal(out_one[name], out_two[name]), f"{program.name}: output {name}"
            assert [s.cycles for s in stats_one] == [s.cycles for s in stats_two], program.name
            assert [s.hw_counters for s in stats_one] == [s.hw_counters for s in stats_two], program.name
            assert np.array_equal(one.dram.data, two.dram.data), f"{program.name}: DRAM arena"
