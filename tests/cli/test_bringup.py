"""`vta bringup` end to end: default Config, two other preset shapes and a JSON-only shape; failure exits.

The TSIM builds are the same cache entries the conformance tests use (same
RTL, same generated package), so a test run builds each Config once.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vta.cli.main import main
from vta.hw import pkg_gen
from vta.isa.config import Config
from vta.tsim import conformance

CONFIGS = Path(__file__).resolve().parents[1] / "conformance" / "configs"
ODD_CONFIG = CONFIGS / "2x8x8_bus128.json"


@pytest.mark.parametrize("source", ["default", "1x32x32", "4x16x16", str(ODD_CONFIG)],
                         ids=["default", "1x32x32", "4x16x16", "2x8x8_bus128"])
def test_bringup_passes_and_leaves_the_committed_package_alone(source, tmp_path, capsys):
    committed = pkg_gen.PKG_PATH.read_bytes()
    rc = main(["bringup", "--config", source, "--build-dir", str(tmp_path), "--fuzz", "60",
               "--json", str(tmp_path / "report.json")])
    out = capsys.readouterr().out
    assert rc == 0, out
    cfg = Config.load(source)
    for step in ("config", "package", "lint", "build", "conformance/scenario", "conformance/edge", "conformance/workload",
                 "conformance/compiler", "fuzz"):
        assert any(line.split()[:2] == [step, "pass"] for line in out.splitlines()), f"{step} row:\n{out}"
    assert out.splitlines()[-1].split()[:2] == ["overall", "PASS"]
    assert "60 programs" in out and "0 mismatches" in out and "do not fit" not in out
    folder = tmp_path / f"{cfg.bitstream}-bus{cfg.bus_width}"
    package = (folder / "vta_pkg.sv").read_text()
    assert f"localparam int unsigned BlockIn = {cfg.block_in};" in package
    assert f"localparam int unsigned BusWidth = {cfg.bus_width};" in package
    assert Config.load(folder / "vta_config.json") == cfg
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["ok"] is True and report["bitstream"] == cfg.bitstream
    assert json.loads((folder / "bringup.json").read_text())["ok"] is True
    assert pkg_gen.PKG_PATH.read_bytes() == committed


@pytest.mark.slow
@pytest.mark.parametrize("name", ["1x64x64", "16x4x4_bus512", "1x2x2_tiny"])
def test_bringup_of_extreme_shapes(name, tmp_path, capsys):
    """The largest block (4 KiB weight elements), batch 16 on a 512-bit bus, and a 2x2 block: minutes to build."""
    rc = main(["bringup", "--config", str(CONFIGS / f"{name}.json"), "--build-dir", str(tmp_path), "--fuzz", "150"])
    out = capsys.readouterr().out
    assert rc == 0, out


def test_bringup_names_the_bad_key_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"LOG_BATCH": 0, "LOG_BLOCK": 9}))
    assert main(["bringup", "--config", str(bad), "--build-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "LOG_BLOCK=9" in err and "bad.json" in err
    assert main(["bringup", "--config", "nope", "--build-dir", str(tmp_path)]) == 2
    assert main(["bringup", "--groups", "scenario,nope", "--build-dir", str(tmp_path)]) == 2


def test_bringup_exits_1_and_prints_the_failing_program(tmp_path, capsys, monkeypatch):
    def differs(dev, seed):
        return {"y": np.array([1 if dev.name == "tsim" else 0], np.int8)}, []

    real = conformance.programs
    monkeypatch.setattr(conformance, "programs", lambda config=None, groups=conformance.GROUPS:
                        real(config, groups)[:2] + [conformance.ConformanceProgram("scenario/broken", differs)])
    rc = main(["bringup", "--build-dir", str(tmp_path), "--fuzz", "0", "--groups", "scenario"])
    out = capsys.readouterr().out
    assert rc == 1
    assert any(line.split()[:2] == ["conformance/scenario", "FAIL"] for line in out.splitlines())
    assert "2/3 programs identical" in out
    assert "scenario/broken (seed" in out and "fsim 0, TSIM 1" in out
    assert any(line.split()[:2] == ["overall", "FAIL"] for line in out.splitlines())


def test_install_package_writes_the_committed_package_only_when_asked(tmp_path, capsys, monkeypatch):
    target = tmp_path / "committed" / "vta_pkg.sv"
    target.parent.mkdir()
    target.write_text("// old\n")
    monkeypatch.setattr(pkg_gen, "PKG_PATH", target)
    assert main(["bringup", "--config", "4x16x16", "--build-dir", str(tmp_path), "--fuzz", "0",
                 "--groups", "scenario"]) == 0
    assert target.read_text() == "// old\n"
    assert main(["bringup", "--config", "4x16x16", "--build-dir", str(tmp_path), "--fuzz", "0",
                 "--groups", "scenario", "--install-package"]) == 0
    assert "installed as" in capsys.readouterr().out
    assert target.read_text() == pkg_gen.generate(Config.load("4x16x16"), "4x16x16")
