"""Pass inject_virtual_threads: interleave the statements of the virtual threads of each vthread loop."""

from __future__ import annotations

import dataclasses

from .expr import Expr, lt
from .expr import var as var_expr
from .loop_ir import Contract, Copy, Elementwise, For, Func, If, Ref, Stmt, map_refs, rewrite, subst, walk


def inject_virtual_threads(func: Func) -> Func:
    """Replace each `vthread t in 0..n` loop by its n threads' statements, interleaved where that overlaps work.

    Establishes: no vthread loop remains. Loops whose extent does not depend on the
    thread are kept once and interleaved inside (so thread 0's and thread 1's loads of a
    reduction step come before either thread's GEMM, and one thread's GEMM overlaps the
    other's loads); a run of consecutive loads is emitted thread by thread (all of thread
    0's loads, then thread 1's), so thread 0's GEMM can start while thread 1's data is
    still arriving. The tail (the ALU statements after the last load and the last GEMM,
    through the store) is emitted thread by thread, so a thread's store overlaps the next
    thread's tail. An ALU init (statements before the first GEMM; it writes OUT, so it
    waits for its region's previous store) of every thread but the first sits just before
    that thread's first GEMM of the tile (guarded to the first reduction step), so the
    compute stage runs the first thread's GEMM meanwhile; resets (ACC only) stay put.
    Block tags get a `.t` suffix, so each thread's consumers bind to that thread's loads.
    This is the "interleaved" tile order; a Func marked `tile_order="pipelined"` (schedule_conv)
    is reordered after lowering by pass_pipeline.pipeline_virtual_threads into a software
    pipeline across tiles (I_0 G_0 I_1 T_0 G_1 I_2 T_1 ...: a thread's tail before the other
    thread's next GEMM, its next init right after that GEMM), which this order only feeds.
    """
    return func.with_body(rewrite(func.body, _expand))


def _expand(s: Stmt) -> tuple[Stmt, ...] | None:
    if isinstance(s, For) and s.kind == "vthread":
        n = s.extent.value
        return tuple(_Interleaver(s.var, n).run(s.body, [None] * n, None))
    return None


def _and(a: Expr | None, b: Expr | None) -> Expr | None:
    return b if a is None else a if b is None else a * b


def _guarded(g: Expr | None, s: Stmt) -> Stmt:
    return If(g, (s,)) if g is not None else s


def _is_load(s: Stmt) -> bool:
    return isinstance(s, Copy) and s.direction == "load"


def _contains(s: Stmt, pred) -> bool:
    return any(pred(x) for x in walk((s,)))


def _is_gemm(s: Stmt) -> bool:
    return isinstance(s, Contract)


class _Interleaver:
    """The state of one vthread loop's expansion: the deferred inits (per thread, with their guard)."""

    def __init__(self, var: str, n: int):
        self.var = var
        self.pending: list[list[tuple[Stmt, Expr | None]]] = [[] for _ in range(n)]

    def emit_pending(self, out: list[Stmt], v: int, first: Expr | None) -> None:
        for s, g in self.pending[v]:
            out.append(_guarded(_and(g, first), s))
        self.pending[v].clear()

    def flush_pending(self, out: list[Stmt], first: Expr | None) -> None:
        for v in range(len(self.pending)):
            self.emit_pending(out, v, first)

    def run(self, stmts: tuple[Stmt, ...], guards: list[Expr | None], first: Expr | None) -> list[Stmt]:
        """`stmts` for every thread; `first`: the condition (None: always) under which a deferred init runs here."""
        var = self.var
        out: list[Stmt] = []
        loads: list[Stmt] = []

        def flush() -> None:
            for v, g in enumerate(guards):
                for s in loads:
                    out.append(_guarded(g, _thread_copy(s, var, v)))
            loads.clear()

        # tail: the ALU statements after the last load and the last GEMM, through a store, go thread by thread
        last = max((i for i, s in enumerate(stmts) if _contains(s, _is_load) or _contains(s, _is_gemm)), default=-1)
        tail = stmts[last + 1:]
        if not any(isinstance(x, Copy) and x.direction == "store" for x in walk(tail)):
            tail = ()
        head = stmts[:len(stmts) - len(tail)]
        # init: compute statements before the first GEMM, deferred for every thread but the first
        first_gemm = next((i for i, s in enumerate(head) if _contains(s, _is_gemm)), None)
        deferred = set()
        if first_gemm is not None and len(guards) > 1:
            deferred = {id(s) for s in head[:first_gemm] if isinstance(s, Elementwise)}

        for s in head:
            if _is_load(s):
                loads.append(s)
                continue
            flush()
            if id(s) in deferred:
                out.append(_guarded(guards[0], _thread_copy(s, var, 0)))
                for v in range(1, len(guards)):
                    self.pending[v].append((_thread_copy(s, var, v), guards[v]))
            elif isinstance(s, For) and s.kind == "serial" and not s.extent.depends_on(var):
                inner = first
                if any(self.pending):
                    if not s.extent.is_const or s.extent.value < 1:
                        self.flush_pending(out, first)
                    else:
                        inner = _and(first, lt(var_expr(s.var), 1))
                out.append(For(s.var, s.extent, tuple(self.run(s.body, guards, inner)), s.kind))
            elif isinstance(s, If) and s.cond.depends_on(var):
                conds = [s.cond.subst({var: v}) for v in range(len(guards))]
                out.extend(self.run(s.body, [c if g is None else g * c for g, c in zip(guards, conds)], first))
            elif isinstance(s, If):
                self.flush_pending(out, first)
                out.append(If(s.cond, tuple(self.run(s.body, guards, first))))
            else:
                for v, g in enumerate(guards):
                    self.emit_pending(out, v, first)
                    out.append(_guarded(g, _thread_copy(s, var, v)))
        flush()
        for v, g in enumerate(guards):
            if tail:
                self.emit_pending(out, v, first)
            for s in tail:
                out.append(_guarded(g, _thread_copy(s, var, v)))
        if deferred:
            self.flush_pending(out, first)
        return out


def _thread_copy(s: Stmt, var: str, v: int) -> Stmt:
    s = subst(s, {var: v})

    def rename(r: Ref) -> Ref:
        return dataclasses.replace(r, tag=f"{r.tag}.{v}") if r.tag else r

    return map_refs(s, rename)
