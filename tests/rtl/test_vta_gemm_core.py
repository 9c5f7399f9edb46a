"""GEMM core bench (tb_vta_gemm_core.py) for the default config and a BATCH=2 config."""

import pytest

from rtl_build import run_bench
from vta.isa import Config

BATCH2 = {"LOG_BATCH": 1, "LOG_BLOCK": 2, "LOG_UOP_BUFF_SIZE": 10, "LOG_INP_BUFF_SIZE": 10,
          "LOG_WGT_BUFF_SIZE": 10, "LOG_ACC_BUFF_SIZE": 11}


@pytest.mark.parametrize("config", [Config(), Config.from_dict(BATCH2)], ids=["default", "2x4x4"])
def test_vta_gemm_core(config):
    run_bench("vta_gemm_core", "tb_vta_gemm_core", config)
