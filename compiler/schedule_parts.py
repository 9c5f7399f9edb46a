"""Split tails: a tile's trailing ALU statements, its store and its MIN-init cut into matching parts.

Part c of a tile covers a contiguous range of the flat ACC tile and a box of the output, so
its store waits only for its own ALU ops and overlaps the later parts', and (pipelined order,
pass_pipeline) the thread's next init part c waits only for store part c.
"""

from __future__ import annotations

import dataclasses

from .expr import Expr, as_expr
from .loop_ir import Access, Axis, Copy, Elementwise, Ref, Region, Stmt


def chunk_bounds(ext: list[int], chunks: int) -> tuple[int, int, list[tuple[int, int]]] | None:
    """(dim, stride, [(lo, size)]): a tile of extents `ext` (batch, channel blocks, rows, cols) cut into at
    most `chunks` parts along its outermost dimension longer than 1; each part is the range
    [lo * stride, (lo + size) * stride) of the flat ACC tile. None when there is nothing to cut."""
    dim = next((j for j, e in enumerate(ext) if e > 1), None)
    if chunks < 2 or dim is None:
        return None
    n = min(chunks, ext[dim])
    stride = 1
    for e in ext[dim + 1:]:
        stride *= e
    # larger parts first: the last part's store ends the tile (the next init of the thread waits
    # for it, and the program's end does), so it is the smallest
    q, r = divmod(ext[dim], n)
    sizes = [q + 1] * r + [q] * (n - r)
    return dim, stride, [(sum(sizes[:c]), sizes[c]) for c in range(n)]


def chunked_tail(tail: list[Elementwise], acc_ref: Ref, starts: tuple[Expr, ...], ext: list[int],
                 chunks: int) -> list[Stmt] | None:
    """A tile's trailing immediate ALU statements and store cut into `chunks` parts (`chunk_bounds`: a
    contiguous range of the flat ACC tile and a box of the output): part c's store waits only for
    part c's ALU ops and overlaps the later parts'. None when there is nothing to cut."""
    cut = chunk_bounds(ext, chunks)
    if cut is None or not tail:
        return None
    dim, stride, parts = cut
    out: list[Stmt] = []
    for c, (lo, size) in enumerate(parts):
        off = as_expr(lo * stride)
        axes = (Axis("e", as_expr(size * stride), size * stride),)
        for s in tail:
            note = f"part {c + 1}/{len(parts)} of the tile" + (f"; {s.note}" if s.note else "")
            out.append(dataclasses.replace(s, axes=axes, dst=Access(acc_ref, off, (("e", as_expr(1)),)),
                                           note=note, part=c + 1))
        box_s = tuple(st + lo if j == dim else st for j, st in enumerate(starts))
        box_e = tuple(as_expr(size if j == dim else e) for j, e in enumerate(ext))
        out.append(Copy("store", acc_ref, Region("out", box_s, box_e), offset=off))
    return out


def chunked_init(init: Elementwise, ext: list[int], chunks: int) -> list[Stmt] | None:
    """The MIN-init of a tile of extents `ext` cut like its tail (`chunk_bounds`), so part c writes
    (and waits for the previous store of) only the ACC range of the previous tile's store part c."""
    cut = chunk_bounds(ext, chunks)
    if cut is None:
        return None
    dim, stride, parts = cut
    nb, co, h, w = ext
    out: list[Stmt] = []
    for c, (lo, size) in enumerate(parts):
        sizes = [nb, co, h * w]
        sizes[min(dim, 2)] = size * (w if dim == 2 else 1)
        axes = tuple(Axis(a.var, as_expr(n), n) for a, n in zip(init.axes, sizes))
        src = dataclasses.replace(init.src, base=init.src.base + lo) if dim == 1 else init.src
        dst = dataclasses.replace(init.dst, base=as_expr(lo * stride),
                                  steps=(("nb", as_expr(co * h * w)), ("co", as_expr(h * w)), ("p", as_expr(1))))
        out.append(dataclasses.replace(init, axes=axes, dst=dst, src=src, part=c + 1,
                                       note=f"part {c + 1}/{len(parts)} of the tile; {init.note}"))
    return out
