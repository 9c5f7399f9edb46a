"""CPU-side kernels: LLVM IR (llvmlite.ir) for the quantized graph's ops, shapes baked in.

Each kernel is `void k(ptr, ptr, ...)`: the node's inputs (constants included) in
order, its output, then scratch buffers. Identical kernels (same op, shapes and
attributes) are generated once per module: ResNet's repeated layers share code and
differ only in the weight pointers. The integer semantics are quant_ops.py's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from .cpu_ir import F32, I8, I32, I64, PTR, Fn, c32, c64, emit_epilogue
from .cpu_kernels_conv import gen_fconv, gen_fdense, gen_qconv, gen_qconvt, gen_qdense, gen_space_to_depth
from .graph import Graph, Node
from .graph_errors import node_error


@dataclass(frozen=True)
class KernelSpec:
    """How to call one kernel: function name, value arguments (node inputs then outputs), scratch buffers."""

    func: str
    values: tuple[str, ...]
    scratch: tuple[tuple[str, int], ...] = ()  # (dtype, element count)

    @property
    def nargs(self) -> int:
        return len(self.values) + len(self.scratch)


# ---------------------------------------------------------------- generators
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


def _pool_gen(fn: Fn, g: Graph, node: Node) -> tuple[tuple[str, int], ...]:
    if node.attrs.get("global"):
        return gen_global_pool(fn, g, node)
    return gen_pool(fn, g, node)


GENERATORS = {
    "QConv": gen_qconv, "QDense": gen_qdense, "QConvTranspose": gen_qconvt, "QMaxPool": _pool_gen,
    "QAvgPool": _pool_gen, "QLut": gen_lut, "QAdd": gen_binary, "QMul": gen_binary, "QConcat": gen_concat,
    "Conv": gen_fconv, "Dense": gen_fdense, "Transpose": gen_transpose, "SpaceToDepth": gen_space_to_depth, "Quantize": gen_quantize, "Dequantize": gen_dequantize, "Softmax": gen_softmax,
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
    return {"QConv": ["int32"], "QConvTranspose": ["int32"], "Conv": ["float32"]}.get(node.op, [])
