"""The compiled module: an ordered list of steps (VTA kernel, CPU kernel, or view) and how to run them.

    m = vta.compiler.compile("model.onnx", Config(), calibration=x)
    out = m.run(x, device="fsim")          # dict: output name -> array
    print(m.layer_table())                 # where each layer ran, MACs, cycles, time
    m.save("model.vta"); m2 = CompiledModule.load("model.vta")

A run needs no compiler pass: VTA steps call their ops.* kernels, CPU steps call
native code compiled from LLVM IR.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vta.isa.config import Config

from .graph_errors import CompileError
from .llvm_jit import NativeModule, call


def _single_thread_blas() -> Any:
    """BLAS limited to one thread while a module runs.

    fsim does each GEMM instruction as one small BLAS product; a multi-threaded BLAS
    spends far longer synchronizing than computing on them (ResNet-18 on fsim: 8.3 s
    with the default threads, 1.5 s with one, measured on 2 cores).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


@dataclass
class Step:
    """One node of the quantized graph as it runs."""

    name: str
    op: str
    target: str                              # "vta", "cpu" or "view"
    inputs: list[str]                        # run-time arguments (cpu: every input incl. constants; vta: x [, residual])
    outputs: list[str]
    out_shape: tuple[int, ...]
    out_dtype: str
    macs: int = 0
    kernel_func: str = ""                    # cpu: function name in the native module
    scratch: tuple[tuple[str, int], ...] = ()
    vta: Any = None                          # partition_vta.VtaKernel
    reason: str = ""
    vta_cycles_predicted: int | None = None


@dataclass
class LayerStat:
    """What one step did in the last run (summed over batch chunks)."""

    name: str
    op: str
    target: str
    macs: int
    time_s: float = 0.0
    cycles: int | None = None
    predicted_cycles: int | None = None
    gemm_uops: int | None = None


@dataclass
class CompiledModule:
    """A model compiled for one VTA configuration (see module docstring)."""

    name: str
    config: Config
    input_names: list[str]
    input_shapes: dict[str, tuple[int, ...]]
    input_dtypes: dict[str, str]
    output_names: list[str]                  # values of the graph
    output_aliases: list[str]                # the model's own output names
    steps: list[Step]
    consts: dict[str, np.ndarray]
    native: NativeModule | None
    meta: dict[str, Any] = field(default_factory=dict)
    quant_graph: Any = None                  # the quantized Graph: the reference semantics (absent after load)
    lowered_graph: Any = None                # the graph the steps were made from (after lowering passes)
    float_graph: Any = None
    last_profile: list[LayerStat] = field(default_factory=list)
    _devices: dict[str, Any] = field(default_factory=dict, repr=False)
    _scratch: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ running
    @property
    def batch(self) -> int:
        return self.input_shapes[self.input_names[0]][0]

    def device(self, device: Any) -> Any:
        """A Device for a name ("fsim", "tsim") or the given Device; named ones are opened once and kept."""
        if not isinstance(device, str):
            return device
        dev = self._devices.get(device)
        if dev is None:
            from vta.jit import open_device

            dev = self._devices[device] = open_device(device, self.config)
        return dev

    def close(self) -> None:
        for dev in self._devices.values():
            dev.close()
        self._devices.clear()

    def run(self, inputs: np.ndarray | dict[str, np.ndarray], device: Any = "fsim",
            keep_all: bool = False) -> dict[str, np.ndarray]:
        """Run on a batch; the leading dimension may be any multiple of the compiled batch.

        Returns output name -> array (the model's output names); with keep_all, every value.
        """
        if not isinstance(inputs, dict):
            if len(self.input_names) != 1:
                raise CompileError(f"model has inputs {self.input_names}; pass a dict")
            inputs = {self.input_names[0]: inputs}
        feeds = {}
        chunks = total = None
        for name in self.input_names:
            if name not in inputs:
                raise CompileError(f"missing input {name!r}")
            x = np.asarray(inputs[name])
            want = self.input_shapes[name]
            if x.ndim == len(want) - 1:
                x = x[None]
            if x.shape[1:] != want[1:]:
                raise CompileError(f"input {name!r} has shape {x.shape}; the module was compiled for {want} "
                                   f"(the leading dimension may be any size: it runs in chunks of {want[0]})")
            total = x.shape[0] if total is None else total
            if x.shape[0] != total:
                raise CompileError(f"inputs have different leading dimensions ({total} and {x.shape[0]})")
            pad = -x.shape[0] % want[0]
            if pad:  # a partial last chunk is padded with zeros and trimmed from the outputs
                x = np.concatenate([x, np.zeros((pad,) + x.shape[1:], x.dtype)])
            feeds[name] = np.ascontiguousarray(x, dtype=self.input_dtypes[name])
            chunks = x.shape[0] // want[0]
        dev = None
        if any(s.target == "vta" for s in self.steps):
            dev = self.device(device)
        self.last_profile = [LayerStat(s.name, s.op, s.target, s.macs * chunks, predicted_cycles=(
            int(s.vta_cycles_predicted * chunks) if s.target == "vta" and s.vta_cycles_predicted else None))
            for s in self.steps]
        results: list[dict[str, np.ndarray]] = []
        b = self.batch
        with _single_thread_blas():
            for c in range(chunks):
                env = {n: feeds[n][c * b:(c + 1) * b] for n in self.input_names}
                results.append(self._run_chunk(env, dev, keep_all))
        if chunks == 1 and not total % b:
            return results[0]
        return {k: np.concatenate([r[k] for r in results])[:total] if results[0][k].ndim and
                results[0][k].shape[0] == b else results[-1][k] for k in results[0]}

    def _run_chunk(self, env: dict[str, np.ndarray], dev: Any, keep_all: bool) -> dict[str, np.ndarray]:
        consts = self.consts
        for k, step in enumerate(self.steps):
            stat = self.last_profile[k]
            t0 = time.perf_counter()
            ins = [env[i] if i in env else consts[i] for i in step.inputs if i]
            if step.target == "view":
                y = ins[0].reshape(step.out_shape)
            elif step.target == "cpu":
                y = np.empty(step.out_shape, step.out_dtype)
                scratch = self._scratch.get(step.name)
                if scratch is None:
                    scratch = self._scratch[step.name] = [np.empty(n, dt) for dt, n in step.scratch]
                args = [np.ascontiguousarray(a) for a in ins] + [y] + scratch
                call(self.native.function(step.kernel_func, len(args)), args)
            else:
                y = step.vta.run(dev, ins)
                st = getattr(step.vta.op, "last_stats", None)
                if st is not None:
                    if st.cycles is not None:
                        stat.cycles = (stat.cycles or 0) + int(st.cycles)
                    stat.gemm_uops = (stat.gemm_uops or 0) + int(st.gemm_uops)
                if y.shape != step.out_shape:
                    raise CompileError(f"step {step.name}: VTA kernel returned shape {y.shape}, expected {step.out_shape}")
            stat.time_s += time.perf_counter() - t0
            env[step.outputs[0]] = y
        if keep_all:
            return dict(env)
        return {alias: env[o] for o, alias in zip(self.output_names, self.output_aliases)}

    # ------------------------------------------------------------ reports
    def layer_table(self, profile: list[LayerStat] | None = None) -> str:
        """Per-layer table of the last run: where it ran, MACs, cycles (TSIM) or predicted cycles, time."""
        prof = profile or self.last_profile
        if not prof:
            prof = [LayerStat(s.name, s.op, s.target, s.macs,
                              predicted_cycles=s.vta_cycles_predicted if s.target == "vta" else None)
                    for s in self.steps]
        lines = [f"{'layer':<28} {'op':<15} {'where':<5} {'MACs':>12} {'cycles':>12} {'time ms':>9}"]
        for p in prof:
            if p.target == "view":
                continue
            cyc = f"{p.cycles}" if p.cycles is not None else (f"~{p.predicted_cycles}" if p.predicted_cycles else "-")
            lines.append(f"{p.name[:28]:<28} {p.op:<15} {p.target.upper():<5} {p.macs:>12,} {cyc:>12} "
                         f"{p.time_s * 1e3:>9.3f}")
        vta_t = sum(p.time_s for p in prof if p.target == "vta")
        cpu_t = sum(p.time_s for p in prof if p.target == "cpu")
        cyc = [p.cycles for p in prof if p.target == "vta" and p.cycles is not None]
        lines.append(f"total: VTA steps {vta_t * 1e3:.1f} ms wall, CPU steps {cpu_t * 1e3:.1f} ms"
                     + (f", VTA cycles {sum(cyc):,} = {sum(cyc) / (self.config.clock_mhz * 1e3):.2f} ms at "
                        f"{self.config.clock_mhz} MHz" if cyc else ""))
        return "\n".join(lines)

    def placement_table(self) -> str:
        """Where each step runs and why (the partition's decisions), with MACs and predicted VTA cycles."""
        lines = [f"{'layer':<28} {'op':<15} {'where':<5} {'MACs':>12} {'pred. cycles':>12}  reason"]
        for s in self.steps:
            if s.target == "view":
                continue
            cyc = str(int(s.vta_cycles_predicted)) if s.vta_cycles_predicted else "-"
            lines.append(f"{s.name[:28]:<28} {s.op:<15} {s.target.upper():<5} {s.macs:>12,} {cyc:>12}  "
                         f"{s.reason[:70]}")
        return "\n".join(lines)

    def summary(self) -> str:
        n_vta = sum(s.target == "vta" for s in self.steps)
        n_cpu = sum(s.target == "cpu" for s in self.steps)
        macs_vta = sum(s.macs for s in self.steps if s.target == "vta")
        macs = sum(s.macs for s in self.steps) or 1
        return (f"module {self.name}: {len(self.steps)} steps, {n_vta} on VTA, {n_cpu} on CPU; "
                f"{macs_vta / macs * 100:.1f}% of {macs:,} MACs on VTA")

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        from .artifact import save_module

        return save_module(self, Path(path))

    @classmethod
    def load(cls, path: str | Path, config: Config | None = None) -> "CompiledModule":
        from .artifact import load_module

        return load_module(Path(path), config)
