"""Random valid programs for differential testing (fsim vs reference, fsim vs TSIM).

A program works in a window of each SRAM (small, so indices alias often) at
the bottom, the top or anywhere; in about half the programs the ACC/OUT window
straddles the middle of ACC, where its two banks meet (bank = top index bit),
and nests, stores and ACC loads then mostly keep to one side. The program
fills its windows first so it never reads uninitialised SRAM, then issues
random LOADs with padding and strides, GEMM/ALU nests with random micro-ops
and factors (ALU sources may alias destinations or lie in the other bank; some
ALU nests broadcast one source over every micro-op; some GEMMs overwrite the
source an ALU read last), and STOREs. Some operations put a GEMM and an ALU
nest (long then short, or short then long) behind one micro-op load, so they
follow each other on the compute stage, often in different banks. Tokens are
inserted only where two stages really touch the same SRAM elements, so stages
overlap wherever the program allows. Everything is relative to the program's
own buffers; `materialize` places it on any Device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vta.isa.asm import disasm
from vta.isa.config import Config
from vta.isa.encode import encode_program, encode_uops
from vta.isa.insn import Insn, MemInsn
from vta.isa.opcodes import AluOp, MemType, Opcode, Stage
from vta.isa.stats import RunStats

from .device import Device
from .insn_queue import InsnQueue
from .kernel import KernelBuilder, UopKernel

WINDOW = 48  # SRAM elements each program uses (per buffer), capped by the depth
STRADDLE = 0.5  # share of programs whose ACC/OUT window straddles the bank boundary (acc_depth // 2)


def _window_base(rng: np.random.Generator, depth: int, window: int) -> int:
    """Where a program's window of one SRAM starts: the bottom, the very top or anywhere (1/2, 1/4, 1/4)."""
    kind = rng.random()
    if kind < 0.5:
        return 0
    return depth - window if kind < 0.75 else int(rng.integers(0, depth - window + 1))


def _acc_window_base(rng: np.random.Generator, depth: int, window: int) -> int:
    """The ACC/OUT window's start: with probability STRADDLE across depth // 2 (a random split, near the middle
    of the window, of its elements between the two banks), else as `_window_base`."""
    if window < 2 or rng.random() >= STRADDLE:
        return _window_base(rng, depth, window)
    half, quarter = depth // 2, window // 4
    below = int(rng.integers(max(1, window - (depth - half), quarter), min(window - 1, half, window - quarter) + 1))
    return half - below


@dataclass
class FuzzProgram:
    """A program plus its initial DRAM buffers; DRAM fields are patched per device."""

    config: Config
    seed: int
    buffers: list[np.ndarray]  # initial contents (uint8) of each buffer
    insns: list[Insn]
    relocs: dict[int, tuple[int, int]] = field(default_factory=dict)  # insn index -> (buffer, elem offset)
    output: int = 0  # the buffer STOREs write

    def materialize(self, device: Device) -> tuple[list[int], int]:
        """Allocate and fill the buffers and the instruction stream; returns (buffer addresses, insn address)."""
        addrs = []
        for data in self.buffers:
            addr = device.alloc(max(len(data), 1))
            device.write(addr, data)
            addrs.append(addr)
        insns = list(self.insns)
        for index, (buf, offset) in self.relocs.items():
            eb = self.config.elem_bytes(insns[index].memory_type)  # type: ignore[attr-defined]
            insns[index] = insns[index].replace(dram_base=addrs[buf] // eb + offset)
        blob = encode_program(insns, self.config)
        insn_addr = device.alloc(len(blob))
        device.write(insn_addr, blob)
        return addrs, insn_addr

    def run(self, device: Device, timeout_s: float = 60.0) -> tuple[RunStats, list[np.ndarray]]:
        """Run on a device; returns the stats and every buffer's contents afterwards (then frees them)."""
        addrs, insn_addr = self.materialize(device)
        try:
            stats = device.run(insn_addr, len(self.insns), timeout_s=timeout_s)
            return stats, [device.read(a, len(d)) for a, d in zip(addrs, self.buffers)]
        finally:
            for a in addrs + [insn_addr]:
                device.free(a)

    def text(self) -> str:
        return "\n".join(f"{i:4d}: {disasm(x)}" for i, x in enumerate(self.insns))


class _Regions:
    """Which SRAM elements a stage touched since the last token between two stages."""

    def __init__(self) -> None:
        self.sets: dict[int, set[int]] = {}

    def add(self, mem: int, idx: np.ndarray) -> None:
        self.sets.setdefault(mem, set()).update(np.asarray(idx).tolist())

    def hits(self, mem: int, idx: np.ndarray) -> bool:
        s = self.sets.get(mem)
        return bool(s) and not s.isdisjoint(np.asarray(idx).tolist())

    def clear(self) -> None:
        self.sets.clear()


class Generator:
    """Builds one random program; `ops` body operations after the window fill."""

    def __init__(self, config: Config, seed: int, ops: int = 24, hazards: bool = True) -> None:
        self.c = config
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.ops = ops
        self.hazards = hazards
        c = config
        self.win = {MemType.INP: min(WINDOW, c.inp_depth), MemType.WGT: min(WINDOW, c.wgt_depth),
                    MemType.ACC: min(WINDOW, c.acc_depth), MemType.UOP: min(4 * WINDOW, c.uop_depth)}
        # Every SRAM index below is relative to its window; the window sits anywhere in the SRAM, so
        # programs reach the top addresses too. OUT shares ACC's indices.
        depths = {MemType.INP: c.inp_depth, MemType.WGT: c.wgt_depth, MemType.ACC: min(c.acc_depth, c.out_depth),
                  MemType.UOP: c.uop_depth}
        self.base = {mt: (_acc_window_base if mt == MemType.ACC else _window_base)(self.rng, depths[mt], self.win[mt])
                     for mt in depths}
        # The two sides of the bank boundary within the ACC window, when it straddles it.
        wa, split = self.win[MemType.ACC], c.acc_depth // 2 - self.base[MemType.ACC]
        self.sides = ((0, split), (split, wa)) if 0 < split < wa else None
        self.side = 0  # the side the latest nest kept to
        self.last_src: int | None = None  # the ACC element the latest ALU nest read last (the ALU keeps it)
        self.q = InsnQueue()
        self.relocs: dict[int, tuple[int, int]] = {}
        self.buffers: list[np.ndarray] = []
        # touched-since-last-token sets, per direction of the hazard they guard
        self.load_wrote, self.compute_read = _Regions(), _Regions()
        self.compute_wrote_out, self.store_read_out = _Regions(), _Regions()

    # ------------------------------------------------------------ buffers
    def _buffer(self, data: np.ndarray) -> int:
        self.buffers.append(np.ascontiguousarray(data).reshape(-1).view(np.uint8).copy())
        return len(self.buffers) - 1

    def build(self) -> FuzzProgram:
        c, rng = self.c, self.rng
        rows = 4 * WINDOW
        self.src = {
            MemType.INP: self._buffer(rng.integers(-128, 128, rows * c.inp_elem_bytes, dtype=np.int8)),
            MemType.WGT: self._buffer(rng.integers(-128, 128, rows * c.wgt_elem_bytes, dtype=np.int8)),
            MemType.ACC: self._buffer(self._acc_values(rows * c.acc_elem_bytes // 4)),
        }
        self.out_buf = self._buffer(np.zeros(rows * c.out_elem_bytes, dtype=np.uint8))
        self.uop_words: list[np.ndarray] = []
        self.uop_buf = self._buffer(np.zeros(0, dtype=np.uint8))  # filled at the end
        self._fill_windows()
        choices = ["load", "gemm", "alu", "alu", "store", "pair"]
        for _ in range(self.ops):
            getattr(self, f"_op_{choices[int(rng.integers(len(choices)))]}")()
        self._op_store()
        self.q.finish()
        self.buffers[self.uop_buf] = (np.concatenate(self.uop_words) if self.uop_words
                                      else np.zeros(1, np.uint32)).view(np.uint8)
        return FuzzProgram(c, self.seed, self.buffers, self.q.insns, self.relocs, self.out_buf)

    def _acc_values(self, n: int) -> np.ndarray:
        rng = self.rng
        kind = rng.integers(3)
        if kind == 0:
            return rng.integers(-128, 128, n).astype(np.int32)
        if kind == 1:
            return rng.integers(-(1 << 15), 1 << 15, n).astype(np.int32)
        return rng.integers(-(1 << 31), 1 << 31, n, dtype=np.int64).astype(np.int32)

    # ------------------------------------------------------------ tokens
    def _emit(self, insn: Insn, reloc: tuple[int, int] | None = None) -> None:
        index = self.q.append(insn)
        if reloc is not None:
            self.relocs[index] = reloc

    def _before_compute(self, reads: list[tuple[int, np.ndarray]], writes_out: np.ndarray | None) -> None:
        """Order a compute instruction after loads it reads and stores that read what it overwrites."""
        if any(self.load_wrote.hits(m, i) for m, i in reads):
            self.q.dep_push(Stage.LOAD, Stage.COMPUTE)
            self.q.dep_pop(Stage.LOAD, Stage.COMPUTE)
            self.load_wrote.clear()
        if writes_out is not None and self.store_read_out.hits(MemType.OUT, writes_out):
            self.q.dep_push(Stage.STORE, Stage.COMPUTE)
            self.q.dep_pop(Stage.STORE, Stage.COMPUTE)
            self.store_read_out.clear()
        for m, i in reads:
            self.compute_read.add(m, i)
        if writes_out is not None:
            self.compute_wrote_out.add(MemType.OUT, writes_out)

    # ------------------------------------------------------------ ACC banks
    def _span(self, follow: bool = True) -> tuple[int, int]:
        """The ACC window range [lo, hi) an operation works in. In a window that straddles the bank boundary,
        70 % of operations keep to one side, mostly the side the latest nest did not use (`follow`: this one is
        a nest), so neighbouring nests are often bank-disjoint; the rest use the whole window."""
        rng = self.rng
        if self.sides is None or rng.random() < 0.3:
            return 0, self.win[MemType.ACC]
        side = 1 - self.side if rng.random() < 0.7 else int(rng.integers(2))
        if follow:
            self.side = side
        return self.sides[side]

    def _other(self, span: tuple[int, int]) -> tuple[int, int]:
        """The other side of the bank boundary from a one-side span (else the span itself)."""
        if self.sides is None or span not in self.sides:
            return span
        return self.sides[1 - self.sides.index(span)]

    # ------------------------------------------------------------ operations
    def _fill_windows(self) -> None:
        for mt in (MemType.INP, MemType.WGT, MemType.ACC):
            n = self.win[mt]
            self._load(mt, sram=0, x=n, y=1, stride=n, pads=(0, 0, 0, 0), offset=0)
        n = self.win[MemType.ACC]
        self._nests([KernelBuilder.alu(AluOp.SHR, imm=0).loop(n, dst=1).uop(0).build()])  # OUT := low bits of ACC

    def _load(self, mt: MemType, sram: int, x: int, y: int, stride: int, pads: tuple[int, int, int, int],
              offset: int) -> None:
        y0, y1, x0, x1 = pads
        width, height = x0 + x + x1, y0 + y + y1
        idx = np.arange(sram, sram + width * height)
        insn = MemInsn(opcode=Opcode.LOAD, memory_type=mt, sram_base=self.base[mt] + sram, dram_base=0, y_size=y, x_size=x,
                       x_stride=stride, y_pad_0=y0, y_pad_1=y1, x_pad_0=x0, x_pad_1=x1)
        # ACC loads run on the compute stage, in order with GEMM/ALU: no token needed
        if mt != MemType.ACC and self.compute_read.hits(mt, idx):  # WAR: compute must be done reading what this load overwrites
            self.q.dep_push(Stage.COMPUTE, Stage.LOAD)
            self.q.dep_pop(Stage.COMPUTE, Stage.LOAD)
            self.compute_read.clear()
        self._emit(insn, (self.src[mt], offset))
        if mt != MemType.ACC:
            self.load_wrote.add(mt, idx)

    def _op_load(self) -> None:
        rng = self.rng
        mt = [MemType.INP, MemType.WGT, MemType.ACC][int(rng.integers(3))]
        lo, hi = self._span(follow=False) if mt == MemType.ACC else (0, self.win[mt])
        while True:
            pads = tuple(int(p) if rng.random() < 0.4 else 0 for p in rng.integers(0, 4, 4))
            x, y = int(rng.integers(1, 6)), int(rng.integers(1, 4))
            area = (pads[2] + x + pads[3]) * (pads[0] + y + pads[1])
            if area <= hi - lo:
                break
        sram = int(rng.integers(lo, hi - area + 1))
        stride = x + int(rng.integers(0, 4)) if rng.random() < 0.8 else max(1, x - 1)
        offset = int(rng.integers(0, 4 * WINDOW - ((y - 1) * stride + x) + 1))
        self._load(mt, sram, x, y, stride, pads, offset)  # type: ignore[arg-type]

    def _loops(self, limits: tuple[int, ...], size: str) -> tuple[list[tuple[int, ...]], list[int]]:
        """Loop levels (extent, then the index step of each column) and each column's reach (its largest offset).

        A "long" nest has two levels of 2..6 iterations, a "short" one at most one level of 1..2. Reach stays
        below each column's limit: a column whose steps would pass it steps by 0 (the nest repeats its indices).
        """
        rng = self.rng
        if size == "long":
            extents = rng.integers(2, 7, 2).tolist()
        else:
            extents = rng.integers(1, 3 if size == "short" else 4,
                                   int(rng.integers(0, 2 if size == "short" else 3))).tolist()
        steps = [[v if e > 1 else 0 for v in row]
                 for e, row in zip(extents, rng.integers(0, 3, (len(extents), len(limits))).tolist())]
        reach = [sum((e - 1) * row[k] for e, row in zip(extents, steps)) for k in range(len(limits))]
        keep = [r < lim for r, lim in zip(reach, limits)]
        steps = [[v if ok else 0 for v, ok in zip(row, keep)] for row in steps]
        return [(e, *row) for e, row in zip(extents, steps)], [r if ok else 0 for r, ok in zip(reach, keep)]

    def _count(self, size: str) -> int:
        """Micro-ops of a nest of this size (within the UOP window)."""
        low, high = {"short": (1, 3), "normal": (1, 7), "long": (3, 9)}[size]
        return min(int(self.rng.integers(low, high)), self.win[MemType.UOP])

    def _op_gemm(self) -> None:
        self._nests([self._gemm(self._span(), "normal")])

    def _op_alu(self) -> None:
        self._nests([self._alu(self._span(), "normal")])

    def _op_pair(self) -> None:
        """A GEMM and an ALU nest in either order, sometimes with a third nest, behind one micro-op load, so they
        follow each other on the compute stage; long then short or short then long, so one runs while the other
        does (if the hardware overlaps them)."""
        rng = self.rng
        kinds = ["gemm", "alu"] if rng.random() < 0.5 else ["alu", "gemm"]
        sizes = ["long", "short"] if rng.random() < 0.6 else ["short", "long"]
        if rng.random() < 0.3:
            kinds.append(kinds[int(rng.random() < 0.7)])
            sizes.append("short")
        self._nests([self._gemm(self._span(), size) if kind == "gemm" else self._alu(self._span(), size)
                     for kind, size in zip(kinds, sizes)])

    def _gemm(self, span: tuple[int, int], size: str) -> UopKernel:
        rng = self.rng
        lo, hi = span
        reset = rng.random() < 0.25
        kb = KernelBuilder("gemm", reset=reset, hazard_check=not self.hazards)
        loops, reach = self._loops((hi - lo, self.win[MemType.INP], self.win[MemType.WGT]), size)
        for e, d, s, w in loops:
            kb.loop(e, dst=d, src=s, wgt=w)
        n = self._count(size)
        dst = lo + self._uop_dsts(n, hi - lo - reach[0])
        # Sometimes overwrite the element the latest ALU nest read last (the ALU keeps it for reuse).
        if self.last_src is not None and rng.random() < 0.3:
            self._overwrite(dst, self.last_src, lo, hi - reach[0])
        src = rng.integers(0, self.win[MemType.INP] - reach[1], len(dst))
        wgt = rng.integers(0, self.win[MemType.WGT] - reach[2], len(dst))
        return kb.uops(dst, src, wgt).build()

    def _uop_dsts(self, n: int, limit: int) -> np.ndarray:
        """Random dsts; with hazards off they also obey the JIT's two-previous-dst rule."""
        rng = self.rng
        if self.hazards:
            return rng.integers(0, limit, n)
        out: list[int] = []
        for _ in range(n if limit >= 3 else min(n, limit)):
            recent = sorted(set(out[-2:]))
            v = int(rng.integers(limit - len(recent)))  # uniform over the values not in `recent`
            for r in recent:
                v += v >= r
            out.append(v)
        return np.array(out, dtype=np.int64)

    def _alu(self, span: tuple[int, int], size: str) -> UopKernel:
        rng = self.rng
        lo, hi = span
        op = AluOp(int(rng.integers(0, 5)))
        use_imm = rng.random() < 0.5
        if op == AluOp.SHR:
            imm = int(rng.integers(-40, 41))
        else:
            imm = int(rng.integers(-(1 << 15), 1 << 15)) if rng.random() < 0.5 else int(rng.integers(-9, 10))
        kb = KernelBuilder("alu", alu_opcode=op, imm=imm if use_imm else None, hazard_check=not self.hazards)
        # A broadcast nest reads one src for every micro-op, like a bias vector (the ALU's reused-src path).
        broadcast = not use_imm and rng.random() < 0.3
        # Sources mostly on the dsts' side; else on the other side, so the nest touches both banks.
        slo, shi = self._other(span) if rng.random() < 0.25 else span
        loops, reach = self._loops((hi - lo, 1 if broadcast else shi - slo), size)
        for e, d, s in loops:
            kb.loop(e, dst=d, src=s)
        dst = lo + self._uop_dsts(self._count(size), hi - lo - reach[0])
        if broadcast:
            keep = self.last_src is not None and rng.random() < 0.4  # read again what the ALU read last
            s = self.last_src if keep else int(rng.integers(slo, shi))
            src = np.full(len(dst), s)
            if rng.random() < 0.3:  # one micro-op writes the broadcast src
                self._overwrite(dst, s, lo, hi - reach[0])
        else:
            src = slo + rng.integers(0, shi - slo - reach[1], len(dst))
        if not use_imm:
            self.last_src = int(src[-1]) + reach[1]
        return kb.uops(dst, src).build()

    def _overwrite(self, dst: np.ndarray, value: int, lo: int, hi: int) -> None:
        """Make one random micro-op write `value` if it lies in [lo, hi) (within the dst rule of `_uop_dsts`)."""
        j = int(self.rng.integers(len(dst)))
        if lo <= value < hi and (self.hazards or value not in dst[max(0, j - 2):j + 3]):
            dst[j] = value

    def _nests(self, kernels: list[UopKernel]) -> None:
        """Load the kernels' micro-ops (compute stage; one LOAD if they fit the UOP window) and issue them."""
        c = self.c
        total = sum(len(k) for k in kernels)
        if len(kernels) > 1 and total > self.win[MemType.UOP]:
            for kernel in kernels:
                self._nests([kernel])
            return
        base = self.base[MemType.UOP] + int(self.rng.integers(0, self.win[MemType.UOP] - total + 1))
        offset = sum(len(w) for w in self.uop_words)
        self._emit(MemInsn(opcode=Opcode.LOAD, memory_type=MemType.UOP, sram_base=base, dram_base=0,
                           y_size=1, x_size=total, x_stride=total), (self.uop_buf, offset))
        columns = []
        for kernel in kernels:
            gemm = kernel.mode == "gemm"
            columns.append((kernel.dst + self.base[MemType.ACC],
                            kernel.src + self.base[MemType.INP if gemm else MemType.ACC],
                            kernel.wgt + self.base[MemType.WGT] if gemm else kernel.wgt))
        self.uop_words.append(encode_uops(*(np.concatenate(col) for col in zip(*columns)), c))
        for kernel in kernels:
            gemm = kernel.mode == "gemm"
            insn = kernel.instruction(base)
            base += len(kernel)
            pts = _points(insn, kernel)
            reads = [(MemType.ACC, pts[0])]
            if gemm and not kernel.reset:
                reads += [(MemType.INP, pts[1]), (MemType.WGT, pts[2])]
            writes_out = None if (gemm and kernel.reset) else pts[0]
            self._before_compute(reads, writes_out)
            self._emit(insn)

    def _op_store(self) -> None:
        rng = self.rng
        lo, hi = self._span(follow=False)
        x, y = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        if x * y > hi - lo:
            x, y = 1, 1
        sram = int(rng.integers(lo, hi - x * y + 1))
        stride = x + int(rng.integers(0, 4))
        offset = int(rng.integers(0, 4 * WINDOW - ((y - 1) * stride + x) + 1))
        idx = np.arange(sram, sram + x * y)
        if self.compute_wrote_out.hits(MemType.OUT, idx):
            self.q.dep_push(Stage.COMPUTE, Stage.STORE)
            self.q.dep_pop(Stage.COMPUTE, Stage.STORE)
            self.compute_wrote_out.clear()
        self._emit(MemInsn(opcode=Opcode.STORE, memory_type=MemType.OUT, sram_base=self.base[MemType.ACC] + sram, dram_base=0,
                           y_size=y, x_size=x, x_stride=stride), (self.out_buf, offset))
        self.store_read_out.add(MemType.OUT, idx)


def _points(insn, kernel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.arange(insn.iter_out)[:, None, None]
    x = np.arange(insn.iter_in)[None, :, None]
    wfo = getattr(insn, "wgt_factor_out", 0)
    wfi = getattr(insn, "wgt_factor_in", 0)
    d = (kernel.dst[None, None, :] + y * insn.dst_factor_out + x * insn.dst_factor_in).ravel()
    s = (kernel.src[None, None, :] + y * insn.src_factor_out + x * insn.src_factor_in).ravel()
    w = (kernel.wgt[None, None, :] + y * wfo + x * wfi).ravel()
    return d, s, w


def random_program(config: Config, seed: int, ops: int = 24, hazards: bool = True) -> FuzzProgram:
    """A random valid program (deterministic in `seed`)."""
    return Generator(config, seed, ops, hazards).build()
