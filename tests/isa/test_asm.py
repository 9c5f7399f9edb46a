"""Assembler and disassembler round trip; errors name the file and line."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vta.isa import Config, IsaError, Uop, encode_insn
from vta.isa.asm import assemble, assemble_file, disasm, disasm_bytes

from .strategies import CONFIGS, instructions


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.bitstream)
@given(data=st.data())
def test_disasm_then_asm_is_identity(config, data):
    insns = data.draw(st.lists(instructions(config), min_size=1, max_size=6))
    text = "\n".join(disasm(i) for i in insns)
    assert assemble(text, config).insns == insns


def test_program_with_uops_and_comments():
    text = """
    # a tiny program
    LOAD INP sram_base=0 dram_base=0x10 y_size=1 x_size=4 x_stride=4 push_next
    GEMM reset uop_bgn=0 uop_end=1 pop_prev   # reset the accumulator
    ALU ADD uop_end=1 use_imm=1 imm=-7
    FINISH
    UOP dst_idx=1 src_idx=2 wgt_idx=3
    """
    prog = assemble(text, Config())
    assert len(prog.insns) == 4 and prog.uops == [Uop(1, 2, 3)]
    assert prog.insns[1].reset_reg and prog.insns[1].pop_prev_dep
    assert prog.insns[2].imm == -7


@pytest.mark.parametrize("line, fragment", [
    ("LOAD FOO x_size=1", "unknown memory type 'FOO'"),
    ("GEMM bogus=3", "GEMM has no field 'bogus'"),
    ("ALU ADD imm=x", "field imm: 'x' is not an integer"),
    ("ALU ADD imm=99999", "imm=99999 does not fit 16 signed bits"),
    ("JUMP 4", "unknown mnemonic 'JUMP'"),
    ("FINISH uop_bgn=1", "FINISH has no field 'uop_bgn'"),
    ("UOP dst_idx=99999", "dst_idx=99999 does not fit"),
])
def test_errors_name_line_and_problem(line, fragment):
    with pytest.raises(IsaError) as info:
        assemble(f"FINISH\n{line}\n", Config(), origin="prog.s")
    assert "prog.s:2:" in str(info.value) and fragment in str(info.value)


def test_assemble_file_missing(tmp_path):
    with pytest.raises(IsaError, match="does not exist"):
        assemble_file(tmp_path / "none.s", Config())


def test_undecodable_bytes_disassemble_as_raw_words():
    text = disasm_bytes(bytes([7]) + bytes(15), Config())
    assert text.startswith(".insn 0x0000000000000007") and "unknown opcode 7" in text
    from vta.isa import FinishInsn

    assert disasm_bytes(encode_insn(FinishInsn(), Config()), Config()) == "FINISH"
