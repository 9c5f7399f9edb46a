"""Passes tensorize_gemm and tensorize_alu: compute statements -> micro-op nests (UopNest)."""

from __future__ import annotations

from .errors import CompileError
from .expr import Expr, as_expr, var
from .loop_ir import Access, Axis, Contract, Elementwise, Fill, For, Func, NestAxis, Stmt, UopNest, rewrite

#: Elementwise op -> ALU instructions as (opcode, immediate from the statement's operand).
#: copy without a source refreshes OUT in place (SHR 0, as upstream); with a source it is MUL 0, ADD src.
ALU_EXPANSION = {
    "add": [("add", "arg")], "mul": [("mul", "arg")], "min": [("min", "arg")], "max": [("max", "arg")],
    "shr": [("shr", "arg")], "shl": [("shr", "neg")], "clip": [("max", "lo"), ("min", "hi")],
    "relu": [("max", 0)], "copy": [("shr", 0)], "copy_from": [("mul", 0), ("add", "arg")],
}
ALU_OPS = tuple(k for k in ALU_EXPANSION if k != "copy_from")


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
                            nest.reset, nest.alu_op, nest.imm, nest.loops, nest.note, nest.part)
            return For(a.var, a.extent, (_peel_diagonal(inner),))
    return nest


def _shift(acc: Access | None, delta: Expr) -> Access | None:
    if acc is None:
        return None
    return Access(acc.ref, acc.base + delta, acc.steps)


def tensorize_alu(func: Func) -> Func:
    """Replace Elementwise statements by ALU micro-op nests.

    Establishes: no Elementwise remains. add/mul/min/max/shr map to one ALU instruction
    each, shl to SHR by the negated amount, clip to MAX lo then MIN hi, relu to MAX 0,
    copy to SHR 0 in place (which rewrites OUT) or, from another ACC region, MUL 0 then
    ADD. An immediate sets use_imm; a tensor operand lives in ACC and is read through
    the nest's src index (e.g. the bias, broadcast by a zero step over pixels).
    """
    def fn(s: Stmt):
        if not isinstance(s, Elementwise):
            return None
        if s.op not in ALU_OPS:
            raise CompileError(f"{func.name}: elementwise op {s.op!r} has no ALU opcode (have {', '.join(ALU_OPS)})")
        no_operand = s.op in ("relu", "copy")
        if s.op == "copy" and s.src is not None:
            steps = ALU_EXPANSION["copy_from"]
        elif no_operand and (s.imm is not None or s.src is not None):
            raise CompileError(f"{func.name}: elementwise {s.op} takes no operand")
        elif not no_operand and (s.imm is None) == (s.src is None):
            raise CompileError(f"{func.name}: elementwise {s.op} needs exactly one of an immediate and a tensor operand")
        else:
            steps = ALU_EXPANSION[s.op]
        nests = []
        for opcode, arg in steps:
            src = s.src if arg == "arg" else None
            if arg == "arg":
                imm = s.imm
            elif arg == "neg":
                imm = -s.imm
            elif arg in ("lo", "hi"):
                imm = s.imm[0 if arg == "lo" else 1]
            else:
                imm = arg
            nests.append(UopNest("alu", s.dst, src, None, tuple(_nest_axes(s.axes, s.dst, src, None)),
                                 alu_op=opcode, imm=imm if src is None else None, note=s.note,
                                 part=s.part))
        return tuple(nests)

    return func.with_body(rewrite(func.body, fn))
