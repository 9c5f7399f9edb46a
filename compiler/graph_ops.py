"""Op definitions of the graph IR: shape/dtype inference and the float numpy evaluator.

Float ops use ONNX-like names and normalized attributes (the frontend converts):
Conv/ConvTranspose (strides (sh, sw), pads (top, left, bottom, right), group),
Dense (x @ w.T + b), pools (kernel, strides, pads), Reshape (shape attr), ...
Conv/Dense/ConvTranspose/Add may carry fused activations: `act` (applied before
the optional residual input, Conv's 4th input) and `post_act` (after it); an
activation is None, ("relu",) or ("clip", lo, hi).

Quantized ops (Q*, Quantize, Dequantize) only have inference here: their integer
semantics are written down in quant_ops.py and executed by the CPU kernels and VTA.
The float evaluator serves constant folding and calibration; it is not a runtime path.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .graph import Graph, Node, TensorType
from .graph_errors import node_error

InferFn = Callable[[Node, list[TensorType | None], Graph], list[TensorType]]
EvalFn = Callable[[Node, list[np.ndarray]], list[np.ndarray]]

INFER: dict[str, InferFn] = {}
EVAL: dict[str, EvalFn] = {}


def infer_node(node: Node, ins: list[TensorType | None], graph: Graph) -> list[TensorType]:
    fn = INFER.get(node.op)
    if fn is None:
        raise node_error(node, "op has no shape inference in the graph IR")
    return fn(node, ins, graph)


def eval_node(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    fn = EVAL.get(node.op)
    if fn is None:
        raise node_error(node, "op has no float evaluator (cannot constant-fold or calibrate it)")
    return fn(node, ins)


def _reg(*ops: str, infer: InferFn | None = None, ev: EvalFn | None = None) -> None:
    for op in ops:
        if infer is not None:
            INFER[op] = infer
        if ev is not None:
            EVAL[op] = ev


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


# ---------------------------------------------------------------- float evaluation
def _pad4(x: np.ndarray, pads: tuple[int, int, int, int], value: float = 0.0) -> np.ndarray:
    pt, pl, pb, pr = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def _windows(x: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """(N, C, OH, OW, KH, KW) view of a padded input."""
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw]


def conv2d_float(x: np.ndarray, w: np.ndarray, strides, pads, group: int) -> np.ndarray:
    """Plain float convolution (NCHW, OIHW, groups) by im2col and BLAS matmul (float64 for exactness)."""
    o, ipg, kh, kw = w.shape
    win = _windows(_pad4(x, pads), kh, kw, *strides)
    n, c, oh, ow = win.shape[:4]
    if group == c and ipg == 1 and o == c:
        return np.einsum("nchwij,cij->nchw", win, w[:, 0], optimize=True)
    outs = []
    opg = o // group
    for gi in range(group):
        wg = w[gi * opg:(gi + 1) * opg].reshape(opg, -1)
        xg = win[:, gi * ipg:(gi + 1) * ipg].transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, -1)
        outs.append((xg @ wg.T).reshape(n, oh, ow, opg).transpose(0, 3, 1, 2))
    return np.concatenate(outs, axis=1) if group > 1 else outs[0]


def conv_transpose2d_float(x: np.ndarray, w: np.ndarray, strides, pads, output_padding) -> np.ndarray:
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    sh, sw = strides
    pt, pl, pb, pr = pads
    full = np.zeros((n, o, (h - 1) * sh + kh + output_padding[0], (wd - 1) * sw + kw + output_padding[1]), x.dtype)
    for i in range(kh):
        for j in range(kw):
            contrib = np.einsum("nchw,co->nohw", x, w[:, :, i, j])
            full[:, :, i:i + (h - 1) * sh + 1:sh, j:j + (wd - 1) * sw + 1:sw] += contrib
    return full[:, :, pt:full.shape[2] - pb, pl:full.shape[3] - pr]


def _ev_conv(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    x, w = ins[0], ins[1]
    y = conv2d_float(x.astype(np.float32), w.astype(np.float32), node.attrs["strides"], node.attrs["pads"],
                     node.attrs.get("group", 1))
    if len(ins) > 2 and ins[2] is not None:
        y = y + ins[2].reshape(1, -1, 1, 1)
    return [_fused_tail(node, y, ins)]


def _fused_tail(node: Node, y: np.ndarray, ins: list[np.ndarray]) -> np.ndarray:
    y = apply_act(y.astype(np.float32), node.attrs.get("act"))
    if len(ins) > 3 and ins[3] is not None:
        y = y + ins[3]
    return apply_act(y, node.attrs.get("post_act")).astype(np.float32)


def _ev_convt(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    y = conv_transpose2d_float(ins[0].astype(np.float32), ins[1].astype(np.float32), node.attrs["strides"],
                               node.attrs["pads"], node.attrs.get("output_padding", (0, 0)))
    if len(ins) > 2 and ins[2] is not None:
        y = y + ins[2].reshape(1, -1, 1, 1)
    return [_fused_tail(node, y, ins)]


def _ev_dense(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    y = ins[0].astype(np.float32) @ ins[1].astype(np.float32).T
    if len(ins) > 2 and ins[2] is not None:
        y = y + ins[2]
    return [_fused_tail(node, y, ins)]


def _ev_pool(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    x = ins[0].astype(np.float32)
    if node.attrs.get("global"):
        return [x.mean(axis=(2, 3), keepdims=True) if node.op == "AvgPool" else x.max(axis=(2, 3), keepdims=True)]
    kh, kw = node.attrs["kernel"]
    sh, sw = node.attrs["strides"]
    pads = node.attrs["pads"]
    if node.op == "MaxPool":
        return [_windows(_pad4(x, pads, -np.inf), kh, kw, sh, sw).max(axis=(4, 5))]
    s = _windows(_pad4(x, pads), kh, kw, sh, sw).sum(axis=(4, 5))
    if node.attrs.get("count_include_pad", 0) or not any(pads):
        return [s / (kh * kw)]
    ones = _windows(_pad4(np.ones((1, 1) + x.shape[2:], np.float32), pads), kh, kw, sh, sw).sum(axis=(4, 5))
    return [s / ones]


def _ev_batchnorm(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    x, scale, bias, mean, var = ins
    shape = (1, -1) + (1,) * (x.ndim - 2)
    k = scale / np.sqrt(var + node.attrs.get("epsilon", 1e-5))
    return [(x - mean.reshape(shape)) * k.reshape(shape) + bias.reshape(shape)]


def _ev_softmax(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    x = ins[0]
    axis = node.attrs.get("axis", -1)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return [(e / e.sum(axis=axis, keepdims=True)).astype(np.float32)]


def _fake_quant(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    s, zp = node.attrs["scale"], node.attrs["zero_point"]
    q = np.clip(np.rint(ins[0] / s) + zp, node.attrs["qmin"], node.attrs["qmax"])
    return [((q - zp) * s).astype(np.float32)]


def _quantize_linear(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    x, s = ins[0], ins[1]
    zp = ins[2] if len(ins) > 2 and ins[2] is not None else np.zeros((), np.int8)
    axis = node.attrs.get("axis", 1)
    if s.ndim == 1 and s.size > 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        s, zp = s.reshape(shape), zp.reshape(shape)
    info = np.iinfo(zp.dtype)
    q = np.clip(np.rint(x / s) + zp.astype(np.int64), info.min, info.max)
    return [q.astype(zp.dtype)]


def _dequantize_linear(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    x, s = ins[0], ins[1]
    zp = ins[2] if len(ins) > 2 and ins[2] is not None else np.zeros((), x.dtype)
    axis = node.attrs.get("axis", 1)
    if s.ndim == 1 and s.size > 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        s, zp = s.reshape(shape), zp.reshape(shape)
    return [((x.astype(np.int64) - zp.astype(np.int64)) * s).astype(np.float32)]


def _binary(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> EvalFn:
    def ev(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
        a, b = ins
        if node.op == "Div" and a.dtype.kind in "iu" and b.dtype.kind in "iu":
            y = np.trunc(a / b).astype(np.result_type(a, b))
        else:
            y = fn(a, b)
        if y.dtype == np.float64:
            y = y.astype(np.float32)
        return [apply_act(y, node.attrs.get("act"))]
    return ev


def _unary(fn: Callable[[np.ndarray, Node], np.ndarray]) -> EvalFn:
    def ev(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
        y = fn(ins[0], node)
        return [y.astype(np.float32) if y.dtype == np.float64 else y]
    return ev


def hard_sigmoid(x: np.ndarray, alpha: float = 0.2, beta: float = 0.5) -> np.ndarray:
    return np.clip(alpha * x + beta, 0.0, 1.0)


def hard_swish(x: np.ndarray) -> np.ndarray:
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _clip(x: np.ndarray, node: Node) -> np.ndarray:
    return apply_act(x, ("clip", node.attrs.get("min"), node.attrs.get("max")))


_reg("Conv", ev=_ev_conv)
_reg("ConvTranspose", ev=_ev_convt)
_reg("Dense", ev=_ev_dense)
_reg("MaxPool", "AvgPool", ev=_ev_pool)
_reg("BatchNorm", ev=_ev_batchnorm)
_reg("Softmax", ev=_ev_softmax)
_reg("FakeQuant", ev=_fake_quant)
_reg("QuantizeLinear", ev=_quantize_linear)
_reg("DequantizeLinear", ev=_dequantize_linear)
_reg("Add", ev=_binary(np.add))
_reg("Sub", ev=_binary(np.subtract))
_reg("Mul", ev=_binary(np.multiply))
_reg("Div", ev=_binary(np.divide))
_reg("Pow", ev=_binary(np.power))
_reg("Max", ev=_binary(np.maximum))
_reg("Min", ev=_binary(np.minimum))
_reg("MatMul", ev=_binary(np.matmul))
_reg("Relu", ev=_unary(lambda x, n: np.maximum(x, 0).astype(x.dtype)))
_reg("Clip", ev=_unary(_clip))
_reg("HardSigmoid", ev=_unary(lambda x, n: hard_sigmoid(x, n.attrs.get("alpha", 0.2), n.attrs.get("beta", 0.5))))
_reg("HardSwish", ev=_unary(lambda x, n: hard_swish(x)))
_reg("Sigmoid", ev=_unary(lambda x, n: 1.0 / (1.0 + np.exp(-x))))
_reg("Tanh", ev=_unary(lambda x, n: np.tanh(x)))
_reg("Neg", ev=_unary(lambda x, n: -x))
_reg("Exp", ev=_unary(lambda x, n: np.exp(x)))
_reg("Sqrt", ev=_unary(lambda x, n: np.sqrt(x)))
_reg("Reciprocal", ev=_unary(lambda x, n: 1.0 / x))
_reg("Identity", ev=_unary(lambda x, n: x))
_reg("Reshape", ev=_unary(lambda x, n: x.reshape(_infer_reshape(n, [TensorType(x.shape)], None)[0].shape)))
_reg("Transpose", ev=_unary(lambda x, n: np.transpose(x, n.attrs.get("perm"))))
_reg("Squeeze", ev=_unary(lambda x, n: x.reshape(_infer_squeeze(n, [TensorType(x.shape)], None)[0].shape)))
_reg("Unsqueeze", ev=_unary(lambda x, n: x.reshape(_infer_unsqueeze(n, [TensorType(x.shape)], None)[0].shape)))
_reg("Slice", ev=_unary(lambda x, n: x[tuple(_slice_params(n, x.shape))]))
_reg("Shape", ev=_unary(lambda x, n: np.array(x.shape, np.int64)))
_reg("Cast", ev=_unary(lambda x, n: x.astype(n.attrs["to"])))
EVAL["Concat"] = lambda n, ins: [np.concatenate(ins, axis=n.attrs["axis"])]
EVAL["Gather"] = lambda n, ins: [np.take(ins[0], ins[1], axis=n.attrs.get("axis", 0))]


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
