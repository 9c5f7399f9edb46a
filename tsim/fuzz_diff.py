"""Differential fuzzing of TSIM against fsim: random valid programs, every byte of device memory compared.

    with Differ.open(Config()) as differ:
        report = differ.run_batch(n=200, seed=0)
    print(report.table())
    for m in report.mismatches:
        print(m.text())          # seed, config, DRAM timing, smallest failing `ops`, the program

Programs come from `vta.jit.fuzz.random_program`. A batch alternates
hazards on (micro-ops that repeat a destination back to back) and off, and
cycles through DRAM timings: the RTL must produce the same bytes whatever the
memory's latency, bandwidth and outstanding-burst limit. After each program the
buffers are compared with `np.array_equal`, then the whole DRAM arena (so a
write outside the program's buffers is caught too), then the RTL's GEMM/ALU
micro-op counters against fsim's counts and its memory-beat counters against
the DRAM model's.

A failing case is shrunk: the generator with the same seed and fewer `ops`
emits the same prefix of body operations, so the smallest failing `ops` count
gives the shortest program that still shows the difference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from vta.isa.config import Config
from vta.isa.dram import PAGE_BYTES
from vta.isa.errors import VtaError
from vta.isa.stats import RunStats
from vta.jit.device import Device, open_device
from vta.jit.fuzz import WINDOW, FuzzProgram, random_program

#: DRAM timings of the TSIM devices a batch cycles through (options of open_device("tsim", ...)).
TIMINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "fast": {"read_latency": 1, "write_latency": 1},
    "slow": {"read_latency": 40, "write_latency": 24, "read_bandwidth": 0.25, "write_bandwidth": 0.5,
             "max_outstanding": 1},
}
#: Body operations per program (the generator's default).
DEFAULT_OPS = 24
#: A fuzz program runs a few thousand cycles; anything near this is a hang.
MAX_CYCLES = 2_000_000
#: Names of the buffers `vta.jit.fuzz.Generator` allocates, in order.
BUFFER_NAMES = ("inp", "wgt", "acc", "out", "uop")


@dataclass(frozen=True)
class Case:
    """One fuzz program: generator inputs plus the DRAM timing it runs under on TSIM."""

    seed: int
    ops: int
    hazards: bool
    timing: str

    def program(self, config: Config) -> FuzzProgram:
        return random_program(config, self.seed, self.ops, self.hazards)

    def label(self) -> str:
        return f"seed={self.seed} ops={self.ops} hazards={'on' if self.hazards else 'off'} timing={self.timing}"


@dataclass
class Difference:
    """What differed in one run: kind is data, stray (outside the buffers), counters, tsim-error, fsim-error,
    or flaky (failed once, not when rerun)."""

    kind: str
    detail: str


@dataclass
class Mismatch:
    """A failing case, shrunk to the smallest failing `ops` count."""

    config: Config
    case: Case  # as found
    minimal: Case  # smallest ops that still fails
    differences: list[Difference]  # of the minimal case
    program_text: str  # of the minimal case

    def text(self) -> str:
        lines = [f"MISMATCH {self.config.bitstream} (bus {self.config.bus_width}) {self.case.label()}"
                 f" -> smallest failing ops={self.minimal.ops}"]
        lines += [f"  [{d.kind}] {d.detail}" for d in self.differences]
        lines.append(f"  program (seed={self.minimal.seed} ops={self.minimal.ops}"
                     f" hazards={'on' if self.minimal.hazards else 'off'}, TSIM DRAM timing {self.minimal.timing}"
                     f" {TIMINGS[self.minimal.timing]}):")
        lines += ["    " + line for line in self.program_text.splitlines()]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"config": self.config.bitstream, "bus_width": self.config.bus_width, "case": self.case.__dict__,
                "minimal": self.minimal.__dict__, "differences": [d.__dict__ for d in self.differences],
                "program": self.program_text.splitlines()}


@dataclass
class FuzzReport:
    """The outcome of a batch."""

    config: Config
    programs: int = 0
    failed: int = 0  # failing programs (only the first few are shrunk into `mismatches`)
    mismatches: list[Mismatch] = field(default_factory=list)
    seconds: float = 0.0
    generate_s: float = 0.0
    fsim_s: float = 0.0
    tsim_s: float = 0.0
    tsim_cycles: int = 0
    by_timing: dict[str, int] = field(default_factory=dict)
    by_hazards: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def table(self) -> str:
        rows = [
            ("config", f"{self.config.bitstream} (bus {self.config.bus_width})"),
            ("programs", str(self.programs)),
            ("  by hazards", ", ".join(f"{k} {v}" for k, v in sorted(self.by_hazards.items()))),
            ("  by DRAM timing", ", ".join(f"{k} {v}" for k, v in sorted(self.by_timing.items()))),
            ("mismatches", f"{self.failed}" + (f" ({len(self.mismatches)} shrunk below)" if self.failed else "")),
            ("TSIM cycles", f"{self.tsim_cycles:,}"),
            ("time", f"{self.seconds:.1f} s (generate {self.generate_s:.1f}, fsim {self.fsim_s:.1f},"
                     f" TSIM {self.tsim_s:.1f})"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)

    def as_dict(self) -> dict[str, Any]:
        return {"config": self.config.bitstream, "bus_width": self.config.bus_width, "programs": self.programs,
                "mismatches": self.failed, "by_hazards": self.by_hazards, "by_timing": self.by_timing,
                "seconds": round(self.seconds, 3), "generate_s": round(self.generate_s, 3),
                "fsim_s": round(self.fsim_s, 3), "tsim_s": round(self.tsim_s, 3), "tsim_cycles": self.tsim_cycles,
                "failures": [m.as_dict() for m in self.mismatches]}


def cases(n: int, seed: int = 0, ops: int = DEFAULT_OPS, timings: tuple[str, ...] = tuple(TIMINGS),
          hazards: tuple[bool, ...] = (True, False)) -> list[Case]:
    """n cases with seeds seed, seed+1, ...: hazards alternate fastest, then the DRAM timing."""
    return [Case(seed + i, ops, hazards[i % len(hazards)], timings[(i // len(hazards)) % len(timings)])
            for i in range(n)]


def dram_bytes(config: Config) -> int:
    """An arena that holds one fuzz program (buffers, micro-ops, instructions) with room to spare.

    Small on purpose: the whole arena is compared after every program.
    """
    c = config
    rows = 4 * WINDOW
    data = rows * (c.inp_elem_bytes + c.wgt_elem_bytes + c.acc_elem_bytes + c.out_elem_bytes)
    need = data + 64 * 1024 + 16 * PAGE_BYTES
    size = 1 << max(20, (2 * need - 1).bit_length())
    return size


class Differ:
    """fsim and one TSIM device per DRAM timing for a Config; runs, compares and shrinks cases."""

    def __init__(self, fsim: Device, tsim: dict[str, Device]) -> None:
        for name, dev in tsim.items():
            if name not in TIMINGS:
                raise VtaError(f"unknown DRAM timing {name!r}; known: {', '.join(TIMINGS)}")
            if dev.config != fsim.config or dev.dram.capacity != fsim.dram.capacity:
                raise VtaError(f"the {name} device differs from fsim in Config or DRAM size")
        self.config = fsim.config
        self.fsim = fsim
        self.tsim = tsim
        self.timings = tuple(tsim)

    @classmethod
    def open(cls, config: Config, timings: tuple[str, ...] = tuple(TIMINGS), *, verbose: int = 0,
             **tsim_options: Any) -> "Differ":
        """Open fsim and the TSIM devices (tsim_options go to open_device, e.g. spec=...)."""
        for name in timings:
            if name not in TIMINGS:
                raise VtaError(f"unknown DRAM timing {name!r}; known: {', '.join(TIMINGS)}")
        size = dram_bytes(config)
        fsim = open_device("fsim", config, dram_bytes=size)
        tsim: dict[str, Device] = {}
        try:
            for name in timings:
                tsim[name] = open_device("tsim", config, dram_bytes=size, verbose=verbose, max_cycles=MAX_CYCLES,
                                         **{**TIMINGS[name], **tsim_options})
        except BaseException:
            for dev in [fsim, *tsim.values()]:
                dev.close()
            raise
        return cls(fsim, tsim)

    # ------------------------------------------------------------ one case
    def compare(self, case: Case, report: FuzzReport | None = None) -> list[Difference]:
        """Run a case on fsim and TSIM; the differences (empty when they agree)."""
        t0 = time.perf_counter()
        program = case.program(self.config)
        t1 = time.perf_counter()
        try:
            fstats, fbufs = program.run(self.fsim, timeout_s=60.0)
        except VtaError as exc:
            return [Difference("fsim-error", f"fsim rejected a generated program (a jit.fuzz bug): {exc}")]
        t2 = time.perf_counter()
        tsim = self.tsim[case.timing]
        try:
            tstats, tbufs = program.run(tsim, timeout_s=60.0)
            error = None
        except VtaError as exc:
            tstats, tbufs, error = None, None, exc
        t3 = time.perf_counter()
        if report is not None:
            report.generate_s += t1 - t0
            report.fsim_s += t2 - t1
            report.tsim_s += t3 - t2
            report.tsim_cycles += (tstats.cycles or 0) if tstats is not None else 0
        if error is not None:
            tsim.dram.data[:] = self.fsim.dram.data  # a failed run may have written part of its output
            return [Difference("tsim-error", str(error))]
        assert tbufs is not None and tstats is not None
        diffs = [Difference("data", text) for text in _buffer_diffs(fbufs, tbufs, program)]
        stray = _first_difference(self.fsim.dram.data, tsim.dram.data)
        if stray is not None:
            if not diffs:  # the buffers agree, so the difference lies outside them
                diffs.append(Difference("stray", f"DRAM outside the program's buffers differs at byte {stray:#x}"
                                                 f" (fsim {self.fsim.dram.data[stray]:#04x},"
                                                 f" TSIM {tsim.dram.data[stray]:#04x})"))
            tsim.dram.data[:] = self.fsim.dram.data  # resynchronise so the next case starts equal
        diffs += [Difference("counters", text) for text in _counter_diffs(fstats, tstats)]
        dram_counters = getattr(tsim, "dram_counters", None)  # the TSIM DRAM model's own count of beats
        if dram_counters is not None:
            seen = dram_counters()
            for hw_name, model_name in (("mem_rd_beats", "rd_beats"), ("mem_wr_beats", "wr_beats")):
                got = tstats.hw_counters.get(hw_name)
                if got is not None and got != seen[model_name]:
                    diffs.append(Difference("counters", f"hardware counter {hw_name} = {got}, the DRAM model saw"
                                                        f" {seen[model_name]} beats"))
        return diffs

    def shrink(self, case: Case) -> Mismatch:
        """The smallest `ops` (same seed, hazards, timing) that still fails; `case` must fail."""
        found = self.compare(case) or [Difference("flaky", "the case did not fail again when rerun")]
        for ops in range(case.ops):
            small = Case(case.seed, ops, case.hazards, case.timing)
            diffs = self.compare(small)
            if diffs:
                return Mismatch(self.config, case, small, diffs, small.program(self.config).text())
        return Mismatch(self.config, case, case, found, case.program(self.config).text())

    # ------------------------------------------------------------ batches
    def run_batch(self, n: int, seed: int = 0, ops: int = DEFAULT_OPS, *, hazards: tuple[bool, ...] = (True, False),
                  max_mismatches: int = 5, progress: Callable[[str], None] | None = None,
                  progress_every: int = 100) -> FuzzReport:
        """Run n cases (see `cases`); the first `max_mismatches` failures are shrunk and reported."""
        report = FuzzReport(self.config)
        start = time.perf_counter()
        failed = 0
        for i, case in enumerate(cases(n, seed, ops, self.timings, hazards)):
            diffs = self.compare(case, report)
            report.programs += 1
            report.by_timing[case.timing] = report.by_timing.get(case.timing, 0) + 1
            key = "on" if case.hazards else "off"
            report.by_hazards[key] = report.by_hazards.get(key, 0) + 1
            if diffs:
                failed += 1
                if len(report.mismatches) < max_mismatches:
                    report.mismatches.append(self.shrink(case))
            if progress is not None and (i + 1) % progress_every == 0:
                progress(f"{i + 1}/{n} programs, {failed} mismatches")
        report.failed = failed
        report.seconds = time.perf_counter() - start
        return report

    def close(self) -> None:
        for dev in self.tsim.values():
            dev.close()
        self.fsim.close()

    def __enter__(self) -> "Differ":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _buffer_diffs(fbufs: list[np.ndarray], tbufs: list[np.ndarray], program: FuzzProgram) -> list[str]:
    out = []
    for i, (a, b) in enumerate(zip(fbufs, tbufs)):
        if np.array_equal(a, b):
            continue
        where = np.flatnonzero(a != b)
        name = BUFFER_NAMES[i] if i < len(BUFFER_NAMES) else f"buffer {i}"
        first = int(where[0])
        elem = _elem_bytes(program.config, name)
        out.append(f"buffer {i} ({name}): {where.size} of {a.size} bytes differ; first at byte {first}"
                   f" (element {first // elem}): fsim {_hex(a, first)} TSIM {_hex(b, first)}")
    return out


def _elem_bytes(config: Config, name: str) -> int:
    sizes = {"inp": config.inp_elem_bytes, "wgt": config.wgt_elem_bytes, "acc": config.acc_elem_bytes,
             "out": config.out_elem_bytes, "uop": config.uop_elem_bytes}
    return sizes.get(name, 1)


def _hex(data: np.ndarray, at: int, n: int = 8) -> str:
    return data[at: at + n].tobytes().hex(" ")


def _first_difference(a: np.ndarray, b: np.ndarray) -> int | None:
    if np.array_equal(a, b):
        return None
    return int(np.flatnonzero(a != b)[0])


def _counter_diffs(fstats: RunStats, tstats: RunStats) -> list[str]:
    out = []
    for name, want in (("gemm_uops", fstats.gemm_uops), ("alu_uops", fstats.alu_uops)):
        got = tstats.hw_counters.get(name)
        if got is not None and got != want:
            out.append(f"hardware counter {name} = {got}, fsim counted {want}")
    return out
