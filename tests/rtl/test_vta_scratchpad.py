"""Two-port scratchpad bench (tb_vta_scratchpad.py): an ACC element (one lane, bus-wide slices) and a
16-bit element (four lanes per bus word); slow: the bench fails on injected bugs."""

import pytest

from rtl_build import failing_tests, run_bench
from vta.isa import Config

F = "vta_scratchpad.sv"
CFG = Config()
SHAPES = {"acc": (CFG.acc_elem_bits, CFG.log_acc_depth), "16b-lanes": (16, 6)}
MUTANTS = {
    "wide read takes port 1's RAM": (F, "assign r0 = rd_en_i && !(r1 && rk != '0);", "assign r0 = rd_en_i;"),
    "port 1 reads port 0's slice": (F, "rdata_o({rd1_data_o[s*SliceBits +: SliceBits], rd_data_o[s*SliceBits +:",
                                    "rdata_o({rd_data_o[s*SliceBits +: SliceBits], rd1_data_o[s*SliceBits +:"),
}


def _run(shape: str, edits=()):
    elem_bits, log_depth = SHAPES[shape]
    env = {"VTA_TB_ELEM_BITS": str(elem_bits), "VTA_TB_LOG_DEPTH": str(log_depth)}
    params = {"ElemBits": elem_bits, "LogDepth": log_depth, "TwoPort": 1}
    if edits:
        return failing_tests("vta_scratchpad", "tb_vta_scratchpad", edits, CFG, extra_env=env, parameters=params)
    return run_bench("vta_scratchpad", "tb_vta_scratchpad", CFG, extra_env=env, parameters=params)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_vta_scratchpad_two_port(shape):
    _run(shape)


@pytest.mark.slow
@pytest.mark.parametrize("mutant,shape", [("wide read takes port 1's RAM", "16b-lanes"),
                                          ("port 1 reads port 0's slice", "acc")])
def test_vta_scratchpad_catches(mutant, shape):
    assert _run(shape, (MUTANTS[mutant],)), f"{mutant}: the bench passed"
