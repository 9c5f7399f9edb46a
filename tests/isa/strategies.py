"""Hypothesis strategies for instructions of a given Config (shared by the isa tests)."""

from hypothesis import strategies as st

from vta.isa import AluInsn, AluOp, Config, FinishInsn, GemmInsn, MemInsn, MemType, Opcode
from vta.isa.fields import Kind
from vta.isa.layout import insn_layout

CONFIGS = [Config(), Config.load("1x32x32"), Config.load("4x16x16"), Config(log_uop_buff_size=13, log_acc_buff_size=16)]


def _field(config: Config, kind: Kind, name: str):
    slot = insn_layout(kind, config).slot(name)
    if slot.field.signed:
        return st.integers(-(1 << (slot.width - 1)), (1 << (slot.width - 1)) - 1)
    return st.integers(0, slot.mask)


def _flags():
    return {n: st.booleans() for n in ("pop_prev_dep", "pop_next_dep", "push_prev_dep", "push_next_dep")}


def instructions(config: Config):
    mem_fields = {n: _field(config, Kind.MEM, n) for n in
                  ("sram_base", "dram_base", "y_size", "x_size", "x_stride", "y_pad_0", "y_pad_1", "x_pad_0", "x_pad_1")}
    mem = st.builds(MemInsn, opcode=st.sampled_from([Opcode.LOAD, Opcode.STORE]),
                    memory_type=st.sampled_from(list(MemType)), **mem_fields, **_flags())
    nest = ("uop_bgn", "uop_end", "iter_out", "iter_in", "dst_factor_out", "dst_factor_in", "src_factor_out",
            "src_factor_in")
    gemm = st.builds(GemmInsn, reset_reg=st.booleans(), **{n: _field(config, Kind.GEMM, n) for n in nest},
                     wgt_factor_out=_field(config, Kind.GEMM, "wgt_factor_out"),
                     wgt_factor_in=_field(config, Kind.GEMM, "wgt_factor_in"), **_flags())
    alu = st.builds(AluInsn, reset_reg=st.booleans(), **{n: _field(config, Kind.ALU, n) for n in nest},
                    alu_opcode=st.sampled_from(list(AluOp)), use_imm=st.booleans(), imm=_field(config, Kind.ALU, "imm"),
                    **_flags())
    finish = st.builds(FinishInsn, **_flags())
    return st.one_of(mem, gemm, alu, finish)
