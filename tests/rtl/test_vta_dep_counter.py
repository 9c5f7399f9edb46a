"""Dependency counter bench (tb_vta_dep_counter.py), built 4 bits wide so it fills up quickly."""

from rtl_build import run_bench
from vta.isa import Config


def test_vta_dep_counter():
    run_bench("vta_dep_counter", "tb_vta_dep_counter", Config(), parameters={"Bits": 4},
              extra_env={"VTA_TB_BITS": "4"})
