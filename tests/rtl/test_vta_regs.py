"""Register block bench (tb_vta_regs.py)."""

from rtl_build import run_bench
from vta.isa import Config


def test_vta_regs():
    run_bench("vta_regs", "tb_vta_regs", Config())
