"""Tensor store bench (tb_vta_tensor_store.py): OUT element wider than the bus (slices) and narrower (lanes)."""

import pytest

from rtl_build import run_bench
from vta.isa import Config


@pytest.mark.parametrize("config", [Config(), Config.from_dict({"LOG_BUS_WIDTH": 9})], ids=["bus64", "bus512"])
def test_vta_tensor_store(config):
    run_bench("vta_tensor_store", "tb_vta_tensor_store", config)
