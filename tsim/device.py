"""The tsim backend of the Device contract: the Verilated RTL, cycle by cycle, over the device's own DRAM.

    dev = open_device("tsim", Config(), read_latency=16, trace="run.fst")
    stats = dev.run(insn_addr, insn_count)      # stats.cycles, stats.hw_counters

The first use of a Config builds (or finds in the cache) its Verilator
library. The DRAM arena of the Device base class is the memory the RTL's AXI
master reads and writes, shared with the C++ model without copies.
"""

from __future__ import annotations

import time
from pathlib import Path

from vta.hw import regmap
from vta.isa.asm import disasm_bytes
from vta.isa.config import Config
from vta.isa.dram import DEFAULT_CAPACITY
from vta.isa.errors import DeviceError, SimulationError
from vta.isa.stats import RunStats
from vta.jit.device import Device

from .binding import RUN_CYCLE_LIMIT, RUN_FINISHED, RUN_STOPPED, RUN_TIMEOUT, DramTiming, Harness
from .build import BuildOptions, BuildSpec, build

#: Without max_cycles, a run may take timeout_s times this many cycles (above any speed
#: the model reaches, so the wall clock normally decides).
CYCLES_PER_TIMEOUT_SECOND = 50_000_000
#: Cycles per call into C++: small enough that Ctrl-C is seen within about a second.
CHUNK_CYCLES = 1 << 20
_CYCLE_WRAP = 1 << 32


class TsimDevice(Device):
    """Runs programs on the Verilated RTL; SRAM state persists between runs, as on hardware."""

    name = "tsim"

    def __init__(self, config: Config | None = None, *, dram_bytes: int = DEFAULT_CAPACITY,
                 read_latency: int = 16, write_latency: int = 4, read_bandwidth: float = 1.0,
                 write_bandwidth: float = 1.0, max_outstanding: int = 16, trace: str | Path | None = None,
                 max_cycles: int | None = None, verbose: int = 1, build_options: BuildOptions | None = None,
                 spec: BuildSpec | None = None, check: bool = True) -> None:
        """Options:

        read_latency / write_latency: DRAM cycles from AR to the first R beat / from the last W beat to B.
        read_bandwidth / write_bandwidth: beats per cycle in (0, 1]; max_outstanding: bursts in flight.
        trace: write a waveform of the whole session to this .fst or .vcd path (uses a traced build).
        max_cycles: cycle limit of every run (default: timeout_s * CYCLES_PER_TIMEOUT_SECOND).
        verbose: build progress (0 silent, 1 stages, 2 tool output).
        spec: what to build (default: vta_hw/rtl's vta_top for `config`); build_options: how.
        check: run the fsim's static check before each program (False only for RTL bring-up:
            the hardware then runs unchecked programs; the DRAM model still answers accesses
            outside the arena with SLVERR).
        """
        super().__init__(config, dram_bytes=dram_bytes)
        if dram_bytes > 1 << 32:
            raise DeviceError(f"tsim: the AXI address is 32 bits; dram_bytes {dram_bytes} is larger than 4 GiB")
        if max_cycles is not None and (not isinstance(max_cycles, int) or max_cycles <= 0):
            raise DeviceError(f"tsim: max_cycles must be a positive integer, got {max_cycles!r}")
        self.max_cycles = max_cycles
        self.check = check
        self.timing = DramTiming(read_latency, write_latency, read_bandwidth, write_bandwidth,
                                 max_outstanding, max_outstanding)
        if spec is None:
            from .rtl import vta_top_spec

            spec = vta_top_spec(self.config)
        elif spec.config != self.config:
            raise DeviceError(f"tsim: the build spec is for {spec.config.bitstream} (bus {spec.config.bus_width}),"
                              f" the device for {self.config.bitstream} (bus {self.config.bus_width})")
        options = build_options or BuildOptions()
        trace_path = Path(trace) if trace is not None else None
        if trace_path is not None:
            fmt = trace_path.suffix.lstrip(".").lower()
            if fmt not in ("fst", "vcd"):
                raise DeviceError(f"tsim: trace path {trace_path} must end in .fst or .vcd")
            options = BuildOptions(**{**options.__dict__, "trace": fmt})
        self.spec = spec
        self.library = build(spec, options, verbose=verbose)
        self.harness = Harness(self.library.path, self.dram.data, self.timing)
        if self.harness.bus_bytes != self.config.bus_bytes:
            self.harness.close()
            raise DeviceError(f"tsim: library {self.library.path} has a {self.harness.bus_bytes * 8}-bit bus,"
                              f" the Config a {self.config.bus_width}-bit one")
        self.trace_path: Path | None = None
        if trace_path is not None:
            self.start_trace(trace_path)

    # ------------------------------------------------------------ execution
    def _execute(self, insn_addr: int, insn_count: int, timeout_s: float) -> RunStats:
        stats = self.check_program(insn_addr, insn_count) if self.check else RunStats(insn_count=insn_count)
        h = self.harness
        h.clear_dram_counters()
        try:
            h.launch(insn_addr, insn_count)
            stepped = self._run_to_finish(timeout_s)
        except KeyboardInterrupt:
            self._reset()
            raise
        regs = h.read_registers()
        h.write_reg(regmap.offset("control"), 0)  # acknowledge: finish (and irq_o) drop
        status = regs["status"]
        if status >> regmap.STATUS_ERROR_BIT & 1:
            raise SimulationError(self._hardware_error(status, regs["error_insn"], insn_addr, insn_count))
        violation = h.violation()
        if violation:
            raise SimulationError(f"tsim: the RTL broke the AXI protocol: {violation}")
        stats.cycles = _unwrap(regs["cycles"], stepped)
        stats.hw_counters = {r.name: regs[r.name] for r in regmap.counter_registers()}
        return stats

    def _run_to_finish(self, timeout_s: float) -> int:
        """Step until finish in chunks; SimulationError past the cycle limit or the timeout."""
        h = self.harness
        limit = self.max_cycles or int(timeout_s * CYCLES_PER_TIMEOUT_SECOND)
        deadline = time.monotonic() + timeout_s
        stepped = 0
        while True:
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                rc = RUN_TIMEOUT
            else:
                rc, n = h.run(min(CHUNK_CYCLES, limit - stepped), left_s)
                stepped += n
            if rc == RUN_FINISHED:
                return stepped
            if rc == RUN_CYCLE_LIMIT and stepped < limit:
                continue
            if rc == RUN_CYCLE_LIMIT:
                raise SimulationError(f"tsim: the program did not finish within its cycle limit of {limit} cycles"
                                      f"{self._where()}")
            if rc == RUN_TIMEOUT:
                raise SimulationError(f"tsim: the program did not finish within the {timeout_s:g} s timeout"
                                      f" ({stepped} cycles simulated){self._where()}")
            if rc == RUN_STOPPED:
                raise SimulationError(f"tsim: {h.last_error()}")
            raise SimulationError(f"tsim: unexpected run status {rc}")

    def _where(self) -> str:
        """What the hardware was doing, for a run that did not finish."""
        try:
            regs = self.harness.read_registers()
        except (DeviceError, SimulationError):
            return ""
        busy = {k: v for k, v in regs.items() if k.endswith(("_busy", "_stall")) and v}
        text = f"; status {regs['status']:#x}"
        if busy:
            text += ", " + ", ".join(f"{k} {v}" for k, v in busy.items())
        violation = self.harness.violation()
        return text + (f"; AXI protocol violation: {violation}" if violation else "")

    def _hardware_error(self, status: int, index: int, insn_addr: int, insn_count: int) -> str:
        code = (status >> regmap.STATUS_ERROR_CODE_LSB) & 0xFF
        what = regmap.ERROR_CODES.get(code, "undocumented error code")
        text = f"tsim: the hardware reported error {code} ({what}) at instruction {index}"
        if 0 <= index < insn_count:
            raw = bytes(self.dram.data[insn_addr + 16 * index: insn_addr + 16 * index + 16])
            text += f": {disasm_bytes(raw, self.config)}"
        dram = self.harness.dram_counters()
        if dram["rd_errors"] or dram["wr_errors"]:
            text += (f" (DRAM model: {dram['rd_errors']} read and {dram['wr_errors']} write bursts outside the"
                     f" {self.dram.capacity}-byte memory answered with SLVERR)")
        violation = self.harness.violation()
        if violation:
            text += f"; AXI protocol violation: {violation}"
        return text

    def _reset(self) -> None:
        self.harness.reset()

    # ------------------------------------------------------------ bring-up helpers
    def read_reg(self, name: str) -> int:
        """Read a register of vta_hw/regmap.py by name (a real AXI4-Lite access)."""
        self._live()
        return self.harness.read_reg(_offset(name))

    def write_reg(self, name: str, value: int) -> None:
        self._live()
        self.harness.write_reg(_offset(name), value)

    def dram_counters(self) -> dict[str, int]:
        """The DRAM model's counters since the last run started (bursts, beats, errors, busy cycles)."""
        self._live()
        return self.harness.dram_counters()

    def start_trace(self, path: str | Path) -> None:
        """Write the waveform from now on to `path` (needs a library built with tracing)."""
        self._live()
        self.harness.trace_open(path)
        self.trace_path = Path(path)

    def stop_trace(self) -> None:
        self._live()
        self.harness.trace_close()
        self.trace_path = None

    def close(self) -> None:
        harness = getattr(self, "harness", None)
        if harness is not None and not self._closed:
            harness.close()
        super().close()


def _offset(name: str) -> int:
    reg = regmap.BY_NAME.get(name)
    if reg is None:
        raise DeviceError(f"tsim: no register named {name!r}; registers: {', '.join(regmap.BY_NAME)}")
    return reg.offset


def _unwrap(hw_cycles: int, stepped: int) -> int:
    """The 32-bit cycle register extended with the harness's own 64-bit count of the run."""
    laps = round((stepped - hw_cycles) / _CYCLE_WRAP)
    return hw_cycles + max(laps, 0) * _CYCLE_WRAP
