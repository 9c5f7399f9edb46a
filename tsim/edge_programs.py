"""Hand-written conformance programs for the corners of isa/semantics.md that generated programs rarely reach.

Each `run(device, seed)` builds its buffers and instructions on the device,
runs them and returns every buffer it stored to (then frees everything), so
fsim and TSIM can be compared byte for byte (vta.tsim.conformance, group
"edge"). Sizes adapt to the Config; a program that cannot fit a Config's
buffers is rejected by fsim and reported as not applicable.
"""

from __future__ import annotations

import numpy as np

from vta.isa.config import Config
from vta.isa.encode import encode_program, encode_uop
from vta.isa.insn import AluInsn, FinishInsn, GemmInsn, Insn, MemInsn, Uop, load, store
from vta.isa.opcodes import AluOp, MemType, Opcode
from vta.isa.stats import RunStats
from vta.jit.device import Device

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
#: ACC values the ALU corner cases start from (repeated over an element's lanes).
EXTREMES = np.array([INT32_MIN, INT32_MAX, -1, 0, 1, 1 << 30, -(1 << 30), 255, 128, -129, 0x7FFF, -0x8000,
                     0x12345678, -0x789ABCDE, 65536, -65537], dtype=np.int64).astype(np.int32)
#: Immediates per ALU op: the 16-bit extremes and the shift amounts around 31/32 (kit rule for SHR).
IMMEDIATES = (-32768, 32767, -40, -33, -32, -31, -1, 0, 1, 7, 31, 32, 33, 40)


class RawProgram:
    """Buffers and instructions on one device; `run` executes, reads the stored buffers and frees everything."""

    def __init__(self, dev: Device) -> None:
        self.dev = dev
        self.c: Config = dev.config
        self.addrs: list[int] = []
        self.insns: list[Insn] = []
        self.outputs: dict[str, tuple[int, int]] = {}

    def buffer(self, data: np.ndarray | None = None, nbytes: int = 0) -> int:
        """A device buffer (filled with `data`, or `nbytes` zeros); returns its byte address."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8) if data is not None else None
        addr = self.dev.alloc(max(raw.size if raw is not None else nbytes, 1))
        if raw is not None:
            self.dev.write(addr, raw)
        self.addrs.append(addr)
        return addr

    def elem(self, addr: int, mt: MemType) -> int:
        return addr // self.c.elem_bytes(mt)

    def output(self, name: str, elems: int) -> int:
        """An OUT-element buffer read back after the run; returns its element address (for STORE dram_base)."""
        nbytes = elems * self.c.out_elem_bytes
        addr = self.buffer(nbytes=nbytes)
        self.outputs[name] = (addr, nbytes)
        return self.elem(addr, MemType.OUT)

    def uops(self, uops: list[Uop]) -> int:
        """A micro-op buffer; returns its element address."""
        words = np.array([encode_uop(u, self.c) for u in uops], dtype=np.uint32)
        return self.elem(self.buffer(words), MemType.UOP)

    def acc(self, values: np.ndarray) -> int:
        """An ACC-element buffer of int32 (elements, BATCH, BLOCK_OUT); returns its element address."""
        return self.elem(self.buffer(values.astype(np.int32)), MemType.ACC)

    def run(self) -> tuple[dict[str, np.ndarray], list[RunStats]]:
        try:
            blob = encode_program(self.insns, self.c)
            insn_addr = self.buffer(np.frombuffer(blob, np.uint8))
            stats = self.dev.run(insn_addr, len(self.insns), timeout_s=60.0)
            outs = {name: self.dev.read(addr, n) for name, (addr, n) in self.outputs.items()}
        finally:
            for addr in self.addrs:
                self.dev.free(addr)
        return outs, [stats]


def _lanes(c: Config, values: np.ndarray, elems: int, roll: int = 0) -> np.ndarray:
    """`elems` ACC elements whose lanes cycle through `values` (shifted by `roll` per element)."""
    lanes = c.batch * c.block_out
    idx = (np.arange(elems)[:, None] * (roll or 1) + np.arange(lanes)[None, :]) % len(values)
    return values[idx].reshape(elems, c.batch, c.block_out)


def nop_and_empty_nests(dev: Device, seed: int) -> tuple[dict[str, np.ndarray], list[RunStats]]:
    """x_size == 0 LOADs/STOREs of every memory type (tokens only, pads ignored) and empty GEMM/ALU nests
    (iter 0, uop_bgn == uop_end) passing tokens around all stages; nothing they touch may change."""
    p, c = RawProgram(dev), dev.config
    rng = np.random.default_rng(seed)
    n = 8
    inp = p.elem(p.buffer(rng.integers(-128, 128, (n, c.batch, c.block_in), dtype=np.int8)), MemType.INP)
    wgt = p.elem(p.buffer(rng.integers(-128, 128, (1, c.block_out, c.block_in), dtype=np.int8)), MemType.WGT)
    acc = p.acc(rng.integers(-(1 << 20), 1 << 20, (n, c.batch, c.block_out)))
    uop = p.uops([Uop(i, i, 0) for i in range(n)] + [Uop(n + i, i, 0) for i in range(n)])
    out = p.output("out", 2 * n)
    nop = dict(x_size=0, y_size=3, x_stride=5, y_pad_0=2, y_pad_1=1, x_pad_0=3, x_pad_1=1)
    p.insns = [
        load(MemType.UOP, sram_base=0, dram_base=uop, y_size=1, x_size=2 * n, x_stride=2 * n),
        load(MemType.ACC, sram_base=0, dram_base=acc, y_size=1, x_size=n, x_stride=n),
        load(MemType.INP, sram_base=0, dram_base=inp, y_size=1, x_size=n, x_stride=n),
        load(MemType.WGT, sram_base=0, dram_base=wgt, y_size=1, x_size=1, x_stride=1),
        load(MemType.INP, sram_base=0, dram_base=inp, **nop, push_next_dep=True),  # NOP: pads not written
        GemmInsn(uop_bgn=0, uop_end=0, pop_prev_dep=True, push_prev_dep=True),  # empty: uop_bgn == uop_end
        load(MemType.WGT, sram_base=0, dram_base=wgt, **nop, pop_next_dep=True, push_next_dep=True),
        AluInsn(alu_opcode=AluOp.ADD, uop_bgn=0, uop_end=n, iter_out=0, use_imm=True, imm=5, pop_prev_dep=True),
        GemmInsn(uop_bgn=0, uop_end=n, iter_in=0),
        GemmInsn(reset_reg=True, uop_bgn=n, uop_end=n),
        load(MemType.ACC, sram_base=0, dram_base=acc, **nop),
        load(MemType.UOP, sram_base=0, dram_base=uop, **nop, push_next_dep=True),
        MemInsn(opcode=Opcode.STORE, memory_type=MemType.ACC, sram_base=0, dram_base=out, x_size=0, y_size=2,
                x_stride=1, pop_prev_dep=True, push_prev_dep=True),
        MemInsn(opcode=Opcode.STORE, memory_type=MemType.INP, sram_base=0, dram_base=out, x_size=0,
                pop_next_dep=False),
        AluInsn(alu_opcode=AluOp.SHR, uop_bgn=0, uop_end=n, use_imm=True, imm=0, pop_next_dep=True),
        GemmInsn(reset_reg=True, uop_bgn=n, uop_end=2 * n),
        GemmInsn(uop_bgn=n, uop_end=2 * n, push_next_dep=True),
        store(sram_base=0, dram_base=out, y_size=1, x_size=2 * n, x_stride=2 * n, pop_prev_dep=True,
              push_prev_dep=True),
        FinishInsn(pop_next_dep=True),
    ]
    return p.run()


def pad_only_loads(dev: Device, seed: int) -> tuple[dict[str, np.ndarray], list[RunStats]]:
    """LOADs with y_size == 0 (only the pad rows are written) and with the largest pads that fit."""
    p, c = RawProgram(dev), dev.config
    rng = np.random.default_rng(seed)
    n = 32
    acc = p.acc(rng.integers(-(1 << 20), 1 << 20, (n, c.batch, c.block_out)))
    inp = p.elem(p.buffer(rng.integers(-128, 128, (n, c.batch, c.block_in), dtype=np.int8)), MemType.INP)
    wgt = p.elem(p.buffer(rng.integers(-128, 128, (1, c.block_out, c.block_in), dtype=np.int8)), MemType.WGT)
    big = 15 if c.acc_depth >= 1024 else 3
    w = h = big + 2 + big
    uop = p.uops([Uop(i, i, 0) for i in range(n)])
    out_a = p.output("after_pad_only", n)
    out_b = p.output("big_pads", w * h)
    p.insns = [
        load(MemType.UOP, sram_base=0, dram_base=uop, y_size=1, x_size=n, x_stride=n),
        load(MemType.ACC, sram_base=0, dram_base=acc, y_size=1, x_size=n, x_stride=n),
        load(MemType.INP, sram_base=0, dram_base=inp, y_size=1, x_size=n, x_stride=n),
        load(MemType.WGT, sram_base=0, dram_base=wgt, y_size=1, x_size=1, x_stride=1),
        # pad rows only: 2 x (1 + 3 + 2) zeros at 4 in ACC, 1 x (2 + 4) at 20 in INP
        load(MemType.ACC, sram_base=4, dram_base=acc, y_size=0, x_size=3, x_stride=3, y_pad_0=1, y_pad_1=1,
             x_pad_0=1, x_pad_1=2),
        load(MemType.INP, sram_base=20, dram_base=inp, y_size=0, x_size=4, x_stride=4, y_pad_1=1, x_pad_0=2,
             push_next_dep=True),
        GemmInsn(uop_bgn=0, uop_end=n, pop_prev_dep=True),  # ACC[i] += INP[i] . WGT[0]
        AluInsn(alu_opcode=AluOp.SHR, uop_bgn=0, uop_end=n, use_imm=True, imm=3, push_next_dep=True),
        store(sram_base=0, dram_base=out_a, y_size=1, x_size=n, x_stride=n, pop_prev_dep=True, push_prev_dep=True),
        # the largest pads around a 2 x 2 block of ACC data, then copied to OUT
        load(MemType.ACC, sram_base=0, dram_base=acc + 3, y_size=2, x_size=2, x_stride=5, y_pad_0=big,
             y_pad_1=big, x_pad_0=big, x_pad_1=big, pop_next_dep=True),
        load(MemType.UOP, sram_base=0, dram_base=uop, y_size=1, x_size=1, x_stride=1),
        AluInsn(alu_opcode=AluOp.ADD, uop_bgn=0, uop_end=1, iter_out=w * h, dst_factor_out=1, use_imm=True, imm=1,
                push_next_dep=True),
        store(sram_base=0, dram_base=out_b, y_size=h, x_size=w, x_stride=w, pop_prev_dep=True, push_prev_dep=True),
        FinishInsn(pop_next_dep=True),
    ]
    return p.run()


def alu_extremes(op: AluOp):
    """One ALU op on INT32_MIN/MAX and friends with every corner immediate and vector-vector; all 32 result
    bits reach DRAM (four copies of each result, shifted right by 0, 8, 16 and 24, are stored)."""
    def run(dev: Device, seed: int) -> tuple[dict[str, np.ndarray], list[RunStats]]:
        p, c = RawProgram(dev), dev.config
        cases: list[int | None] = [*IMMEDIATES, None]  # None: second operand is ACC[other]
        per = 4
        other = len(cases) * per  # the ACC element holding the vector operand
        a = _lanes(c, EXTREMES, 1)
        b = _lanes(c, EXTREMES[::-1].copy(), 1, roll=3)
        src = p.acc(np.concatenate([np.repeat(a, per, axis=0), b]))
        uop = p.uops([Uop(i, other, 0) for i in range(other)])
        out = p.output("bytes", other)
        p.insns = [load(MemType.UOP, sram_base=0, dram_base=uop, y_size=1, x_size=other, x_stride=other),
                   load(MemType.ACC, sram_base=other, dram_base=src + per, y_size=1, x_size=1, x_stride=1)]
        for k, imm in enumerate(cases):
            base = k * per
            p.insns.append(load(MemType.ACC, sram_base=base, dram_base=src, y_size=1, x_size=per, x_stride=per))
            kw = {} if imm is None else {"use_imm": True, "imm": imm}
            p.insns.append(AluInsn(alu_opcode=op, uop_bgn=base, uop_end=base + per, **kw))
            for j in range(1, per):
                p.insns.append(AluInsn(alu_opcode=AluOp.SHR, uop_bgn=base + j, uop_end=base + j + 1, use_imm=True,
                                       imm=8 * j))
        p.insns[-1] = p.insns[-1].replace(push_next_dep=True)
        p.insns += [store(sram_base=0, dram_base=out, y_size=1, x_size=other, x_stride=other, pop_prev_dep=True,
                          push_prev_dep=True), FinishInsn(pop_next_dep=True)]
        return p.run()
    return run


def token_backlog(dev: Device, seed: int) -> tuple[dict[str, np.ndarray], list[RunStats]]:
    """300 tokens pile up in each counter (loads push ahead of compute, compute ahead of store) before any pop."""
    p, c = RawProgram(dev), dev.config
    rng = np.random.default_rng(seed)
    k = 300
    inp = p.elem(p.buffer(rng.integers(-128, 128, (1, c.batch, c.block_in), dtype=np.int8)), MemType.INP)
    out = p.output("out", 1)
    p.insns = [load(MemType.INP, sram_base=0, dram_base=inp, y_size=1, x_size=0, x_stride=1, push_next_dep=True)
               for _ in range(k)]
    p.insns += [GemmInsn(uop_bgn=0, uop_end=0, pop_prev_dep=True, push_next_dep=True) for _ in range(k)]
    p.insns += [store(sram_base=0, dram_base=out, y_size=1, x_size=0, x_stride=1, pop_prev_dep=True)
                for _ in range(k - 1)]
    p.insns += [store(sram_base=0, dram_base=out, y_size=1, x_size=1, x_stride=1, pop_prev_dep=True,
                      push_prev_dep=True), FinishInsn(pop_next_dep=True)]
    return p.run()


def top_indices(dev: Device, seed: int) -> tuple[dict[str, np.ndarray], list[RunStats]]:
    """Micro-ops in the last UOP entries index the last INP, WGT and ACC entries; OUT's last entries are stored."""
    p, c = RawProgram(dev), dev.config
    rng = np.random.default_rng(seed)
    ti, tw, ta, tu = c.inp_depth - 2, c.wgt_depth - 2, c.acc_depth - 2, c.uop_depth - 2
    inp = p.elem(p.buffer(rng.integers(-128, 128, (2, c.batch, c.block_in), dtype=np.int8)), MemType.INP)
    wgt = p.elem(p.buffer(rng.integers(-128, 128, (2, c.block_out, c.block_in), dtype=np.int8)), MemType.WGT)
    acc = p.acc(rng.integers(-(1 << 24), 1 << 24, (2, c.batch, c.block_out)))
    uop = p.uops([Uop(ta, ti, tw), Uop(ta + 1, ti + 1, tw + 1)])
    alu_uop = p.uops([Uop(ta + 1, ta, 0), Uop(ta, ta + 1, 0)])
    out = p.output("out", 2)
    p.insns = [
        load(MemType.UOP, sram_base=tu, dram_base=uop, y_size=1, x_size=2, x_stride=2),
        load(MemType.ACC, sram_base=ta, dram_base=acc, y_size=1, x_size=2, x_stride=2),
        load(MemType.INP, sram_base=ti, dram_base=inp, y_size=1, x_size=2, x_stride=2),
        load(MemType.WGT, sram_base=tw, dram_base=wgt, y_size=1, x_size=2, x_stride=2, push_next_dep=True),
        GemmInsn(uop_bgn=tu, uop_end=tu + 2, pop_prev_dep=True),
        GemmInsn(uop_bgn=tu, uop_end=tu + 1, iter_out=2, dst_factor_out=1, src_factor_out=1, wgt_factor_out=1),
        load(MemType.UOP, sram_base=tu, dram_base=alu_uop, y_size=1, x_size=2, x_stride=2),
        AluInsn(alu_opcode=AluOp.ADD, uop_bgn=tu, uop_end=tu + 2),
        AluInsn(alu_opcode=AluOp.SHR, uop_bgn=tu, uop_end=tu + 2, use_imm=True, imm=9, push_next_dep=True),
        store(sram_base=ta, dram_base=out, y_size=1, x_size=2, x_stride=2, pop_prev_dep=True, push_prev_dep=True),
        FinishInsn(pop_next_dep=True),
    ]
    return p.run()


def queue_lookahead(dev: Device, stage: str, waiting: int) -> list[RunStats]:
    """`waiting` instructions of one stage are fetched before the instruction that releases the first of them.

    Fetch dispatches in order and stalls on a full command queue (isa/semantics.md), so the program
    finishes when `waiting` <= QUEUE_DEPTH and deadlocks past it; fsim and the RTL must agree on both.
    Every LOAD/STORE is an x_size == 0 NOP, so only tokens move.
    """
    p = RawProgram(dev)
    x = p.elem(p.buffer(nbytes=dev.config.inp_elem_bytes), MemType.INP)
    out = p.output("out", 1)

    def nop_load(**flags: bool) -> MemInsn:
        return load(MemType.INP, sram_base=0, dram_base=x, y_size=1, x_size=0, x_stride=1, **flags)

    def nop_store(**flags: bool) -> MemInsn:
        return store(sram_base=0, dram_base=out, y_size=1, x_size=0, x_stride=1, **flags)

    def gemm(**flags: bool) -> GemmInsn:
        return GemmInsn(uop_bgn=0, uop_end=0, **flags)

    if stage == "store":  # stores wait for g2s tokens from GEMMs fetched after them
        p.insns = [nop_store(pop_prev_dep=True, push_prev_dep=i == waiting - 1) for i in range(waiting)]
        p.insns += [gemm(push_next_dep=True) for _ in range(waiting)] + [FinishInsn(pop_next_dep=True)]
    elif stage == "load":  # loads wait for g2l tokens from GEMMs fetched after them
        p.insns = [nop_load(pop_next_dep=True, push_next_dep=i == waiting - 1) for i in range(waiting)]
        p.insns += [gemm(push_prev_dep=True) for _ in range(waiting)] + [FinishInsn(pop_prev_dep=True)]
    elif stage == "compute":  # the first GEMM waits for an l2g token from a LOAD fetched after the rest
        p.insns = [gemm(pop_prev_dep=True)] + [gemm() for _ in range(waiting - 1)]
        p.insns += [nop_load(push_next_dep=True), FinishInsn()]
    else:
        raise ValueError(f"stage must be 'load', 'compute' or 'store', got {stage!r}")
    return p.run()[1]
