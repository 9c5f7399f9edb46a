"""`verilator --lint-only -Wall` is clean for the extreme shapes the conformance suite brings up.

tests/hw/test_lint.py covers the default Config and the presets; these are the
configs of tests/conformance/configs: the largest block (4 KiB weight elements,
a 32768-bit scratchpad write port), batch 16 on a 512-bit bus, a 2x2 block and
a 128-bit bus.
"""

from pathlib import Path

import pytest

from vta.hw import lint
from vta.isa import Config

CONFIGS = Path(__file__).resolve().parents[1] / "conformance" / "configs"


@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.json")))
def test_lint_clean_for_extreme_shape(name):
    result = lint.lint(Config.load(CONFIGS / f"{name}.json"), config_name=name)
    assert result.ok, result.output
