"""Stream passes: synchronize segments, SRAM slot planning, micro-op kernels, dependency tokens."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from itertools import product

import numpy as np

from vta.isa.opcodes import AluOp, Stage
from vta.jit.kernel import KernelBuilder, UopKernel

from .errors import CompileError
from .pass_fold import MAX_LOOP_EXTENT, hazard_free, plan_fold, uop_order
from .stream import Block, Op, Operand, SLoad, SNest, SStore, SSync, Stream, reorder

#: Cut the stream into synchronize() segments of at most about this many instructions.
SEGMENT_INSNS = 40_000

ALU_OPCODES = {"min": AluOp.MIN, "max": AluOp.MAX, "add": AluOp.ADD, "shr": AluOp.SHR, "mul": AluOp.MUL}


def insn_estimate(op: Op) -> int:
    if isinstance(op, (SLoad, SStore)):
        return len(op.dmas)
    if isinstance(op, SNest):
        return 2 * max(1, len(op.kernels))
    return 0


# ---------------------------------------------------------------------- sink_static_loads
def sink_static_loads(stream: Stream) -> Stream:
    """Move each load-stage load of a static block (identity, constant INP) to just before its first reader.

    Establishes: no static INP/WGT load sits ahead of work that does not need it. The
    prologue loads its constants before the first tile; in the in-order load queue that
    delays the first tile's input and weights, and so the first GEMM, by the transfer.
    Static blocks are written by nothing else, so the move changes no result. ACC
    constants (bias, MIN-init values) stay at the start: the compute stage runs their
    loads, and a LOAD ACC waits for both compute units to drain (vta_compute), which is
    free before the first nest and costs a pipeline bubble anywhere later.
    """
    static = {name for name, b in stream.buffers.items() if not b.dynamic}
    is_static = lambda op: (isinstance(op, SLoad) and op.block.buffer in static  # noqa: E731
                            and op.stage == Stage.LOAD)
    loads = [op for op in stream.ops if is_static(op)]
    out = [op for op in stream.ops if not is_static(op)]
    for load in loads:
        at = next((i for i, op in enumerate(out) if isinstance(op, SSync) or (isinstance(op, SNest) and any(
            o is not None and o.block == load.block for o in (op.dst, op.src, op.wgt)))), len(out))
        out.insert(at, load)
    reorder(stream, out)
    return stream


# ---------------------------------------------------------------------- split_synchronize
def split_synchronize(stream: Stream, limit: int | None = None) -> Stream:
    """Cut the stream into segments that each end in a synchronize() (SSync ops).

    Establishes: no segment is much longer than `limit` instructions. A cut goes right
    after a store (pipelined order: or a GEMM), at a point where no later micro-op nest
    reads a block loaded before the cut, so a segment never depends on a transfer of an
    earlier one. (SRAM contents, e.g. the bias in ACC, persist between runs:
    isa/semantics.md.)
    """
    limit = SEGMENT_INSNS if limit is None else limit
    ops = stream.ops
    total = sum(insn_estimate(op) for op in ops)
    if total <= limit:
        return stream
    n = len(ops)
    earliest_def = [n] * (n + 1)  # min load index over dynamic reads at positions >= p
    for p in range(n - 1, -1, -1):
        m = earliest_def[p + 1]
        op = ops[p]
        if isinstance(op, SNest):
            for o in (op.src, op.wgt):
                if o is not None and o.load_index >= 0:
                    m = min(m, o.load_index)
        earliest_def[p] = m
    # The interleaved order has such points after a store. The pipelined order (pass_pipeline) loads the
    # next tile before the previous tile's tail and stores, so there the cut goes after a GEMM instead.
    if stream.tile_order == "pipelined":
        cut_after = lambda op: isinstance(op, SStore) or (isinstance(op, SNest) and op.mode == "gemm")  # noqa: E731
    else:
        cut_after = lambda op: isinstance(op, SStore)  # noqa: E731
    out: list[Op] = []
    run = 0
    for p, op in enumerate(ops):
        out.append(op)
        run += insn_estimate(op)
        if run >= limit and cut_after(op) and earliest_def[p + 1] >= p + 1 and p + 1 < n:
            out.append(SSync())
            run = 0
    reorder(stream, out)
    return stream


# ---------------------------------------------------------------------- assign_sram_slots
def assign_sram_slots(stream: Stream) -> Stream:
    """Place every dynamic block in a slot of its buffer and drop loads of blocks already there.

    Establishes: every load, store and nest operand has an absolute SRAM base. Slots are
    chosen by furthest next access (Belady), so a block that is still resident when it
    is needed again (the weights of a layer that fits, an input window shared by two
    output-channel tiles) is loaded once, except that a load never goes to the slot
    the latest GEMM reads while another slot can take it: overlapping that GEMM
    (double buffering) is worth more than keeping a block for a later reuse. Evicting a block that is read again before it
    is reloaded would be a schedule bug and raises.
    """
    ops = stream.ops
    accesses: dict[tuple[str, tuple], list[int]] = {}  # (buffer, key) -> indices of loads and reads
    reads_at: dict[tuple[str, tuple], set[int]] = {}
    for i, op in enumerate(ops):
        if isinstance(op, SLoad) and op.block.key is not None:
            accesses.setdefault((op.block.buffer, op.block.key), []).append(i)
        elif isinstance(op, SNest):
            for o in (op.src, op.wgt):
                if o is not None and o.block.key is not None:
                    k = (o.block.buffer, o.block.key)
                    accesses.setdefault(k, []).append(i)
                    reads_at.setdefault(k, set()).add(i)
    contents: dict[str, list[tuple | None]] = {}
    last_read_slot: dict[str, int] = {}

    def reset() -> None:
        contents.clear()
        last_read_slot.clear()
        for name, b in stream.buffers.items():
            if b.dynamic:
                contents[name] = [None] * b.count

    reset()
    for i, op in enumerate(ops):
        if isinstance(op, SSync):
            reset()
            continue
        if isinstance(op, SLoad):
            if op.block.key is None:
                op.base = stream.region_base(op.block)
                continue
            slots = contents[op.block.buffer]
            key = op.block.key
            if key in slots:
                op.elided = True
                op.slot = slots.index(key)
            else:
                op.slot = _victim(slots, op.block.buffer, i, accesses, reads_at, stream.name,
                                  last_read_slot.get(op.block.buffer, -1))
                slots[op.slot] = key
            op.base = stream.region_base(op.block, op.slot)
        elif isinstance(op, SStore):
            op.base = stream.region_base(op.block)
        elif isinstance(op, SNest):
            for o in (op.dst, op.src, op.wgt):
                if o is None:
                    continue
                if o.block.key is None:
                    o.base = stream.region_base(o.block)
                else:
                    slots = contents[o.block.buffer]
                    if o.block.key not in slots:
                        raise CompileError(f"{stream.name}: internal schedule error: block {o.block.key} of "
                                           f"{o.block.buffer} is read at op {i} but is not resident")
                    k = slots.index(o.block.key)
                    o.base = stream.region_base(o.block, k)
                    last_read_slot[o.block.buffer] = k
    return stream


def _victim(slots: list, buffer: str, i: int, accesses: dict, reads_at: dict, name: str, protected: int) -> int:
    """The slot a new block goes to.

    An empty slot if any. Otherwise a slot whose block is not read again before it is
    reloaded (evicting anything else would be wrong), preferring (1) not the slot the
    latest GEMM read, so the load overlaps that GEMM instead of waiting for it, (2) the
    furthest next access (Belady: keeps reusable blocks), (3) the least recent use.
    """
    best, best_rank = -1, None
    for s, key in enumerate(slots):
        if key is None:
            return s
        seq = accesses.get((buffer, key), [])
        j = bisect.bisect_right(seq, i)
        nxt = seq[j] if j < len(seq) else 1 << 60
        if nxt < (1 << 60) and nxt in reads_at.get((buffer, key), set()):
            continue  # read again before any reload: must stay
        last = seq[j - 1] if j > 0 else -1
        rank = (s != protected, nxt, -last)
        if best_rank is None or rank > best_rank:
            best, best_rank = s, rank
    if best < 0:
        raise CompileError(f"{name}: internal schedule error: buffer {buffer} needs more than {len(slots)} slots "
                           f"at op {i} (every resident block is read again before it could be reloaded)")
    return best


# ---------------------------------------------------------------------- build_kernels
def build_kernels(stream: Stream) -> Stream:
    """Turn every nest into micro-op kernels with absolute SRAM indices.

    Establishes: each SNest has its UopKernels (several when reduction axes had to be
    peeled into separate instructions). The fold chosen for the full tile is re-checked
    with this instance's extents (edge tiles are smaller) and re-planned if it no longer
    obeys the hazard rule. Kernels with the same micro-ops share one key (whatever their
    instruction), so the runtime loads each set of micro-ops once per synchronize.
    """
    cache: dict[tuple, UopKernel] = {}
    depth = stream.config.uop_depth if stream.config is not None else None
    for op in stream.ops:
        if isinstance(op, SNest):
            op.kernels = _kernels(op, cache)
            for k in op.kernels:
                if depth is not None and len(k) > depth:
                    raise CompileError(f"{stream.name}: a {k.describe()} kernel does not fit the {depth}-entry "
                                       "micro-op buffer; use smaller tiles")
    return stream


def _kernels(op: SNest, cache: dict) -> list[UopKernel]:
    axes = [a for a in op.axes if a[1] > 1]
    infos = [(a[0], a[1], a[2] != 0) for a in axes]
    names = {a[0] for a in axes}
    loops = tuple(n for n in op.loops if n in names)
    if not (all(a[1] <= MAX_LOOP_EXTENT for a in axes if a[0] in loops) and hazard_free(uop_order(infos, loops))):
        loops = plan_fold(infos)
    peel: list[tuple] = []
    while loops is None:
        red = max((a for a in axes if a[2] == 0), key=lambda a: a[1])
        peel.append(red)
        axes = [a for a in axes if a is not red]
        infos = [(a[0], a[1], a[2] != 0) for a in axes]
        loops = plan_fold(infos)
    d0 = op.dst.base + op.dst.offset
    s0 = (op.src.base + op.src.offset) if op.src is not None else 0
    w0 = (op.wgt.base + op.wgt.offset) if op.wgt is not None else 0
    by_name = {a[0]: a for a in axes}
    loop_axes = [by_name[n] for n in loops]
    uop_axes = [by_name[a[0]] for a in uop_order(infos, loops)]
    out = []
    for point in product(*(range(a[1]) for a in peel)):
        dd = d0 + sum(i * a[2] for i, a in zip(point, peel))
        ss = s0 + sum(i * a[3] for i, a in zip(point, peel))
        ww = w0 + sum(i * a[4] for i, a in zip(point, peel))
        key = (op.mode, op.reset, op.alu_op, op.imm, dd, ss, ww,
               tuple(a[1:] for a in loop_axes), tuple(a[1:] for a in uop_axes))
        k = cache.get(key)
        if k is None:
            k = cache[key] = _share_words(_build(op, dd, ss, ww, loop_axes, uop_axes))
        out.append(k)
    return out


def _share_words(k: UopKernel) -> UopKernel:
    """Key a kernel by its micro-op words alone, so kernels that differ only in the instruction
    (GEMM or ALU, opcode, immediate, loops) share one copy in the micro-op buffer.

    The runtime stages and places micro-ops per key and takes everything else from the
    instruction, so the accumulator reset, SHR, MAX and MIN of one tile (all the single
    micro-op (dst=tile base, 0, 0)) cost one LOAD UOP instead of four. That matters more than
    its size suggests: a LOAD UOP runs on the compute stage and shares the read channel with
    the load stage's long transfers, so each one costs the compute stage ~100 cycles or more.
    """
    digest = hashlib.blake2b(digest_size=16)
    for col in (k.dst, k.src, k.wgt):
        digest.update(np.ascontiguousarray(col, dtype=np.int64).tobytes())
    return dataclasses.replace(k, key="uops-" + digest.hexdigest())


def _build(op: SNest, d0: int, s0: int, w0: int, loop_axes: list, uop_axes: list) -> UopKernel:
    if op.mode == "gemm":
        kb = KernelBuilder.gemm(reset=op.reset)
    else:
        kb = KernelBuilder.alu(ALU_OPCODES[op.alu_op], imm=op.imm)
    use_src = op.mode == "gemm" or op.imm is None
    for _, ext, d, s, w in loop_axes:
        kb.loop(ext, dst=d, src=s if use_src else 0, wgt=w)
    dst = np.array([d0], dtype=np.int64)
    src = np.array([s0 if use_src else 0], dtype=np.int64)
    wgt = np.array([w0], dtype=np.int64)
    for _, ext, d, s, w in uop_axes:  # outermost first: row-major grid
        r = np.arange(ext, dtype=np.int64)
        dst = (dst[:, None] + r * d).reshape(-1)
        src = (src[:, None] + r * (s if use_src else 0)).reshape(-1)
        wgt = (wgt[:, None] + r * w).reshape(-1)
    kb.uops(dst, src, wgt)
    return kb.build()


# ---------------------------------------------------------------------- insert_dependency_tokens
def _out_span(op: Op) -> tuple[tuple[str, int], int, int] | None:
    """The OUT region a store reads or a non-reset nest writes, and the span [lo, hi) of its elements
    (offsets inside the region) that the op may touch."""
    if isinstance(op, SStore):
        return ((op.block.buffer, op.block.index), min(d.sram for d in op.dmas),
                max(d.sram + d.x * d.y for d in op.dmas))
    if isinstance(op, SNest) and not (op.mode == "gemm" and op.reset):
        lo = hi = op.dst.offset
        for a in op.axes:
            lo += min(0, (a[1] - 1) * a[2])
            hi += max(0, (a[1] - 1) * a[2])
        return (op.dst.block.buffer, op.dst.block.index), lo, hi + 1
    return None


def _out_parts(ops: list[Op]) -> dict[int, list[tuple]]:
    """Per op index, the OUT resources it touches: a region cut at every span boundary any op of the
    stream uses, so an op touches only the parts its span covers (a chunk's store, the parts of its chunk)."""
    spans = {i: sp for i, op in enumerate(ops) if (sp := _out_span(op)) is not None}
    cuts: dict[tuple, set[int]] = {}
    for region, lo, hi in spans.values():
        cuts.setdefault(region, set()).update((lo, hi))
    bounds = {region: sorted(c) for region, c in cuts.items()}
    out = {}
    for i, (region, lo, hi) in spans.items():
        b = bounds[region]
        out[i] = [("out", *region, p) for p in b[bisect.bisect_left(b, lo):bisect.bisect_left(b, hi)]]
    return out


def _resources(op: Op, out: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """(reads, writes) of on-chip regions that another pipeline stage may also touch; `out`: its OUT parts."""
    if isinstance(op, SLoad):
        return [], [("sram", op.block.buffer, op.base)]
    if isinstance(op, SStore):
        return out, []
    if isinstance(op, SNest):
        if op.mode == "gemm" and op.reset:
            return [], []  # a reset clears ACC, not OUT: it need not wait for a store of the region
        reads = []
        if op.mode == "gemm":
            reads = [("sram", o.block.buffer, o.base) for o in (op.src, op.wgt)]
        return reads, out
    return [], []


def insert_dependency_tokens(stream: Stream) -> Stream:
    """Order every pair of ops in different stages that touch the same SRAM region, with tokens.

    Establishes: for each op, pops (stages it waits for) and pushes (stages it signals).
    RAW (a GEMM reads a block a load wrote; a store reads OUT an ALU wrote), WAR (a
    load overwrites a slot a GEMM read; a GEMM rewrites an OUT region a store read) and
    WAW are found on the unrolled stream, so dependencies carried from one tile or
    reduction step to the next are found like any other. An edge implied by an earlier
    one of the same stage pair is dropped; an accumulator region is cut into parts at the
    boundaries of the element spans ops touch, so a store of part of a tile waits only for
    the ops that write that part; the remaining edges are ordered the same way
    on both sides, which is what the counting token queues need to pair each pop with
    its push. Tokens never cross a synchronize().
    """
    last_write: dict[tuple, tuple[Stage, int]] = {}
    last_read: dict[tuple, dict[Stage, int]] = {}
    waited: dict[tuple[Stage, Stage], int] = {}
    ops = stream.ops
    parts = _out_parts(ops)
    for i, op in enumerate(ops):
        op.pops, op.pushes, op.waits = [], [], []
        if isinstance(op, SSync):
            last_write.clear()
            last_read.clear()
            waited.clear()
            continue
        if isinstance(op, SLoad) and op.elided:
            continue
        st = op.stage
        reads, writes = _resources(op, parts.get(i, []))
        need: dict[Stage, int] = {}
        for r in reads:
            w = last_write.get(r)
            if w is not None and w[0] != st:
                need[w[0]] = max(need.get(w[0], -1), w[1])
        for r in writes:
            w = last_write.get(r)
            if w is not None and w[0] != st:
                need[w[0]] = max(need.get(w[0], -1), w[1])
            for s2, j in last_read.get(r, {}).items():
                if s2 != st:
                    need[s2] = max(need.get(s2, -1), j)
        for src, j in sorted(need.items()):
            if j > waited.get((src, st), -1):
                ops[j].pushes.append(st)
                op.pops.append(src)
                op.waits.append(j)
                waited[(src, st)] = j
        for r in reads:
            last_read.setdefault(r, {})[st] = i
        for r in writes:
            last_write[r] = (st, i)
            last_read[r] = {}
    return stream


__all__ = ["sink_static_loads", "split_synchronize", "assign_sram_slots", "build_kernels", "insert_dependency_tokens", "Block", "Operand"]
