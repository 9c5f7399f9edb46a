"""Pass lower_to_stream: unroll the loop nest into the stream IR, evaluating every expression."""

from __future__ import annotations

from .errors import CompileError
from .loop_ir import Dma, DmaGroup, For, Func, If, Ref, Stmt, UopNest
from .stream import Block, Operand, SDma, SLoad, SNest, SStore, Stream

PAD_MAX = 15  # 4-bit pad fields
FIELD_MAX = (1 << 16) - 1  # 16-bit size and stride fields


def lower_to_stream(func: Func) -> Stream:
    """Run the loop nest symbolically: Func -> Stream.

    Establishes: every remaining statement (DmaGroup, UopNest) becomes one stream op
    with concrete integers, in program order. A consumer of a dynamic block refers to
    the contents (tensor region) loaded last under its tag, not to a place in SRAM:
    the memory planner decides places later. Transfers are checked against the ISA's
    field widths here, where the numbers are known (CompileError otherwise).
    """
    lw = _Lowerer(func)
    lw.run(func.body)
    return Stream(func.name, lw.ops, {b.name: b for b in func.buffers}, {t.name: t for t in func.tensors},
                  func.config, str(func.attr("tile_order", "interleaved")))


class _Lowerer:
    def __init__(self, func: Func) -> None:
        self.func = func
        self.env: dict[str, int] = {}
        self.ops: list = []
        self.bound: dict[tuple[str, str], tuple] = {}
        self.bound_at: dict[tuple[str, str], int] = {}
        self.buffers = {b.name: b for b in func.buffers}

    def run(self, stmts: tuple[Stmt, ...]) -> None:
        env = self.env
        for s in stmts:
            t = type(s)
            if t is For:
                n = s.extent.evaluate(env)
                for i in range(n):
                    env[s.var] = i
                    self.run(s.body)
                env.pop(s.var, None)
            elif t is If:
                if s.cond.evaluate(env):
                    self.run(s.body)
            elif t is DmaGroup:
                self.group(s)
            elif t is UopNest:
                self.nest(s)
            else:
                raise CompileError(f"{self.func.name}: cannot lower a {t.__name__} statement "
                                   "(the pass that removes it did not run)")

    def operand(self, ref: Ref, offset: int) -> Operand:
        if self.buffers[ref.buffer].dynamic:
            key = self.bound.get((ref.buffer, ref.tag))
            if key is None:
                raise CompileError(f"{self.func.name}: {ref.text()} is read before any block is loaded under its tag")
            return Operand(Block(ref.buffer, 0, key), offset, load_index=self.bound_at[(ref.buffer, ref.tag)])
        return Operand(Block(ref.buffer, ref.index.evaluate(self.env)), offset)

    def group(self, g: DmaGroup) -> None:
        env = self.env
        key = (g.region.tensor, tuple(e.evaluate(env) for e in g.region.starts),
               tuple(e.evaluate(env) for e in g.region.extents), g.region.row_step, g.region.row_run)
        dmas: list[SDma] = []
        self._dmas(g.body, dmas)
        if self.buffers[g.ref.buffer].dynamic:
            self.bound[(g.ref.buffer, g.ref.tag)] = key
            self.bound_at[(g.ref.buffer, g.ref.tag)] = len(self.ops)
            block = Block(g.ref.buffer, 0, key)
        else:
            block = Block(g.ref.buffer, g.ref.index.evaluate(env))
        self.ops.append(SLoad(block, dmas) if g.direction == "load" else SStore(block, dmas))

    def _dmas(self, stmts: tuple[Stmt, ...], out: list[SDma]) -> None:
        env = self.env
        for s in stmts:
            if type(s) is For:
                for i in range(s.extent.evaluate(env)):
                    env[s.var] = i
                    self._dmas(s.body, out)
                env.pop(s.var, None)
                continue
            d: Dma = s
            x, y, stride = d.x.evaluate(env), d.y.evaluate(env), d.stride.evaluate(env)
            pads = tuple(p.evaluate(env) for p in d.pads)
            if x <= 0 or y < 0 or max(pads) > PAD_MAX or max(x, y, stride) > FIELD_MAX:
                raise CompileError(
                    f"{self.func.name}: a {d.direction} of tensor {d.tensor} needs x_size={x}, y_size={y}, "
                    f"x_stride={stride}, pads={pads}: the DMA fields allow 1..{FIELD_MAX} elements per row, "
                    f"strides up to {FIELD_MAX} and pads up to {PAD_MAX} (a window may not lie wholly in the padding)")
            out.append(SDma(d.mem, d.sram.evaluate(env), d.tensor, d.offset.evaluate(env), x, y, stride, pads))

    def nest(self, n: UopNest) -> None:
        env = self.env
        axes = [(a.var, a.extent.evaluate(env), a.dst.evaluate(env), a.src.evaluate(env), a.wgt.evaluate(env))
                for a in n.axes]
        if any(a[1] <= 0 for a in axes):
            return
        dst = self.operand(n.dst.ref, n.dst.base.evaluate(env))
        src = self.operand(n.src.ref, n.src.base.evaluate(env)) if n.src is not None else None
        wgt = self.operand(n.wgt.ref, n.wgt.base.evaluate(env)) if n.wgt is not None else None
        self.ops.append(SNest(n.mode, dst, src, wgt, axes, n.loops or (), n.reset, n.alu_op, n.imm, part=n.part))
