"""`vta.compiler.compile`: ONNX model -> CompiledModule (VTA kernels + native CPU code).

Pipeline (each stage printable; `compile(..., log=print)` shows it):
    frontend_onnx.from_onnx          ONNX -> typed graph, static shape arithmetic folded
    passes_graph.FLOAT_PIPELINE      constant folding, BN/affine folding, hard-swish matching, layout
    fuse.FUSE_PIPELINE               conv/dense + bias + act + residual + act -> one node
    quant_calib.calibrate            float run over the calibration samples
    quant.quantize                   int8 graph with power-of-two scales
    passes_graph_lower.LOWER_PIPELINE  same integers, cheaper form (space-to-depth stem)
    partition.partition              VTA or CPU per node (capability + cost)
    lowering                         ops.* kernels for VTA nodes, LLVM IR -> machine code for CPU nodes
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from vta.isa.config import Config

from .artifact_runtime import CompiledModule, Step
from .cpu_kernels import VIEW_OPS, CpuCodegen
from .frontend_onnx import from_onnx, load_onnx
from .fuse import FUSE_PIPELINE
from .graph import Graph
from .graph_errors import CompileError
from .llvm_jit import compile_ir
from .op_conv import shared_choices
from .partition import CostModel, Placement, partition
from .passes_graph import FLOAT_PIPELINE, describe, run_pipeline
from .passes_graph_lower import LOWER_PIPELINE
from .quant import QuantOptions, quantize
from .quant_calib import calibrate

CALIB_BATCH = 16


@dataclass
class CompileReport:
    """Timings and decisions of one compile, kept on the module as `module.meta['report']`."""

    stage_s: dict[str, float] = field(default_factory=dict)
    placements: dict[str, Placement] = field(default_factory=dict)


def float_graph(model: Any, input_shapes: dict | None = None, batch: int = 1,
                log: Callable[[str], None] | None = None) -> Graph:
    """The optimized, fused float graph of an ONNX model (frontend + float passes + fusion)."""
    g = from_onnx(model, input_shapes, batch)
    run_pipeline(g, FLOAT_PIPELINE, log)
    run_pipeline(g, FUSE_PIPELINE, log)
    return g


def quantized_graph(model: Any, calibration: Any, input_shapes: dict | None = None, batch: int = 1,
                    quant: QuantOptions | None = None, log: Callable[[str], None] | None = None
                    ) -> tuple[Graph, Graph]:
    """(fused float graph, quantized graph) for a model and its calibration samples."""
    proto = load_onnx(model)
    g = float_graph(proto, input_shapes, batch, log)
    if calibration is None:
        raise CompileError("calibration samples are required for int8 quantization (calibration=array or dict)")
    samples = calibration if isinstance(calibration, dict) else {g.inputs[0]: np.asarray(calibration)}
    total = min(np.asarray(v).shape[0] for v in samples.values())
    cb = CALIB_BATCH if total % CALIB_BATCH == 0 else (batch if total % batch == 0 else 1)
    cal_shapes = {n: (cb,) + g.types[n].shape[1:] for n in g.inputs}
    cg = g if cb == batch else float_graph(proto, cal_shapes, cb)
    cal = calibrate(cg, dict(samples))
    qg = quantize(g, cal, quant)
    return g, qg


def compile(model: Any, config: Config | None = None, calibration: Any = None, *,
            input_shapes: dict[str, tuple[int, ...]] | None = None, batch: int = 1, partition_policy: str = "cost",
            cost: CostModel | None = None, quant: QuantOptions | None = None,
            log: Callable[[str], None] | None = None) -> CompiledModule:
    """Compile an ONNX model (path, bytes or ModelProto) for `config`, calibrated on `calibration` samples."""
    config = config or Config()
    rep = CompileReport()
    say = log or (lambda s: None)
    t0 = time.perf_counter()
    proto = load_onnx(model)
    say("frontend + float passes:\n" + describe(FLOAT_PIPELINE + FUSE_PIPELINE))
    fg, qg = quantized_graph(proto, calibration, input_shapes, batch, quant, log)
    rep.stage_s["frontend_quantize"] = time.perf_counter() - t0
    say(f"quantized graph: {len(qg.nodes)} nodes")
    t1 = time.perf_counter()
    lg = qg.copy()  # lowering passes change how, not what: qg stays the reference semantics
    for p in LOWER_PIPELINE:
        say(f"  {p.__name__}: {p(lg, config.block_in)}")
    with shared_choices():  # repeated conv shapes search once
        places = partition(lg, config, partition_policy, cost, log)
    rep.placements = places
    rep.stage_s["partition_vta_build"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    module = lower(lg, places, config)
    module.quant_graph = qg
    module.lowered_graph = lg
    rep.stage_s["cpu_codegen"] = time.perf_counter() - t2
    module.float_graph = fg
    module.meta["report"] = rep
    module.meta["opset"] = qg.meta.get("opset")
    rep.stage_s["total"] = time.perf_counter() - t0
    say(module.summary())
    return module


def lower(qg: Graph, places: dict[str, Placement], config: Config) -> CompiledModule:
    """Steps for every node: VTA kernels as placed, CPU nodes through one LLVM module."""
    cg = CpuCodegen(qg.name)
    steps: list[Step] = []
    for node in qg.nodes:
        p = places[node.name]
        t = qg.types[node.outputs[0]]
        step = Step(node.name, node.op, p.target, list(node.inputs), list(node.outputs), t.shape, t.dtype, p.macs,
                    reason=p.reason, vta_cycles_predicted=p.vta_cycles)
        if p.target == "view":
            step.inputs = [node.inputs[0]]
        elif p.target == "vta":
            step.vta = p.kernel
            if p.kernel.kind in ("conv2d", "conv2d_transpose", "dense"):
                step.inputs = [node.inputs[0]] + ([node.inputs[3]] if p.kernel.residual else [])
        else:
            spec = cg.add(qg, node)
            step.kernel_func, step.scratch = spec.func, spec.scratch
        steps.append(step)
    native = compile_ir(cg.ir_text()) if any(s.target == "cpu" for s in steps) else None
    used = {i for s in steps for i in s.inputs}
    consts = {k: v for k, v in qg.consts.items() if k in used}
    aliases = list(qg.meta.get("output_names") or qg.outputs)
    return CompiledModule(
        name=qg.name, config=config, input_names=list(qg.inputs),
        input_shapes={n: qg.types[n].shape for n in qg.inputs}, input_dtypes={n: qg.types[n].dtype for n in qg.inputs},
        output_names=list(qg.outputs), output_aliases=aliases, steps=steps, consts=consts, native=native,
        meta={"ir": cg.ir_text()}, quant_graph=qg)


__all__ = ["compile", "float_graph", "quantized_graph", "lower", "VIEW_OPS"]
