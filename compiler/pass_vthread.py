"""Pass inject_virtual_threads: interleave the statements of the virtual threads of each vthread loop."""

from __future__ import annotations

import dataclasses

from .expr import Expr
from .loop_ir import Copy, For, Func, If, Ref, Stmt, map_refs, rewrite, subst


def inject_virtual_threads(func: Func) -> Func:
    """Replace each `vthread t in 0..n` loop by its n threads' statements interleaved one by one.

    Establishes: no vthread loop remains. Loops whose extent does not depend on the
    thread are kept once and interleaved inside (so thread 0's and thread 1's loads of a
    reduction step come before either thread's GEMM, and one thread's GEMM overlaps the
    other's loads); every other statement appears once per thread with t replaced by
    its value, guarded by the thread's condition. A run of consecutive loads is emitted
    thread by thread (all of thread 0's loads, then thread 1's), so thread 0's GEMM can
    start while thread 1's data is still arriving. Block tags get a `.t` suffix, so each
    thread's consumers bind to that thread's loads.
    """
    return func.with_body(rewrite(func.body, _expand))


def _expand(s: Stmt) -> tuple[Stmt, ...] | None:
    if isinstance(s, For) and s.kind == "vthread":
        n = s.extent.value
        return tuple(_interleave(s.body, s.var, [None] * n))
    return None


def _interleave(stmts: tuple[Stmt, ...], var: str, guards: list[Expr | None]) -> list[Stmt]:
    out: list[Stmt] = []
    loads: list[Stmt] = []

    def flush() -> None:
        for v, g in enumerate(guards):
            for s in loads:
                leaf = _thread_copy(s, var, v)
                out.append(If(g, (leaf,)) if g is not None else leaf)
        loads.clear()

    for s in stmts:
        if isinstance(s, Copy) and s.direction == "load":
            loads.append(s)
            continue
        flush()
        if isinstance(s, For) and s.kind == "serial" and not s.extent.depends_on(var):
            out.append(For(s.var, s.extent, tuple(_interleave(s.body, var, guards)), s.kind))
        elif isinstance(s, If) and s.cond.depends_on(var):
            conds = [s.cond.subst({var: v}) for v in range(len(guards))]
            out.extend(_interleave(s.body, var, [c if g is None else g * c for g, c in zip(guards, conds)]))
        elif isinstance(s, If):
            out.append(If(s.cond, tuple(_interleave(s.body, var, guards))))
        else:
            for v, g in enumerate(guards):
                leaf = _thread_copy(s, var, v)
                out.append(If(g, (leaf,)) if g is not None else leaf)
    flush()
    return out


def _thread_copy(s: Stmt, var: str, v: int) -> Stmt:
    s = subst(s, {var: v})

    def rename(r: Ref) -> Ref:
        return dataclasses.replace(r, tag=f"{r.tag}.{v}") if r.tag else r

    return map_refs(s, rename)
