"""Top-level programs on vta_top (cocotb bench tb_vta_top.py), default config and the wide-bus preset."""

import pytest

from rtl_build import run_bench
from vta.isa import Config


def test_vta_top_default():
    run_bench("vta_top", "tb_vta_top", Config())


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["1x16x16_wide", "4x16x16", "1x32x32"])
def test_vta_top_presets(preset):
    run_bench("vta_top", "tb_vta_top", Config.load(preset))
