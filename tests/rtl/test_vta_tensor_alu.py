"""Tensor ALU bench (tb_vta_tensor_alu.py); slow: the retire check fails on injected bugs."""

import pytest

from rtl_build import failing_tests, run_bench
from vta.isa import Config

F = "vta_tensor_alu.sv"
MUTANTS = {
    "retire one clock early": (F, "assign retire_o = w_valid_q && w_last_q;",
                               "assign retire_o = r_valid_q && r_last_q;"),
    "last taken from a stalled micro-op": (F, "assign w_last_d  = r_last_q;", "assign w_last_d  = in_last_i;"),
}


def test_vta_tensor_alu():
    run_bench("vta_tensor_alu", "tb_vta_tensor_alu", Config())


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_vta_tensor_alu_catches(mutant):
    failed = failing_tests("vta_tensor_alu", "tb_vta_tensor_alu", (MUTANTS[mutant],))
    assert "retire_on_last_write" in failed, f"{mutant}: failing tests {sorted(failed)}"
