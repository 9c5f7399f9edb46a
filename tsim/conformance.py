"""The hardware conformance programs: each runs on any Device; on TSIM it must give exactly fsim's bytes.

    pair = DevicePair.open(Config())
    for program in programs(pair.config):
        outcome = pair.compare(program, seed=0)   # outputs, the whole DRAM arena, micro-op counters

Three groups, for any Config the ISA can encode:

- `scenario/*`: every program of `vta.jit.scenarios.SCENARIOS` (loads with
  padding, GEMM with one and two virtual threads, every ALU op, stores);
- `workload/*`: `vta.jit.workloads.blocked_matmul` with double-buffered loads,
  with a bias and a shift/clip epilogue, and a plain one;
- `compiler/*`: CI-sized ResNet-18-style layers (3x3 and strided 1x1 conv2d)
  and an LSTM-style dense through `vta.compiler.ops`.

fsim is the reference: the program runs there first, then on TSIM, on two
devices whose allocation histories are identical, so not only the outputs but
the whole DRAM arena (inputs, micro-ops, instruction streams and any stray
write) must be byte-identical afterwards.

This module drives the compiler's operators as workloads, so it sits above
both `vta.compiler` and the TSIM device (like the CLI); nothing in the TSIM
device path imports it.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from vta.isa.config import Config
from vta.isa.errors import VtaError
from vta.isa.opcodes import AluOp
from vta.isa.stats import RunStats
from vta.jit.buffer import DeviceBuffer
from vta.jit.command_queue import CommandQueue
from vta.jit.device import Device, open_device
from vta.jit.scenarios import SCENARIOS
from vta.jit.workloads import MatmulTiles, blocked_matmul, pack_a, pack_bias, pack_w, unpack_c

from . import edge_programs as edge

#: DRAM arena of a conformance device pair (compared whole after every program).
DRAM_BYTES = 1 << 26

Outputs = dict[str, np.ndarray]
RunFn = Callable[[Device, int], tuple[Outputs, list[RunStats]]]


@dataclass(frozen=True)
class ConformanceProgram:
    """A named program: run(device, seed) -> (named outputs, the RunStats of its runs)."""

    name: str
    run: RunFn

    @property
    def group(self) -> str:
        return self.name.split("/", 1)[0]

    def seed(self, base: int) -> int:
        """The program's own seed: stable per name, shifted by the batch's base seed."""
        return (zlib.crc32(self.name.encode()) + base) & 0x7FFFFFFF


# ---------------------------------------------------------------- scenario group
def _scenario(name: str) -> RunFn:
    def run(dev: Device, seed: int) -> tuple[Outputs, list[RunStats]]:
        result = SCENARIOS[name](CommandQueue(dev), np.random.default_rng(seed))
        return {"output": result.output}, [result.stats]
    return run


# ---------------------------------------------------------------- workload group
def _matmul(m_blocks: int, n_blocks: int, k_blocks: int, with_bias: bool, tiles: MatmulTiles | None = None) -> RunFn:
    """blocked_matmul (double-buffered loads) of (m_blocks*BATCH, k) x (k, n), optional bias and epilogue."""
    def run(dev: Device, seed: int) -> tuple[Outputs, list[RunStats]]:
        c = dev.config
        m, n, k = m_blocks * c.batch, n_blocks * c.block_out, k_blocks * c.block_in
        rng = np.random.default_rng(seed)
        a = rng.integers(-128, 128, (m, k), dtype=np.int8)
        w = rng.integers(-128, 128, (n, k), dtype=np.int8)
        cq = CommandQueue(dev)
        bufs = [DeviceBuffer.from_array(dev, pack_a(a, c)), DeviceBuffer.from_array(dev, pack_w(w, c)),
                DeviceBuffer(dev, m * n)]
        kwargs: dict[str, Any] = {}
        if with_bias:
            bias = rng.integers(-(1 << 14), 1 << 14, n).astype(np.int32)
            bufs.append(DeviceBuffer.from_array(dev, pack_bias(bias, c)))
            kwargs = {"bias": bufs[3], "epilogue": ((AluOp.SHR, 9), (AluOp.MAX, 0), (AluOp.MIN, 127))}
        try:
            blocked_matmul(cq, bufs[0], bufs[1], bufs[2], m, n, k, tiles=tiles, **kwargs)
            stats = cq.synchronize()
            out = unpack_c(bufs[2].read(np.int8), m, n, c)
        finally:
            for b in bufs:
                b.free()
        return {"c": out}, [stats]
    return run


def max_work_tiles(mb: int, nb: int, kb: int, config: Config) -> MatmulTiles:
    """Matmul tiles with the most GEMM micro-ops per load step (tm*tn*tk) that fit the buffers (both INP
    and WGT halves, the ACC tile, half the micro-op buffer); ties go to fewer bus beats per micro-op."""
    c = config
    best: tuple[tuple[int, float], MatmulTiles] | None = None
    for tk in _divisors(kb):
        for tn in _divisors(nb):
            if 2 * tn * tk > c.wgt_depth:
                continue
            for tm in _divisors(mb):
                if 2 * tm * tk > c.inp_depth or tm * tn > min(c.acc_depth, c.uop_depth // 2):
                    continue
                work = tm * tn * tk
                beats = (tm * tk * c.inp_elem_bytes + tn * tk * c.wgt_elem_bytes) / c.bus_bytes
                key = (work, -beats / work)
                if best is None or key > best[0]:
                    best = (key, MatmulTiles(tm, tn, tk))
    if best is None:
        raise VtaError(f"no matmul tiling of {mb}x{nb}x{kb} blocks fits the buffers of {c.bitstream}")
    return best[1]


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _full_buffers_matmul(dev: Device, seed: int) -> tuple[Outputs, list[RunStats]]:
    """A matmul whose tiles fill the INP/WGT double buffers and the ACC: the top SRAM addresses of any Config.

    Two output tiles of two reduction steps each (both buffer halves used twice).
    """
    c = dev.config
    n = 1 << max(c.log_inp_depth, c.log_wgt_depth, c.log_acc_depth)  # block counts no buffer limits
    t = max_work_tiles(n, n, n, c)
    return _matmul(2 * t.tm, t.tn, 2 * t.tk, False, t)(dev, seed)


# ---------------------------------------------------------------- compiler group
def _compiled(make_op: Callable[[Any, Config, np.random.Generator], tuple[Any, np.ndarray]]) -> RunFn:
    """Run an operator of vta.compiler.ops: make_op(ops, config, rng) -> (op, input); bias, >> 8, clip [0, 127]."""
    def run(dev: Device, seed: int) -> tuple[Outputs, list[RunStats]]:
        from vta.compiler import ops  # the compiler sits above the devices; only this group needs it

        op, x = make_op(ops, dev.config, np.random.default_rng(seed))
        try:
            y = op.run(dev, x)
            stats = op.last_stats
        finally:
            op.release(dev)
        return {"y": y}, [stats] if stats is not None else []
    return run


def _conv(h: int, ci_blocks: int, co_blocks: int, k: int, pad: int, stride: int) -> RunFn:
    """A ResNet-18-style conv2d, channel counts in blocks, batch = BATCH."""
    def make(ops: Any, c: Config, rng: np.random.Generator) -> tuple[Any, np.ndarray]:
        ci, co = ci_blocks * c.block_in, co_blocks * c.block_out
        x = rng.integers(-128, 128, (c.batch, ci, h, h), dtype=np.int8)
        w = rng.integers(-128, 128, (co, ci, k, k), dtype=np.int8)
        b = rng.integers(-(1 << 14), 1 << 14, co).astype(np.int32)
        return ops.conv2d(w, b, input_shape=x.shape, stride=stride, padding=pad, config=c,
                          epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))), x
    return _compiled(make)


def _dense(rows: int, in_blocks: int, out_blocks: int) -> RunFn:
    """An LSTM-style dense layer: rows x BATCH inputs, sizes in blocks."""
    def make(ops: Any, c: Config, rng: np.random.Generator) -> tuple[Any, np.ndarray]:
        n, i, o = rows * c.batch, in_blocks * c.block_in, out_blocks * c.block_out
        x = rng.integers(-128, 128, (n, i), dtype=np.int8)
        w = rng.integers(-128, 128, (o, i), dtype=np.int8)
        b = rng.integers(-(1 << 14), 1 << 14, o).astype(np.int32)
        return ops.dense(w, b, input_shape=x.shape, config=c,
                         epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))), x
    return _compiled(make)


#: The program groups, in the order they run.
GROUPS = ("scenario", "edge", "workload", "compiler")


def programs(config: Config | None = None, groups: tuple[str, ...] = GROUPS) -> list[ConformanceProgram]:
    """The conformance programs (the same list for every Config; shapes scale with BATCH and BLOCK)."""
    del config  # every program sizes itself from the device's Config
    table: list[ConformanceProgram] = [ConformanceProgram(f"scenario/{name}", _scenario(name))
                                       for name in SCENARIOS]
    table += [
        ConformanceProgram("edge/nop_and_empty_nests", edge.nop_and_empty_nests),
        ConformanceProgram("edge/pad_only_loads", edge.pad_only_loads),
        ConformanceProgram("edge/token_backlog", edge.token_backlog),
        ConformanceProgram("edge/top_indices", edge.top_indices),
        *(ConformanceProgram(f"edge/alu_extremes_{op.name.lower()}", edge.alu_extremes(op)) for op in AluOp),
    ]
    table += [
        # 2 x 2 output tiles of 3 reduction steps each: both INP/WGT buffers alternate, bias reloaded per tile
        ConformanceProgram("workload/matmul_bias_epilogue", _matmul(8, 4, 6, True, MatmulTiles(4, 2, 2))),
        ConformanceProgram("workload/matmul_plain", _matmul(4, 2, 3, with_bias=False)),
        ConformanceProgram("workload/matmul_full_buffers", _full_buffers_matmul),
        # ResNet-18 C11 (7x7, 3x3, pad 1) and C4 (1x1, stride 2) with CI-sized channel counts
        ConformanceProgram("compiler/conv2d_c11_3x3", _conv(7, 4, 4, 3, 1, 1)),
        ConformanceProgram("compiler/conv2d_c4_1x1_s2", _conv(14, 4, 8, 1, 0, 2)),
        ConformanceProgram("compiler/dense_lstm", _dense(4, 16, 8)),
    ]
    return [p for p in table if p.group in groups]


# ---------------------------------------------------------------- comparison
@dataclass
class Outcome:
    """One program on fsim and TSIM."""

    name: str
    seed: int
    problems: list[str] = field(default_factory=list)
    fsim_s: float = 0.0
    tsim_s: float = 0.0
    cycles: int | None = None
    #: fsim (the reference) rejected the program: it does not fit this Config's buffers or fields,
    #: so it says nothing about the RTL. Reported as such, never counted as identical.
    not_applicable: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.not_applicable

    def text(self) -> str:
        state = "ok" if self.ok else ("not applicable" if self.not_applicable else "FAIL")
        head = f"{self.name} (seed {self.seed}): {state}"
        return "\n".join([head] + [f"  {p}" for p in self.problems + ([self.not_applicable] if self.not_applicable
                                                                          else [])])


class DevicePair:
    """An fsim and a TSIM device for one Config, with identical DRAM arenas and allocation histories."""

    def __init__(self, fsim: Device, tsim: Device) -> None:
        if fsim.config != tsim.config or fsim.dram.capacity != tsim.dram.capacity:
            raise VtaError("a conformance pair needs the same Config and DRAM size on both devices")
        self.fsim, self.tsim = fsim, tsim
        self.config = fsim.config

    @classmethod
    def open(cls, config: Config, *, dram_bytes: int = DRAM_BYTES, verbose: int = 0, **tsim_options: Any
             ) -> "DevicePair":
        tsim = open_device("tsim", config, dram_bytes=dram_bytes, verbose=verbose, **tsim_options)
        return cls(open_device("fsim", config, dram_bytes=dram_bytes), tsim)

    def compare(self, program: ConformanceProgram, seed: int = 0) -> Outcome:
        """Run on fsim, then on TSIM; every output and the DRAM arenas must be identical."""
        out = Outcome(program.name, program.seed(seed))
        if self.fsim.dram.allocations() != self.tsim.dram.allocations():
            out.problems.append("the two devices' allocations differ before the run (a previous program leaked)")
            return out
        results = []
        before = {addr for addr, _ in self.fsim.dram.allocations()}
        for dev in (self.fsim, self.tsim):
            start = time.perf_counter()
            try:
                results.append(program.run(dev, out.seed))
            except VtaError as exc:
                if dev is self.fsim:
                    out.not_applicable = f"fsim rejects it on this Config: {type(exc).__name__}: {exc}"
                else:
                    out.problems.append(f"{dev.name} raised {type(exc).__name__}: {exc}")
                for d in (self.fsim, self.tsim):  # free what the failed program left behind
                    for addr, _ in d.dram.allocations():
                        if addr not in before:
                            d.free(addr)
                self._resync()
                return out
            finally:
                if dev is self.fsim:
                    out.fsim_s = time.perf_counter() - start
                else:
                    out.tsim_s = time.perf_counter() - start
        (f_out, f_stats), (t_out, t_stats) = results
        out.cycles = sum(s.cycles or 0 for s in t_stats) if t_stats else None
        for name, want in f_out.items():
            got = t_out.get(name)
            if got is None or got.shape != want.shape or got.dtype != want.dtype:
                out.problems.append(f"output {name!r}: TSIM gave {None if got is None else (got.shape, got.dtype)},"
                                    f" fsim {(want.shape, want.dtype)}")
            elif not np.array_equal(got, want):
                where = np.argwhere(got != want)
                first = tuple(int(i) for i in where[0])
                out.problems.append(f"output {name!r}: {len(where)} of {want.size} values differ; first at {first}:"
                                    f" fsim {int(want[first])}, TSIM {int(got[first])}")
        if self.fsim.dram.allocations() != self.tsim.dram.allocations():
            out.problems.append("the programs left different allocations on the two devices")
        elif not np.array_equal(self.fsim.dram.data, self.tsim.dram.data):
            diff = np.flatnonzero(self.fsim.dram.data != self.tsim.dram.data)
            owner = _owner(self.fsim, int(diff[0]))
            out.problems.append(f"DRAM: {diff.size} bytes differ after the run; first at {int(diff[0]):#x} ({owner}):"
                                f" fsim {self.fsim.dram.data[diff[0]]:#04x}, TSIM {self.tsim.dram.data[diff[0]]:#04x}")
        for fs, ts in zip(f_stats, t_stats):
            for counter, want_n in (("gemm_uops", fs.gemm_uops), ("alu_uops", fs.alu_uops)):
                got_n = ts.hw_counters.get(counter)
                if got_n is not None and got_n != want_n:
                    out.problems.append(f"hardware counter {counter} = {got_n}, fsim counted {want_n}")
        if not out.ok:
            self._resync()
        return out

    def _resync(self) -> None:
        """Make TSIM's arena equal fsim's again, so one failure does not spill into the next program."""
        self.tsim.dram.data[:] = self.fsim.dram.data

    def close(self) -> None:
        self.tsim.close()
        self.fsim.close()

    def __enter__(self) -> "DevicePair":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _owner(dev: Device, addr: int) -> str:
    """Which live allocation holds a byte address (freed buffers keep their bytes in the arena)."""
    for start, nbytes in dev.dram.allocations():
        if start <= addr < start + nbytes:
            return f"live buffer at {start:#x}, byte {addr - start}"
    return "a freed buffer or never-allocated memory"
