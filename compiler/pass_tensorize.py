"""Passes tensorize_gemm and tensorize_alu: compute statements -> micro-op nests (UopNest)."""

from __future__ import annotations

from .errors import CompileError
from .expr import Expr, as_expr, var
from .loop_ir import Access, Axis, Contract, Elementwise, Fill, For, Func, NestAxis, Stmt, UopNest, rewrite

ALU_OPS = ("min", "max", "add", "shr", "mul")


def _nest_axes(axes: tuple[Axis, ...], dst: Access, src: Access | None, wgt: Access | None) -> list[NestAxis]:
    zero = as_expr(0)
    return [NestAxis(a.var, a.extent, a.nominal, dst.step(a.var), src.step(a.var) if src else zero,
                     wgt.step(a.var) if wgt else zero) for a in axes]


def _moves(e: Expr) -> bool:
    return not (e.is_const and e.const == 0)


def tensorize_gemm(func: Func) -> Func:
    """Replace Contract and Fill statements by GEMM micro-op nests.

    Establishes: no Contract or Fill remains. The innermost b/j/k lanes of a
    Contract must be exactly the GEMM intrinsic of the Config (BATCH x BLOCK_IN
    inputs times BLOCK_OUT x BLOCK_IN weights into BATCH x BLOCK_OUT accumulators);
    they disappear into one micro-op, and every other axis becomes a nest axis with
    the index step it gives ACC, INP and WGT. An axis that moves all three indices
    (a group unit) is peeled into a loop of instructions: the rest of the nest then
    factors into row, column and reduction axes, which is what the hardware and the
    simulator's one-matmul-per-instruction path expect. Fill becomes a reset GEMM.
    """
    intrinsic = func.attr("intrinsic")

    def fn(s: Stmt):
        if isinstance(s, Contract):
            if intrinsic is not None and tuple(s.lanes) != tuple(intrinsic):
                raise CompileError(f"{func.name}: cannot tensorize: the statement's lanes (batch, block_out, "
                                   f"block_in) = {s.lanes} do not match the GEMM intrinsic {intrinsic}")
            axes = _nest_axes(s.axes, s.acc, s.inp, s.wgt)
            nest = UopNest("gemm", s.acc, s.inp, s.wgt, tuple(axes), note=s.note)
            return _peel_diagonal(nest)
        if isinstance(s, Fill):
            return UopNest("gemm", s.dst, None, None, tuple(_nest_axes(s.axes, s.dst, None, None)), reset=True,
                           note=s.note)
        return None

    return func.with_body(rewrite(func.body, fn))


def _peel_diagonal(nest: UopNest) -> Stmt:
    for a in nest.axes:
        if _moves(a.dst) and _moves(a.src) and _moves(a.wgt):
            v = var(a.var)
            inner = UopNest(nest.mode, _shift(nest.dst, v * a.dst), _shift(nest.src, v * a.src),
                            _shift(nest.wgt, v * a.wgt), tuple(b for b in nest.axes if b.var != a.var),
                            nest.reset, nest.alu_op, nest.imm, nest.loops, nest.note)
            return For(a.var, a.extent, (_peel_diagonal(inner),))
    return nest


def _shift(acc: Access | None, delta: Expr) -> Access | None:
    if acc is None:
        return None
    return Access(acc.ref, acc.base + delta, acc.steps)


def tensorize_alu(func: Func) -> Func:
    """Replace Elementwise statements by ALU micro-op nests.

    Establishes: no Elementwise remains. add/mul/min/max/shr map to the ALU opcodes
    (a left shift is SHR with a negative amount); an immediate operand sets use_imm,
    a tensor operand must live in ACC and is read through the nest's src index.
    """
    def fn(s: Stmt):
        if not isinstance(s, Elementwise):
            return None
        if s.op not in ALU_OPS:
            raise CompileError(f"{func.name}: elementwise op {s.op!r} has no ALU opcode (have {', '.join(ALU_OPS)})")
        if (s.imm is None) == (s.src is None):
            raise CompileError(f"{func.name}: elementwise {s.op} needs exactly one of an immediate and a tensor operand")
        return UopNest("alu", s.dst, s.src, None, tuple(_nest_axes(s.axes, s.dst, s.src, None)), alu_op=s.op,
                       imm=s.imm, note=s.note)

    return func.with_body(rewrite(func.body, fn))
