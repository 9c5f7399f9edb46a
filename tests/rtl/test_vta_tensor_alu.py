"""Tensor ALU bench (tb_vta_tensor_alu.py)."""

from rtl_build import run_bench
from vta.isa import Config


def test_vta_tensor_alu():
    run_bench("vta_tensor_alu", "tb_vta_tensor_alu", Config())
