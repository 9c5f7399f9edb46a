"""Two-port RAM bench (tb_vta_sram_2p.py): split halves, the one-address halves of Depth 2; slow: the
unsplit Depth 1 (no user has it), and the bench failing on injected bugs."""

import pytest

from rtl_build import failing_tests, run_bench

F = "vta_sram_2p.sv"
SHAPES = {"16x40": (16, 40), "2x8": (2, 8), "1x8": (1, 8)}
SLOW = {"1x8"}
MUTANTS = {
    "port 1 wins a write collision": (F, "assign wa = w0 ? waddr_i[0][HalfBits-1:0] : waddr_i[1][HalfBits-1:0];",
                                      "assign wa = w1 ? waddr_i[1][HalfBits-1:0] : waddr_i[0][HalfBits-1:0];"),
    "read select not held": (F, "assign rsel_d[p]  = re_i[p] ? raddr_i[p][AddrBits-1] : rsel_q[p];",
                             "assign rsel_d[p]  = raddr_i[p][AddrBits-1];"),
}


def _run(shape: str, edits=()):
    depth, width = SHAPES[shape]
    env = {"VTA_TB_DEPTH": str(depth), "VTA_TB_WIDTH": str(width)}
    params = {"Depth": depth, "Width": width}
    if edits:
        return failing_tests("vta_sram_2p", "tb_vta_sram_2p", edits, extra_env=env, parameters=params)
    return run_bench("vta_sram_2p", "tb_vta_sram_2p", extra_env=env, parameters=params)


@pytest.mark.parametrize("shape", [pytest.param(s, marks=[pytest.mark.slow] if s in SLOW else []) for s in SHAPES])
def test_vta_sram_2p(shape):
    _run(shape)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_vta_sram_2p_catches(mutant):
    assert _run("16x40", (MUTANTS[mutant],)), f"{mutant}: the bench passed"
