"""The fsim backend of the Device contract."""

from __future__ import annotations

from vta.isa.config import Config
from vta.isa.fsim import Machine, run_program
from vta.isa.stats import RunStats

from .device import Device


class FsimDevice(Device):
    """Runs programs on the bit-exact functional simulator; SRAM state persists between runs."""

    name = "fsim"

    def __init__(self, config: Config | None = None, *, reference: bool = False, blas_threads: int | None = 1,
                 **options: object) -> None:
        super().__init__(config, **options)  # type: ignore[arg-type]
        self.machine = Machine(self.config)
        self.reference = reference
        self.blas_threads = blas_threads

    def _execute(self, insn_addr: int, insn_count: int, timeout_s: float) -> RunStats:
        return run_program(self.config, self.dram, insn_addr, insn_count, self.machine,
                           reference=self.reference, timeout_s=timeout_s, blas_threads=self.blas_threads)

    def _reset(self) -> None:
        self.machine.reset()
