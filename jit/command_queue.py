"""The runtime command queue: 2D DMA, micro-op kernels, dependency tokens, synchronize.

    cq = CommandQueue(device)
    cq.load_2d(MemType.INP, sram_index, buf, elem_offset, x_size, y_size, x_stride, pad=(y0, y1, x0, x1))
    cq.dep_push(Stage.LOAD, Stage.COMPUTE); cq.dep_pop(Stage.LOAD, Stage.COMPUTE)
    cq.preload([k1, k2]); cq.push_gemm(k1); cq.push_alu(k2)   # preload: optional, one LOAD UOP for both
    cq.store_2d(sram_index, buf, elem_offset, x_size, y_size, x_stride)
    stats = cq.synchronize()          # appends FINISH, runs on the device, resets the stream

Micro-op kernels live in the UOP SRAM as a ring (as upstream): a kernel that is
not resident is loaded by a LOAD UOP on the compute stage, evicting whatever it
overlaps. All kernels used in one synchronize are staged into one DRAM buffer;
`preload` makes several resident with one LOAD UOP where they are contiguous there
and in the ring (kernels new to the stream, placed together).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable

import numpy as np

from vta.isa.asm import disasm
from vta.isa.encode import encode_program
from vta.isa.insn import Insn, MemInsn
from vta.isa.opcodes import MemType, Opcode, Stage
from vta.isa.stats import RunStats

from .buffer import DeviceBuffer
from .device import Device
from .errors import JitError
from .insn_queue import InsnQueue
from .kernel import KernelBuilder, UopKernel

Dram = int | DeviceBuffer

#: Synchronize automatically before the stream grows past this many instructions.
DEFAULT_MAX_INSNS = 1 << 18


@dataclass
class _Staged:
    offset: int  # micro-op index within this synchronize's staging buffer
    words: np.ndarray


class CommandQueue:
    """Builds one instruction stream at a time for a Device and runs it on `synchronize()`."""

    def __init__(self, device: Device, *, force_serial: bool = False, max_insns: int = DEFAULT_MAX_INSNS,
                 timeout_s: float = 60.0) -> None:
        self.device = device
        self.config = device.config
        self.force_serial = force_serial
        self.max_insns = max_insns
        self.timeout_s = timeout_s
        self._elem_bytes = {mt: self.config.elem_bytes(mt) for mt in MemType}
        self._kernels: dict[Hashable, UopKernel] = {}
        self._insn_buf: DeviceBuffer | None = None
        self._uop_buf: DeviceBuffer | None = None
        self.last_program: list[Insn] = []
        self.stats_history: list[RunStats] = []
        self._reset_stream()

    def _reset_stream(self) -> None:
        self.queue = InsnQueue()
        self._staged: dict[str, _Staged] = {}
        self._staged_words = 0
        self._uop_patches: list[tuple[int, str]] = []  # (insn index, kernel key) of LOAD UOPs
        self._resident: dict[str, tuple[int, int]] = {}  # kernel key -> UOP SRAM [begin, end)
        self._ring_end = 0

    # ------------------------------------------------------------ DMA
    def load_2d(self, memory_type: MemType, sram_index: int, dram: Dram, elem_offset: int, x_size: int, y_size: int,
                x_stride: int, pad: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        """LOAD y_size rows of x_size elements (row stride x_stride) with zero padding (y0, y1, x0, x1)."""
        memory_type = MemType(memory_type)
        if memory_type == MemType.OUT:
            raise JitError("load_2d: OUT cannot be loaded (it is written by GEMM/ALU and read by STORE)")
        y0, y1, x0, x1 = pad
        base = self._dram_base(dram, memory_type, elem_offset, x_size, y_size, x_stride, "load_2d")
        self._append(MemInsn(opcode=Opcode.LOAD, memory_type=memory_type, sram_base=sram_index, dram_base=base,
                             y_size=y_size, x_size=x_size, x_stride=x_stride,
                             y_pad_0=y0, y_pad_1=y1, x_pad_0=x0, x_pad_1=x1))

    def store_2d(self, sram_index: int, dram: Dram, elem_offset: int, x_size: int, y_size: int, x_stride: int) -> None:
        """STORE y_size rows of x_size OUT elements (dense in SRAM from sram_index) to DRAM rows x_stride apart."""
        base = self._dram_base(dram, MemType.OUT, elem_offset, x_size, y_size, x_stride, "store_2d")
        self._append(MemInsn(opcode=Opcode.STORE, memory_type=MemType.OUT, sram_base=sram_index, dram_base=base,
                             y_size=y_size, x_size=x_size, x_stride=x_stride))

    def _dram_base(self, dram: Dram, mt: MemType, elem_offset: int, x_size: int, y_size: int, x_stride: int,
                   what: str) -> int:
        eb = self._elem_bytes[mt]
        addr = dram.addr if isinstance(dram, DeviceBuffer) else int(dram)
        if addr % eb:
            raise JitError(f"{what}: DRAM address {addr:#x} is not aligned to the {mt.name} element size {eb}")
        if isinstance(dram, DeviceBuffer) and x_size and y_size:
            end = (elem_offset + (y_size - 1) * x_stride + x_size) * eb
            if elem_offset < 0 or end > dram.nbytes:
                raise JitError(f"{what}: {mt.name} rows reach byte {end} of a {dram.nbytes}-byte buffer "
                               f"(elem_offset={elem_offset}, x_size={x_size}, y_size={y_size}, x_stride={x_stride})")
        return addr // eb + elem_offset

    # ------------------------------------------------------------ kernels
    def kernel(self, signature: Hashable, build: Callable[[], KernelBuilder | UopKernel]) -> UopKernel:
        """The kernel cached under `signature`, built by `build()` on first use (upstream's uop cache)."""
        k = self._kernels.get(signature)
        if k is None:
            made = build()
            k = made.build() if isinstance(made, KernelBuilder) else made
            self._kernels[signature] = k
        return k

    def push_gemm(self, kernel: UopKernel) -> None:
        if kernel.mode != "gemm":
            raise JitError("push_gemm needs a GEMM kernel (KernelBuilder.gemm)")
        self._push_kernel(kernel)

    def push_alu(self, kernel: UopKernel) -> None:
        if kernel.mode != "alu":
            raise JitError("push_alu needs an ALU kernel (KernelBuilder.alu)")
        self._push_kernel(kernel)

    def _push_kernel(self, kernel: UopKernel) -> None:
        place = self._resident.get(kernel.key)
        if place is None:
            self.preload([kernel])
            place = self._resident[kernel.key]
        self._append(kernel.instruction(place[0]))

    def preload(self, kernels: list[UopKernel]) -> None:
        """Make `kernels` resident in the UOP buffer now, with one LOAD UOP per run of them that
        is contiguous both in the staging buffer and in the ring (one LOAD for kernels new to the
        stream that fit the ring together). A LOAD UOP waits behind the load stage's bursts on the
        shared read channel, so a few long loads at a segment's start beat many short ones."""
        depth = self.config.uop_depth
        new = [k for k in dict((k.key, k) for k in kernels).values() if k.key not in self._resident]
        total = sum(len(k) for k in new)
        if total > depth:
            what = f"kernel of {total} micro-ops does" if len(new) == 1 else f"{len(new)} kernels of {total} micro-ops do"
            raise JitError(f"{what} not fit the UOP buffer ({depth})")
        if self._ring_end + total > depth:
            self._ring_end = 0  # the batch goes to the ring's start, so it never evicts itself
        runs: list[list[tuple[UopKernel, int]]] = []  # runs of (kernel, ring begin)
        for k in new:
            n = len(k)
            begin = self._ring_end
            end = begin + n
            self._resident = {key: (b, e) for key, (b, e) in self._resident.items() if e <= begin or b >= end}
            self._resident[k.key] = (begin, end)
            self._ring_end = end
            if k.key not in self._staged:
                self._staged[k.key] = _Staged(self._staged_words, k.words(self.config))
                self._staged_words += n
            if runs:
                last, last_begin = runs[-1][-1]
                if (last_begin + len(last) == begin
                        and self._staged[last.key].offset + len(last) == self._staged[k.key].offset):
                    runs[-1].append((k, begin))
                    continue
            runs.append([(k, begin)])
        for run in runs:
            first, begin = run[0]
            n = sum(len(k) for k, _ in run)
            index = self._append(MemInsn(opcode=Opcode.LOAD, memory_type=MemType.UOP, sram_base=begin,
                                         dram_base=0, y_size=1, x_size=n, x_stride=n))
            self._uop_patches.append((index, first.key))

    # ------------------------------------------------------------ dependencies
    def dep_push(self, src: Stage, dst: Stage) -> None:
        """The last instruction issued on stage `src` signals stage `dst` when done."""
        self.queue.dep_push(Stage(src), Stage(dst))

    def dep_pop(self, src: Stage, dst: Stage) -> None:
        """The next instruction issued on stage `dst` waits for a signal from stage `src`."""
        self.queue.dep_pop(Stage(src), Stage(dst))

    # ------------------------------------------------------------ running
    def _append(self, insn: Insn) -> int:
        if len(self.queue) + 8 > self.max_insns:
            raise JitError(f"instruction stream exceeds {self.max_insns} instructions; call synchronize() more often "
                           "(a stream cannot be split automatically without breaking its dependency tokens)")
        return self.queue.append(insn)

    def program(self) -> list[Insn]:
        """The stream built so far (LOAD UOP dram_base still relative to the staging buffer)."""
        return list(self.queue.insns)

    def synchronize(self, timeout_s: float | None = None) -> RunStats:
        """Finish the stream (token balance + FINISH), run it on the device, and start a new stream."""
        if not self.queue.insns and not self._staged:
            return RunStats(backend=self.device.name)
        try:
            insns, words = self._finish()
            if words is not None:
                self._uop_buf = self._ensure(self._uop_buf, words.nbytes)
            self._insn_buf = self._ensure(self._insn_buf, 16 * len(insns))
            blob = self._place(insns, words, self._uop_buf)
            self._insn_buf.write(blob)
            stats = self.device.run(self._insn_buf.addr, len(insns), timeout_s=timeout_s or self.timeout_s)
        finally:
            self._reset_stream()
        self.stats_history.append(stats)
        return stats

    def record(self) -> "RecordedStream":
        """Finish the stream like synchronize() but keep it, encoded, in its own device buffers.

        The returned stream runs again and again (`.run()`) without rebuilding or re-encoding:
        what a compiled operator does on every call. It reads and writes the same DRAM
        buffers each time, so callers refill their inputs between runs.
        """
        if not self.queue.insns and not self._staged:
            raise JitError("record(): the stream is empty")
        try:
            insns, words = self._finish()
            uop_buf = DeviceBuffer(self.device, words.nbytes) if words is not None else None
            blob = self._place(insns, words, uop_buf)
            insn_buf = DeviceBuffer(self.device, len(blob))
            insn_buf.write(blob)
        finally:
            self._reset_stream()
        return RecordedStream(self.device, insns, insn_buf, uop_buf, self.timeout_s)

    def _finish(self) -> tuple[list[Insn], np.ndarray | None]:
        """Token balance + FINISH; the staged micro-op words (or None). Encoding waits for placement."""
        if self.force_serial:
            self.queue.serialize()
        self.queue.finish()
        words = None
        if self._staged_words:
            words = np.zeros(self._staged_words, dtype=np.uint32)
            for st in self._staged.values():
                words[st.offset : st.offset + len(st.words)] = st.words
        return self.queue.insns, words

    def _place(self, insns: list[Insn], words: np.ndarray | None, uop_buf: DeviceBuffer | None) -> bytes:
        """Write the micro-ops, point the LOAD UOPs at them and encode the stream."""
        if words is not None and uop_buf is not None:
            uop_buf.write(words)
            uop_base = uop_buf.addr // 4
            for index, key in self._uop_patches:
                insns[index] = insns[index].replace(dram_base=uop_base + self._staged[key].offset)
        self.last_program = insns
        return encode_program(insns, self.config)

    def _ensure(self, buf: DeviceBuffer | None, nbytes: int) -> DeviceBuffer:
        if buf is not None and buf.nbytes >= nbytes:
            return buf
        if buf is not None:
            buf.free()
        return DeviceBuffer(self.device, max(nbytes, 4096))

    def disasm(self, insns: list[Insn] | None = None) -> str:
        """Assembly of a stream (default: the last one run)."""
        prog = self.last_program if insns is None else insns
        return "\n".join(f"{i:6d}: {disasm(x)}" for i, x in enumerate(prog))

    def close(self) -> None:
        for buf in (self._insn_buf, self._uop_buf):
            if buf is not None and not self.device._closed:
                buf.free()
        self._insn_buf = self._uop_buf = None


class RecordedStream:
    """An encoded instruction stream resident in device memory, ready to run again (CommandQueue.record)."""

    def __init__(self, device: Device, insns: list[Insn], insn_buf: DeviceBuffer, uop_buf: DeviceBuffer | None,
                 timeout_s: float) -> None:
        self.device = device
        self.insns = insns
        self.insn_buf = insn_buf
        self.uop_buf = uop_buf
        self.timeout_s = timeout_s

    def __len__(self) -> int:
        return len(self.insns)

    def run(self, timeout_s: float | None = None) -> RunStats:
        if not self.insn_buf.addr:
            raise JitError("this recorded stream was freed")
        return self.device.run(self.insn_buf.addr, len(self.insns), timeout_s=timeout_s or self.timeout_s)

    def free(self) -> None:
        if not self.device._closed:
            for buf in (self.insn_buf, self.uop_buf):
                if buf is not None:
                    buf.free()
