"""Bank footprint bench (tb_vta_footprint.py) with a 64-bit bus (2 micro-ops per read) and a 256-bit bus
(8 per read); slow: the bench fails on injected bugs."""

import pytest

from rtl_build import failing_tests, run_bench
from vta.isa import Config

F = "vta_footprint.sv"
MUTANTS = {
    "upper bank from half+1": (F, "{top >= SpanBits'(AccDepth / 2)", "{top > SpanBits'(AccDepth / 2)"),
    "lanes past uop_end folded": (F, "if ((UBits+1)'(got_q) + (UBits+1)'(k) < (UBits+1)'(g.uop_end)) begin",
                                  "if (1'b1) begin"),
    "no restart on a new key": (F, "assign start   = valid_i && (st_q == StIdle || key_i != key_q);",
                                "assign start   = valid_i && st_q == StIdle;"),
    "src counted with an immediate": (F, "assign use_src = is_alu && !a.use_imm;", "assign use_src = is_alu;"),
    "scan resumes after valid_i low": (F, "      st_d   = StIdle;\n      pend_d = 1'b0;", "      pend_d = 1'b0;"),
    "clr_i ignored": (F, "if (!valid_i || clr_i) begin", "if (!valid_i) begin"),
}


@pytest.mark.parametrize("config", [Config(), Config.load("1x16x16_wide")], ids=["bus64", "bus256"])
def test_vta_footprint(config):
    run_bench("vta_footprint", "tb_vta_footprint", config)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_vta_footprint_catches(mutant):
    failed = failing_tests("vta_footprint", "tb_vta_footprint", (MUTANTS[mutant],))
    assert "random_instructions" in failed, f"{mutant}: failing tests {sorted(failed)}"
