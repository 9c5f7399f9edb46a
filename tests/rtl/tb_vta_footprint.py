"""cocotb bench of vta_footprint: the ACC bank set of GEMM and ALU instructions over micro-ops the bench
serves from a model UOP buffer (UopLanes per read, one clock of latency, garbage while not read),
against a plain-Python reference of the header's rule. Directed cases sit on the bank boundary (max
index half-1 / half, bounds reaching the depth, empty nests, huge nests, the buffer's last entry);
random instructions come with key changes and valid_i drops (the kernel rewritten meanwhile) and
clears mid-scan. A result must come within ceil(n / UopLanes) + 3 clocks after the clock that starts
the scan (1 for an empty nest)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from rtl_build import config_from_env
from tb_util import insn_int, start_clock_and_reset
from vta.isa import AluInsn, AluOp, Config, GemmInsn, Uop
from vta.isa.encode import encode_uop

SEED = 21
Insn = GemmInsn | AluInsn


def banks_ref(insn: Insn, uops: list[Uop], depth: int) -> int:
    """Bit b set when ACC bank b (index top bit) lies in [min index, max index + loop offsets] of the
    dst indices (and the src indices of an ALU without immediate); a bound >= depth sets both."""
    if insn.iter_out == 0 or insn.iter_in == 0 or insn.uop_bgn >= insn.uop_end:
        return 0
    kernel = uops[insn.uop_bgn:insn.uop_end]
    spans = [([u.dst_idx for u in kernel], insn.dst_factor_out, insn.dst_factor_in)]
    if isinstance(insn, AluInsn) and not insn.use_imm:
        spans.append(([u.src_idx for u in kernel], insn.src_factor_out, insn.src_factor_in))
    half = depth // 2
    banks = 0
    for idx, f_out, f_in in spans:
        lo = min(idx)
        hi = max(idx) + (insn.iter_out - 1) * f_out + (insn.iter_in - 1) * f_in
        if hi >= depth:
            banks |= 0b11
            continue
        if lo < half:
            banks |= 0b01
        if hi >= half:
            banks |= 0b10
    return banks


def banks_touched(insn: Insn, uops: list[Uop], depth: int) -> int:
    """The banks the instruction's ACC accesses really hit (indices wrap at the depth): the reference
    rule must cover them."""
    if insn.iter_out == 0 or insn.iter_in == 0 or insn.uop_bgn >= insn.uop_end:
        return 0
    kernel = uops[insn.uop_bgn:insn.uop_end]
    y, x = np.meshgrid(np.arange(insn.iter_out), np.arange(insn.iter_in), indexing="ij")
    idx = [(np.array([u.dst_idx for u in kernel]), insn.dst_factor_out, insn.dst_factor_in)]
    if isinstance(insn, AluInsn) and not insn.use_imm:
        idx.append((np.array([u.src_idx for u in kernel]), insn.src_factor_out, insn.src_factor_in))
    banks = 0
    for base, f_out, f_in in idx:
        every = (base[None, :] + (y * f_out + x * f_in).reshape(-1, 1)) % depth
        for b in np.unique(every // (depth // 2)):
            banks |= 1 << int(b)
    return banks


@dataclass
class Sample:
    """Outputs at the end of one clock."""
    done: bool
    banks: int
    rd_en: bool
    rd_idx: int


class Bench:
    """Drives the instruction port and serves the UOP read port from `uops`, one clock at a time."""

    def __init__(self, dut, cfg: Config, seed: int) -> None:
        self.dut = dut
        self.cfg = cfg
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.depth = cfg.uop_depth
        self.lanes = max(1, cfg.bus_width // cfg.uop_elem_bits)
        self.uops = [self.random_uop() for _ in range(self.depth)]
        self.words = [encode_uop(u, cfg) for u in self.uops]
        self.key = 0
        self.results = 0

    def random_uop(self) -> Uop:
        r = self.rng.integers
        return Uop(dst_idx=int(r(0, self.cfg.acc_depth)), src_idx=int(r(0, self.cfg.acc_depth)),
                   wgt_idx=int(r(0, self.cfg.wgt_depth)))

    def write(self, base: int, kernel: list[Uop]) -> None:
        for i, u in enumerate(kernel):
            self.uops[(base + i) % self.depth] = u
            self.words[(base + i) % self.depth] = encode_uop(u, self.cfg)

    def drive(self, valid: bool, insn: Insn | None = None, key: int | None = None, clr: bool = False) -> None:
        self.dut.valid_i.value = int(valid)
        self.dut.clr_i.value = int(clr)
        if insn is not None:
            self.dut.insn_i.value = insn_int(insn, self.cfg)
        if key is not None:
            self.dut.key_i.value = key & 0xFFFFFFFF

    async def clock(self) -> Sample:
        """One clock: outputs of the clock that ends, then the read data of its read (if any)."""
        await RisingEdge(self.dut.clk_i)
        d = self.dut
        s = Sample(bool(int(d.done_o.value)), int(d.banks_o.value), bool(int(d.uop_rd_en_o.value)),
                   int(d.uop_rd_idx_o.value))
        if s.rd_en:
            assert s.rd_idx < self.depth, f"UOP read at {s.rd_idx}, past the buffer"
            word = 0
            for k in range(self.lanes):
                word |= self.words[(s.rd_idx + k) % self.depth] << (k * self.cfg.uop_elem_bits)
        else:
            word = int.from_bytes(self.rng.bytes(self.lanes * self.cfg.uop_elem_bits // 8), "little")  # not read
        d.uop_rd_data_i.value = word
        return s

    def bound(self, insn: Insn) -> int:
        """Clocks after the one that starts the scan until done_o shows (at the latest)."""
        n = max(0, insn.uop_end - insn.uop_bgn)
        empty = insn.iter_out == 0 or insn.iter_in == 0 or n == 0
        return 1 if empty else -(-n // self.lanes) + 3

    async def expect(self, insn: Insn, what: str, hold: int = 0, new_key: bool = True) -> None:
        """valid_i high with `insn` (under a new key, or the last one again): done_o within the bound
        with the reference banks, then `hold` more clocks of the same result."""
        want = banks_ref(insn, self.uops, self.cfg.acc_depth)
        self.key += int(new_key)
        self.drive(True, insn, self.key)
        for clk in range(self.bound(insn) + 1):
            s = await self.clock()
            if s.done:
                break
        else:
            raise AssertionError(f"{what}: no done_o within {self.bound(insn)} clocks after the start ({insn}; "
                                 f"seed {self.seed})")
        for h in range(hold + 1):
            assert s.done, f"{what}: done_o dropped while the instruction stayed (seed {self.seed})"
            assert s.banks == want, (f"{what}: banks {s.banks:02b}, want {want:02b} after {clk} clocks "
                                     f"({insn}; seed {self.seed})")
            if h < hold:
                s = await self.clock()
        self.results += 1

    async def start(self) -> None:
        self.drive(False, GemmInsn(), 0)
        self.dut.uop_rd_data_i.value = 0
        await start_clock_and_reset(self.dut)


def kernel_at(bench: Bench, base: int, dst: list[int], src: list[int] | None = None) -> list[Uop]:
    """Micro-ops with these dst (and src) indices written at `base`; poison (indices 0 and the last)
    around them, which a scan reading past the kernel would fold in."""
    top = bench.cfg.acc_depth - 1
    src = src if src is not None else [0] * len(dst)
    kernel = [Uop(dst_idx=d, src_idx=s, wgt_idx=0) for d, s in zip(dst, src)]
    bench.write(base - 1, [Uop(dst_idx=top, src_idx=0)])
    bench.write(base, kernel)
    bench.write(base + len(kernel), [Uop(dst_idx=0, src_idx=top), Uop(dst_idx=top, src_idx=0)])
    return kernel


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def directed_boundaries(dut):
    """Bounds exactly at half-1 / half and depth-1 / depth, through the micro-ops and through each loop
    factor; ALU src counted only without an immediate; empty nests; a kernel ending at the buffer's end;
    the largest nest (the bound computation must not overflow)."""
    cfg = config_from_env()
    bench = Bench(dut, cfg, SEED)
    await bench.start()
    depth, half = cfg.acc_depth, cfg.acc_depth // 2
    it_max, f_max = (1 << 14) - 1, (1 << 11) - 1

    def gemm(bgn: int, n: int, **kw) -> GemmInsn:
        return GemmInsn(uop_bgn=bgn, uop_end=bgn + n, src_factor_out=7, src_factor_in=3, **kw)

    def alu(bgn: int, n: int, **kw) -> AluInsn:
        return AluInsn(uop_bgn=bgn, uop_end=bgn + n, alu_opcode=AluOp.ADD, **kw)

    cases: list[tuple[str, Insn, list[int], list[int] | None]] = [
        ("max half-1", gemm(100, 1), [half - 1], None),
        ("min half", gemm(100, 1), [half], None),
        ("half-1 .. half", gemm(101, 2), [half - 1, half], None),
        ("half-1 and half, 3 uops", gemm(101, 3), [half, 5, half - 1], None),
        ("last entry", gemm(100, 1), [depth - 1], None),
        ("0 .. depth-1", gemm(100, 4), [depth - 1, 0, 9, 10], None),
        ("f_out to half-1", gemm(100, 1, iter_out=3, dst_factor_out=11), [half - 23], None),
        ("f_out to half", gemm(100, 1, iter_out=3, dst_factor_out=11), [half - 22], None),
        ("f_in to half", gemm(100, 2, iter_in=5, dst_factor_in=6), [3, half - 24], None),
        ("both factors to half-1", gemm(100, 1, iter_out=2, iter_in=2, dst_factor_out=5, dst_factor_in=6),
         [half - 12], None),
        ("both factors to half", gemm(100, 1, iter_out=2, iter_in=2, dst_factor_out=5, dst_factor_in=6),
         [half - 11], None),
        ("upper half to depth-1", gemm(100, 2, iter_out=4, dst_factor_out=100), [half, depth - 301], None),
        ("upper half to depth", gemm(100, 2, iter_out=4, dst_factor_out=100), [half, depth - 300], None),
        ("upper half, f_in to depth", gemm(100, 1, iter_in=2, dst_factor_in=1), [depth - 1], None),
        ("gemm src ignored", gemm(100, 2, iter_out=9, dst_factor_out=0), [half + 3, half + 4], [0, depth - 1]),
        ("alu imm: src ignored", alu(100, 1, use_imm=True, imm=1, src_factor_out=9, iter_out=900),
         [half + 1], [0]),
        ("alu src lower half", alu(100, 1), [half + 1], [0]),
        ("alu src to half", alu(100, 2, iter_in=2, src_factor_in=1), [0, 1], [half - 2, half - 1]),
        ("alu src to half-1", alu(100, 2, iter_in=2, src_factor_in=1), [0, 1], [half - 3, half - 2]),
        ("alu src to depth", alu(100, 1, iter_out=2, src_factor_out=half), [half], [half]),
        ("alu dst to depth", alu(100, 1, iter_out=2, dst_factor_out=half), [half], [half]),
        ("odd start, 5 uops", gemm(4095, 5), [half + 10] * 4 + [half + 11], None),
        ("buffer's last entry", gemm(cfg.uop_depth - 1, 1), [half], None),
        ("kernel to the buffer's end", gemm(cfg.uop_depth - 6, 6), [half] * 6, None),
        ("largest nest", gemm(100, 1, iter_out=it_max, iter_in=it_max, dst_factor_out=f_max,
                                      dst_factor_in=f_max),
         [half], None),
        ("largest nest, factors 0", gemm(100, 1, iter_out=it_max, iter_in=it_max), [half], None),
        ("iter_out 0", gemm(100, 1, iter_out=0), [0], None),
        ("iter_in 0", alu(100, 1, iter_in=0), [0], [half]),
        ("bgn == end", gemm(100, 0), [], None),
        ("bgn > end", GemmInsn(uop_bgn=100, uop_end=99), [], None),
        ("long kernel", gemm(2000, 301), [half + i for i in range(300)] + [half - 1], None),
    ]
    for i, (what, insn, dst, src) in enumerate(cases):
        if dst:
            kernel_at(bench, insn.uop_bgn, dst, src)
        want = banks_ref(insn, bench.uops, depth)
        if max(1, insn.iter_out) * max(1, insn.iter_in) * max(1, insn.uop_end - insn.uop_bgn) <= 1 << 16:
            assert banks_touched(insn, bench.uops, depth) & ~want == 0, f"{what}: reference misses a bank"
        dut._log.info("%-28s banks %s", what, f"{want:02b}")
        await bench.expect(insn, what, hold=2)
        # Every other case idles between instructions (the next one starts from the idle state).
        if i % 2:
            bench.drive(False)
            await bench.clock()


def random_indices(rng, n: int, depth: int, span: int) -> list[int]:
    """n indices whose max plus the loop span lands on a boundary (half-1, half, depth-1, depth) or
    anywhere, and whose min is the max, near it, at a boundary or anywhere."""
    half = depth // 2
    target = int(rng.choice([half - 1, half, half + 1, depth - 1, depth, depth + 1, -1]))
    hi = target - span if 0 <= target - span < depth else int(rng.integers(0, depth))
    lo_choices = [hi, max(0, hi - int(rng.integers(0, 8))), half - 1, half, 0, int(rng.integers(0, hi + 1))]
    lo = min(hi, int(rng.choice(lo_choices)))
    if n == 1:
        return [hi]
    idx = [int(v) for v in rng.integers(lo, hi + 1, size=n)]
    i, j = rng.choice(n, size=2, replace=False)
    idx[i], idx[j] = lo, hi
    return idx


def random_insn(bench: Bench) -> Insn:
    """A GEMM or ALU instruction with its kernel written into the model buffer."""
    rng, cfg = bench.rng, bench.cfg
    depth = cfg.acc_depth
    n = int(rng.choice([1, 2, 3, int(rng.integers(1, 13)), int(rng.integers(13, 80))], p=[.15, .15, .1, .45, .15]))
    bgn = int(rng.integers(1, cfg.uop_depth - n - 2)) if rng.random() < 0.9 else cfg.uop_depth - n
    loops = {}
    for f in ("out", "in"):
        it = 1 if rng.random() < 0.4 else int(rng.integers(1, 7))
        if rng.random() < 0.03:
            it = int(rng.integers(1, 1 << 14))
        loops[f"iter_{f}"] = it
        for t in ("dst", "src"):
            big = rng.random() < 0.05
            loops[f"{t}_factor_{f}"] = int(rng.integers(0, 1 << 11 if big else 300))

    def span(t: str) -> int:
        return (loops["iter_out"] - 1) * loops[f"{t}_factor_out"] + (loops["iter_in"] - 1) * loops[f"{t}_factor_in"]

    dst = random_indices(rng, n, depth, span("dst"))
    if rng.random() < 0.5:
        src = [int(v) for v in rng.integers(0, depth, size=n)]
        insn: Insn = GemmInsn(uop_bgn=bgn, uop_end=bgn + n, reset_reg=bool(rng.random() < 0.2),
                              wgt_factor_out=int(rng.integers(0, 8)), **loops)
    else:
        src = random_indices(rng, n, depth, span("src"))
        use_imm = bool(rng.random() < 0.4)
        insn = AluInsn(uop_bgn=bgn, uop_end=bgn + n, alu_opcode=int(rng.integers(0, 5)), use_imm=use_imm,
                       imm=int(rng.integers(-(1 << 15), 1 << 15)), **loops)
    empty = rng.random()
    if empty < 0.03:
        insn = replace(insn, iter_out=0)
    elif empty < 0.06:
        insn = replace(insn, iter_in=0)
    elif empty < 0.09:
        insn = replace(insn, uop_end=insn.uop_bgn - int(rng.integers(0, 2)))
    kernel_at(bench, bgn, dst, src)
    return insn


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def random_instructions(dut):
    """Random instructions; a third come after an interrupted scan: of another instruction, then a new
    key; of this one, then valid_i low for a few clocks (the kernel maybe rewritten, as a LOAD UOP would)
    and the same key again; of another instruction (maybe to its result), then clr_i and this one under
    the same key (clr_i forgets the result)."""
    cfg = config_from_env()
    dut._log.info("seed %d", SEED + 1)
    bench = Bench(dut, cfg, SEED + 1)
    rng = bench.rng
    await bench.start()
    seen = set()
    interrupted = 0
    for i in range(400):
        mode = str(rng.choice(["plain", "key", "drop", "clr"], p=[0.64, 0.12, 0.14, 0.10]))
        decoy = random_insn(bench) if mode in ("key", "clr") else None
        insn = random_insn(bench)
        want = banks_ref(insn, bench.uops, cfg.acc_depth)
        seen.add(want)
        if insn.iter_out * insn.iter_in * max(1, insn.uop_end - insn.uop_bgn) <= 1 << 16:
            assert banks_touched(insn, bench.uops, cfg.acc_depth) & ~want == 0, f"reference misses a bank: {insn}"
        first = decoy or insn
        same_key = False
        if mode != "plain" and bench.bound(first) > 1:
            bench.key += 1
            bench.drive(True, first, bench.key)
            extra = 3 if mode == "clr" else 0  # a clear may also come after the decoy's result
            for _ in range(int(rng.integers(1, bench.bound(first) + extra))):
                await bench.clock()
            interrupted += 1
            if mode == "drop":
                bench.drive(False)
                for _ in range(int(rng.integers(1, 4))):
                    if rng.random() < 0.5:  # a LOAD UOP rewrites part of the kernel meanwhile
                        n = insn.uop_end - insn.uop_bgn
                        at = insn.uop_bgn + int(rng.integers(0, n))
                        bench.write(at, [bench.random_uop() for _ in range(int(rng.integers(1, n + 1)))])
                    await bench.clock()
            elif mode == "clr":
                bench.drive(bool(rng.random() < 0.5), clr=True)
                await bench.clock()
                bench.drive(True, clr=False)
            same_key = mode in ("drop", "clr")
        await bench.expect(insn, f"insn {i} ({mode})", hold=int(rng.integers(0, 3)), new_key=not same_key)
        if rng.random() < 0.3:
            bench.drive(False)
            for _ in range(int(rng.integers(1, 4))):
                await bench.clock()
    dut._log.info("%d results, %d scans interrupted, bank sets seen %s", bench.results, interrupted, sorted(seen))
    assert seen == {0, 1, 2, 3}, f"bank sets seen: {sorted(seen)}"
