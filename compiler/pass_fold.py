"""Pass fold_uop_loops: pick the (up to two) nest axes the instruction iterates; the rest become micro-ops."""

from __future__ import annotations

import dataclasses
from itertools import combinations

from .expr import var
from .loop_ir import For, Func, NestAxis, Stmt, UopNest, rewrite
from .tiling import MAX_LOOP_EXTENT

#: (name, extent, moves dst) per axis, outermost first.
AxisInfo = tuple[str, int, bool]


def hazard_free(uop_axes: list[AxisInfo]) -> bool:
    """Whether the micro-op list (reduction axes outer, dst-moving axes inner) obeys the pipeline rule.

    The rule: no micro-op writes the dst of either of the two micro-ops before it. With
    the dst-moving axes innermost, equal dsts are exactly P apart (P = their product),
    so the list is fine if P >= 3, or if no reduction axis repeats the dsts at all.
    """
    reduce_ = [a for a in uop_axes if not a[2] and a[1] > 1]
    p = 1
    for a in uop_axes:
        if a[2]:
            p *= a[1]
    return not reduce_ or p >= 3


def uop_order(axes: list[AxisInfo], loops: tuple[str, ...]) -> list[AxisInfo]:
    """The micro-op axes of a nest, outermost first: reduction axes, then dst-moving axes."""
    rest = [a for a in axes if a[0] not in loops]
    return [a for a in rest if not a[2]] + [a for a in rest if a[2]]


def plan_fold(axes: list[AxisInfo], outer_only: frozenset[str] = frozenset()) -> tuple[str, ...] | None:
    """The axes (outer, inner) to fold into the instruction, minimizing micro-ops; None if no choice is legal.

    outer_only: axes that should only be the outer loop (a tensor ALU operand's src-moving axes, so
    consecutive micro-ops read one src); if no legal choice keeps them there, they are unconstrained.
    """
    live = [a for a in axes if a[1] > 1]
    pinned = [a[0] for a in live if a[0] in outer_only]
    if pinned:
        kept = _plan_fold(live, axes, lambda names: len(names) == 2 and pinned == [names[0]])
        if kept is not None:
            return kept
    return _plan_fold(live, axes, lambda names: True)


def _plan_fold(live: list[AxisInfo], axes: list[AxisInfo], allowed) -> tuple[str, ...] | None:
    """plan_fold over the choices of loop names `allowed` accepts."""
    best: tuple[int, int, tuple[str, ...]] | None = None
    for k in (2, 1, 0):
        for pick in combinations(live, k):
            if any(a[1] > MAX_LOOP_EXTENT for a in pick):
                continue
            names = tuple(a[0] for a in pick)
            if not allowed(names):
                continue
            rest = uop_order(axes, names)
            if not hazard_free(rest):
                continue
            count = 1
            for a in rest:
                count *= a[1]
            key = (count, -k, names)
            if best is None or key[:2] < best[:2]:
                best = key
    return best[2] if best else None


def fold_uop_loops(func: Func) -> Func:
    """Decide, for every micro-op nest, which axes the instruction's outer/inner loops take.

    Establishes: every UopNest has `loops` (at most two axis names, outer first), chosen
    for the full tile so that the micro-op list is as short as possible and obeys the
    pipeline hazard rule (kernel.py enforces it). When no choice obeys it (a tiny tile
    with a long reduction), reduction axes are peeled into loops of instructions.
    Lowering re-checks the choice with each edge tile's real extents.
    """
    return func.with_body(rewrite(func.body, lambda s: _fold(s) if isinstance(s, UopNest) else None))


def _info(a: NestAxis) -> AxisInfo:
    moves = not (a.dst.is_const and a.dst.const == 0)
    return (a.var, a.nominal, moves)


def _fold(nest: UopNest) -> Stmt:
    if nest.loops is not None:
        return nest
    tensor_alu = nest.mode == "alu" and nest.src is not None
    outer_only = frozenset(a.var for a in nest.axes if tensor_alu and not (a.src.is_const and a.src.const == 0))
    loops = plan_fold([_info(a) for a in nest.axes], outer_only)
    if loops is not None:
        return dataclasses.replace(nest, loops=loops)
    reductions = sorted((a for a in nest.axes if not _info(a)[2] and a.nominal > 1), key=lambda a: -a.nominal)
    a = reductions[0]
    v = var(a.var)
    inner = dataclasses.replace(
        nest, axes=tuple(b for b in nest.axes if b.var != a.var),
        dst=dataclasses.replace(nest.dst, base=nest.dst.base + v * a.dst),
        src=dataclasses.replace(nest.src, base=nest.src.base + v * a.src) if nest.src else None,
        wgt=dataclasses.replace(nest.wgt, base=nest.wgt.base + v * a.wgt) if nest.wgt else None)
    return For(a.var, a.extent, (_fold(inner),))
