"""Op definitions of the graph IR: shape/dtype inference (the float evaluator is graph_eval.py).

Float ops use ONNX-like names and normalized attributes (the frontend converts):
Conv/ConvTranspose (strides (sh, sw), pads (top, left, bottom, right), group),
Dense (x @ w.T + b), pools (kernel, strides, pads), Reshape (shape attr), ...
Conv/Dense/ConvTranspose/Add may carry fused activations: `act` (applied before
the optional residual input, Conv's 4th input) and `post_act` (after it); an
activation is None, ("relu",) or ("clip", lo, hi).

Quantized ops (Q*, Quantize, Dequantize) only have inference here: their integer
semantics are written down in quant_ops.py and executed by the CPU kernels and VTA.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .graph import Graph, Node, TensorType
from .graph_errors import node_error

InferFn = Callable[[Node, list[TensorType | None], Graph], list[TensorType]]

INFER: dict[str, InferFn] = {}


def infer_node(node: Node, ins: list[TensorType | None], graph: Graph) -> list[TensorType]:
    fn = INFER.get(node.op)
    if fn is None:
        raise node_error(node, "op has no shape inference in the graph IR")
    return fn(node, ins, graph)


def _reg(*ops: str, infer: InferFn) -> None:
    for op in ops:
        INFER[op] = infer


# ---------------------------------------------------------------- activations
def apply_act(y: np.ndarray, act: Any) -> np.ndarray:
    if act is None:
        return y
    if act[0] == "relu":
        return np.maximum(y, 0).astype(y.dtype)
    if act[0] == "clip":
        lo = -np.inf if act[1] is None else act[1]
        hi = np.inf if act[2] is None else act[2]
        return np.clip(y, lo, hi).astype(y.dtype)
    raise ValueError(f"unknown activation {act!r}")


def act_bounds(act: Any) -> tuple[float, float]:
    """The output interval an activation clamps to (-inf/inf where open)."""
    if act is None:
        return (-np.inf, np.inf)
    if act[0] == "relu":
        return (0.0, np.inf)
    lo = -np.inf if act[1] is None else float(act[1])
    hi = np.inf if act[2] is None else float(act[2])
    return (lo, hi)


# ---------------------------------------------------------------- conv geometry
def conv_out_hw(node: Node, h: int, w: int, kh: int, kw: int) -> tuple[int, int]:
    sh, sw = node.attrs["strides"]
    pt, pl, pb, pr = node.attrs["pads"]
    oh = (h + pt + pb - kh) // sh + 1
    ow = (w + pl + pr - kw) // sw + 1
    if oh <= 0 or ow <= 0:
        raise node_error(node, f"output would be empty ({oh}x{ow}) for input {h}x{w} and kernel {kh}x{kw}")
    return oh, ow


def _same(node: Node, a: TensorType, dtype: str | None = None) -> list[TensorType]:
    return [TensorType(a.shape, dtype or a.dtype, node.attrs.get("out_exp"))]


def _infer_conv(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x, w = ins[0], ins[1]
    if len(x.shape) != 4 or len(w.shape) != 4:
        raise node_error(node, f"needs 4-D input and weight (NCHW, OIHW), got {x.shape} and {w.shape}")
    n, c, h, wd = x.shape
    o, ipg, kh, kw = w.shape
    grp = node.attrs.get("group", 1)
    if c != ipg * grp or o % grp:
        raise node_error(node, f"input channels {c} != weight in-channels {ipg} x group {grp} "
                               f"(or out-channels {o} not divisible by the group)")
    oh, ow = conv_out_hw(node, h, wd, kh, kw)
    res = ins[3] if len(ins) > 3 else None
    if res is not None and res.shape != (n, o, oh, ow):
        raise node_error(node, f"residual input shape {res.shape} != output shape {(n, o, oh, ow)}")
    dtype = "int8" if node.op == "QConv" else x.dtype
    return [TensorType((n, o, oh, ow), dtype, node.attrs.get("out_exp"))]


def _infer_convt(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x, w = ins[0], ins[1]
    n, c, h, wd = x.shape
    ci, o, kh, kw = w.shape
    if ci != c or node.attrs.get("group", 1) != 1:
        raise node_error(node, f"weight in-channels {ci} != input channels {c}, or group != 1 (unsupported)")
    sh, sw = node.attrs["strides"]
    pt, pl, pb, pr = node.attrs["pads"]
    oph, opw = node.attrs.get("output_padding", (0, 0))
    oh = (h - 1) * sh + kh - pt - pb + oph
    ow = (wd - 1) * sw + kw - pl - pr + opw
    dtype = "int8" if node.op.startswith("Q") else x.dtype
    return [TensorType((n, o, oh, ow), dtype, node.attrs.get("out_exp"))]


def _infer_dense(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x, w = ins[0], ins[1]
    if len(x.shape) != 2 or len(w.shape) != 2 or x.shape[1] != w.shape[1]:
        raise node_error(node, f"needs x (N, I) and weight (O, I); got {x.shape} and {w.shape}")
    dtype = "int8" if node.op.startswith("Q") else x.dtype
    return [TensorType((x.shape[0], w.shape[0]), dtype, node.attrs.get("out_exp"))]


def _broadcast(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    shapes = [t.shape for t in ins if t is not None]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise node_error(node, f"input shapes {shapes} do not broadcast") from None
    if node.op.startswith("Q"):
        return [TensorType(shape, "int8", node.attrs.get("out_exp"))]
    dtypes = {t.dtype for t in ins if t is not None}
    dtype = "float32" if "float32" in dtypes else sorted(dtypes)[0]
    return [TensorType(shape, dtype)]


def _infer_pool(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x = ins[0]
    if len(x.shape) != 4:
        raise node_error(node, f"needs a 4-D NCHW input, got {x.shape}")
    n, c, h, w = x.shape
    if node.attrs.get("global"):
        return [TensorType((n, c, 1, 1), x.dtype, node.attrs.get("out_exp", x.exp if node.op == "QMaxPool" else None))]
    kh, kw = node.attrs["kernel"]
    oh, ow = conv_out_hw(node, h, w, kh, kw)
    exp = x.exp if node.op == "QMaxPool" else node.attrs.get("out_exp")
    return [TensorType((n, c, oh, ow), x.dtype, exp)]


def _infer_reshape(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x = ins[0]
    shape = list(node.attrs["shape"])
    if node.attrs.get("allowzero", 0) == 0:
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    if shape.count(-1) > 1:
        raise node_error(node, f"shape {shape} has more than one -1")
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1]))
        if known == 0 or x.size % known:
            raise node_error(node, f"cannot reshape {x.shape} to {shape}")
        shape[shape.index(-1)] = x.size // known
    if int(np.prod(shape)) != x.size:
        raise node_error(node, f"cannot reshape {x.shape} ({x.size} elements) to {shape}")
    return [TensorType(tuple(shape), x.dtype, x.exp)]


def _infer_transpose(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x = ins[0]
    perm = node.attrs.get("perm") or list(reversed(range(len(x.shape))))
    if sorted(perm) != list(range(len(x.shape))):
        raise node_error(node, f"perm {perm} is not a permutation of {len(x.shape)} axes")
    return [TensorType(tuple(x.shape[p] for p in perm), x.dtype, x.exp)]


def _infer_concat(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    axis = node.attrs["axis"]
    rank = len(ins[0].shape)
    axis = axis + rank if axis < 0 else axis
    base = list(ins[0].shape)
    total = 0
    for t in ins:
        s = list(t.shape)
        if len(s) != rank or s[:axis] + s[axis + 1:] != base[:axis] + base[axis + 1:]:
            raise node_error(node, f"input shapes {[t.shape for t in ins]} differ outside axis {axis}")
        total += s[axis]
    base[axis] = total
    dtype = "int8" if node.op == "QConcat" else ins[0].dtype
    return [TensorType(tuple(base), dtype, node.attrs.get("out_exp"))]


def _norm_axes(axes: list[int], rank: int) -> list[int]:
    return sorted(a + rank if a < 0 else a for a in axes)


def _infer_squeeze(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x = ins[0]
    axes = node.attrs.get("axes")
    if axes is None:
        shape = tuple(d for d in x.shape if d != 1)
    else:
        axes = _norm_axes(axes, len(x.shape))
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return [TensorType(shape, x.dtype, x.exp)]


def _infer_unsqueeze(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x = ins[0]
    axes = _norm_axes(node.attrs["axes"], len(x.shape) + len(node.attrs["axes"]))
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return [TensorType(tuple(shape), x.dtype, x.exp)]


def _slice_params(node: Node, shape: tuple[int, ...]) -> list[slice]:
    sl = [slice(None)] * len(shape)
    starts, ends = node.attrs["starts"], node.attrs["ends"]
    axes = node.attrs.get("axes") or list(range(len(starts)))
    steps = node.attrs.get("steps") or [1] * len(starts)
    for s, e, a, st in zip(starts, ends, axes, steps):
        a = a + len(shape) if a < 0 else a
        sl[a] = slice(*slice(int(s), int(e), int(st)).indices(shape[a]))
    return sl


def _infer_slice(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x = ins[0]
    dummy = np.empty(x.shape, dtype=np.bool_)
    return [TensorType(dummy[tuple(_slice_params(node, x.shape))].shape, x.dtype, x.exp)]


def _infer_gather(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x, idx = ins[0], ins[1]
    axis = node.attrs.get("axis", 0)
    axis = axis + len(x.shape) if axis < 0 else axis
    shape = x.shape[:axis] + idx.shape + x.shape[axis + 1:]
    return [TensorType(shape, x.dtype, x.exp)]


def _infer_shape(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    return [TensorType((len(ins[0].shape),), "int64")]


def _infer_cast(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    return [TensorType(ins[0].shape, node.attrs["to"])]


def _infer_matmul(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    a, b = ins[0].shape, ins[1].shape
    try:
        shape = np.matmul(np.empty(a, np.bool_), np.empty(b, np.bool_)).shape
    except ValueError:
        raise node_error(node, f"shapes {a} and {b} do not multiply") from None
    return [TensorType(shape, ins[0].dtype)]


def _infer_quantize(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    return [TensorType(ins[0].shape, "int8", node.attrs["exp"])]


def _infer_dequantize(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    return [TensorType(ins[0].shape, "float32")]


def _infer_qlinear(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    if node.op == "QuantizeLinear":
        zp = ins[2].dtype if len(ins) > 2 and ins[2] is not None else "int8"
        return [TensorType(ins[0].shape, "int8" if zp != "int32" else "int32")]
    return [TensorType(ins[0].shape, "float32")]


def _infer_elementwise(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    x = ins[0]
    if node.op == "QLut":
        return [TensorType(x.shape, "int8", node.attrs.get("out_exp"))]
    return [TensorType(x.shape, x.dtype)]


def _infer_s2d(node: Node, ins: list[TensorType | None], g: Graph) -> list[TensorType]:
    n, c, _, _ = ins[0].shape
    hs, ws = node.attrs["out_hw"]
    return [TensorType((n, 4 * c, hs, ws), ins[0].dtype, ins[0].exp)]


_reg("SpaceToDepth", infer=_infer_s2d)
_reg("Conv", "QConv", infer=_infer_conv)
_reg("ConvTranspose", "QConvTranspose", infer=_infer_convt)
_reg("Dense", "QDense", infer=_infer_dense)
_reg("Add", "Sub", "Mul", "Div", "QAdd", "QMul", "Pow", "Max", "Min", infer=_broadcast)
_reg("MaxPool", "AvgPool", "QMaxPool", "QAvgPool", infer=_infer_pool)
_reg("Reshape", infer=_infer_reshape)
_reg("Transpose", infer=_infer_transpose)
_reg("Concat", "QConcat", infer=_infer_concat)
_reg("Squeeze", infer=_infer_squeeze)
_reg("Unsqueeze", infer=_infer_unsqueeze)
_reg("Slice", infer=_infer_slice)
_reg("Gather", infer=_infer_gather)
_reg("Shape", infer=_infer_shape)
_reg("Cast", infer=_infer_cast)
_reg("MatMul", infer=_infer_matmul)
_reg("Quantize", infer=_infer_quantize)
_reg("Dequantize", infer=_infer_dequantize)
_reg("QuantizeLinear", "DequantizeLinear", infer=_infer_qlinear)
_reg("Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh", "Softmax", "Identity", "Neg", "Exp",
     "Sqrt", "Reciprocal", "FakeQuant", "QLut", "BatchNorm", infer=_infer_elementwise)


# ---------------------------------------------------------------- cost figures
def node_macs(node: Node, graph: Graph) -> int:
    """Multiply-accumulates of a conv/dense-like node (0 for everything else)."""
    t = graph.types
    if "macs" in node.attrs:  # set by lowering passes that add zero work
        return int(node.attrs["macs"])
    if node.op in ("Conv", "QConv"):
        o, ipg, kh, kw = t[node.inputs[1]].shape
        n, _, oh, ow = t[node.outputs[0]].shape
        return n * o * oh * ow * ipg * kh * kw
    if node.op in ("ConvTranspose", "QConvTranspose"):
        n, c, h, w = t[node.inputs[0]].shape
        _, o, kh, kw = t[node.inputs[1]].shape
        return n * c * h * w * o * kh * kw
    if node.op in ("Dense", "QDense"):
        n, i = t[node.inputs[0]].shape
        return n * i * t[node.inputs[1]].shape[0]
    if node.op == "MatMul":
        a = t[node.inputs[0]].shape
        return int(np.prod(t[node.outputs[0]].shape)) * a[-1]
    return 0
