"""The fuzz generator (jit/fuzz.py) makes the programs it claims for the dual-issue compute stage.

About half the programs put their ACC/OUT window across the ACC bank boundary
(bank = top bit of the index), and in those, GEMM and ALU instructions that
follow each other on the compute stage are often bank-disjoint (the hardware
may run them together) and sometimes share a bank (it must not). Footprints
are worked out here from the encoded program as placed in device memory, the
way the hardware sees it: GEMM = every dst index, ALU = every dst index plus
every src index unless it uses the immediate; a nest whose largest index sum
reaches the depth touches both banks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from vta.isa.config import Config
from vta.isa.encode import decode_program, decode_uops
from vta.isa.opcodes import MemType, Opcode, Stage
from vta.jit import open_device
from vta.jit.fuzz import WINDOW, random_program

CFG = Config()
SEEDS = range(200)


@dataclass
class Nest:
    """One GEMM/ALU instruction as the hardware sees it."""

    index: int  # in the program
    opcode: Opcode
    banks: frozenset[int]
    work: int  # micro-op executions
    dst: np.ndarray  # ACC indices written, in execution order
    src: np.ndarray | None  # ACC indices read by an ALU without immediate, in execution order
    pushes: bool  # pushes a token to the load or store stage


@dataclass
class Shape:
    """What one program exercises."""

    straddles: bool = False  # its ACC window (the first ACC load fills it) lies in both banks
    pairs: list[tuple[Nest, Nest]] = field(default_factory=list)  # GEMM/ALU neighbours on the compute stage
    cross_alu: int = 0  # ALU nests with dsts in one bank, srcs in the other
    src_overwrites: int = 0  # GEMMs writing what the latest source-reading ALU read last, which an ALU then reads
    other_bank_stores: int = 0  # STOREs of one bank's OUT right after a nest that touched only the other bank


def _banks(idx: np.ndarray, depth: int) -> set[int]:
    if idx.max() >= depth:
        return {0, 1}
    return {int(b) for b in np.unique(idx // (depth // 2))}


def _nest(seed: int, k: int, insn, uop_sram: np.ndarray, config: Config) -> Nest:
    words = uop_sram[insn.uop_bgn: insn.uop_end]
    assert (words >= 0).all(), f"seed {seed}: insn {k} runs micro-ops that were never loaded"
    depth = config.acc_depth
    dst, src, _ = decode_uops(words.astype(np.uint32), config)
    y = np.arange(insn.iter_out)[:, None, None]
    x = np.arange(insn.iter_in)[None, :, None]
    d = (dst + y * insn.dst_factor_out + x * insn.dst_factor_in).ravel()
    banks = _banks(d, depth)
    s = None
    if insn.opcode == Opcode.ALU and not insn.use_imm:
        s = (src + y * insn.src_factor_out + x * insn.src_factor_in).ravel()
        banks |= _banks(s, depth)
    return Nest(k, Opcode(insn.opcode), frozenset(banks), d.size, d, s, insn.push_prev_dep or insn.push_next_dep)


def _shape(dev, seed: int) -> Shape:
    """Place the program in device memory and read back what the compute stage runs."""
    config = dev.config
    prog = random_program(config, seed, hazards=seed % 2 == 0)
    addrs, insn_addr = prog.materialize(dev)
    try:
        insns = decode_program(bytes(dev.read(insn_addr, 16 * len(prog.insns))), config)
        depth, eb = config.acc_depth, config.uop_elem_bytes
        uop_sram = np.full(config.uop_depth, -1, np.int64)
        fill = next(i for i in insns if i.opcode == Opcode.LOAD and i.memory_type == MemType.ACC)  # the window
        shape = Shape(straddles=fill.sram_base < depth // 2 < fill.sram_base + fill.x_size * fill.y_size)
        prev: Nest | None = None  # the compute stage's previous instruction if a GEMM/ALU
        last_nest: Nest | None = None
        last_src: int | None = None  # what the latest source-reading ALU read last
        overwritten: set[int] = set()
        for k, insn in enumerate(insns):
            if insn.opcode == Opcode.LOAD and insn.memory_type == MemType.UOP and insn.x_size:
                for row in range(insn.y_size):
                    at = (insn.dram_base + row * insn.x_stride) * eb
                    words = dev.read(at, insn.x_size * eb).view(np.uint32)
                    uop_sram[insn.sram_base + row * insn.x_size: insn.sram_base + (row + 1) * insn.x_size] = words
            if insn.opcode == Opcode.STORE and insn.memory_type == MemType.OUT and insn.x_size and last_nest:
                first = insn.sram_base  # OUT is read contiguously; x_stride is the DRAM side's
                store_banks = _banks(np.array([first, first + insn.x_size * insn.y_size - 1]), depth)
                if len(store_banks) == 1 and store_banks.isdisjoint(last_nest.banks):
                    shape.other_bank_stores += 1
            if insn.stage != Stage.COMPUTE:
                continue
            if insn.opcode not in (Opcode.GEMM, Opcode.ALU):
                prev = None
                continue
            nest = _nest(seed, k, insn, uop_sram, config)
            if prev is not None and prev.opcode != nest.opcode:
                shape.pairs.append((prev, nest))
            if nest.opcode == Opcode.GEMM and last_src is not None and last_src in nest.dst:
                overwritten.add(last_src)
            if nest.src is not None:
                shape.src_overwrites += sum(1 for s in overwritten if s in nest.src)
                overwritten.clear()
                last_src = int(nest.src[-1])
                dst_banks, src_banks = _banks(nest.dst, depth), _banks(nest.src, depth)
                shape.cross_alu += len(dst_banks) == len(src_banks) == 1 and dst_banks != src_banks
            prev = last_nest = nest
        return shape
    finally:
        for a in addrs + [insn_addr]:
            dev.free(a)


@pytest.fixture(scope="module")
def shapes() -> dict[int, Shape]:
    with open_device("fsim", CFG, dram_bytes=1 << 22) as dev:
        return {seed: _shape(dev, seed) for seed in SEEDS}


def _disjoint(pair: tuple[Nest, Nest]) -> bool:
    return pair[0].banks.isdisjoint(pair[1].banks)


def test_about_half_the_programs_straddle_the_bank_boundary(shapes):
    straddling = sum(s.straddles for s in shapes.values())
    assert 0.35 * len(shapes) <= straddling <= 0.7 * len(shapes), straddling


def test_straddling_programs_have_bank_disjoint_gemm_alu_neighbours(shapes):
    straddling = [s for s in shapes.values() if s.straddles]
    with_disjoint = [s for s in straddling if any(_disjoint(p) for p in s.pairs)]
    assert len(with_disjoint) >= 0.75 * len(straddling), (len(with_disjoint), len(straddling))
    pairs = [p for s in straddling for p in s.pairs]
    disjoint = [p for p in pairs if _disjoint(p)]
    assert len(disjoint) >= 0.3 * len(pairs), (len(disjoint), len(pairs))
    for first, second in ((Opcode.GEMM, Opcode.ALU), (Opcode.ALU, Opcode.GEMM)):
        ordered = [p for p in disjoint if (p[0].opcode, p[1].opcode) == (first, second)]
        # long then short and short then long, so the two actually run at the same time
        assert sum(a.work >= 4 * b.work for a, b in ordered) >= 20, (first.name, second.name)
        assert sum(b.work >= 4 * a.work for a, b in ordered) >= 20, (first.name, second.name)
    # a younger nest that pushes a token while an older one of the other bank may still run
    assert sum(b.pushes for _, b in disjoint) >= 5


def test_straddling_programs_also_have_neighbours_sharing_a_bank(shapes):
    pairs = [p for s in shapes.values() if s.straddles for p in s.pairs]
    shared = [p for p in pairs if not _disjoint(p)]
    assert len(shared) >= 0.2 * len(pairs), (len(shared), len(pairs))
    # both banks at once, against one: the hardware must serialize
    assert sum(len(a.banks) == 2 or len(b.banks) == 2 for a, b in shared) >= 30
    assert sum(a.banks == b.banks and len(a.banks) == 1 for a, b in shared) >= 30


def test_one_bank_windows_only_share(shapes):
    """A window on one side of the boundary cannot give bank-disjoint neighbours (checks the footprints here)."""
    pairs = [p for s in shapes.values() if not s.straddles for p in s.pairs]
    assert pairs and not any(_disjoint(p) for p in pairs)


def test_bank_hazards_of_sources_and_stores(shapes):
    straddling = [s for s in shapes.values() if s.straddles]
    assert sum(s.cross_alu for s in straddling) >= 30  # ALU reading the other bank than it writes
    assert sum(s.src_overwrites for s in shapes.values()) >= 20  # ALU src, GEMM writes it, ALU reads it again
    assert sum(s.other_bank_stores for s in straddling) >= 30  # one bank's OUT stored after the other bank's nest


#: Small ACC depths: the presets' smallest, and a config whose every SRAM is tiny (ACC 8, INP 8, WGT 2, UOP 8).
SMALL = {"4x16x16": Config.load("4x16x16"), "2x8x8_bus128": Config(log_batch=1, log_block=3, log_bus_width=7,
                                                                  log_acc_buff_size=13, log_inp_buff_size=10,
                                                                  log_wgt_buff_size=12, log_uop_buff_size=10),
         "tiny": Config(log_acc_buff_size=9, log_inp_buff_size=7, log_wgt_buff_size=9, log_uop_buff_size=5)}


@pytest.mark.parametrize("name", SMALL)
def test_small_depths_straddle_too_and_stay_valid(name):
    """Programs on small SRAMs run on fsim, and about half of them (all, if the window is all of ACC) still work
    on both sides of the boundary."""
    config = SMALL[name]
    with open_device("fsim", config, dram_bytes=1 << 22) as dev:
        shapes = [_shape(dev, seed) for seed in range(40)]
        for seed in range(0, 40, 4):
            random_program(config, seed, ops=12, hazards=seed % 8 == 0).run(dev)
    straddling = sum(s.straddles for s in shapes)
    assert 10 <= straddling <= 30 if config.acc_depth > WINDOW else straddling == 40  # a window of all ACC
    assert any(_disjoint(p) for s in shapes for p in s.pairs)


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_fewer_ops_give_the_same_prefix(seed):
    """Shrinking: the same seed with fewer ops emits the same instructions up to its final store and FINISH."""
    short, long = random_program(CFG, seed, ops=10), random_program(CFG, seed, ops=16)
    same = next((i for i, (a, b) in enumerate(zip(short.insns, long.insns)) if a != b), len(short.insns))
    # the tail: the final STORE and its token, FINISH and its tokens, a push flag on the last body instruction
    assert same >= len(short.insns) - 7, (same, len(short.insns))
    for mine, theirs in zip(short.buffers, long.buffers):  # micro-ops: a prefix; the others: the same
        assert np.array_equal(theirs[: mine.size], mine)
