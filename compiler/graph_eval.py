"""The float numpy evaluator of the graph IR: constant folding and calibration (not a runtime path)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .graph import Node, TensorType
from .graph_errors import node_error
from .graph_ops import _infer_reshape, _infer_squeeze, _infer_unsqueeze, _slice_params, apply_act

EvalFn = Callable[[Node, list[np.ndarray]], list[np.ndarray]]
EVAL: dict[str, EvalFn] = {}


def eval_node(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    fn = EVAL.get(node.op)
    if fn is None:
        raise node_error(node, "op has no float evaluator (cannot constant-fold or calibrate it)")
    return fn(node, ins)


def _reg(*ops: str, ev: EvalFn) -> None:
    for op in ops:
        EVAL[op] = ev


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
    """Plain float32 convolution (NCHW, OIHW, groups): per-tap copies into (C*KH*KW, OH*OW) columns, one BLAS
    product per image and group that lands directly in NCHW (no transposes of the big operand)."""
    o, ipg, kh, kw = w.shape
    xp = _pad4(x.astype(np.float32, copy=False), pads)
    n, c = x.shape[:2]
    sh, sw = strides
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    if group == c and ipg == 1 and o == c:
        return np.einsum("nchwij,cij->nchw", _windows(xp, kh, kw, sh, sw), w[:, 0], optimize=True)
    cols = np.empty((n, c, kh, kw, oh, ow), np.float32)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
    cols = cols.reshape(n, group, ipg * kh * kw, oh * ow)
    opg = o // group
    wg = w.astype(np.float32, copy=False).reshape(group, opg, ipg * kh * kw)
    out = np.empty((n, group, opg, oh * ow), np.float32)
    for b in range(n):
        for g in range(group):
            np.matmul(wg[g], cols[b, g], out=out[b, g])
    return out.reshape(n, o, oh, ow)


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


def _qlinear_params(node: Node, ins: list[np.ndarray], zp_dtype) -> tuple[np.ndarray, np.ndarray]:
    """Scale and zero point of Quantize/DequantizeLinear, reshaped to broadcast along `axis` when per-axis."""
    x, s = ins[0], ins[1]
    zp = ins[2] if len(ins) > 2 and ins[2] is not None else np.zeros((), zp_dtype)
    if s.ndim == 1 and s.size > 1:
        shape = [1] * x.ndim
        shape[node.attrs.get("axis", 1)] = -1
        s, zp = s.reshape(shape), zp.reshape(shape)
    return s, zp


def _quantize_linear(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    s, zp = _qlinear_params(node, ins, np.int8)
    info = np.iinfo(zp.dtype)
    q = np.clip(np.rint(ins[0] / s) + zp.astype(np.int64), info.min, info.max)
    return [q.astype(zp.dtype)]


def _dequantize_linear(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    s, zp = _qlinear_params(node, ins, ins[0].dtype)
    return [((ins[0].astype(np.int64) - zp.astype(np.int64)) * s).astype(np.float32)]


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
