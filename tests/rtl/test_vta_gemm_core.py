"""GEMM core bench (tb_vta_gemm_core.py) for the default config and a BATCH=2 config; slow: the retire
check fails on injected bugs."""

import pytest

from rtl_build import failing_tests, run_bench
from vta.isa import Config

BATCH2 = {"LOG_BATCH": 1, "LOG_BLOCK": 2, "LOG_UOP_BUFF_SIZE": 10, "LOG_INP_BUFF_SIZE": 10,
          "LOG_WGT_BUFF_SIZE": 10, "LOG_ACC_BUFF_SIZE": 11}
F = "vta_gemm_core.sv"
MUTANTS = {
    "retire one clock early": (F, "assign retire_o = s2_valid_q && s2_last_q;",
                               "assign retire_o = s1_valid_q && s1_last_q;"),
    "retire without a write": (F, "assign retire_o = s2_valid_q && s2_last_q;", "assign retire_o = s2_last_q;"),
}


@pytest.mark.parametrize("config", [Config(), Config.from_dict(BATCH2)], ids=["default", "2x4x4"])
def test_vta_gemm_core(config):
    run_bench("vta_gemm_core", "tb_vta_gemm_core", config)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_vta_gemm_core_catches(mutant):
    failed = failing_tests("vta_gemm_core", "tb_vta_gemm_core", (MUTANTS[mutant],))
    assert "retire_on_last_write" in failed, f"{mutant}: failing tests {sorted(failed)}"
