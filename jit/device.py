"""The Device contract: the seam between the runtime and every backend (fsim, tsim, fpga).

    dev = open_device("fsim", Config())
    addr = dev.alloc(nbytes); dev.write(addr, data); dev.read(addr, nbytes)
    stats = dev.run(insn_addr, insn_count, timeout_s=60.0); dev.free(addr); dev.close()

Memory management, argument checking and the static program check live here
once; a backend implements only `_execute`.
"""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from vta.isa.config import Config
from vta.isa.dram import DEFAULT_CAPACITY, Dram
from vta.isa.errors import DeviceError, VtaError
from vta.isa.stats import RunStats

#: Backend name -> "module:class". Looked up lazily so that jit imports no backend above it.
BACKENDS: dict[str, str] = {
    "fsim": "vta.jit.fsim_device:FsimDevice",
    "tsim": "vta.tsim.device:TsimDevice",
}


class Device(ABC):
    """A VTA that executes instruction streams from its own DRAM."""

    name = "device"

    def __init__(self, config: Config | None = None, *, dram_bytes: int = DEFAULT_CAPACITY) -> None:
        self.config = config if config is not None else Config()
        if not isinstance(self.config, Config):
            raise DeviceError(f"{self.name}: config must be a vta.isa.Config, got {type(self.config).__name__}")
        self.dram = Dram(dram_bytes)
        self._closed = False
        self._shadow = None  # micro-op shadow for check_program, created on first use

    # ------------------------------------------------------------ memory
    def alloc(self, nbytes: int) -> int:
        """Allocate device memory; returns a nonzero, 4096-aligned physical byte address."""
        self._live()
        return self.dram.alloc(nbytes)

    def free(self, addr: int) -> None:
        self._live()
        self.dram.free(addr)

    def write(self, addr: int, data: Any) -> None:
        """Copy raw bytes (bytes-like or numpy array) to device memory."""
        self._live()
        self.dram.write(addr, data)

    def read(self, addr: int, nbytes: int) -> np.ndarray:
        """A uint8 copy of device memory."""
        self._live()
        return self.dram.read(addr, nbytes)

    # ------------------------------------------------------------ execution
    def run(self, insn_addr: int, insn_count: int, timeout_s: float = 60.0) -> RunStats:
        """Execute `insn_count` instructions at `insn_addr` to FINISH; raises on a bad program.

        After a failure the device is usable again (queues and on-chip state reset).
        """
        self._live()
        if not isinstance(insn_count, (int, np.integer)) or insn_count <= 0:
            raise DeviceError(f"{self.name}.run: insn_count must be a positive integer, got {insn_count!r}")
        if timeout_s <= 0:
            raise DeviceError(f"{self.name}.run: timeout_s must be positive, got {timeout_s}")
        self.dram.check(insn_addr, int(insn_count) * 16, f"{self.name}.run: instruction stream")
        start = time.perf_counter()
        try:
            stats = self._execute(int(insn_addr), int(insn_count), float(timeout_s))
        except VtaError:
            self._reset()
            raise
        stats.elapsed_s = time.perf_counter() - start
        stats.backend = self.name
        return stats

    def check_program(self, insn_addr: int, insn_count: int) -> RunStats:
        """The fsim's data-free walk: rejects a bad program before it touches memory.

        The walk keeps a shadow of the micro-op buffer (programs may use micro-ops a
        previous run loaded); it is only updated when the whole program passes.
        """
        from vta.isa.fsim import Machine, check_program

        if self._shadow is None:
            self._shadow = Machine(self.config)
        saved = self._shadow.uop.copy()
        try:
            return check_program(self.config, self.dram, int(insn_addr), int(insn_count), self._shadow)
        except VtaError:
            self._shadow.uop[:] = saved
            self._shadow.uops_changed(0, len(saved))
            raise

    @abstractmethod
    def _execute(self, insn_addr: int, insn_count: int, timeout_s: float) -> RunStats:
        """Run the program (arguments already checked); return its stats."""

    def _reset(self) -> None:
        """Bring the backend back to an idle state after a failed run."""

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> "Device":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _live(self) -> None:
        if self._closed:
            raise DeviceError(f"{self.name} device is closed")


def open_device(name: str = "fsim", config: Config | None = None, **options: Any) -> Device:
    """Open a backend by name ("fsim", "tsim", ...) for a Config (default: `Config()`)."""
    target = BACKENDS.get(name)
    if target is None:
        raise DeviceError(f"unknown device {name!r}; available: {', '.join(sorted(BACKENDS))}")
    module_name, _, cls_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DeviceError(f"device {name!r} is not available: {exc}") from exc
    return getattr(module, cls_name)(config, **options)


def register_backend(name: str, target: str) -> None:
    """Add a backend ("module:Class") under a name usable by `open_device`."""
    BACKENDS[name] = target
