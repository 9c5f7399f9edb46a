"""encode/decode round trips for several configs, range errors, bulk forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vta.isa import AluInsn, Config, GemmInsn, IsaError, MemType, Uop, decode_insn, encode_insn, load
from vta.isa.encode import decode_columns, decode_program, decode_uops, encode_program, encode_uops, program_words
from vta.isa.fields import Kind

from .strategies import CONFIGS, instructions


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.bitstream)
@given(data=st.data())
def test_round_trip(config, data):
    insn = data.draw(instructions(config))
    raw = encode_insn(insn, config)
    assert len(raw) == 16
    assert decode_insn(raw, config) == insn


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.bitstream)
@given(data=st.data())
def test_columns_agree_with_scalar_decode(config, data):
    insns = data.draw(st.lists(instructions(config), min_size=1, max_size=8))
    words = program_words(encode_program(insns, config))
    for kind in (Kind.GEMM, Kind.ALU, Kind.MEM):
        cols = decode_columns(words, kind, config)
        for i, insn in enumerate(insns):
            if insn.KIND == kind:
                for name, col in cols.items():
                    if name != "opcode":
                        assert int(col[i]) == int(getattr(insn, name)), name


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.bitstream)
def test_uop_round_trip_vectorized(config):
    rng = np.random.default_rng(7)
    n = 100
    d = rng.integers(0, config.acc_depth, n)
    s = rng.integers(0, max(config.acc_depth, config.inp_depth), n)
    w = rng.integers(0, config.wgt_depth, n)
    words = encode_uops(d, s, w, config)
    d2, s2, w2 = decode_uops(words, config)
    assert np.array_equal(d, d2) and np.array_equal(s, s2) and np.array_equal(w, w2)


def test_out_of_range_fields_are_errors():
    c = Config()
    with pytest.raises(IsaError, match="GEMM field uop_bgn=8192 does not fit 13 bits"):
        encode_insn(GemmInsn(uop_bgn=8192), c)
    with pytest.raises(IsaError, match="imm=40000 does not fit 16 signed bits"):
        encode_insn(AluInsn(imm=40000), c)
    with pytest.raises(IsaError, match="MEM field x_size=-1"):
        encode_insn(load(MemType.INP, x_size=-1), c)
    with pytest.raises(IsaError, match="micro-op 1: field dst_idx=2048 does not fit 11 bits"):
        encode_uops(np.array([0, 2048]), np.array([0, 0]), np.array([0, 0]), c)


def test_unknown_opcode_decode_error():
    raw = bytes([5]) + bytes(15)
    with pytest.raises(IsaError, match="unknown opcode 5"):
        decode_insn(raw, Config())
    with pytest.raises(IsaError, match="multiple of 16"):
        decode_program(bytes(20), Config())


def test_uop_scalar_round_trip():
    from vta.isa import decode_uop, encode_uop

    c = Config()
    u = Uop(dst_idx=2047, src_idx=5, wgt_idx=1023)
    assert decode_uop(encode_uop(u, c), c) == u
