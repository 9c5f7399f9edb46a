"""Tensor load bench (tb_vta_tensor_load.py): element wider than the bus (slices), narrower (lanes)."""

import pytest

from rtl_build import run_bench
from vta.isa import Config, MemType

WIDE_BUS = {"LOG_BUS_WIDTH": 9}  # 512-bit bus: 4 INP elements per beat


@pytest.mark.parametrize("config,mtype", [
    (Config(), MemType.INP),                          # 128-bit elements, 64-bit bus: 2 beats each
    (Config(), MemType.UOP),                          # 32-bit elements: 2 per beat
    (Config.from_dict(WIDE_BUS), MemType.INP),        # 4 per beat
], ids=["inp-bus64", "uop-bus64", "inp-bus512"])
def test_vta_tensor_load(config, mtype):
    bits = 8 * config.elem_bytes(mtype)
    run_bench("vta_tensor_load", "tb_vta_tensor_load", config, extra_env={"VTA_TB_MEMTYPE": mtype.name},
              parameters={"ElemBits": bits, "LogElemBytes": (bits // 8).bit_length() - 1})
