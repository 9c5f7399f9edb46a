"""ctypes binding of a TSIM library (tsim/harness/tsim_api.h): one `Harness` per simulated accelerator.

The harness reads and writes the caller's numpy DRAM arena in place; the
arena must stay alive (and not be reallocated) while the harness exists,
which `Harness` guarantees by holding a reference to it.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vta.hw import regmap
from vta.isa.errors import DeviceError, SimulationError

ABI_VERSION = 1

# Return codes of tsim_api.h.
RUN_FINISHED = 0
RUN_CYCLE_LIMIT = 1
RUN_TIMEOUT = 2
RUN_STOPPED = 3
ERR_FATAL = -1
ERR_BUS = -2
ERR_ARG = -3

DRAM_COUNTERS = ("rd_bursts", "rd_beats", "wr_bursts", "wr_beats", "rd_errors", "wr_errors", "violations",
                 "rd_busy_cycles", "wr_busy_cycles")


class TsimParams(ctypes.Structure):
    """Mirror of TsimParams in tsim_api.h."""

    _fields_ = [
        ("read_latency", ctypes.c_uint32),
        ("write_latency", ctypes.c_uint32),
        ("read_beats_per_cycle", ctypes.c_double),
        ("write_beats_per_cycle", ctypes.c_double),
        ("max_reads", ctypes.c_uint32),
        ("max_writes", ctypes.c_uint32),
        ("reset_cycles", ctypes.c_uint32),
        ("reg_timeout_cycles", ctypes.c_uint32),
    ]


@dataclass(frozen=True)
class DramTiming:
    """The AXI DRAM model's timing (see tsim/harness/axi_dram.h).

    The 16-cycle read latency is upstream TSIM's fixed delay before each read burst.
    """

    read_latency: int = 16
    write_latency: int = 4
    read_beats_per_cycle: float = 1.0
    write_beats_per_cycle: float = 1.0
    max_reads: int = 16
    max_writes: int = 16

    def __post_init__(self) -> None:
        for name in ("read_latency", "write_latency", "max_reads", "max_writes"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 1 << 20:
                raise DeviceError(f"DRAM timing {name} must be an integer in [1, {1 << 20}], got {value!r}")
        for name in ("read_beats_per_cycle", "write_beats_per_cycle"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise DeviceError(f"DRAM timing {name} must be in (0, 1] beats per cycle, got {value!r}")


_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "tsim_abi_version": (ctypes.c_int, []),
    "tsim_bus_bytes": (ctypes.c_int, []),
    "tsim_has_trace": (ctypes.c_int, []),
    "tsim_num_registers": (ctypes.c_int, []),
    "tsim_register_offset": (ctypes.c_uint32, [ctypes.c_int]),
    "tsim_register_name": (ctypes.c_char_p, [ctypes.c_int]),
    "tsim_create": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_uint64, ctypes.POINTER(TsimParams),
                                      ctypes.c_char_p, ctypes.c_int]),
    "tsim_destroy": (None, [ctypes.c_void_p]),
    "tsim_reset": (ctypes.c_int, [ctypes.c_void_p]),
    "tsim_reg_write": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32]),
    "tsim_reg_read": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32)]),
    "tsim_read_registers": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32)]),
    "tsim_launch": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32]),
    "tsim_run": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_double, ctypes.POINTER(ctypes.c_uint64)]),
    "tsim_step": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint64]),
    "tsim_cycle": (ctypes.c_uint64, [ctypes.c_void_p]),
    "tsim_evals_per_cycle": (ctypes.c_int, [ctypes.c_void_p]),
    "tsim_irq": (ctypes.c_int, [ctypes.c_void_p]),
    "tsim_dram_counters": (None, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint64)]),
    "tsim_clear_dram_counters": (None, [ctypes.c_void_p]),
    "tsim_violation": (ctypes.c_char_p, [ctypes.c_void_p]),
    "tsim_last_error": (ctypes.c_char_p, [ctypes.c_void_p]),
    "tsim_trace_open": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "tsim_trace_close": (ctypes.c_int, [ctypes.c_void_p]),
}

_LIBS: dict[str, ctypes.CDLL] = {}


def load_library(path: str | Path) -> ctypes.CDLL:
    """Load (once per process) a TSIM library and check that it matches this binding and regmap.py."""
    key = str(Path(path).resolve())
    lib = _LIBS.get(key)
    if lib is not None:
        return lib
    try:
        lib = ctypes.CDLL(key)
    except OSError as exc:
        raise DeviceError(f"cannot load TSIM library {key}: {exc}") from exc
    for name, (restype, argtypes) in _SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise DeviceError(f"TSIM library {key} lacks {name}; rebuild it") from None
        fn.restype = restype
        fn.argtypes = argtypes
    if lib.tsim_abi_version() != ABI_VERSION:
        raise DeviceError(f"TSIM library {key} has ABI {lib.tsim_abi_version()}, the binding expects {ABI_VERSION}")
    table = [(lib.tsim_register_offset(i), lib.tsim_register_name(i).decode()) for i in range(lib.tsim_num_registers())]
    expected = [(r.offset, r.name) for r in regmap.REGISTERS]
    if table != expected:
        raise DeviceError(f"TSIM library {key} was built with a different register map than vta_hw/regmap.py")
    _LIBS[key] = lib
    return lib


class Harness:
    """One Verilated accelerator with its DRAM model, over a caller-owned uint8 arena."""

    def __init__(self, library: str | Path, memory: np.ndarray, timing: DramTiming | None = None, *,
                 reset_cycles: int = 16, reg_timeout_cycles: int = 1000) -> None:
        self._h: int | None = None
        if not isinstance(memory, np.ndarray) or memory.dtype != np.uint8 or memory.ndim != 1:
            raise DeviceError("TSIM memory must be a 1-D numpy uint8 array")
        if not memory.flags.c_contiguous or not memory.flags.writeable:
            raise DeviceError("TSIM memory must be a contiguous, writeable array")
        self.lib = load_library(library)
        self.path = Path(library)
        self.memory = memory  # kept alive: the C++ side holds a raw pointer into it
        self.timing = timing or DramTiming()
        t = self.timing
        self._params = TsimParams(t.read_latency, t.write_latency, float(t.read_beats_per_cycle),
                                  float(t.write_beats_per_cycle), t.max_reads, t.max_writes, reset_cycles,
                                  reg_timeout_cycles)
        err = ctypes.create_string_buffer(512)
        handle = self.lib.tsim_create(memory.ctypes.data, memory.size, ctypes.byref(self._params), err, len(err))
        if not handle:
            raise DeviceError(f"TSIM: {err.value.decode(errors='replace')}")
        self._h = handle
        self.bus_bytes = self.lib.tsim_bus_bytes()
        self.has_trace = bool(self.lib.tsim_has_trace())
        self.names = [r.name for r in regmap.REGISTERS]

    # ------------------------------------------------------------ lifetime
    @property
    def handle(self) -> int:
        if self._h is None:
            raise DeviceError("TSIM harness is closed")
        return self._h

    def close(self) -> None:
        if self._h is not None:
            self.lib.tsim_trace_close(self._h)
            self.lib.tsim_destroy(self._h)
            self._h = None

    def __del__(self) -> None:
        self.close()

    def _check(self, rc: int, what: str) -> int:
        if rc >= 0:
            return rc
        msg = self.lib.tsim_last_error(self.handle).decode(errors="replace")
        if rc == ERR_FATAL:
            raise SimulationError(f"TSIM {what}: {msg}")
        raise DeviceError(f"TSIM {what}: {msg}")

    # ------------------------------------------------------------ control
    def reset(self) -> None:
        self._check(self.lib.tsim_reset(self.handle), "reset")

    def write_reg(self, offset: int, value: int) -> None:
        self._check(self.lib.tsim_reg_write(self.handle, offset, value & 0xFFFFFFFF), f"register write {offset:#x}")

    def read_reg(self, offset: int) -> int:
        out = ctypes.c_uint32()
        self._check(self.lib.tsim_reg_read(self.handle, offset, ctypes.byref(out)), f"register read {offset:#x}")
        return out.value

    def read_registers(self) -> dict[str, int]:
        """Every register of the map by name."""
        values = (ctypes.c_uint32 * len(self.names))()
        self._check(self.lib.tsim_read_registers(self.handle, values), "register read")
        return dict(zip(self.names, values))

    def launch(self, insn_addr: int, insn_count: int) -> None:
        self._check(self.lib.tsim_launch(self.handle, insn_addr, insn_count), "launch")

    def run(self, max_cycles: int, timeout_s: float) -> tuple[int, int]:
        """Step until irq_o; returns (RUN_* code, cycles stepped)."""
        stepped = ctypes.c_uint64()
        rc = self.lib.tsim_run(self.handle, max(0, int(max_cycles)), float(timeout_s), ctypes.byref(stepped))
        self._check(rc, "run")
        return rc, stepped.value

    def step(self, cycles: int) -> int:
        return self._check(self.lib.tsim_step(self.handle, cycles), "step")

    @property
    def cycle(self) -> int:
        return self.lib.tsim_cycle(self.handle)

    @property
    def evals_per_cycle(self) -> int:
        """1 if the model is evaluated once per clock cycle, 2 if the falling edge is evaluated too."""
        return self.lib.tsim_evals_per_cycle(self.handle)

    @property
    def irq(self) -> bool:
        return bool(self.lib.tsim_irq(self.handle))

    def last_error(self) -> str:
        return self.lib.tsim_last_error(self.handle).decode(errors="replace")

    # ------------------------------------------------------------ DRAM model
    def dram_counters(self) -> dict[str, int]:
        values = (ctypes.c_uint64 * len(DRAM_COUNTERS))()
        self.lib.tsim_dram_counters(self.handle, values)
        return dict(zip(DRAM_COUNTERS, values))

    def clear_dram_counters(self) -> None:
        self.lib.tsim_clear_dram_counters(self.handle)

    def violation(self) -> str:
        return self.lib.tsim_violation(self.handle).decode(errors="replace")

    # ------------------------------------------------------------ waveforms
    def trace_open(self, path: str | Path) -> None:
        self._check(self.lib.tsim_trace_open(self.handle, str(path).encode()), f"trace to {path}")

    def trace_close(self) -> None:
        self._check(self.lib.tsim_trace_close(self.handle), "trace close")
