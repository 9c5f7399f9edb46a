"""Fetch bench (tb_vta_fetch.py): 64-bit bus (2 beats per instruction) and 512-bit (4 per beat)."""

import pytest

from rtl_build import run_bench
from vta.isa import Config


@pytest.mark.parametrize("config", [Config(), Config.from_dict({"LOG_BUS_WIDTH": 9})], ids=["bus64", "bus512"])
def test_vta_fetch(config):
    run_bench("vta_fetch", "tb_vta_fetch", config)
