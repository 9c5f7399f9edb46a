"""Codegen: the planned stream -> a Program, a list of runtime JIT calls replayed on any Device.

A Program names its DRAM tensors symbolically; `replay` binds them to
DeviceBuffers and drives a CommandQueue: load_2d/store_2d, push_gemm/push_alu,
dep_pop/dep_push, and synchronize() at the end of each segment.
"""

from __future__ import annotations

from dataclasses import dataclass

from vta.isa.opcodes import MemType, Stage
from vta.isa.stats import RunStats
from vta.jit.buffer import DeviceBuffer
from vta.jit.command_queue import CommandQueue, RecordedStream
from vta.jit.kernel import UopKernel

from .stream import SLoad, SNest, SStore, SSync, Stream

POP, PUSH, LOAD, STORE, GEMM, ALU, PRELOAD = range(7)
_STAGE = {Stage.LOAD: "load", Stage.COMPUTE: "compute", Stage.STORE: "store"}


@dataclass
class Program:
    """Segments of JIT calls; each segment ends with a synchronize()."""

    name: str
    segments: list[list[tuple]]

    @property
    def calls(self) -> int:
        return sum(len(s) for s in self.segments)

    def kernels(self) -> list[UopKernel]:
        seen: dict[str, UopKernel] = {}
        for seg in self.segments:
            for c in seg:
                if c[0] in (GEMM, ALU):
                    seen.setdefault(c[1].key, c[1])
        return list(seen.values())

    def stats(self, config) -> dict[str, int]:
        """Exact work of the program: micro-ops, DRAM bytes per memory type, instructions per stage."""
        s = dict(gemm_uops=0, gemm_reset_uops=0, alu_uops=0, inp_bytes=0, wgt_bytes=0, acc_bytes=0, uop_bytes=0,
                 out_bytes=0, load_insns=0, compute_insns=0, store_insns=0)
        key = {MemType.INP: "inp_bytes", MemType.WGT: "wgt_bytes", MemType.ACC: "acc_bytes"}
        eb = {m: config.elem_bytes(m) for m in key}
        for seg in self.segments:
            seen = set()
            for c in seg:
                k = c[0]
                if k == LOAD:
                    s[key[c[1]]] += c[5] * c[6] * eb[c[1]]
                    if c[1] in (MemType.INP, MemType.WGT):
                        s["load_insns"] += 1
                    else:
                        s["compute_insns"] += 1
                elif k == STORE:
                    s["out_bytes"] += c[4] * c[5] * config.out_elem_bytes
                    s["store_insns"] += 1
                elif k == PRELOAD:
                    seen.update(kern.key for kern in c[1])
                    s["uop_bytes"] += 4 * sum(len(kern) for kern in c[1])
                    s["compute_insns"] += 1  # one LOAD UOP (the kernels are staged contiguously)
                elif k in (GEMM, ALU):
                    kern = c[1]
                    n = len(kern)
                    for lp in kern.loops:
                        n *= lp.extent
                    field = "alu_uops" if k == ALU else ("gemm_reset_uops" if kern.reset else "gemm_uops")
                    s[field] += n
                    s["compute_insns"] += 1
                    if kern.key not in seen:  # first use in a segment loads it (it stays resident if it fits)
                        seen.add(kern.key)
                        s["uop_bytes"] += 4 * len(kern)
                        s["compute_insns"] += 1
        return s

    def replay(self, cq: CommandQueue, buffers: dict[str, DeviceBuffer]) -> list[RunStats]:
        """Issue every segment's JIT calls and run it (builds and encodes the streams anew)."""
        stats = []
        for seg in self.segments:
            self._issue(seg, cq, buffers)
            stats.append(cq.synchronize())
        return stats

    def record(self, cq: CommandQueue, buffers: dict[str, DeviceBuffer]) -> list[RecordedStream]:
        """Issue every segment once and keep the encoded streams on the device for repeated runs."""
        streams = []
        for seg in self.segments:
            self._issue(seg, cq, buffers)
            streams.append(cq.record())
        return streams

    @staticmethod
    def _issue(seg: list[tuple], cq: CommandQueue, buffers: dict[str, DeviceBuffer]) -> None:
        load, store = cq.load_2d, cq.store_2d
        for c in seg:
            k = c[0]
            if k == LOAD:
                load(c[1], c[2], buffers[c[3]], c[4], c[5], c[6], c[7], c[8])
            elif k == PRELOAD:
                cq.preload(list(c[1]))
            elif k == GEMM:
                cq.push_gemm(c[1])
            elif k == POP:
                cq.dep_pop(c[1], c[2])
            elif k == PUSH:
                cq.dep_push(c[1], c[2])
            elif k == STORE:
                store(c[1], buffers[c[2]], c[3], c[4], c[5], c[6])
            else:
                cq.push_alu(c[1])

    def text(self) -> str:
        lines = [f"program {self.name}: {len(self.segments)} segment(s), {self.calls} calls"]
        kernels = {k.key: i for i, k in enumerate(self.kernels())}
        # kernels with equal micro-ops share a key (and one LOAD UOP); each push names its operation
        for i, k in enumerate(self.kernels()):
            lines.append(f"  kernel k{i}: {k.shape()}")
        for si, seg in enumerate(self.segments):
            lines.append(f"segment {si}:")
            for c in seg:
                k = c[0]
                if k == POP:
                    lines.append(f"  dep_pop  {_STAGE[c[1]]} -> {_STAGE[c[2]]}")
                elif k == PUSH:
                    lines.append(f"  dep_push {_STAGE[c[1]]} -> {_STAGE[c[2]]}")
                elif k == LOAD:
                    pads = "" if not any(c[8]) else f" pad={c[8]}"
                    lines.append(f"  load_2d  {MemType(c[1]).name:3s} sram={c[2]} {c[3]}+{c[4]} x={c[5]} y={c[6]} "
                                 f"stride={c[7]}{pads}")
                elif k == STORE:
                    lines.append(f"  store_2d OUT sram={c[1]} {c[2]}+{c[3]} x={c[4]} y={c[5]} stride={c[6]}")
                elif k == PRELOAD:
                    lines.append("  preload  " + " ".join(f"k{kernels[kern.key]}" for kern in c[1]))
                else:
                    lines.append(f"  push_{'gemm' if k == GEMM else 'alu '} k{kernels[c[1].key]} {c[1].operation()}")
            lines.append("  synchronize")
        return "\n".join(lines)


def codegen(stream: Stream) -> Program:
    """Emit the JIT calls of a planned, tokenized stream (the pass pipeline's last step)."""
    segments: list[list[tuple]] = [[]]
    for op in stream.ops:
        if isinstance(op, SSync):
            segments.append([])
            continue
        if isinstance(op, SLoad) and op.elided:
            continue
        calls = segments[-1]
        st = op.stage
        for src in op.pops:
            calls.append((POP, src, st))
        if isinstance(op, SLoad):
            for d in op.dmas:
                calls.append((LOAD, d.mem, op.base + d.sram, d.tensor, d.offset, d.x, d.y, d.stride, d.pads))
        elif isinstance(op, SStore):
            for d in op.dmas:
                calls.append((STORE, op.base + d.sram, d.tensor, d.offset, d.x, d.y, d.stride))
        elif isinstance(op, SNest):
            kind = GEMM if op.mode == "gemm" else ALU
            for k in op.kernels:
                calls.append((kind, k))
        for dst in op.pushes:
            calls.append((PUSH, st, dst))
    segments = [s for s in segments if s]
    if stream.config is not None:
        segments = [preload_kernels(s, stream.config.uop_depth) for s in segments]
    return Program(stream.name, segments)


def preload_kernels(calls: list[tuple], depth: int) -> list[tuple]:
    """Load every micro-op kernel of a segment before its first INP/WGT load.

    The runtime loads a kernel's micro-ops (a LOAD UOP on the compute stage) at its
    first push. Once the load stage streams inputs and weights, a LOAD UOP waits behind
    its transfers on the shared read channel (~100-470 cycles on TSIM, against ~25 on an
    idle bus). So the segment starts with one `CommandQueue.preload` of all its kernels
    (a single LOAD UOP: they are new to the stream, so staged and placed contiguously),
    and its first INP/WGT load waits for a token pushed after it (and after the ACC loads
    that start the segment). Skipped when the kernels do not all fit the micro-op buffer
    (they would evict each other).
    """
    first: dict[str, tuple] = {}
    for c in calls:
        if c[0] in (GEMM, ALU) and c[1].key not in first:
            first[c[1].key] = c
    start = next((i for i, c in enumerate(calls) if c[0] == LOAD and c[1] in (MemType.INP, MemType.WGT)), None)
    if start is None or not first or sum(len(c[1]) for c in first.values()) > depth:
        return calls
    # leading ACC constant loads (compute stage) join the preload: on an idle read channel they
    # take tens of cycles, behind the first tile's input and weight bursts hundreds
    acc = next(i for i, c in enumerate(calls) if not (c[0] == LOAD and c[1] == MemType.ACC))
    pre = [(PRELOAD, tuple(c[1] for c in first.values()))] + calls[:acc]
    return (pre + [(PUSH, Stage.COMPUTE, Stage.LOAD)] + calls[acc:start] + [(POP, Stage.COMPUTE, Stage.LOAD)]
            + calls[start:])
