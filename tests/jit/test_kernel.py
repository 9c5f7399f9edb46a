"""Micro-op kernels: builder rules, encoding to instructions, content identity."""

import numpy as np
import pytest

from vta.isa import AluOp
from vta.jit import JitError, KernelBuilder


def test_gemm_kernel_instruction_mapping():
    k = KernelBuilder.gemm().loop(4, dst=1, src=2, wgt=3).loop(5, dst=6, src=7, wgt=8).uops([0, 1], [2, 3], [4, 5]).build()
    insn = k.instruction(100)
    assert (insn.uop_bgn, insn.uop_end, insn.iter_out, insn.iter_in) == (100, 102, 4, 5)
    assert (insn.dst_factor_out, insn.src_factor_out, insn.wgt_factor_out) == (1, 2, 3)
    assert (insn.dst_factor_in, insn.src_factor_in, insn.wgt_factor_in) == (6, 7, 8)
    assert not insn.reset_reg


def test_single_alu_loop_is_the_inner_loop():
    k = KernelBuilder.alu(AluOp.ADD, imm=3).loop(7, dst=1, src=2).uop(0).build()
    insn = k.instruction(0)
    assert (insn.iter_out, insn.iter_in, insn.dst_factor_in, insn.src_factor_in) == (1, 7, 1, 2)
    assert insn.use_imm and insn.imm == 3 and insn.alu_opcode == AluOp.ADD


def test_single_gemm_loop_is_the_outer_loop():
    insn = KernelBuilder.gemm(reset=True).loop(3, dst=2).uop(0).build().instruction(0)
    assert (insn.iter_out, insn.iter_in, insn.dst_factor_out) == (3, 1, 2) and insn.reset_reg


@pytest.mark.parametrize("dsts, bad", [([1, 1], 1), ([1, 2, 1], 2), ([1, 2, 3, 2], 3)])
def test_dst_may_not_repeat_within_two(dsts, bad):
    with pytest.raises(JitError, match=f"micro-op {bad} writes dst"):
        KernelBuilder.gemm().uops(dsts).build()


def test_dst_may_repeat_after_two():
    assert len(KernelBuilder.gemm().uops([1, 2, 3, 1]).build()) == 4


@pytest.mark.parametrize("build, fragment", [
    (lambda: KernelBuilder.gemm().uop(0).loop(2), "before the first micro-op"),
    (lambda: KernelBuilder.gemm().loop(2).loop(2).loop(2), "at most 2 loop levels"),
    (lambda: KernelBuilder.gemm().build(), "at least one micro-op"),
    (lambda: KernelBuilder.alu(AluOp.ADD, imm=1 << 15), "does not fit 16 signed bits"),
    (lambda: KernelBuilder.alu(AluOp.ADD).uop(0, 0, 1), "no weight index"),
    (lambda: KernelBuilder.gemm().uop(-1), ">= 0"),
    (lambda: KernelBuilder.gemm().loop(0), "extent must be >= 1"),
])
def test_builder_errors(build, fragment):
    with pytest.raises(JitError, match=fragment):
        build()


def test_identity_by_content():
    a = KernelBuilder.gemm().loop(2, src=1).uops(np.arange(3)).build()
    b = KernelBuilder.gemm().loop(2, src=1).uops([0, 1, 2]).build()
    c = KernelBuilder.gemm().loop(2, src=2).uops([0, 1, 2]).build()
    assert a == b and hash(a) == hash(b) and a != c
