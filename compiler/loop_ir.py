"""The loop-nest IR of one operator: declarations, tile loops and block-level statements.

A schedule (schedule_*.py) builds a `Func` whose statements speak about tensors
and on-chip buffers; the passes of pipeline.py rewrite it step by step into
statements that map one-to-one onto runtime JIT calls:

    Copy         tensor region <-> on-chip block       -> (inject_dma)        DmaGroup of Dma
    Contract     scalar multiply-accumulate nest       -> (tensorize_gemm)    UopNest(gemm)
    Fill         zero an accumulator region            -> (tensorize_gemm)    UopNest(gemm, reset)
    Elementwise  ALU op on an accumulator region       -> (tensorize_alu)     UopNest(alu)
    For(kind="vthread")                                -> (inject_virtual_threads) interleaved copies

Every numeric field is an `Expr` over the enclosing loop variables, so a node
prints as what it does for any iteration. `ir_print.print_func` gives the text form.

On-chip references (`Ref`) name a buffer, a region index (the virtual thread
for accumulators) and, for dynamically placed INP/WGT blocks, a tag that ties
a consumer to the Copy that brought its block in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Iterator

from vta.isa.opcodes import MemType

from .expr import Expr, as_expr


# ---------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class TensorDecl:
    """A DRAM tensor of packed elements: `shape` (4 dims) counts elements of memory type `mem`."""

    name: str
    mem: MemType
    shape: tuple[int, int, int, int]
    role: str  # input, weight, bias, residual, output, const

    def text(self) -> str:
        return f"{self.name}: {self.mem.name}[{', '.join(map(str, self.shape))}] ({self.role})"


@dataclass(frozen=True)
class BufferDecl:
    """An on-chip buffer area: `count` regions (ACC: one per virtual thread; INP/WGT: slots) of `elems` each.

    `dynamic` buffers hold blocks placed by the memory planner (pass assign_sram_slots);
    static ones are indexed directly by `Ref.index`, region i at `base + i * stride`
    (`stride` 0: back to back; ACC regions one per bank are further apart, acc_banks.py).
    """

    name: str
    scope: MemType
    base: int
    elems: int
    count: int
    dynamic: bool
    stride: int = 0

    @property
    def region_stride(self) -> int:
        """Distance between the bases of consecutive regions (slots)."""
        return self.stride or self.elems

    def text(self) -> str:
        kind = "slots" if self.dynamic else "regions"
        if self.region_stride == self.elems or self.count == 1:
            return (f"{self.name}: {self.scope.name}[{self.base}:{self.base + self.elems * self.count}] "
                    f"({self.count} {kind} x {self.elems})")
        spans = ", ".join(f"{self.base + i * self.stride}:{self.base + i * self.stride + self.elems}"
                          for i in range(self.count))
        return f"{self.name}: {self.scope.name}[{spans}] ({self.count} {kind} x {self.elems}, {self.stride} apart)"


# ---------------------------------------------------------------------- references
@dataclass(frozen=True)
class Ref:
    """An on-chip block: buffer name, region index (Expr), and tag (dynamic blocks)."""

    buffer: str
    index: Expr = field(default_factory=lambda: as_expr(0))
    tag: str = ""

    def text(self) -> str:
        idx = "" if self.index == 0 and self.tag else f"[{self.index}]"
        return f"{self.buffer}{idx}" + (f"<{self.tag}>" if self.tag else "")


@dataclass(frozen=True)
class Axis:
    """A loop of a compute statement: variable, extent (may shrink at edge tiles), full-tile extent."""

    var: str
    extent: Expr
    nominal: int


@dataclass(frozen=True)
class Access:
    """Element index `base + sum(var * step)` into a referenced block (steps are per Axis variable)."""

    ref: Ref
    base: Expr
    steps: tuple[tuple[str, Expr], ...] = ()

    def step(self, var: str) -> Expr:
        for v, s in self.steps:
            if v == var:
                return s
        return as_expr(0)

    def text(self) -> str:
        parts = [] if self.base == 0 and self.steps else [str(self.base)]
        for v, s in self.steps:
            if s == 0:
                continue
            parts.append(v if s == 1 else f"{v}*{s.text(paren=True)}")
        return f"{self.ref.text()}[{' + '.join(parts) or '0'}]"


@dataclass(frozen=True)
class Region:
    """A box of a DRAM tensor: per-dimension start and extent (may reach outside: zero padding).

    With `row_step` > 1 the rows (dimension 2) are strided: runs of `row_run` consecutive rows
    every `row_step` rows, `extents[2]` rows in all (a whole number of runs), held densely on
    chip. Row i of the block is DRAM row `starts[2] + (i // row_run) * row_step + i % row_run`.
    """

    tensor: str
    starts: tuple[Expr, ...]
    extents: tuple[Expr, ...]
    row_step: int = 1
    row_run: int = 1

    def text(self) -> str:
        dims = []
        for j, (s, e) in enumerate(zip(self.starts, self.extents)):
            d = f"{s}:+{e.text(paren=True)}" if not (s == 0 and e == 1) else "0"
            if j == 2 and self.row_step > 1:
                d += f" step {self.row_step}" + (f" runs of {self.row_run}" if self.row_run > 1 else "")
            dims.append(d)
        return f"{self.tensor}[{', '.join(dims)}]"


# ---------------------------------------------------------------------- statements
class Stmt:
    """Base class of statements (frozen dataclasses)."""


@dataclass(frozen=True)
class For(Stmt):
    var: str
    extent: Expr
    body: tuple[Stmt, ...]
    kind: str = "serial"  # "serial" or "vthread"


@dataclass(frozen=True)
class If(Stmt):
    cond: Expr  # nonzero: run the body
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class Copy(Stmt):
    """Move a tensor region to (load) or from (store) an on-chip block laid out densely over the region's box.

    `pad` says per dimension whether the region may leave the tensor (zero padding, loads only).
    """

    direction: str  # "load" or "store"
    ref: Ref
    region: Region
    pad: tuple[bool, bool, bool, bool] = (False, False, False, False)
    offset: Expr = field(default_factory=lambda: as_expr(0))  # where the dense box starts inside the block


@dataclass(frozen=True)
class Contract(Stmt):
    """acc[b][j] += inp[b][k] * wgt[j][k] for every point of `axes`, lanes b < batch, j < block_out, k < block_in."""

    axes: tuple[Axis, ...]
    acc: Access
    inp: Access
    wgt: Access
    lanes: tuple[int, int, int]  # (batch, block_out, block_in) the schedule computes with
    note: str = ""


@dataclass(frozen=True)
class Fill(Stmt):
    """acc[...][b][j] = 0 over `axes`."""

    axes: tuple[Axis, ...]
    dst: Access
    note: str = ""


@dataclass(frozen=True)
class Elementwise(Stmt):
    """dst = op(dst, imm or src) on every lane, over `axes` (op: see pass_tensorize.ALU_OPS; clip's imm is (lo, hi))."""

    op: str
    axes: tuple[Axis, ...]
    dst: Access
    src: Access | None = None
    imm: int | tuple[int, int] | None = None
    note: str = ""
    part: int = 0  # k > 0: part k of a tail split with its store (schedule_parts.chunked_tail)


@dataclass(frozen=True)
class Dma(Stmt):
    """One 2D LOAD/STORE: `y` rows of `x` elements, DRAM rows `stride` apart, zero pads (y0, y1, x0, x1)."""

    direction: str
    mem: MemType
    sram: Expr  # element offset inside the referenced block
    tensor: str
    offset: Expr  # element offset in the DRAM tensor
    x: Expr
    y: Expr
    stride: Expr
    pads: tuple[Expr, Expr, Expr, Expr]


@dataclass(frozen=True)
class DmaGroup(Stmt):
    """The DMAs that move one block (the unit the memory planner places and dependencies track)."""

    direction: str
    ref: Ref
    region: Region  # identity of the block's contents
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class NestAxis:
    """A micro-op nest axis: extent and the index step it gives dst (ACC), src (INP or ACC) and wgt."""

    var: str
    extent: Expr
    nominal: int
    dst: Expr
    src: Expr
    wgt: Expr


@dataclass(frozen=True)
class UopNest(Stmt):
    """A GEMM or ALU instruction-to-be: bases, axes, and which axes fold into the instruction's two loops."""

    mode: str  # "gemm" or "alu"
    dst: Access
    src: Access | None
    wgt: Access | None
    axes: tuple[NestAxis, ...]
    reset: bool = False
    alu_op: str = ""
    imm: int | None = None
    loops: tuple[str, ...] | None = None  # set by fold_uop_loops: outer, inner
    note: str = ""
    part: int = 0  # from the Elementwise it came from


@dataclass(frozen=True)
class Func:
    """One operator: DRAM tensors, on-chip buffers and the statement list."""

    name: str
    tensors: tuple[TensorDecl, ...]
    buffers: tuple[BufferDecl, ...]
    body: tuple[Stmt, ...]
    attrs: tuple[tuple[str, object], ...] = ()
    config: object = None  # the vta.isa.Config scheduled for

    def tensor(self, name: str) -> TensorDecl:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)

    def buffer(self, name: str) -> BufferDecl:
        for b in self.buffers:
            if b.name == name:
                return b
        raise KeyError(name)

    def attr(self, key: str, default: object = None) -> object:
        return dict(self.attrs).get(key, default)

    def with_body(self, body: tuple[Stmt, ...] | list[Stmt]) -> "Func":
        return dataclasses.replace(self, body=tuple(body))


# ---------------------------------------------------------------------- generic traversal
_FIELDS: dict[type, tuple[str, ...] | None] = {}  # per class: its dataclass field names, None if not one


def _fields(cls: type) -> tuple[str, ...] | None:
    names = _FIELDS.get(cls, ())
    if names == ():
        names = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None
        _FIELDS[cls] = names
    return names


def _map(node, leaf: type, fn: Callable):
    """Rebuild a node with `fn` applied to every instance of `leaf` inside it (dataclasses and tuples)."""
    if isinstance(node, leaf):
        return fn(node)
    if isinstance(node, tuple):
        out = tuple(_map(x, leaf, fn) for x in node)
        return node if all(a is b for a, b in zip(out, node)) else out
    names = _fields(type(node))
    if names is None:
        return node
    changes = {}
    for name in names:
        v = getattr(node, name)
        if isinstance(v, (leaf, tuple)) or _fields(type(v)) is not None:
            nv = _map(v, leaf, fn)
            if nv is not v:
                changes[name] = nv
    return dataclasses.replace(node, **changes) if changes else node


def map_exprs(node, fn: Callable[[Expr], Expr]):
    """Rebuild a node (statement, access, ref, ...) with `fn` applied to every Expr inside it."""
    return _map(node, Expr, fn)


def map_refs(node, fn: Callable[[Ref], Ref]):
    """Rebuild a node with `fn` applied to every Ref inside it."""
    return _map(node, Ref, fn)


def subst(node, mapping: dict[str, Expr | int]):
    """Substitute loop variables inside a node (each distinct expression once: they recur)."""
    memo: dict[int, tuple[Expr, Expr]] = {}

    def one(e: Expr) -> Expr:
        if not e.terms:
            return e
        hit = memo.get(id(e))
        if hit is None:
            hit = memo[id(e)] = (e, e.subst(mapping))  # keeps e alive, so its id is not reused
        return hit[1]

    return map_exprs(node, one)


def walk(stmts: tuple[Stmt, ...]) -> Iterator[Stmt]:
    """Every statement, depth first."""
    for s in stmts:
        yield s
        body = getattr(s, "body", None)
        if isinstance(body, tuple):
            yield from walk(body)


def rewrite(stmts: tuple[Stmt, ...], fn: Callable[[Stmt], Stmt | tuple[Stmt, ...] | None]) -> tuple[Stmt, ...]:
    """Bottom-up rewrite: `fn` returns a replacement (statement or tuple), or None to keep the node."""
    out: list[Stmt] = []
    for s in stmts:
        body = getattr(s, "body", None)
        if isinstance(body, tuple):
            s = dataclasses.replace(s, body=rewrite(body, fn))
        r = fn(s)
        if r is None:
            out.append(s)
        elif isinstance(r, tuple):
            out.extend(r)
        else:
            out.append(r)
    return tuple(out)
