"""The stream IR: the loop nest unrolled into concrete operations, one per future JIT call group.

Lowering (pass_lower.py) evaluates every loop and expression; the stream passes
then place dynamic blocks in SRAM slots, build micro-op kernels, cut the stream
into synchronize() segments and insert dependency tokens. Each op knows its
pipeline stage and the on-chip resources it reads and writes, which is all the
token pass needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vta.isa.opcodes import MemType, Stage
from vta.jit.kernel import UopKernel

from .loop_ir import BufferDecl, TensorDecl


@dataclass(frozen=True)
class Block:
    """On-chip data an op touches: a static region (buffer, index) or a dynamic block (buffer, key)."""

    buffer: str
    index: int = 0
    key: tuple | None = None


@dataclass
class SDma:
    mem: MemType
    sram: int  # relative to the block's base until planned, then absolute
    tensor: str
    offset: int
    x: int
    y: int
    stride: int
    pads: tuple[int, int, int, int]


@dataclass
class Op:
    """Common part of stream ops: dependency flags filled in by insert_dependency_tokens."""

    pops: list[Stage] = field(default_factory=list, kw_only=True)
    pushes: list[Stage] = field(default_factory=list, kw_only=True)
    waits: list[int] = field(default_factory=list, kw_only=True)  # stream indices of the ops popped from


@dataclass
class SLoad(Op):
    block: Block
    dmas: list[SDma]
    base: int | None = None  # absolute SRAM base of the block, set by the memory planner
    elided: bool = False  # the block is already resident: no transfer
    slot: int = 0

    @property
    def stage(self) -> Stage:
        return Stage.LOAD if self.dmas[0].mem in (MemType.INP, MemType.WGT) else Stage.COMPUTE


@dataclass
class SStore(Op):
    block: Block
    dmas: list[SDma]
    base: int | None = None

    @property
    def stage(self) -> Stage:
        return Stage.STORE


@dataclass
class Operand:
    block: Block
    offset: int
    base: int | None = None  # absolute SRAM index of the block
    load_index: int = -1  # stream index of the load that brought a dynamic block in


@dataclass
class SNest(Op):
    """A GEMM or ALU instruction (or several, when peeled): concrete axes (name, extent, dst, src, wgt)."""

    mode: str
    dst: Operand
    src: Operand | None
    wgt: Operand | None
    axes: list[tuple[str, int, int, int, int]]
    loops: tuple[str, ...]
    reset: bool = False
    alu_op: str = ""
    imm: int | None = None
    kernels: list[UopKernel] = field(default_factory=list)
    part: int = 0  # k > 0: part k of a tail split with its store

    @property
    def stage(self) -> Stage:
        return Stage.COMPUTE


@dataclass
class SSync(Op):
    """End of a synchronize() segment."""

    @property
    def stage(self) -> Stage:
        return Stage.COMPUTE


@dataclass
class Stream:
    name: str
    ops: list[Op]
    buffers: dict[str, BufferDecl]
    tensors: dict[str, TensorDecl]
    config: object = None  # the Config the stream was lowered for
    tile_order: str = "interleaved"  # the Func's `tile_order` attr: "pipelined" for pass_pipeline

    def region_base(self, block: Block, slot: int = 0) -> int:
        b = self.buffers[block.buffer]
        return b.base + (slot if b.dynamic else block.index) * b.region_stride

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for op in self.ops:
            k = type(op).__name__
            out[k] = out.get(k, 0) + 1
        return out


def reorder(stream: Stream, ops: list[Op]) -> None:
    """Make `ops` (stream.ops in a new order, perhaps with new ops such as SSyncs among them) the
    stream's ops, keeping every operand's load_index on the position of its load (operands shared
    between nests move once)."""
    where = {id(op): i for i, op in enumerate(ops)}
    old = stream.ops
    seen: set[int] = set()
    for op in ops:
        if isinstance(op, SNest):
            for o in (op.dst, op.src, op.wgt):
                if o is not None and o.load_index >= 0 and id(o) not in seen:
                    seen.add(id(o))
                    o.load_index = where[id(old[o.load_index])]
    stream.ops = ops
