"""Pass inject_dma: block copies -> 2D DMA statements (LOAD with zero padding, STORE)."""

from __future__ import annotations

import dataclasses

from vta.isa.opcodes import MemType

from .errors import CompileError
from .expr import Expr, as_expr, emax, floordiv, var
from .loop_ir import Copy, Dma, DmaGroup, For, Func, Stmt, TensorDecl, rewrite


def inject_dma(func: Func) -> Func:
    """Replace each Copy by a DmaGroup of 2D transfers.

    Establishes: no Copy remains. A region that may leave its tensor in h or w becomes
    one transfer per (n, c) plane with rows y = h and elements x = w, the part outside
    the tensor produced by the DMA's zero padding (y_pad/x_pad). Any other region is
    cut where it stops being contiguous: the innermost dimensions that the region
    covers fully merge into one long row, the next one gives the rows, and loops run
    over the rest. The on-chip side is dense over the region's box (as the ISA's
    LOAD/STORE require). A load with strided rows (Region.row_step) becomes one transfer
    per (n, c) plane whose DRAM row stride skips the unused rows: a DMA row is one run of
    rows (a run of several rows only when the region's columns are whole rows).
    """
    tensors = {t.name: t for t in func.tensors}
    return func.with_body(rewrite(func.body, lambda s: _lower_at(s, tensors) if isinstance(s, Copy) else None))


def _lower_at(c: Copy, tensors: dict[str, TensorDecl]) -> Stmt:
    """`_lower`, with the on-chip side moved to start at the Copy's offset inside its block."""
    g = _lower(c, tensors)
    if c.offset == 0:
        return g
    moved = rewrite(g.body, lambda s: dataclasses.replace(s, sram=s.sram + c.offset) if isinstance(s, Dma) else None)
    return dataclasses.replace(g, body=moved)


def _prod(xs: list[Expr | int]) -> Expr:
    out = as_expr(1)
    for x in xs:
        out = out * x
    return out


def _lower(c: Copy, tensors: dict[str, TensorDecl]) -> Stmt:
    t = tensors[c.region.tensor]
    D = t.shape
    s, e = c.region.starts, c.region.extents
    mem = t.mem if c.direction == "load" else MemType.OUT
    run, step = c.region.row_run, c.region.row_step
    if step > 1 and (c.direction != "load" or c.pad[2] or not (run == 1 or (s[3] == 0 and e[3] == D[3]
                                                                            and not c.pad[3]))):
        raise CompileError(f"internal: a strided-row {c.direction} of {c.region.text()} needs "
                           "loads without row padding, and runs of one row unless its columns are whole rows")
    padded_hw = c.direction == "load" and (c.pad[2] or c.pad[3])
    if padded_hw or step > 1:
        # one transfer per (n, c) plane; strided rows: a DMA row is a run of rows, the DRAM row
        # stride skips `step` tensor rows
        y0 = emax(0, -s[2]) if c.pad[2] else as_expr(0)
        y1 = emax(0, s[2] + e[2] - D[2]) if c.pad[2] else as_expr(0)
        x0 = emax(0, -s[3]) if c.pad[3] else as_expr(0)
        x1 = emax(0, s[3] + e[3] - D[3]) if c.pad[3] else as_expr(0)
        i0, i1 = _loop_var(e[0], "d0"), _loop_var(e[1], "d1")
        offset = ((s[0] + i0) * D[1] + s[1] + i1) * (D[2] * D[3]) + (s[2] + y0) * D[3] + s[3] + x0
        sram = (i0 * e[1] + i1) * e[2] * e[3]
        x, y = e[3] - x0 - x1, e[2] - y0 - y1
        if run > 1:
            x, y = x * run, floordiv(y, run)
        dma = Dma(c.direction, mem, sram, t.name, offset, x, y, as_expr(D[3] * step), (y0, y1, x0, x1))
        body = _wrap(dma, [("d0", e[0]), ("d1", e[1])])
        return DmaGroup(c.direction, c.ref, c.region, body)
    full = [s[j] == 0 and e[j] == D[j] for j in range(4)]
    m = 3
    while m > 0 and full[m]:
        m -= 1
    inner = _prod(list(D[m + 1 :]))
    x = e[m] * inner
    offset = s[m] * inner
    loops: list[tuple[str, Expr]] = []
    if m >= 1:
        y, stride = e[m - 1], as_expr(D[m]) * inner
        offset = offset + s[m - 1] * stride
        sram = as_expr(0)
        for j in range(m - 1):
            ij = _loop_var(e[j], f"d{j}")
            offset = offset + (s[j] + ij) * _prod(list(D[j + 1 :]))
            sram = sram + ij * _prod(list(e[j + 1 :]))
            loops.append((f"d{j}", e[j]))
    else:
        y, stride, sram = as_expr(1), x, as_expr(0)
    dma = Dma(c.direction, mem, sram, t.name, offset, x, y, stride, (as_expr(0),) * 4)
    return DmaGroup(c.direction, c.ref, c.region, _wrap(dma, loops))


def _loop_var(extent: Expr, name: str) -> Expr:
    return as_expr(0) if extent == 1 else var(name)


def _wrap(dma: Dma, loops: list[tuple[str, Expr]]) -> tuple[Stmt, ...]:
    stmt: Stmt = dma
    for name, extent in reversed(loops):
        if extent == 1:
            continue
        stmt = For(name, extent, (stmt,))
    return (stmt,)
