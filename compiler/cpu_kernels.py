"""CPU-side kernels: LLVM IR (llvmlite.ir) for the quantized graph's ops, shapes baked in.

Each kernel is `void k(ptr, ptr, ...)`: the node's inputs (constants included) in
order, its output, then scratch buffers. Identical kernels (same op, shapes and
attributes) are generated once per module: ResNet's repeated layers share code and
differ only in the weight pointers. The integer semantics are quant_ops.py's.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
from llvmlite import ir

from .graph import Graph, Node
from .graph_errors import node_error

I1, I8, I32, I64, F32 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.FloatType()
PTR = {"int8": I8.as_pointer(), "int32": I32.as_pointer(), "int64": I64.as_pointer(), "float32": F32.as_pointer()}


@dataclass(frozen=True)
class KernelSpec:
    """How to call one kernel: function name, value arguments (node inputs then outputs), scratch buffers."""

    func: str
    values: tuple[str, ...]
    scratch: tuple[tuple[str, int], ...] = ()  # (dtype, element count)

    @property
    def nargs(self) -> int:
        return len(self.values) + len(self.scratch)


def c64(v: int) -> ir.Constant:
    return ir.Constant(I64, int(v))


def c32(v: int) -> ir.Constant:
    return ir.Constant(I32, int(v))


class Fn:
    """One kernel function under construction: typed pointer arguments and a builder."""

    def __init__(self, module: ir.Module, name: str, arg_types: list[str]) -> None:
        ftype = ir.FunctionType(ir.VoidType(), [PTR[t] for t in arg_types])
        self.f = ir.Function(module, ftype, name)
        for a in self.f.args:
            a.add_attribute("noalias")
        self.args = list(self.f.args)
        self.entry = self.f.append_basic_block("entry")
        self.b = ir.IRBuilder(self.entry)
        self.module = module

    def var(self, ty: ir.Type, init: ir.Value) -> ir.Value:
        """A stack variable allocated in the entry block (so mem2reg promotes it), set to `init` here."""
        with self.b.goto_block(self.entry):
            p = self.b.alloca(ty)
        self.b.store(init, p)
        return p

    @contextmanager
    def loop(self, start: int | ir.Value, stop: int | ir.Value, name: str = "i") -> Iterator[ir.Value]:
        b = self.b
        start = c64(start) if isinstance(start, int) else start
        stop = c64(stop) if isinstance(stop, int) else stop
        pre = b.block
        head = self.f.append_basic_block(name + ".head")
        body = self.f.append_basic_block(name + ".body")
        end = self.f.append_basic_block(name + ".end")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64, name=name)
        i.add_incoming(start, pre)
        b.cbranch(b.icmp_signed("<", i, stop), body, end)
        b.position_at_end(body)
        yield i
        nxt = b.add(i, c64(1), flags=["nsw"])
        i.add_incoming(nxt, b.block)
        b.branch(head)
        b.position_at_end(end)

    def at(self, ptr: ir.Value, idx: ir.Value | int) -> ir.Value:
        return self.b.gep(ptr, [c64(idx) if isinstance(idx, int) else idx], inbounds=True)

    def load(self, ptr: ir.Value, idx: ir.Value | int) -> ir.Value:
        return self.b.load(self.at(ptr, idx))

    def store(self, val: ir.Value, ptr: ir.Value, idx: ir.Value | int) -> None:
        self.b.store(val, self.at(ptr, idx))

    def sext32(self, v: ir.Value) -> ir.Value:
        return self.b.sext(v, I32)

    def mul(self, a: ir.Value, k: int) -> ir.Value:
        return a if k == 1 else self.b.mul(a, c64(k), flags=["nsw"])

    def add(self, a: ir.Value, k: int | ir.Value) -> ir.Value:
        if isinstance(k, int):
            return a if k == 0 else self.b.add(a, c64(k), flags=["nsw"])
        return self.b.add(a, k, flags=["nsw"])

    def smin(self, a: ir.Value, c: ir.Value) -> ir.Value:
        return self.b.select(self.b.icmp_signed("<", a, c), a, c)

    def smax(self, a: ir.Value, c: ir.Value) -> ir.Value:
        return self.b.select(self.b.icmp_signed(">", a, c), a, c)

    def finish(self) -> None:
        self.b.ret_void()


def emit_epilogue(fn: Fn, acc: ir.Value, steps: tuple, bias: ir.Value | None = None,
                  res: ir.Value | None = None) -> ir.Value:
    """The epilogue steps on an i32 accumulator (VTA ALU arithmetic); returns the i8 kept by STORE."""
    b = fn.b
    for st in steps:
        k = st[0]
        if k == "bias":
            acc = b.add(acc, bias)
        elif k == "shr":
            n = st[1]
            if n >= 0:
                acc = b.ashr(acc, c32(min(n, 31))) if n else acc
            else:
                acc = c32(0) if -n >= 32 else b.shl(acc, c32(-n))
        elif k == "add":
            acc = b.add(acc, c32(st[1]))
        elif k == "mul":
            acc = b.mul(acc, c32(st[1]))
        elif k == "min":
            acc = fn.smin(acc, c32(st[1]))
        elif k == "max":
            acc = fn.smax(acc, c32(st[1]))
        elif k == "clip":
            acc = fn.smin(fn.smax(acc, c32(st[1])), c32(st[2]))
        elif k == "residual":
            acc = b.add(acc, fn.sext32(res))
        else:
            raise ValueError(f"unknown epilogue step {st}")
    return b.trunc(acc, I8)


def _tap_bounds(fn: "Fn", out_len: int, in_len: int, stride: int, pad: int, k: ir.Value) -> tuple[ir.Value, ir.Value]:
    """Run-time [lo, hi) of output positions o with 0 <= o*stride - pad + k < in_len (k a loop variable)."""
    b = fn.b
    t = b.sub(c64(pad), k)                                    # need o*stride >= t
    lo = b.select(b.icmp_signed(">", t, c64(0)), b.sdiv(b.add(t, c64(stride - 1)), c64(stride)), c64(0))
    u = b.sub(c64(in_len - 1 + pad), k)                       # need o*stride <= u
    hi = b.select(b.icmp_signed("<", u, c64(0)), c64(0), b.add(b.sdiv(u, c64(stride)), c64(1)))
    hi = fn.smin(hi, c64(out_len))
    return lo, fn.smax(hi, lo)


def _tap_range(out_len: int, in_len: int, stride: int, pad: int, k: int) -> tuple[int, int]:
    """Output positions o with 0 <= o*stride - pad + k < in_len, as [lo, hi)."""
    lo = max(0, -(-(pad - k) // stride))
    hi = min(out_len, (in_len - 1 + pad - k) // stride + 1)
    return lo, max(lo, hi)


# ---------------------------------------------------------------- generators
def gen_qconv(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
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
                fn.store(c32(0), acc, p)
            with fn.loop(0, ipg, "ic") as ic:
                chan = fn.add(b.add(fn.mul(n, c_), fn.mul(grp, ipg)), ic)
                xplane = fn.at(x, fn.mul(chan, h * w))
                wk = fn.at(wt, fn.mul(fn.add(fn.mul(oc, ipg), ic), kh_ * kw_))
                with fn.loop(0, kh_, "kh") as ki:
                    oh0, oh1 = _tap_bounds(fn, oh_, h, sh, pt, ki)
                    with fn.loop(0, kw_, "kw") as kj:
                        ow0, ow1 = _tap_bounds(fn, ow_, w, sw, pl, kj)
                        wv = fn.sext32(fn.load(wk, b.add(fn.mul(ki, kw_), kj)))
                        xoff = b.sub(b.add(fn.mul(ow0, sw), kj), c64(pl))
                        with fn.loop(oh0, oh1, "oh") as oh:
                            ih = b.sub(b.add(fn.mul(oh, sh), ki), c64(pt))
                            xrow = fn.at(xplane, b.add(fn.mul(ih, w), xoff))
                            arow = fn.at(acc, b.add(fn.mul(oh, ow_), ow0))
                            with fn.loop(0, b.sub(ow1, ow0), "t") as t:
                                xv = fn.sext32(fn.load(xrow, fn.mul(t, sw)))
                                ptr = fn.at(arow, t)
                                b.store(b.add(b.load(ptr), b.mul(xv, wv)), ptr)
            bv = fn.load(bias, oc)
            obase = fn.mul(fn.add(fn.mul(n, o_), oc), plane)
            with fn.loop(0, plane, "p") as p:
                idx = b.add(obase, p)
                r = fn.load(res, idx) if has_res else None
                fn.store(emit_epilogue(fn, fn.load(acc, p), node.attrs["epilogue"], bv, r), out, idx)
    return (("int32", plane),)


def gen_qdense(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    n_, i_ = g.types[node.inputs[0]].shape
    o_ = g.types[node.inputs[1]].shape[0]
    x, wt, bias, out = fn.args[:4]
    b = fn.b
    with fn.loop(0, n_, "n") as n:
        with fn.loop(0, o_, "o") as o:
            xr, wr = fn.at(x, fn.mul(n, i_)), fn.at(wt, fn.mul(o, i_))
            acc_ptr = fn.var(I32, c32(0))
            with fn.loop(0, i_, "k") as k:
                prod = b.mul(fn.sext32(fn.load(xr, k)), fn.sext32(fn.load(wr, k)))
                b.store(b.add(b.load(acc_ptr), prod), acc_ptr)
            v = emit_epilogue(fn, b.load(acc_ptr), node.attrs["epilogue"], fn.load(bias, o))
            fn.store(v, out, fn.add(fn.mul(n, o_), o))
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


def gen_pool(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    n_, c_, h, w = g.types[node.inputs[0]].shape
    _, _, oh_, ow_ = g.types[node.outputs[0]].shape
    x, out = fn.args[0], fn.args[1]
    b = fn.b
    is_max = node.op == "QMaxPool"
    a = node.attrs
    kh_, kw_ = a["kernel"]
    sh, sw = a["strides"]
    pt, pl, pb, pr = a["pads"]
    const_count = a.get("global") or a.get("count_include_pad") or not any(a["pads"])
    if not is_max:
        k = a["shift"]
        mults = ir.GlobalVariable(fn.module, ir.ArrayType(I64, len(a["mults"])), fn.f.name + ".mults")
        mults.global_constant = True
        mults.linkage = "internal"
        mults.initializer = ir.Constant(ir.ArrayType(I64, len(a["mults"])), [int(m) for m in a["mults"]])
        mptr = b.bitcast(mults, I64.as_pointer())
    with fn.loop(0, n_ * c_, "nc") as nc:
        xplane = fn.at(x, fn.mul(nc, h * w))
        with fn.loop(0, oh_, "oh") as oh:
            with fn.loop(0, ow_, "ow") as ow:
                accp = fn.var(I32, c32(-128 if is_max else 0))
                cntp = fn.var(I32, c32(0))
                ih0 = fn.add(fn.mul(oh, sh), -pt)
                iw0 = fn.add(fn.mul(ow, sw), -pl)
                for ki in range(kh_):
                    for kj in range(kw_):
                        ih, iw = fn.add(ih0, ki), fn.add(iw0, kj)
                        ok = b.and_(b.and_(b.icmp_signed(">=", ih, c64(0)), b.icmp_signed("<", ih, c64(h))),
                                    b.and_(b.icmp_signed(">=", iw, c64(0)), b.icmp_signed("<", iw, c64(w))))
                        idx = b.select(ok, b.add(fn.mul(ih, w), iw), c64(0))
                        v = fn.sext32(fn.load(xplane, idx))
                        cur = b.load(accp)
                        if is_max:
                            b.store(b.select(ok, fn.smax(cur, v), cur), accp)
                        else:
                            b.store(b.add(cur, b.select(ok, v, c32(0))), accp)
                            b.store(b.add(b.load(cntp), b.zext(ok, I32)), cntp)
                oidx = b.add(fn.mul(nc, oh_ * ow_), b.add(fn.mul(oh, ow_), ow))
                if is_max:
                    fn.store(b.trunc(b.load(accp), I8), out, oidx)
                else:
                    cnt = c64(kh_ * kw_) if const_count else b.sext(b.load(cntp), I64)
                    _avg_store(fn, b.sext(b.load(accp), I64), cnt, mptr, k, out, oidx)
    return ()


def _avg_store(fn: Fn, s: ir.Value, cnt: ir.Value, mptr: ir.Value, k: int, out: ir.Value, oidx: ir.Value) -> None:
    b = fn.b
    m = fn.load(mptr, cnt)
    v = b.ashr(b.add(b.mul(s, m), c64(1 << (k - 1))), c64(k))
    v = fn.smin(fn.smax(v, c64(-128)), c64(127))
    fn.store(b.trunc(v, I8), out, oidx)


def gen_global_pool(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    n_, c_, h, w = g.types[node.inputs[0]].shape
    x, out = fn.args[0], fn.args[1]
    b = fn.b
    is_max = node.op == "QMaxPool"
    a = node.attrs
    with fn.loop(0, n_ * c_, "nc") as nc:
        xplane = fn.at(x, fn.mul(nc, h * w))
        accp = fn.var(I32, c32(-128 if is_max else 0))
        with fn.loop(0, h * w, "p") as p:
            v = fn.sext32(fn.load(xplane, p))
            b.store(fn.smax(b.load(accp), v) if is_max else b.add(b.load(accp), v), accp)
        if is_max:
            fn.store(b.trunc(b.load(accp), I8), out, nc)
        else:
            k = a["shift"]
            m = c64(a["mults"][h * w] if len(a["mults"]) > h * w else a["mults"][-1])
            v = b.ashr(b.add(b.mul(b.sext(b.load(accp), I64), m), c64(1 << (k - 1))), c64(k))
            fn.store(b.trunc(fn.smin(fn.smax(v, c64(-128)), c64(127)), I8), out, nc)
    return ()


def gen_lut(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    size = g.types[node.inputs[0]].size
    x, table, out = fn.args[:3]
    with fn.loop(0, size, "i") as i:
        idx = fn.add(fn.b.sext(fn.load(x, i), I64), 128)
        fn.store(fn.load(table, idx), out, i)
    return ()


def _strides(shape: tuple[int, ...]) -> list[int]:
    st, acc = [], 1
    for d in reversed(shape):
        st.append(acc)
        acc *= d
    return list(reversed(st))


def _bcast_strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    full = (1,) * (len(out) - len(shape)) + tuple(shape)
    st = _strides(full)
    return [0 if full[k] == 1 and out[k] != 1 else st[k] for k in range(len(out))]


def _nested(fn: Fn, shape: tuple[int, ...], body, idx: list[ir.Value] | None = None) -> None:
    idx = idx or []
    if len(idx) == len(shape):
        body(idx)
        return
    with fn.loop(0, shape[len(idx)], f"d{len(idx)}") as i:
        _nested(fn, shape, body, idx + [i])


def _offset(fn: Fn, idx: list[ir.Value], strides: list[int]) -> ir.Value:
    off = c64(0)
    for i, s in zip(idx, strides):
        if s:
            off = fn.b.add(off, fn.mul(i, s))
    return off


def gen_binary(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    out_shape = g.types[node.outputs[0]].shape or (1,)
    sa_ = _bcast_strides(g.types[node.inputs[0]].shape or (1,), out_shape)
    sb_ = _bcast_strides(g.types[node.inputs[1]].shape or (1,), out_shape)
    so = _strides(out_shape)
    a, bb, out = fn.args[:3]
    b = fn.b
    steps = node.attrs["epilogue"]

    def body(idx: list[ir.Value]) -> None:
        va = fn.sext32(fn.load(a, _offset(fn, idx, sa_)))
        vb = fn.sext32(fn.load(bb, _offset(fn, idx, sb_)))
        if node.op == "QMul":
            acc = b.mul(va, vb)
        else:
            pa, pb_ = node.attrs["pre_shift"]
            va = b.shl(va, c32(pa)) if pa else va
            vb = b.shl(vb, c32(pb_)) if pb_ else vb
            acc = b.sub(va, vb) if node.attrs.get("sign_b", 1) < 0 else b.add(va, vb)
        fn.store(emit_epilogue(fn, acc, steps), out, _offset(fn, idx, so))

    _nested(fn, out_shape, body)
    return ()


def gen_concat(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    out_shape = g.types[node.outputs[0]].shape
    axis = node.attrs["axis"] % len(out_shape)
    outer = int(np.prod(out_shape[:axis]))
    inner = int(np.prod(out_shape[axis + 1:]))
    total = out_shape[axis]
    out = fn.args[len(node.inputs)]
    b = fn.b
    off = 0
    for k, name in enumerate(node.inputs):
        length = g.types[name].shape[axis]
        s = node.attrs["shifts"][k]
        src = fn.args[k]
        with fn.loop(0, outer, "o") as o:
            with fn.loop(0, length * inner, "t") as t:
                v = fn.sext32(fn.load(src, b.add(fn.mul(o, length * inner), t)))
                if s > 0:
                    v = b.ashr(b.add(v, c32(1 << (s - 1))), c32(s))
                elif s < 0:
                    v = b.shl(v, c32(-s))
                v = fn.smin(fn.smax(v, c32(-128)), c32(127))
                fn.store(b.trunc(v, I8), out, b.add(fn.mul(o, total * inner), fn.add(t, off * inner)))
        off += length
    return ()


def gen_transpose(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    in_shape = g.types[node.inputs[0]].shape
    perm = node.attrs["perm"]
    out_shape = g.types[node.outputs[0]].shape
    sin = _strides(in_shape)
    src_strides = [sin[p] for p in perm]
    so = _strides(out_shape)
    x, out = fn.args[:2]
    _nested(fn, out_shape, lambda idx: fn.store(fn.load(x, _offset(fn, idx, src_strides)), out,
                                                _offset(fn, idx, so)))
    return ()


def gen_quantize(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    size = g.types[node.inputs[0]].size
    x, out = fn.args[:2]
    b = fn.b
    floor = fn.module.declare_intrinsic("llvm.floor", [F32])
    scale = ir.Constant(F32, float(2.0 ** node.attrs["exp"]))
    lo, hi = ir.Constant(F32, -128.0), ir.Constant(F32, 127.0)
    with fn.loop(0, size, "i") as i:
        v = b.call(floor, [b.fadd(b.fmul(fn.load(x, i), scale), ir.Constant(F32, 0.5))])
        v = b.select(b.fcmp_ordered("<", v, lo), lo, v)
        v = b.select(b.fcmp_ordered(">", v, hi), hi, v)
        fn.store(b.fptosi(v, I8), out, i)
    return ()


def gen_dequantize(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    size = g.types[node.inputs[0]].size
    x, out = fn.args[:2]
    b = fn.b
    scale = ir.Constant(F32, float(2.0 ** -node.attrs["exp"]))
    with fn.loop(0, size, "i") as i:
        fn.store(b.fmul(b.sitofp(fn.load(x, i), F32), scale), out, i)
    return ()


def gen_softmax(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    shape = g.types[node.inputs[0]].shape
    axis = node.attrs.get("axis", -1) % len(shape)
    if axis != len(shape) - 1:
        raise node_error(node, f"CPU softmax supports only the last axis, got axis {axis}")
    length = shape[-1]
    rows = int(np.prod(shape[:-1]))
    x, out = fn.args[:2]
    b = fn.b
    exp = fn.module.declare_intrinsic("llvm.exp", [F32])
    with fn.loop(0, rows, "r") as r:
        xr, orow = fn.at(x, fn.mul(r, length)), fn.at(out, fn.mul(r, length))
        mp = fn.var(F32, fn.load(xr, 0))
        sp = fn.var(F32, ir.Constant(F32, 0.0))
        with fn.loop(1, length, "k") as k:
            v, m = fn.load(xr, k), b.load(mp)
            b.store(b.select(b.fcmp_ordered(">", v, m), v, m), mp)
        m = b.load(mp)
        with fn.loop(0, length, "k") as k:
            e = b.call(exp, [b.fsub(fn.load(xr, k), m)])
            fn.store(e, orow, k)
            b.store(b.fadd(b.load(sp), e), sp)
        inv = b.fdiv(ir.Constant(F32, 1.0), b.load(sp))
        with fn.loop(0, length, "k") as k:
            fn.store(b.fmul(fn.load(orow, k), inv), orow, k)
    return ()


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


def _pool_gen(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    if node.attrs.get("global"):
        return gen_global_pool(fn, g, node)
    return gen_pool(fn, g, node)


GENERATORS = {
    "QConv": gen_qconv, "QDense": gen_qdense, "QConvTranspose": gen_qconvt, "QMaxPool": _pool_gen,
    "QAvgPool": _pool_gen, "QLut": gen_lut, "QAdd": gen_binary, "QMul": gen_binary, "QConcat": gen_concat,
    "Transpose": gen_transpose, "SpaceToDepth": gen_space_to_depth, "Quantize": gen_quantize, "Dequantize": gen_dequantize, "Softmax": gen_softmax,
}

#: Ops that need no code: the output is the input's buffer with another shape.
VIEW_OPS = ("Reshape", "Squeeze", "Unsqueeze")


def has_kernel(node: Node) -> bool:
    return node.op in GENERATORS


def _signature(g: Graph, node: Node) -> str:
    shapes = [(g.types[i].shape, g.types[i].dtype) if i else None for i in node.inputs + node.outputs]
    attrs = {k: v for k, v in node.attrs.items() if k not in ("in_exp", "w_exp", "out_exp", "func_attrs")}
    return hashlib.sha1(repr((node.op, shapes, sorted(attrs.items(), key=lambda kv: kv[0]))).encode()).hexdigest()[:16]


class CpuCodegen:
    """Collects the CPU kernels of one model into one LLVM module (deduplicated by signature)."""

    def __init__(self, name: str = "vta_cpu") -> None:
        import llvmlite.binding as llvm

        self.module = ir.Module(name)
        self.module.triple = llvm.get_process_triple()
        self._by_sig: dict[str, tuple[str, tuple]] = {}

    def add(self, g: Graph, node: Node) -> KernelSpec:
        gen = GENERATORS.get(node.op)
        if gen is None:
            raise node_error(node, "no CPU kernel for this op (and it cannot run on VTA)")
        for v in node.inputs + node.outputs:
            if v and g.types[v].dtype not in PTR:
                raise node_error(node, f"value {v!r} has dtype {g.types[v].dtype}, which CPU kernels do not take")
        sig = _signature(g, node)
        hit = self._by_sig.get(sig)
        if hit is None:
            fname = f"{node.op.lower()}_{sig}"
            arg_types = [g.types[v].dtype for v in node.inputs + node.outputs]
            fn = Fn(self.module, fname, arg_types + _scratch_types(node))
            scratch = gen(fn, g, node)
            fn.finish()
            hit = self._by_sig[sig] = (fname, scratch)
        return KernelSpec(hit[0], tuple(node.inputs + node.outputs), hit[1])

    def ir_text(self) -> str:
        return str(self.module)


def _scratch_types(node: Node) -> list[str]:
    return ["int32"] if node.op in ("QConv", "QConvTranspose") else []
