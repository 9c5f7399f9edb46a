"""CPU kernels of the conv family (conv, dense, conv-transpose, space-to-depth) as LLVM IR.

Conv and dense come in an int8 form (the quantized epilogue) and a float32 form (layers
the user keeps in float), sharing the loop nest.

Loop order for conv: per output channel, an int32 accumulator plane; for each input
channel and kernel tap, a vectorizable row update over the valid output columns (tap
bounds computed at run time, no per-element bounds checks); then the epilogue.
"""

from __future__ import annotations

from llvmlite import ir

from .cpu_ir import F32, I8, I32, Fn, c32, c64, emit_epilogue, tap_bounds
from .graph import Graph, Node


class _IntArith:
    """int8 inputs, int32 accumulation, the quantized epilogue."""

    acc_type = I32

    def __init__(self, fn: Fn, node: Node) -> None:
        self.fn, self.node = fn, node

    def zero(self) -> ir.Constant:
        return c32(0)

    def widen(self, v: ir.Value) -> ir.Value:
        return self.fn.sext32(v)

    def madd(self, acc: ir.Value, x: ir.Value, w: ir.Value) -> ir.Value:
        return self.fn.b.add(acc, self.fn.b.mul(x, w))

    def tail(self, acc: ir.Value, bias: ir.Value, res: ir.Value | None) -> ir.Value:
        return emit_epilogue(self.fn, acc, self.node.attrs["epilogue"], bias, res)


class _FloatArith:
    """float32 throughout: bias, act, residual, post_act (a layer kept in float)."""

    acc_type = F32

    def __init__(self, fn: Fn, node: Node) -> None:
        self.fn, self.node = fn, node

    def zero(self) -> ir.Constant:
        return ir.Constant(F32, 0.0)

    def widen(self, v: ir.Value) -> ir.Value:
        return v

    def madd(self, acc: ir.Value, x: ir.Value, w: ir.Value) -> ir.Value:
        return self.fn.b.fadd(acc, self.fn.b.fmul(x, w))

    def _act(self, v: ir.Value, act: tuple | None) -> ir.Value:
        b = self.fn.b
        if act is None:
            return v
        lo, hi = (0.0, None) if act[0] == "relu" else (act[1], act[2])
        if lo is not None:
            c = ir.Constant(F32, float(lo))
            v = b.select(b.fcmp_ordered("<", v, c), c, v)
        if hi is not None:
            c = ir.Constant(F32, float(hi))
            v = b.select(b.fcmp_ordered(">", v, c), c, v)
        return v

    def tail(self, acc: ir.Value, bias: ir.Value, res: ir.Value | None) -> ir.Value:
        v = self._act(self.fn.b.fadd(acc, bias), self.node.attrs.get("act"))
        if res is not None:
            v = self.fn.b.fadd(v, res)
        return self._act(v, self.node.attrs.get("post_act"))


def gen_qconv(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    return _conv(fn, g, node, _IntArith(fn, node))


def gen_fconv(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    return _conv(fn, g, node, _FloatArith(fn, node))


def _conv(fn: Fn, g: Graph, node: Node, ar: _IntArith | _FloatArith) -> tuple[tuple[str, int], ...]:
    n_, c_, h, w = g.types[node.inputs[0]].shape
    o_, ipg, kh_, kw_ = g.types[node.inputs[1]].shape
    _, _, oh_, ow_ = g.types[node.outputs[0]].shape
    sh, sw = node.attrs["strides"]
    pt, pl, _, _ = node.attrs["pads"]
    opg = o_ // node.attrs.get("group", 1)
    has_res = len(node.inputs) > 3
    x, wt, bias = fn.args[0], fn.args[1], fn.args[2]
    res = fn.args[3] if has_res else None
    out, acc = fn.args[3 + has_res], fn.args[4 + has_res]
    b = fn.b
    plane = oh_ * ow_
    with fn.loop(0, n_, "n") as n:
        with fn.loop(0, o_, "oc") as oc:
            grp = b.udiv(oc, c64(opg)) if opg != o_ else c64(0)
            with fn.loop(0, plane, "z") as p:
                fn.store(ar.zero(), acc, p)
            with fn.loop(0, ipg, "ic") as ic:
                chan = fn.add(b.add(fn.mul(n, c_), fn.mul(grp, ipg)), ic)
                xplane = fn.at(x, fn.mul(chan, h * w))
                wk = fn.at(wt, fn.mul(fn.add(fn.mul(oc, ipg), ic), kh_ * kw_))
                with fn.loop(0, kh_, "kh") as ki:
                    oh0, oh1 = tap_bounds(fn, oh_, h, sh, pt, ki)
                    with fn.loop(0, kw_, "kw") as kj:
                        ow0, ow1 = tap_bounds(fn, ow_, w, sw, pl, kj)
                        wv = ar.widen(fn.load(wk, b.add(fn.mul(ki, kw_), kj)))
                        xoff = b.sub(b.add(fn.mul(ow0, sw), kj), c64(pl))
                        with fn.loop(oh0, oh1, "oh") as oh:
                            ih = b.sub(b.add(fn.mul(oh, sh), ki), c64(pt))
                            xrow = fn.at(xplane, b.add(fn.mul(ih, w), xoff))
                            arow = fn.at(acc, b.add(fn.mul(oh, ow_), ow0))
                            with fn.loop(0, b.sub(ow1, ow0), "t") as t:
                                ptr = fn.at(arow, t)
                                b.store(ar.madd(b.load(ptr), ar.widen(fn.load(xrow, fn.mul(t, sw))), wv), ptr)
            bv = fn.load(bias, oc)
            obase = fn.mul(fn.add(fn.mul(n, o_), oc), plane)
            with fn.loop(0, plane, "p") as p:
                idx = b.add(obase, p)
                r = fn.load(res, idx) if has_res else None
                fn.store(ar.tail(fn.load(acc, p), bv, r), out, idx)
    return (("int32" if ar.acc_type is I32 else "float32", plane),)


def gen_qdense(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    return _dense(fn, g, node, _IntArith(fn, node))


def gen_fdense(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    return _dense(fn, g, node, _FloatArith(fn, node))


def _dense(fn: Fn, g: Graph, node: Node, ar: _IntArith | _FloatArith) -> tuple[tuple[str, int], ...]:
    n_, i_ = g.types[node.inputs[0]].shape
    o_ = g.types[node.inputs[1]].shape[0]
    x, wt, bias, out = fn.args[:4]
    b = fn.b
    with fn.loop(0, n_, "n") as n:
        with fn.loop(0, o_, "o") as o:
            xr, wr = fn.at(x, fn.mul(n, i_)), fn.at(wt, fn.mul(o, i_))
            acc_ptr = fn.var(ar.acc_type, ar.zero())
            with fn.loop(0, i_, "k") as k:
                b.store(ar.madd(b.load(acc_ptr), ar.widen(fn.load(xr, k)), ar.widen(fn.load(wr, k))), acc_ptr)
            fn.store(ar.tail(b.load(acc_ptr), fn.load(bias, o), None), out, fn.add(fn.mul(n, o_), o))
    return ()


def gen_qconvt(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    n_, c_, h, w = g.types[node.inputs[0]].shape
    _, o_, kh_, kw_ = g.types[node.inputs[1]].shape
    _, _, oh_, ow_ = g.types[node.outputs[0]].shape
    sh, sw = node.attrs["strides"]
    pt, pl, _, _ = node.attrs["pads"]
    oph, opw = node.attrs.get("output_padding", (0, 0))
    fh, fw = (h - 1) * sh + kh_ + oph, (w - 1) * sw + kw_ + opw
    x, wt, bias, out, full = fn.args[:5]
    b = fn.b
    with fn.loop(0, n_, "n") as n:
        with fn.loop(0, o_, "oc") as oc:
            with fn.loop(0, fh * fw, "z") as p:
                fn.store(c32(0), full, p)
            with fn.loop(0, c_, "ic") as ic:
                xplane = fn.at(x, fn.mul(fn.add(fn.mul(n, c_), ic), h * w))
                wk = fn.at(wt, fn.mul(fn.add(fn.mul(ic, o_), oc), kh_ * kw_))
                for ki in range(kh_):
                    for kj in range(kw_):
                        wv = fn.sext32(fn.load(wk, ki * kw_ + kj))
                        with fn.loop(0, h, "ih") as ih:
                            frow = fn.at(full, fn.add(fn.mul(ih, sh * fw), ki * fw + kj))
                            xrow = fn.at(xplane, fn.mul(ih, w))
                            with fn.loop(0, w, "iw") as iw:
                                ptr = fn.at(frow, fn.mul(iw, sw))
                                b.store(b.add(b.load(ptr), b.mul(fn.sext32(fn.load(xrow, iw)), wv)), ptr)
            bv = fn.load(bias, oc)
            obase = fn.mul(fn.add(fn.mul(n, o_), oc), oh_ * ow_)
            with fn.loop(0, oh_, "oh") as oh:
                with fn.loop(0, ow_, "ow") as ow:
                    v = fn.load(full, fn.add(b.add(fn.mul(oh, fw), ow), pt * fw + pl))
                    fn.store(emit_epilogue(fn, v, node.attrs["epilogue"], bv), out,
                             b.add(obase, b.add(fn.mul(oh, ow_), ow)))
    return (("int32", fh * fw),)


def gen_space_to_depth(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    n_, c_, h, w = g.types[node.inputs[0]].shape
    hs, ws = node.attrs["out_hw"]
    pt, pl = node.attrs["pads"]
    x, out = fn.args[:2]
    b = fn.b
    with fn.loop(0, n_ * c_, "nc") as nc:
        xplane = fn.at(x, fn.mul(nc, h * w))
        for i in range(2):
            for j in range(2):
                oplane = fn.at(out, fn.mul(fn.add(fn.mul(nc, 4), i * 2 + j), hs * ws))
                with fn.loop(0, hs, "a") as a:
                    ih = fn.add(fn.mul(a, 2), i - pt)
                    rok = b.and_(b.icmp_signed(">=", ih, c64(0)), b.icmp_signed("<", ih, c64(h)))
                    with fn.loop(0, ws, "b") as bb:
                        iw = fn.add(fn.mul(bb, 2), j - pl)
                        ok = b.and_(rok, b.and_(b.icmp_signed(">=", iw, c64(0)), b.icmp_signed("<", iw, c64(w))))
                        v = fn.load(xplane, b.select(ok, b.add(fn.mul(ih, w), iw), c64(0)))
                        fn.store(b.select(ok, v, ir.Constant(I8, 0)), oplane, b.add(fn.mul(a, ws), bb))
    return ()
