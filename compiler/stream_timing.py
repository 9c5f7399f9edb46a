"""Timing of a lowered, tokenized stream op by op (`simulate`), with the costs of cost_model.CostParams.

Stages run their ops in order; an op starts when its stage is free and the ops it pops
tokens from are done; loads share the AXI read channel, stores the write channel.

The compute stage is modelled as the RTL's dual issue (`CostParams.dual_issue`; off:
one in-order unit runs GEMM and ALU instructions, the model before dual issue): it
dispatches in program order to a GEMM and an ALU unit, each running its instructions in
order from a kernel queue of `kernel_queue` entries:

- ACC and OUT have two banks, split by the index's top bit; an instruction's bank set
  (`bank_set`) is that of its dst indices (micro-op dst plus loop offsets), plus its src
  indices for a tensor ALU instruction; an index at or past `acc_depth` counts as both;
- an instruction is dispatched while the other unit has instructions in flight only if
  their bank sets are disjoint, else it waits until they are done;
- token pops happen at dispatch; an instruction's pushes happen once it and every older
  compute instruction completed (up to `push_queue` pending per unit);
- LOAD UOP, LOAD ACC and FINISH wait for both units to drain.
"""

from __future__ import annotations

import numpy as np

from vta.isa.opcodes import MemType, Stage
from vta.jit.kernel import UopKernel

from .cost_model import DEFAULT, CostParams, Prediction
from .stream import SLoad, SNest, SStore, SSync, Stream


def src_repeats(k: UopKernel) -> int:
    """Micro-ops of one run of a kernel whose src equals the src of the micro-op just before (same run).

    Execution order: outer loop, inner loop, then the micro-ops; a loop step moves src by its factor.
    """
    if len(k) == 0:
        return 0
    src = np.asarray(k.src, dtype=np.int64)
    within = int(np.count_nonzero(src[1:] == src[:-1]))
    jump = int(src[-1] - src[0])  # the next run of the micro-ops repeats the src iff its offset moved by this
    loops = [lp for lp in k.loops if lp.extent > 1]
    runs = 1
    for lp in loops:
        runs *= lp.extent
    total = runs * within
    if len(loops) >= 1:
        inner = loops[-1]
        outer_runs = runs // inner.extent
        total += outer_runs * (inner.extent - 1) * int(inner.src == jump)
    if len(loops) == 2:
        outer, inner = loops
        total += (outer.extent - 1) * int(outer.src - (inner.extent - 1) * inner.src == jump)
    return total


def bank_set(k: UopKernel, acc_depth: int) -> int:
    """The ACC/OUT banks a GEMM or ALU instruction running `k` touches: bit 0 the lower half, bit 1 the upper.

    dst indices, and src indices for an ALU kernel without an immediate (a GEMM's src is INP). As the
    hardware, from each operand's lowest and highest index (micro-op index plus loop offsets); an index
    at or past acc_depth counts as both banks. An empty nest (a loop of extent 0) touches none.
    """
    if len(k) == 0 or any(lp.extent == 0 for lp in k.loops):
        return 0
    half = acc_depth // 2
    cols = [(k.dst, "dst")] + ([(k.src, "src")] if k.mode == "alu" and not k.use_imm else [])
    banks = 0
    for col, name in cols:
        lo = int(np.min(col))
        hi = int(np.max(col)) + sum((lp.extent - 1) * getattr(lp, name) for lp in k.loops)
        banks |= 3 if hi >= acc_depth else (1 << (lo >= half)) | (1 << (hi >= half))
    return banks


GEMM_UNIT, ALU_UNIT = 0, 1


class ComputeStage:
    """Dispatch and timing of the compute stage's instructions (dual issue: module docstring).

    Dispatch is in program order; a unit holds up to `queue` instructions waiting behind the one it
    runs, and up to `push_queue` pushes waiting for older instructions to retire. An instruction is
    dispatched once its unit has room, its pops arrived, and none of the other unit's instructions in
    flight shares a bank with it; it starts when its unit is free. Without dual issue both kinds
    share unit 0.
    """

    def __init__(self, dual: bool, queue: int = 8, push_queue: int = 4) -> None:
        self.dual = dual
        self.queue = queue
        self.push_queue = push_queue
        self.free = [0.0, 0.0]  # when each unit's last instruction completes
        self.flight: list[list[tuple[float, int]]] = [[], []]  # per unit: (end, banks), in order
        self.pending: list[list[float]] = [[], []]  # per unit: times of its pushes, in order
        self.last = 0.0  # in-order dispatch: none before the previous one
        self.unit_busy = [0.0, 0.0]  # per GEMM_UNIT / ALU_UNIT
        self._spans: list[tuple[float, float]] = []  # when some unit or load is busy

    @property
    def busy(self) -> float:
        """Time some unit or load is busy (the union of the busy intervals)."""
        total, covered = 0.0, 0.0
        for start, end in sorted(self._spans):
            if end > covered:
                total += end - max(start, covered)
                covered = end
        return total

    def drain(self, ready: float, dur: float) -> float:
        """A LOAD UOP, LOAD ACC or FINISH: starts at `ready` once both units drained and every pending
        push happened; returns its end."""
        start = max(self.last, ready, *self.free, *(p for q in self.pending for p in q))
        end = start + dur
        self.last = end
        self.free = [end, end]
        self.flight = [[], []]
        self.pending = [[], []]
        self._spans.append((start, end))
        return end

    def issue(self, unit: int, ready: float, dur: float, banks: int, push: bool, latency: float = 0.0,
              gap: float = 0.0) -> float:
        """Dispatch a GEMM or ALU instruction of `dur` cycles at `ready` or later; it starts `latency` after
        its dispatch or `gap` after its unit's previous instruction, whichever is later. Returns when its
        pushes happen (if `push`), else when it completes."""
        u = unit if self.dual else GEMM_UNIT
        o = 1 - u
        d = max(self.last, ready)
        own = [e for e, _ in self.flight[u] if e > d]
        if len(own) > self.queue:
            d = own[len(own) - self.queue - 1]
        pend = [p for p in self.pending[u] if p > d]
        if len(pend) >= self.push_queue:
            d = max(d, pend[len(pend) - self.push_queue])
        d = max([d] + [e for e, b in self.flight[o] if e > d and b & banks])
        start = max(d + latency, self.free[u] + gap)
        end = start + dur
        self.last = d
        self.flight[u] = [f for f in self.flight[u] if f[0] > d] + [(end, banks)]
        self.flight[o] = [f for f in self.flight[o] if f[0] > d]
        self.unit_busy[unit] += end - max(d, self.free[u])
        self._spans.append((max(d, self.free[u]), end))
        self.free[u] = end
        if not push:
            return end
        at = max(end, self.free[o])  # every older instruction completed
        self.pending[u] = [p for p in self.pending[u] if p > d] + [at]
        return at


def _preloads(ops: list, depth: int | None) -> dict[int, list[UopKernel]]:
    """Per segment start (stream index), the kernels codegen.preload_kernels loads there: all the
    segment's kernels, when they fit the micro-op buffer and the segment has an INP/WGT load."""
    out: dict[int, list[UopKernel]] = {}
    start, kernels, loads = 0, {}, False
    for i, op in enumerate(ops + [SSync()]):
        if isinstance(op, SSync):
            if depth is not None and loads and kernels and sum(len(k) for k in kernels.values()) <= depth:
                out[start] = list(kernels.values())
            start, kernels, loads = i + 1, {}, False
        elif isinstance(op, SNest):
            for k in op.kernels:
                kernels.setdefault(k.key, k)
        elif isinstance(op, SLoad) and not op.elided and op.stage == Stage.LOAD:
            loads = True
    return out


def _nest_cycles(op: SNest, k: UopKernel, params: CostParams) -> tuple[float, int]:
    """(micro-op cycles, micro-ops) of the instruction running kernel `k` of nest `op`."""
    n = len(k)
    for lp in k.loops:
        n *= lp.extent
    if op.mode == "gemm":
        return n, n
    if k.use_imm:
        return n * params.alu_cycles, n
    reuse = src_repeats(k)
    return (n - reuse) * params.alu_tensor_cycles + reuse * params.alu_tensor_reuse_cycles, n


def simulate(stream: Stream, params: CostParams = DEFAULT) -> Prediction:
    """Cycles of a planned, tokenized stream: the load and store stages run their ops in order, an op
    starts when its stage is free and the ops it pops tokens from have pushed; loads share the AXI read
    channel, stores the write channel. The compute stage runs each nest's instructions through
    ComputeStage (dual issue or one unit, `params.dual_issue`). Costs per op as in CostParams; a
    kernel not yet in the micro-op buffer adds a LOAD UOP (with dual issue, where codegen puts it: all
    of a segment's kernels at its start when they fit, see codegen.preload_kernels)."""
    config = stream.config
    bus = config.bus_bytes
    t = {Stage.LOAD: 0.0, Stage.STORE: 0.0}
    busy = {Stage.LOAD: 0.0, Stage.STORE: 0.0}
    cs = ComputeStage(params.dual_issue, params.kernel_queue, params.push_queue)
    rd = wr = 0.0
    done = [0.0] * len(stream.ops)
    resident: set[str] = set()
    counts = dict(gemm=0, alu=0, insns=0, rd_bytes=0, wr_bytes=0)
    eb = {m: config.elem_bytes(m) for m in (MemType.INP, MemType.WGT, MemType.ACC, MemType.OUT)}
    preloads = _preloads(stream.ops, config.uop_depth) if params.dual_issue else {}
    preloaded = 0.0  # the segment's first INP/WGT load waits for its preloaded kernels

    def uop_load(*ks: UopKernel) -> float:
        """One LOAD UOP of the kernels `ks` (several: a preload, staged contiguously)."""
        resident.update(k.key for k in ks)
        n = sum(len(k) for k in ks)
        counts["insns"] += 1
        counts["rd_bytes"] += 4 * n
        return params.dma_cycles + 4 * n / bus

    for i, op in enumerate(stream.ops):
        if i in preloads:
            preloaded = cs.drain(0.0, uop_load(*preloads[i]))
        if isinstance(op, SSync):
            end = cs.drain(max(max(t.values()), rd, wr), 0.0)
            t = {s: end for s in t}
            resident.clear()
            continue
        if isinstance(op, SLoad) and op.elided:
            continue
        ready = max((done[j] for j in op.waits), default=0.0)
        if isinstance(op, SNest):
            unit = GEMM_UNIT if op.mode == "gemm" else ALU_UNIT
            done[i] = ready
            for m, k in enumerate(op.kernels):
                if k.key not in resident:
                    cs.drain(ready, uop_load(k))
                dur, uops = _nest_cycles(op, k, params)
                counts["gemm" if op.mode == "gemm" else "alu"] += 0 if k.reset else uops
                counts["insns"] += 1
                done[i] = cs.issue(unit, ready, dur, bank_set(k, config.acc_depth),
                                   bool(op.pushes) and m == len(op.kernels) - 1,  # the last one pushes
                                   *((params.dispatch_cycles, params.queued_insn_cycles) if params.dual_issue
                                     else (params.insn_cycles, params.insn_cycles)))
            continue
        nbytes = sum(d.x * d.y * eb[d.mem] for d in op.dmas)
        dur = len(op.dmas) * params.dma_cycles + nbytes / bus
        counts["insns"] += len(op.dmas)
        if isinstance(op, SStore):
            start = max(t[Stage.STORE], ready, wr)
            done[i] = wr = t[Stage.STORE] = start + dur
            busy[Stage.STORE] += dur
            counts["wr_bytes"] += nbytes
            continue
        counts["rd_bytes"] += nbytes
        if op.stage == Stage.COMPUTE:  # LOAD ACC
            done[i] = rd = cs.drain(max(ready, rd), dur)
            continue
        start = max(t[Stage.LOAD], ready, rd, preloaded)
        preloaded = 0.0
        done[i] = rd = t[Stage.LOAD] = start + dur
        busy[Stage.LOAD] += dur
    cycles = max(max(t.values()), rd, wr, *cs.free)
    return Prediction(cycles, cs.busy, busy[Stage.LOAD], busy[Stage.STORE],
                      (counts["rd_bytes"] + counts["wr_bytes"]) / bus, counts["gemm"], counts["alu"],
                      {"read": counts["rd_bytes"]}, counts["wr_bytes"], counts["insns"],
                      cs.unit_busy[GEMM_UNIT], cs.unit_busy[ALU_UNIT])
