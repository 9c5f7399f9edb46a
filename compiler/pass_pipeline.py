"""Pass pipeline_virtual_threads: reorder a two-thread stream into a software pipeline across tiles.

With dual issue (vta_hw/rtl/vta_compute.sv) the GEMM unit and the ALU unit overlap when they
work in different ACC banks, and each virtual thread lives in its own bank (acc_banks.py).
Each tile f (thread t(f), tiles alternating between the threads) is three segments of its
thread's ops:

    I_f   init: the ops before the tile's first convolution GEMM (its loads, the reset or the
          MIN-init parts; a MIN-init part waits for the matching store part of the thread's
          previous tile)
    G_f   the convolution GEMMs (with the loads between them)
    T_f   tail: the epilogue after the last convolution GEMM through the stores (split into
          parts, each ending with its store part, by schedule_conv)

The pipelined order is

    I_0, G_0, I_1, T_0, G_1, I_2, T_1, G_2, I_3, T_2, ...

so a thread's tail comes before the other thread's next GEMM in program order (its token
pushes, which wait for every older compute instruction, do not wait for that GEMM), and a
thread's next init comes right after the other thread's GEMM (it waits for its own stores,
which run while that GEMM does). The ALU unit runs T_f and I_{f+2} while the GEMM unit runs
G_{f+1}. When two consecutive tiles belong to the same thread (an odd tile count with an
outer tile loop), T_f goes before I_{f+1}: each thread's ops keep their order, and threads
share nothing but read-only blocks, so every op sees the data the in-order program gave it.
One exception fills the pipeline sooner: the accumulator resets that lead I_1 move up
beside those leading I_0 (the GEMM unit clears thread 1's bank while the ALU initialises
thread 0's, rather than after G_0); they are thread 1's first compute ops, so its order holds.
"""

from __future__ import annotations

from .stream import Op, SLoad, SNest, SStore, Stream, reorder


def pipeline_virtual_threads(stream: Stream) -> Stream:
    """Reorder a two-thread tile stream (`stream.tile_order == "pipelined"`) into I_0 G_0 I_1 T_0 G_1 I_2 T_1 ...

    Establishes: each thread's tail precedes the other thread's next GEMMs and each thread's
    init follows the other thread's GEMMs (module docstring); each thread's ops keep their
    order. Static loads go first (sink_static_loads then puts each before its reader). A stream
    whose shape is not recognised (one thread, a tile without a store) is left as it is.
    """
    if stream.tile_order != "pipelined":
        return stream
    tiles = _tiles(stream)
    if tiles is None:
        return stream
    static, segs = tiles
    out: list[Op] = list(static)
    if len(segs) > 1 and segs[1][0] != segs[0][0]:
        # both threads' first resets lead: the GEMM unit clears the second bank while the ALU
        # initialises the first, instead of after the first tile's GEMMs
        resets = _leading_resets(segs[0][1]) + _leading_resets(segs[1][1])
        out += resets
        moved = {id(op) for op in resets}
        segs[:2] = [(t, [op for op in init if id(op) not in moved], gemm, tail) for t, init, gemm, tail in segs[:2]]
    out += segs[0][1]
    for n, (thread, init, gemm, tail) in enumerate(segs):
        out += gemm
        nxt = segs[n + 1] if n + 1 < len(segs) else None
        if nxt is not None and nxt[0] != thread:
            out += nxt[1] + tail
        else:
            out += tail + (nxt[1] if nxt is not None else [])
    if len(out) != len(stream.ops):
        return stream
    reorder(stream, out)
    return stream


def _leading_resets(ops: list[Op]) -> list[Op]:
    """The accumulator resets (GEMM reset nests) before the first other nest of `ops`."""
    out = []
    for op in ops:
        if isinstance(op, SNest):
            if not (op.mode == "gemm" and op.reset):
                break
            out.append(op)
    return out


def _is_main_gemm(stream: Stream, op: Op) -> bool:
    """A convolution GEMM: it reads a dynamic (loaded per tile) weight block."""
    return (isinstance(op, SNest) and op.mode == "gemm" and not op.reset and op.wgt is not None
            and stream.buffers[op.wgt.block.buffer].dynamic)


def _tiles(stream: Stream) -> tuple[list[Op], list[tuple[int, list[Op], list[Op], list[Op]]]] | None:
    """(static loads, [(thread, I, G, T)] in the order of the tiles' first GEMMs), or None when the stream
    is not two threads of init / GEMMs / tail-through-stores tiles."""
    ops = stream.ops
    stores = {op.block.buffer for op in ops if isinstance(op, SStore)}
    if len(stores) != 1:
        return None
    region = stores.pop()
    if stream.buffers[region].count != 2:
        return None
    consumer: dict[int, int] = {}  # load index -> thread of its first reader
    thread: list[int | None] = [None] * len(ops)
    for i, op in enumerate(ops):
        if isinstance(op, SNest):
            if op.dst.block.buffer != region:
                return None
            thread[i] = op.dst.block.index
            for o in (op.src, op.wgt):
                if o is not None and o.load_index >= 0:
                    consumer.setdefault(o.load_index, thread[i])
        elif isinstance(op, SStore):
            thread[i] = op.block.index
    static: list[Op] = []
    per: dict[int, list[tuple[int, Op]]] = {0: [], 1: []}
    for i, op in enumerate(ops):
        if isinstance(op, SLoad) and not stream.buffers[op.block.buffer].dynamic:
            static.append(op)
            continue
        t = thread[i] if thread[i] is not None else consumer.get(i)
        if t not in per:
            return None
        per[t].append((i, op))
    segs = []
    for t, seq in per.items():
        mains = [n for n, (_, op) in enumerate(seq) if _is_main_gemm(stream, op)]
        if not mains:
            return None
        # runs of main GEMMs: a run ends where a store follows before the next main GEMM
        runs: list[list[int]] = [[mains[0], mains[0]]]
        for a, b in zip(mains, mains[1:]):
            if any(isinstance(op, SStore) for _, op in seq[a + 1:b]):
                runs.append([b, b])
            else:
                runs[-1][1] = b
        start = 0
        for r, (first, last) in enumerate(runs):
            end = runs[r + 1][0] if r + 1 < len(runs) else len(seq)
            between = seq[last + 1:end]
            cut = max((n for n, (_, op) in enumerate(between) if isinstance(op, SStore)), default=None)
            if cut is None:
                return None
            if r + 1 == len(runs):
                cut = len(between) - 1
            ops_of = lambda part: [op for _, op in part]  # noqa: E731
            segs.append((seq[first][0], t, ops_of(seq[start:first]), ops_of(seq[first:last + 1]),
                         ops_of(between[:cut + 1])))
            start = last + 1 + cut + 1
    segs.sort(key=lambda s: s[0])
    return static, [s[1:] for s in segs]
