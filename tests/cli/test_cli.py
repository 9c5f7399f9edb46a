"""The `vta` command: info, asm/disasm round trip, demo, and error exit codes."""

import json

from vta.cli.main import main
from vta.isa import Config


def test_info_json(capsys):
    assert main(["info", "--config", "4x16x16", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["LOG_BATCH"] == 2 and out["derived"]["batch"] == 4
    assert out["derived"]["acc_depth"] == Config.load("4x16x16").acc_depth


def test_info_text_lists_layouts(capsys):
    assert main(["info", "--layouts"]) == 0
    text = capsys.readouterr().out
    assert "GEMM layout:" in text and "118-127  wgt_factor_in" in text


def test_asm_disasm_round_trip(tmp_path, capsys):
    src = tmp_path / "prog.s"
    src.write_text("LOAD INP sram_base=0 dram_base=0x10 y_size=1 x_size=4 x_stride=4 push_next\n"
                   "GEMM reset uop_end=1 pop_prev\nFINISH\nUOP dst_idx=1 src_idx=2 wgt_idx=3\n")
    assert main(["asm", str(src)]) == 0
    assert (tmp_path / "prog.bin").stat().st_size == 48
    capsys.readouterr()
    assert main(["disasm", str(tmp_path / "prog.bin"), "--uops", str(tmp_path / "prog.uop.bin")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "LOAD INP sram_base=0 dram_base=0x10 y_size=1 x_size=4 x_stride=4 push_next"
    assert lines[1] == "GEMM uop_end=1 pop_prev reset" and lines[2] == "FINISH"
    assert lines[3] == "UOP dst_idx=1 src_idx=2 wgt_idx=3"


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["info", "--config", "nope"]) == 2
    assert "unknown config preset 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.s"
    bad.write_text("FINISH\nGEMM nope=1\n")
    assert main(["asm", str(bad)]) == 2
    assert "bad.s:2: GEMM has no field 'nope'" in capsys.readouterr().err
    odd = tmp_path / "odd.bin"
    odd.write_bytes(bytes(17))
    assert main(["disasm", str(odd)]) == 2


def test_matmul_demo_runs_and_checks(capsys):
    assert main(["demo", "matmul", "--size", "64"]) == 0
    out = capsys.readouterr().out
    assert "matches numpy bit for bit" in out and "GEMM uops 1024 " in out  # 64 rows x 4 x 4 blocks
