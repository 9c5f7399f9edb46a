"""Binary compatibility: bit positions of VTA_REFERENCE 2.3-2.8, written here independently of the tables.

Each field is set to all ones alone; the encoded 128-bit value must be exactly
the expected bit range.
"""

import pytest

from vta.isa import AluInsn, Config, FinishInsn, GemmInsn, MemInsn, MemType, Opcode, Uop, encode_insn, encode_uop

# (field, first bit, last bit) for the default config, from the upstream reference table
MEM_BITS = [("pop_prev_dep", 3, 3), ("pop_next_dep", 4, 4), ("push_prev_dep", 5, 5), ("push_next_dep", 6, 6),
            ("sram_base", 10, 25), ("dram_base", 26, 57), ("y_size", 64, 79), ("x_size", 80, 95),
            ("x_stride", 96, 111), ("y_pad_0", 112, 115), ("y_pad_1", 116, 119), ("x_pad_0", 120, 123),
            ("x_pad_1", 124, 127)]
GEMM_BITS = [("reset_reg", 7, 7), ("uop_bgn", 8, 20), ("uop_end", 21, 34), ("iter_out", 35, 48),
             ("iter_in", 49, 62), ("dst_factor_out", 64, 74), ("dst_factor_in", 75, 85),
             ("src_factor_out", 86, 96), ("src_factor_in", 97, 107), ("wgt_factor_out", 108, 117),
             ("wgt_factor_in", 118, 127)]
ALU_BITS = [("reset_reg", 7, 7), ("uop_bgn", 8, 20), ("uop_end", 21, 34), ("iter_out", 35, 48),
            ("iter_in", 49, 62), ("dst_factor_out", 64, 74), ("dst_factor_in", 75, 85),
            ("src_factor_out", 86, 96), ("src_factor_in", 97, 107), ("alu_opcode", 108, 110),
            ("use_imm", 111, 111), ("imm", 112, 127)]
UOP_BITS = [("dst_idx", 0, 10), ("src_idx", 11, 21), ("wgt_idx", 22, 31)]


def _value(data: bytes) -> int:
    return int.from_bytes(data, "little")


def _ones(lo: int, hi: int) -> int:
    return ((1 << (hi - lo + 1)) - 1) << lo


@pytest.mark.parametrize("field, lo, hi", MEM_BITS)
def test_memory_instruction_bits(field, lo, hi):
    base = dict(opcode=Opcode.LOAD, memory_type=MemType.UOP)
    width = hi - lo + 1
    insn = MemInsn(**{**base, field: (1 << width) - 1})
    assert _value(encode_insn(insn, Config())) == _ones(lo, hi)


def test_memory_opcode_and_type_bits():
    c = Config()
    store = MemInsn(opcode=Opcode.STORE, memory_type=MemType.UOP)
    assert _value(encode_insn(store, c)) == 1
    load_out = MemInsn(opcode=Opcode.LOAD, memory_type=MemType.OUT)
    assert _value(encode_insn(load_out, c)) == 4 << 7
    assert _value(encode_insn(MemInsn(opcode=Opcode.LOAD, memory_type=7), c)) == _ones(7, 9)


@pytest.mark.parametrize("field, lo, hi", GEMM_BITS)
def test_gemm_bits(field, lo, hi):
    zero = dict(iter_out=0, iter_in=0)
    insn = GemmInsn(**{**zero, field: (1 << (hi - lo + 1)) - 1})
    assert _value(encode_insn(insn, Config())) == _ones(lo, hi) | Opcode.GEMM


@pytest.mark.parametrize("field, lo, hi", ALU_BITS)
def test_alu_bits(field, lo, hi):
    zero = dict(iter_out=0, iter_in=0, alu_opcode=0)
    value = -1 if field == "imm" else (1 << (hi - lo + 1)) - 1
    insn = AluInsn(**{**zero, field: value})
    assert _value(encode_insn(insn, Config())) == _ones(lo, hi) | Opcode.ALU


def test_finish_is_opcode_only():
    assert _value(encode_insn(FinishInsn(), Config())) == 3


@pytest.mark.parametrize("field, lo, hi", UOP_BITS)
def test_uop_bits(field, lo, hi):
    uop = Uop(**{"dst_idx": 0, field: (1 << (hi - lo + 1)) - 1})
    assert encode_uop(uop, Config()) == _ones(lo, hi)


def test_imm_is_twos_complement():
    insn = AluInsn(iter_out=0, iter_in=0, imm=-2)
    assert _value(encode_insn(insn, Config())) >> 112 == 0xFFFE


def test_wide_uop_config_straddle_rule():
    """With LOG_UOP_BUFF_SIZE 14 the GEMM first word holds 37 + 2*12 bits and the rest follows."""
    c = Config(log_uop_buff_size=14)
    lay_end = 8 + 12 + 13 + 14 + 14
    insn = GemmInsn(iter_out=0, iter_in=(1 << 14) - 1)
    assert _value(encode_insn(insn, c)) == _ones(lay_end - 14, lay_end - 1) | Opcode.GEMM
