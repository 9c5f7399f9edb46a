"""LLVM IR building blocks for the CPU kernels: typed pointer-argument functions, loops, the epilogue."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from llvmlite import ir

I8, I32, I64, F32 = ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.FloatType()
PTR = {"int8": I8.as_pointer(), "int32": I32.as_pointer(), "int64": I64.as_pointer(), "float32": F32.as_pointer()}


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


def tap_bounds(fn: "Fn", out_len: int, in_len: int, stride: int, pad: int, k: ir.Value) -> tuple[ir.Value, ir.Value]:
    """Run-time [lo, hi) of output positions o with 0 <= o*stride - pad + k < in_len (k a loop variable)."""
    b = fn.b
    t = b.sub(c64(pad), k)                                    # need o*stride >= t
    lo = b.select(b.icmp_signed(">", t, c64(0)), b.sdiv(b.add(t, c64(stride - 1)), c64(stride)), c64(0))
    u = b.sub(c64(in_len - 1 + pad), k)                       # need o*stride <= u
    hi = b.select(b.icmp_signed("<", u, c64(0)), c64(0), b.add(b.sdiv(u, c64(stride)), c64(1)))
    hi = fn.smin(hi, c64(out_len))
    return lo, fn.smax(hi, lo)
