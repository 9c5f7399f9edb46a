"""`verilator --lint-only -Wall` is clean for the default Config, the presets, a small odd Config and the
extreme shapes the conformance suite brings up (tests/conformance/configs: the largest block with 4 KiB
weight elements, batch 16 on a 512-bit bus, a 2x2 block, a 128-bit bus)."""

from pathlib import Path

import pytest

from vta.hw import lint
from vta.isa import Config

CONFIGS = {
    "default": Config(),
    "1x32x32": Config.load("1x32x32"),
    "4x16x16": Config.load("4x16x16"),
    "1x16x16_wide": Config.load("1x16x16_wide"),
    "ultra96": Config.load("ultra96"),
    "small-512bit": Config.from_dict({"LOG_BATCH": 1, "LOG_BLOCK": 1, "LOG_UOP_BUFF_SIZE": 6, "LOG_INP_BUFF_SIZE": 5,
                                      "LOG_WGT_BUFF_SIZE": 6, "LOG_ACC_BUFF_SIZE": 7, "LOG_BUS_WIDTH": 9}),
}
CONFORMANCE_CONFIGS = Path(__file__).resolve().parents[1] / "conformance" / "configs"
CONFIGS.update({p.stem: Config.load(p) for p in sorted(CONFORMANCE_CONFIGS.glob("*.json"))})


@pytest.mark.parametrize("name", list(CONFIGS))
def test_lint_clean(name):
    result = lint.lint(CONFIGS[name], config_name=name)
    assert result.ok, result.output


def test_lint_reports_problems(tmp_path, monkeypatch):
    """The checker can fail: an extra unused signal in a copy of the sources is reported."""
    from vta.hw import sources

    bad = tmp_path / "vta_fifo.sv"
    bad.write_text((sources.RTL_DIR / "vta_fifo.sv").read_text().replace("endmodule", "  logic stray;\nendmodule"))
    real_paths = sources.paths
    monkeypatch.setattr(sources, "paths", lambda package=None: [bad if p.name == bad.name else p
                                                                for p in real_paths(package)])
    result = lint.lint(Config())
    assert not result.ok and "stray" in result.output
