"""The vectorized ALU operations against plain Python arithmetic written here (isa/semantics.md table)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vta.isa import AluOp
from vta.isa.fsim.alu import alu_op

I32 = st.integers(-(1 << 31), (1 << 31) - 1)


def wrap32(v: int) -> int:
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def expected(op: AluOp, a: int, b: int) -> int:
    if op == AluOp.MIN:
        return min(a, b)
    if op == AluOp.MAX:
        return max(a, b)
    if op == AluOp.ADD:
        return wrap32(a + b)
    if op == AluOp.MUL:
        return wrap32(a * b)
    # SHR: exact arithmetic shifting (Python's >> floors), left shifts wrapped to 32 bits; shifting left by
    # 64 gives the same low 32 bits (zero) as any larger amount, which keeps the Python integers small
    return a >> b if b >= 0 else wrap32(a << min(-b, 64))


@pytest.mark.parametrize("op", list(AluOp))
@given(a=st.lists(I32, min_size=1, max_size=16), b=I32)
def test_vector_operand(op, a, b):
    arr = np.array(a, dtype=np.int32)
    barr = np.full_like(arr, b)
    got = alu_op(op, arr, barr)
    assert got.dtype == np.int32
    assert got.tolist() == [expected(op, x, b) for x in a]


@pytest.mark.parametrize("op", list(AluOp))
@given(a=st.lists(I32, min_size=1, max_size=16), imm=st.integers(-(1 << 15), (1 << 15) - 1))
def test_immediate_operand(op, a, imm):
    arr = np.array(a, dtype=np.int32)
    assert alu_op(op, arr, imm).tolist() == [expected(op, x, imm) for x in a]


@pytest.mark.parametrize("amount", [0, 1, 30, 31, 32, 33, 100, -1, -30, -31, -32, -33, -(1 << 31), (1 << 31) - 1])
def test_shift_edges(amount):
    values = [0, 1, -1, 5, -5, (1 << 31) - 1, -(1 << 31), 0x40000000]
    arr = np.array(values, dtype=np.int32)
    got = alu_op(AluOp.SHR, arr, np.full_like(arr, amount))
    assert got.tolist() == [expected(AluOp.SHR, v, amount) for v in values]
