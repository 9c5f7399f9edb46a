"""An independent numpy interpreter of the quantized graph, written for the tests.

It reads only the quantized Graph (ops, attributes, constants) and implements the
integer semantics stated in vta/compiler/quant_ops.py from scratch: convolution by
explicit loops over kernel taps in int64, the epilogue on int64 emulating int32
wrap-around, pooling, lookup tables (rebuilt here from the function definition and
checked against the graph's table), elementwise ops. It shares no code with the
compiler's CPU kernels or the VTA lowering.
"""

from __future__ import annotations

import math

import numpy as np


def wrap32(v: np.ndarray) -> np.ndarray:
    return ((v.astype(np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def low8(v: np.ndarray) -> np.ndarray:
    return (((v.astype(np.int64) + 128) % 256) - 128).astype(np.int8)


def shr(v: np.ndarray, n: int) -> np.ndarray:
    if n >= 0:
        return v >> min(n, 31)
    if -n >= 32:
        return np.zeros_like(v)
    return wrap32(v << -n)


def epilogue(acc: np.ndarray, steps, bias=None, residual=None, channel_axis: int = 1) -> np.ndarray:
    """Apply epilogue steps to an int32 accumulator (held in int64, wrapped after each step)."""
    acc = wrap32(acc)
    for st in steps:
        kind = st[0]
        if kind == "bias":
            shape = [1] * acc.ndim
            shape[channel_axis] = -1
            acc = wrap32(acc + bias.astype(np.int64).reshape(shape))
        elif kind == "shr":
            acc = shr(acc, st[1])
        elif kind == "add":
            acc = wrap32(acc + st[1])
        elif kind == "mul":
            acc = wrap32(acc * st[1])
        elif kind == "min":
            acc = np.minimum(acc, st[1])
        elif kind == "max":
            acc = np.maximum(acc, st[1])
        elif kind == "clip":
            acc = np.minimum(np.maximum(acc, st[1]), st[2])
        elif kind == "residual":
            acc = wrap32(acc + residual.astype(np.int64))
        else:
            raise ValueError(f"unknown epilogue step {st}")
    return low8(acc)


def conv_int(x: np.ndarray, w: np.ndarray, strides, pads, group: int) -> np.ndarray:
    """int64 convolution by a loop over kernel taps (and groups)."""
    n, c, h, wd = x.shape
    o, ipg, kh, kw = w.shape
    sh, sw = strides
    pt, pl, pb, pr = pads
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr), np.int64)
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    out = np.zeros((n, o, oh, ow), np.int64)
    opg = o // group
    for g in range(group):
        xs = xp[:, g * ipg:(g + 1) * ipg]
        ws = w[g * opg:(g + 1) * opg].astype(np.int64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
                # exact in float64: |products| < 2**15 and sums far below 2**53
                out[:, g * opg:(g + 1) * opg] += np.einsum(
                    "nchw,oc->nohw", patch.astype(np.float64), ws[:, :, i, j].astype(np.float64)).astype(np.int64)
    return out


def conv_transpose_int(x: np.ndarray, w: np.ndarray, strides, pads, output_padding) -> np.ndarray:
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    sh, sw = strides
    pt, pl, pb, pr = pads
    full = np.zeros((n, o, (h - 1) * sh + kh + output_padding[0], (wd - 1) * sw + kw + output_padding[1]), np.int64)
    for i in range(kh):
        for j in range(kw):
            full[:, :, i:i + (h - 1) * sh + 1:sh, j:j + (wd - 1) * sw + 1:sw] += np.einsum(
                "nchw,co->nohw", x.astype(np.int64), w[:, :, i, j].astype(np.int64))
    return full[:, :, pt:full.shape[2] - pb, pl:full.shape[3] - pr]


def _lut_expected(func: str, attrs: dict, ei: int, eo: int) -> np.ndarray:
    x = np.arange(-128, 128, dtype=np.float64) / 2.0 ** ei
    if func == "Relu":
        y = np.maximum(x, 0)
    elif func == "Clip":
        y = np.clip(x, -np.inf if attrs.get("min") is None else attrs["min"],
                    np.inf if attrs.get("max") is None else attrs["max"])
    elif func == "HardSigmoid":
        y = np.maximum(0, np.minimum(1, attrs.get("alpha", 0.2) * x + attrs.get("beta", 0.5)))
    elif func == "HardSwish":
        y = x * np.maximum(0, np.minimum(6, x + 3)) / 6
    elif func == "Sigmoid":
        y = 1 / (1 + np.exp(-x))
    elif func == "Tanh":
        y = np.tanh(x)
    else:
        raise ValueError(func)
    return np.clip(np.floor(y * 2.0 ** eo + 0.5), -128, 127).astype(np.int8)


def _pool_windows(x: np.ndarray, kernel, strides, pads, fill):
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    pt, pl, pb, pr = pads
    xp = np.full((n, c, h + pt + pb, w + pl + pr), fill, np.int64)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    valid = np.zeros((1, 1, h + pt + pb, w + pl + pr), np.int64)
    valid[:, :, pt:pt + h, pl:pl + w] = 1
    oh = (h + pt + pb - kh) // sh + 1
    ow = (w + pl + pr - kw) // sw + 1
    taps = [(xp[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw],
             valid[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]) for i in range(kh) for j in range(kw)]
    return taps


def run_reference(graph, feeds: dict[str, np.ndarray], keep_all: bool = False) -> dict[str, np.ndarray]:
    """Evaluate the quantized graph; returns the graph outputs (or every value with keep_all)."""
    env = dict(graph.consts)
    env.update({k: np.asarray(v) for k, v in feeds.items()})
    for node in graph.nodes:
        a = node.attrs
        ins = [env[i] if i else None for i in node.inputs]
        op = node.op
        if op == "Quantize":
            x = ins[0].astype(np.float32)
            y = np.clip(np.floor(x * np.float32(2.0 ** a["exp"]) + np.float32(0.5)), -128, 127).astype(np.int8)
        elif op == "Dequantize":
            y = ins[0].astype(np.float32) * np.float32(2.0 ** -a["exp"])
        elif op == "QConv":
            acc = conv_int(ins[0], ins[1], a["strides"], a["pads"], a.get("group", 1))
            y = epilogue(acc, a["epilogue"], ins[2], ins[3] if len(ins) > 3 else None)
        elif op == "QConvTranspose":
            acc = conv_transpose_int(ins[0], ins[1], a["strides"], a["pads"], a.get("output_padding", (0, 0)))
            y = epilogue(acc, a["epilogue"], ins[2])
        elif op == "QDense":
            acc = ins[0].astype(np.int64) @ ins[1].astype(np.int64).T
            y = epilogue(acc, a["epilogue"], ins[2])
        elif op == "QMaxPool":
            if a.get("global"):
                y = ins[0].max(axis=(2, 3), keepdims=True)
            else:
                taps = _pool_windows(ins[0], a["kernel"], a["strides"], a["pads"], -128)
                y = np.max([t for t, _ in taps], axis=0).astype(np.int8)
        elif op == "QAvgPool":
            x = ins[0]
            if a.get("global"):
                s = x.astype(np.int64).sum(axis=(2, 3), keepdims=True)
                cnt = np.full(s.shape, x.shape[2] * x.shape[3])
            else:
                taps = _pool_windows(x, a["kernel"], a["strides"], a["pads"], 0)
                s = np.sum([t for t, _ in taps], axis=0)
                if a.get("count_include_pad") or not any(a["pads"]):
                    cnt = np.full(s.shape, a["kernel"][0] * a["kernel"][1])
                else:
                    cnt = np.broadcast_to(np.sum([v for _, v in taps], axis=0), s.shape)
            k = a["shift"]
            mult = np.array([math.floor(2.0 ** (k + a["out_exp"] - a["in_exp"]) / c + 0.5) for c in
                             range(1, a["kernel"][0] * a["kernel"][1] + 1)], np.int64)
            assert tuple(mult) == tuple(a["mults"][1:]), "avg-pool multipliers differ from the definition"
            y = np.clip((s * mult[cnt - 1] + (1 << (k - 1))) >> k, -128, 127).astype(np.int8)
        elif op == "QLut":
            table = _lut_expected(a["func"], a["func_attrs"], a["in_exp"], a["out_exp"])
            assert np.array_equal(table, ins[1]), f"{node.name}: lookup table differs from its definition"
            y = table[ins[0].astype(np.int64) + 128]
        elif op == "QAdd":
            sa, sb = a["pre_shift"]
            acc = (ins[0].astype(np.int64) << sa) + a["sign_b"] * (ins[1].astype(np.int64) << sb)
            y = epilogue(acc, a["epilogue"])
        elif op == "QMul":
            y = epilogue(ins[0].astype(np.int64) * ins[1].astype(np.int64), a["epilogue"])
        elif op == "QConcat":
            parts = []
            for x, s in zip(ins, a["shifts"]):
                v = x.astype(np.int64)
                v = (v + (1 << (s - 1))) >> s if s > 0 else v << -s
                parts.append(np.clip(v, -128, 127).astype(np.int8))
            y = np.concatenate(parts, axis=a["axis"])
        elif op in ("Reshape", "Squeeze", "Unsqueeze"):  # the batch may be a multiple of the compiled one
            y = ins[0].reshape((-1,) + tuple(graph.types[node.outputs[0]].shape[1:]))
        elif op == "Transpose":
            y = np.transpose(ins[0], a["perm"])
        elif op == "Softmax":
            x = ins[0].astype(np.float64)
            e = np.exp(x - x.max(axis=a["axis"], keepdims=True))
            y = (e / e.sum(axis=a["axis"], keepdims=True)).astype(np.float32)
        else:
            raise NotImplementedError(f"reference has no rule for {op} ({node.name})")
        env[node.outputs[0]] = y
    if keep_all:
        return env
    return {o: env[o] for o in graph.outputs}
