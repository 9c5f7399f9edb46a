"""The one place the model compiler calls the accelerator's operator library (vta.compiler.ops).

`build(node, graph, config)` turns a quantized node into an ops.* kernel (conv2d,
dense, conv2d_transpose, max_pool2d, add) with its epilogue, or raises CompileError
when the node cannot be mapped (unsupported shape, immediate out of range, ops
library absent). `VtaKernel.params` is everything needed to rebuild the kernel
without the graph passes (used by artifact.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vta.isa.config import Config

from .graph import Graph, Node
from .graph_errors import CompileError, node_error
from .quant_ops import IMM_MAX, IMM_MIN

VTA_OPS = ("QConv", "QDense", "QConvTranspose", "QMaxPool", "QAdd")


def ops_module() -> Any | None:
    """vta.compiler.ops, or None while it is not available."""
    try:
        return importlib.import_module("vta.compiler.ops")
    except ImportError:
        return None


def to_ops_epilogue(ops: Any, steps: tuple) -> tuple:
    """Quantized-graph epilogue steps -> ops.* epilogue objects (same order, same arithmetic)."""
    out = []
    for st in steps:
        k = st[0]
        if k == "bias":
            out.append(ops.AddBias())
        elif k == "residual":
            out.append(ops.AddResidual())
        elif k == "shr":
            out.append(ops.Shr(int(st[1])))
        elif k == "add":
            out.append(ops.AddImm(int(st[1])))
        elif k == "mul":
            out.append(ops.MulImm(int(st[1])))
        elif k == "min":
            out.append(ops.MinImm(int(st[1])))
        elif k == "max":
            out.append(ops.MaxImm(int(st[1])))
        elif k == "clip":
            out.append(ops.Clip(int(st[1]), int(st[2])))
        else:
            raise CompileError(f"epilogue step {st} has no VTA equivalent")
    return tuple(out)


def _check_imms(node: Node, steps: tuple) -> None:
    for st in steps:
        if st[0] in ("add", "mul", "min", "max", "clip"):
            for v in st[1:]:
                if not IMM_MIN <= v <= IMM_MAX:
                    raise node_error(node, f"epilogue immediate {v} in {st} does not fit the ALU's 16-bit field")


@dataclass
class VtaKernel:
    """An ops.* kernel for one node, and how to call and rebuild it."""

    kind: str                       # conv2d | dense | conv2d_transpose | max_pool2d | add
    op: Any                         # the ops object (has run, predicted_cycles, last_stats, ...)
    params: dict[str, Any]          # constructor keyword arguments except the arrays
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # weight, bias
    residual: bool = False

    @property
    def predicted_cycles(self) -> int | None:
        v = getattr(self.op, "predicted_cycles", None)
        return int(v) if v is not None else None

    def run(self, device: Any, inputs: list[np.ndarray]) -> np.ndarray:
        x = np.ascontiguousarray(inputs[0], dtype=np.int8)
        if self.kind == "add":
            return self.op.run(device, x, np.ascontiguousarray(inputs[1], dtype=np.int8))
        if self.residual:
            return self.op.run(device, x, residual=np.ascontiguousarray(inputs[1], dtype=np.int8))
        return self.op.run(device, x)


def construct(kind: str, params: dict[str, Any], arrays: dict[str, np.ndarray], config: Config) -> Any:
    """Call the ops constructor (also used when an artifact is loaded)."""
    ops = ops_module()
    if ops is None:
        raise CompileError("vta.compiler.ops is not available: VTA kernels cannot be built")
    p = dict(params)
    if "epilogue" in p:
        p["epilogue"] = to_ops_epilogue(ops, tuple(tuple(s) for s in p["epilogue"]))
    for k in ("input_shape", "shape", "kernel", "stride", "padding"):
        if isinstance(p.get(k), list):
            p[k] = tuple(p[k])
    fn = getattr(ops, kind)
    if kind in ("conv2d", "dense", "conv2d_transpose"):
        return fn(arrays["weight"], arrays.get("bias"), config=config, **p)
    return fn(config=config, **p)


def _sym(pair: tuple[int, int], what: str, node: Node) -> int:
    if pair[0] != pair[1]:
        raise node_error(node, f"asymmetric {what} {pair} is not supported by the VTA kernels")
    return int(pair[0])


def plan(node: Node, g: Graph) -> tuple[str, dict[str, Any], dict[str, np.ndarray], bool]:
    """(kind, params, arrays, has_residual) for a node, or CompileError if the VTA kernels cannot take it."""
    a = node.attrs
    if node.op in ("QConv", "QConvTranspose"):
        steps = a["epilogue"]
        _check_imms(node, steps)
        pt, pl, pb, pr = a["pads"]
        pad = (_sym((pt, pb), "padding", node), _sym((pl, pr), "padding", node))
        params: dict[str, Any] = {"input_shape": tuple(g.types[node.inputs[0]].shape), "stride": tuple(a["strides"]),
                                  "padding": pad, "epilogue": steps}
        if node.op == "QConv":
            params["groups"] = int(a.get("group", 1))
            kind = "conv2d"
        else:
            params["output_padding"] = tuple(a.get("output_padding", (0, 0)))
            kind = "conv2d_transpose"
        arrays = {"weight": g.const(node.inputs[1]), "bias": g.const(node.inputs[2])}
        return kind, params, arrays, len(node.inputs) > 3
    if node.op == "QDense":
        _check_imms(node, a["epilogue"])
        return ("dense", {"input_shape": tuple(g.types[node.inputs[0]].shape), "epilogue": a["epilogue"]},
                {"weight": g.const(node.inputs[1]), "bias": g.const(node.inputs[2])}, False)
    if node.op == "QMaxPool":
        if a.get("global"):
            raise node_error(node, "global max pooling is not mapped to VTA")
        if any(a["pads"]) and not nonnegative(g, node.inputs[0]):
            raise node_error(node, "VTA pads with 0, which differs from max-pool padding for negative inputs")
        pt, pl, pb, pr = a["pads"]
        return ("max_pool2d", {"input_shape": tuple(g.types[node.inputs[0]].shape), "kernel": tuple(a["kernel"]),
                               "stride": tuple(a["strides"]),
                               "padding": (_sym((pt, pb), "padding", node), _sym((pl, pr), "padding", node))},
                {}, False)
    if node.op == "QAdd":
        ta, tb = g.types[node.inputs[0]], g.types[node.inputs[1]]
        if tuple(a["pre_shift"]) != (0, 0) or a.get("sign_b", 1) != 1 or ta.shape != tb.shape:
            raise node_error(node, "VTA add needs equal shapes and equal exponents (no pre-shift, no subtraction)")
        _check_imms(node, a["epilogue"])
        return "add", {"shape": tuple(ta.shape), "epilogue": a["epilogue"]}, {}, False
    raise node_error(node, "op has no VTA kernel")


def build(node: Node, g: Graph, config: Config) -> VtaKernel:
    """The VTA kernel for a node; CompileError if it cannot be mapped."""
    kind, params, arrays, residual = plan(node, g)
    op = construct(kind, params, arrays, config)
    return VtaKernel(kind, op, params, arrays, residual)


def nonnegative(g: Graph, value: str) -> bool:
    """True if a quantized value is known to be >= 0 (its producer clips at a lower bound >= 0)."""
    prod = g.producer().get(value)
    if prod is None:
        return False
    if prod.op in ("QConv", "QDense", "QConvTranspose", "QAdd", "QMul"):
        clips = [s for s in prod.attrs["epilogue"] if s[0] == "clip"]
        return bool(clips) and clips[-1][1] >= 0
    if prod.op in ("QMaxPool", "Reshape", "Squeeze", "Unsqueeze", "Transpose"):
        return nonnegative(g, prod.inputs[0])
    if prod.op == "QLut":
        return bool(np.all(g.const(prod.inputs[1]) >= 0))
    return False
