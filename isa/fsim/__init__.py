"""vta.isa.fsim: the bit-exact functional simulator.

    machine = Machine(config)
    stats = run_program(config, dram, insn_addr, insn_count, machine)      # fast numpy executor
    stats = run_program(..., reference=True)                               # plain per-uop interpreter
    stats = check_program(config, dram, insn_addr, insn_count)             # check-only walk, no data

Semantics: isa/semantics.md (also in docs/isa.md).
"""

from __future__ import annotations

import contextlib

from ..config import Config
from ..dram import Dram
from ..stats import RunStats
from .alu import alu_fast
from .gemm import gemm_fast
from .machine import Machine
from .memops import load_2d, store_2d
from .program import DecodedProgram, MemFields, NestFields
from .reference import ReferenceExecutor
from .walk import walk

_controller = None


def blas_limit(threads: int | None):
    """Context manager limiting BLAS threads (a no-op for None)."""
    global _controller
    if threads is None:
        return contextlib.nullcontext()
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=threads, user_api="blas")


class FastExecutor:
    """Executor for walk(): whole-instruction numpy work (see gemm.py and alu.py)."""

    def load(self, m: Machine, dram: Dram, f: MemFields) -> None:
        load_2d(m, dram, f)

    def store(self, m: Machine, dram: Dram, f: MemFields) -> None:
        store_2d(m, dram, f)

    def gemm(self, m: Machine, f: NestFields) -> None:
        gemm_fast(m, f)

    def alu(self, m: Machine, f: NestFields) -> None:
        alu_fast(m, f)


def run_program(config: Config, dram: Dram, insn_addr: int, insn_count: int, machine: Machine | None = None,
                *, reference: bool = False, timeout_s: float = 60.0, blas_threads: int | None = 1) -> RunStats:
    """Execute a program from DRAM to FINISH; SimulationError (naming the instruction) on a bad one.

    blas_threads: BLAS threads for the GEMM matmuls (None: the library default). One is the
    default because per-instruction matmuls are small and oversubscribed BLAS threads on a
    busy machine (parallel tests, other simulators) are up to 100x slower.
    """
    m = machine if machine is not None else Machine(config)
    executor = ReferenceExecutor() if reference else FastExecutor()
    with blas_limit(blas_threads):
        stats = walk(config, dram, insn_addr, insn_count, m, executor, timeout_s)
    stats.backend = "fsim-reference" if reference else "fsim"
    return stats


def check_program(config: Config, dram: Dram, insn_addr: int, insn_count: int, machine: Machine | None = None,
                  timeout_s: float = 60.0) -> RunStats:
    """Walk a program without touching data (UOP loads excepted); raises on any broken rule."""
    m = machine if machine is not None else Machine(config)
    stats = walk(config, dram, insn_addr, insn_count, m, None, timeout_s)
    stats.backend = "fsim-check"
    return stats


__all__ = ["DecodedProgram", "FastExecutor", "Machine", "ReferenceExecutor", "check_program", "run_program"]
