"""Memory engine bench (tb_vta_mem_engine.py) with a 64-bit and a 256-bit bus."""

import pytest

from rtl_build import run_bench
from vta.isa import Config


@pytest.mark.parametrize("config", [Config(), Config.load("1x16x16_wide")], ids=["bus64", "bus256"])
def test_vta_mem_engine(config):
    run_bench("vta_mem_engine", "tb_vta_mem_engine", config)
