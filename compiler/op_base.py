"""What every compiled operator shares: the pipeline result, device residency and the run loop.

An operator is compiled once (schedule, passes, kernels) in its constructor. Per
Device it keeps a CommandQueue and one DeviceBuffer per DRAM tensor; constant
tensors (weights, bias, the identity block) are written on first use and stay
on the device, activations are rewritten on each run. The first run on a device
records the program's encoded instruction streams there (CommandQueue.record);
later runs only pack inputs, rerun those streams and unpack the output.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, fields

import numpy as np

from vta.isa.config import Config
from vta.isa.stats import RunStats
from vta.jit.buffer import DeviceBuffer
from vta.jit.command_queue import CommandQueue, RecordedStream
from vta.jit.device import Device

from .cost_model import DEFAULT, CostParams, Prediction
from .stream_timing import simulate
from .errors import CompileError
from .loop_ir import Func
from .pipeline import PipelineResult, describe, run_pipeline


@dataclass
class _DeviceState:
    cq: CommandQueue
    buffers: dict[str, DeviceBuffer]
    streams: list[RecordedStream] | None = None  # the program's segments, encoded once per device
    recorded: object = None  # the Program the streams were recorded from (a replaced program re-records)


def merge_stats(parts: list[RunStats]) -> RunStats:
    """One RunStats for several synchronize() runs (counts and times add up)."""
    if len(parts) == 1:
        return parts[0]
    out = RunStats(backend=parts[0].backend if parts else "")
    for f in fields(RunStats):
        if f.name in ("backend",):
            continue
        vals = [getattr(p, f.name) for p in parts]
        if f.name == "insns_by_opcode" or f.name == "hw_counters":
            merged: dict[str, int] = {}
            for v in vals:
                for k, n in v.items():
                    merged[k] = merged.get(k, 0) + n
            setattr(out, f.name, merged)
        elif f.name == "cycles":
            setattr(out, f.name, None if any(v is None for v in vals) else sum(vals))
        else:
            setattr(out, f.name, sum(vals))
    return out


class CompiledOp:
    """Base class: subclasses build a Func and the host-side packing; this class runs it."""

    kind = "op"

    def __init__(self, name: str, config: Config, func: Func, consts: dict[str, np.ndarray],
                 result: PipelineResult | None = None, params: CostParams = DEFAULT) -> None:
        self.name = name
        self.config = config
        self.func = func
        self.result: PipelineResult = result if result is not None else run_pipeline(func)
        self.program = self.result.program
        self._consts = consts
        self._tensors = {t.name: t for t in self.result.stream.tensors.values()}
        self.work = self.program.stats(config)
        self.prediction: Prediction = simulate(self.result.stream, params)
        self.last_stats: RunStats | None = None
        self._states: "weakref.WeakKeyDictionary[Device, _DeviceState]" = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------ introspection
    @property
    def predicted_cycles(self) -> float:
        return self.prediction.cycles

    def ir_text(self) -> str:
        """The loop IR after the loop passes (what lowering unrolls)."""
        return self.result.ir_text

    def scheduled_text(self) -> str:
        """The loop IR as the schedule built it, before any pass."""
        return self.result.scheduled

    def program_text(self) -> str:
        """The JIT calls run() makes (kernels listed first)."""
        return self.program.text()

    @staticmethod
    def pipeline_text() -> str:
        return describe()

    def compare_text(self, stats: RunStats | None = None) -> str:
        """The model's prediction next to what a device measured."""
        s = stats or self.last_stats
        p = self.prediction
        lines = [f"{self.name}: {p.text()}"]
        if s is not None:
            meas = (f"measured on {s.backend}: "
                    f"{'cycles ' + str(s.cycles) if s.cycles is not None else 'no cycle count'}; GEMM uops "
                    f"{s.gemm_uops}, ALU uops {s.alu_uops}, {s.insn_count} instructions; loads inp "
                    f"{s.inp_load_nbytes}, wgt {s.wgt_load_nbytes}, acc {s.acc_load_nbytes}, uop {s.uop_load_nbytes}; "
                    f"stores {s.out_store_nbytes} B")
            lines.append(meas)
        return "\n".join(lines)

    # ------------------------------------------------------------ running
    def _state(self, device: Device) -> _DeviceState:
        if not isinstance(device, Device):
            raise CompileError(f"{self.name}.run: device must be a vta.jit Device (open_device(...)), got "
                               f"{type(device).__name__}")
        if device.config != self.config:
            raise CompileError(f"{self.name}.run: the op was compiled for {self.config.bitstream} but the device is "
                               f"{device.config.bitstream}")
        st = self._states.get(device)
        if st is None or device._closed:
            buffers = {}
            for t in self._tensors.values():
                nbytes = int(np.prod(t.shape)) * self.config.elem_bytes(t.mem)
                buffers[t.name] = DeviceBuffer(device, max(nbytes, 1))
            for name, arr in self._consts.items():
                buffers[name].write(np.ascontiguousarray(arr))
            st = self._states[device] = _DeviceState(CommandQueue(device), buffers)
        return st

    def _execute(self, device: Device, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Write the packed inputs, run the program, return the packed output (raw OUT elements)."""
        st = self._state(device)
        for name, arr in inputs.items():
            st.buffers[name].write(np.ascontiguousarray(arr))
        if st.streams is None or st.recorded is not self.program:  # first run here: build and encode once
            for stream in st.streams or ():
                stream.free()
            st.streams = self.program.record(st.cq, st.buffers)
            st.recorded = self.program
        self.last_stats = merge_stats([s.run() for s in st.streams])
        out = self._tensors["out"]
        c = self.config
        return st.buffers["out"].read(np.int8, tuple(out.shape) + (c.batch, c.block_out))

    def last_program(self, device: Device) -> list:
        """The instructions of the last synchronize() run on `device` (flags and all), for inspection."""
        st = self._states.get(device)
        return [] if st is None else list(st.cq.last_program)

    def release(self, device: Device) -> None:
        """Free this op's buffers on a device."""
        st = self._states.pop(device, None)
        if st is not None and not device._closed:
            for b in st.buffers.values():
                b.free()
            for stream in st.streams or ():
                stream.free()
            st.cq.close()
