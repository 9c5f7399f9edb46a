"""Plain numpy integer references for the operator tests (independent of vta.compiler).

Products are summed in float64, which is exact for int8 x int8 sums below 2^53.
"""

from __future__ import annotations

import numpy as np


def conv2d(x: np.ndarray, w: np.ndarray, stride=(1, 1), padding=(0, 0), groups: int = 1) -> np.ndarray:
    """int64 (N, O, OH, OW) = sum over taps and the group's input channels of x * w."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, o, oh, ow), dtype=np.float64)
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        ws = w[g * og : (g + 1) * og].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
                out[:, g * og : (g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j], optimize=True)
    return out.astype(np.int64)


def conv2d_transpose(x: np.ndarray, w: np.ndarray, stride=(1, 1), padding=(0, 0), output_padding=(0, 0)) -> np.ndarray:
    """ONNX/PyTorch ConvTranspose, weight (I, O, KH, KW): every input pixel scatters x * w into the output."""
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    oh = (h - 1) * sh - 2 * ph + kh + output_padding[0]
    ow = (wd - 1) * sw - 2 * pw + kw + output_padding[1]
    full = np.zeros((n, o, (h - 1) * sh + kh + oh, (wd - 1) * sw + kw + ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            contrib = np.einsum("nchw,co->nohw", x.astype(np.float64), w[:, :, i, j].astype(np.float64))
            full[:, :, i : i + sh * (h - 1) + 1 : sh, j : j + sw * (wd - 1) + 1 : sw] += contrib
    return full[:, :, ph : ph + oh, pw : pw + ow].astype(np.int64)


def dense(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return (x.astype(np.float64) @ w.astype(np.float64).T).astype(np.int64)


def max_pool2d(x: np.ndarray, kernel, stride, padding) -> np.ndarray:
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * ph, w + 2 * pw), -(1 << 20), dtype=np.int64)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out = np.full((n, c, oh, ow), -(1 << 20), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, xp[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw])
    return out.astype(np.int8)


def wrap32(a: np.ndarray) -> np.ndarray:
    return ((a.astype(np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def upstream_tail(acc: np.ndarray, bias: np.ndarray, channel_axis: int = 1) -> np.ndarray:
    """Upstream's test tail: >> 8, + bias, clip to [0, 127], int8."""
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    return np.clip((acc >> 8) + bias.astype(np.int64).reshape(shape), 0, 127).astype(np.int8)
