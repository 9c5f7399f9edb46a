"""The integer semantics of the quantized ops, and the compile-time helpers that build them.

Every quantized tensor is int8 with a power-of-two scale: value = q * 2**-exp.

Epilogue (QConv, QDense, QConvTranspose, QAdd, QMul): steps applied in order to an
int32 accumulator with the VTA ALU's arithmetic (isa/semantics.md), then the low
8 bits are kept (two's complement), exactly as the accelerator's STORE does:

    ("bias",)          acc += bias[out_channel]            (int32 wrap)
    ("shr", n)         n >= 0: acc >>= min(n, 31) (arithmetic); n < 0: acc <<= -n (wrap; 0 if -n >= 32)
    ("add", c)         acc += c                             (16-bit signed immediate, wrap)
    ("mul", c)         acc = low 32 bits of acc * c
    ("min", c), ("max", c), ("clip", lo, hi)
    ("residual",)      acc += residual[same index]          (int8 input of the output's shape)

Rounding: requantizing from exponent a to b (s = a - b > 0) is round half up,
floor((acc + 2**(s-1)) / 2**s). For conv/dense the 2**(s-1) is folded into the
int32 bias vector (so it costs no extra ALU op); elsewhere it is an ("add", 2**(s-1)).

Other ops:
    Quantize     q = clip(floor(x * 2**exp + 0.5), -128, 127), in float32 arithmetic
    Dequantize   x = float32(q) * 2**-exp (exact)
    QMaxPool     max over the window; positions outside the input are ignored
    QAvgPool     s = sum over the window (int32); q = clip((s * mult[count] + 2**(k-1)) >> k) in int64,
                 count = window size (or the in-bounds count without count_include_pad)
    QLut         q = table[x + 128]; table[i] = clip(floor(f((i-128) * 2**-e_in) * 2**e_out + 0.5)) in float64
    QAdd         acc = (a << pre_a) + sign_b * (b << pre_b) (broadcast), then the epilogue
    QMul         acc = a * b (broadcast), then the epilogue
    QConcat      each input i: clip(round_shift(x_i, shifts[i])) then concatenated
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .graph_errors import CompileError
from .graph_eval import hard_sigmoid, hard_swish

IMM_MIN, IMM_MAX = -(1 << 15), (1 << 15) - 1
Q_MIN, Q_MAX = -128, 127
W_MAX = 127  # weights are symmetric in [-127, 127]
AVG_SHIFT = 24
MSE_SAMPLE = 1 << 16


def pot_exp(maxabs: float, qmax: int = 127) -> int:
    """The largest exponent e with maxabs * 2**e <= qmax (no saturation)."""
    if not np.isfinite(maxabs) or maxabs <= 0:
        return 7
    return int(math.floor(math.log2(qmax / maxabs)))


def quantize_array(x: np.ndarray, exp: int, lo: int = Q_MIN, hi: int = Q_MAX) -> np.ndarray:
    """Round half up and clip, in float64 (compile-time constants)."""
    return np.clip(np.floor(x.astype(np.float64) * 2.0 ** exp + 0.5), lo, hi).astype(np.int8)


def best_exp(values: np.ndarray, maxabs: float, qmax: int = 127, lo: int = Q_MIN, hi: int = Q_MAX,
             candidates: int = 2) -> int:
    """Among the no-saturation exponent and the next finer ones, the one with the least squared error."""
    e0 = pot_exp(maxabs, qmax)
    v = values.ravel()
    if v.size > MSE_SAMPLE:  # a fixed stride subsample keeps big weight tensors cheap and the choice deterministic
        v = v[:: v.size // MSE_SAMPLE]
    v = v.astype(np.float64)
    if v.size == 0 or maxabs <= 0:
        return e0
    best, best_err = e0, np.inf
    for e in range(e0, e0 + candidates):
        q = np.clip(np.floor(v * 2.0 ** e + 0.5), lo, hi)
        err = float(np.mean((q * 2.0 ** -e - v) ** 2))
        if err < best_err * 0.999:
            best, best_err = e, err
    return best


def q_bound(value: float, exp: int, up: bool) -> int:
    """An activation bound in the integer domain, clamped to int8."""
    if value == np.inf:
        return Q_MAX
    if value == -np.inf:
        return Q_MIN
    v = value * 2.0 ** exp
    q = math.floor(v + 0.5)
    return int(min(max(q, Q_MIN), Q_MAX))


def imm_bound(value: float, exp: int) -> int:
    """A bound at an intermediate (int32) exponent, clamped to the 16-bit immediate range."""
    if value == np.inf:
        return IMM_MAX
    if value == -np.inf:
        return IMM_MIN
    return int(min(max(math.floor(value * 2.0 ** exp + 0.5), IMM_MIN), IMM_MAX))


def requant_steps(shift: int, lo: int, hi: int, *, rounding_in_bias: bool) -> list[tuple]:
    """Steps taking an accumulator at exponent e to e - shift, clipped to [lo, hi]."""
    steps: list[tuple] = []
    if shift > 0 and not rounding_in_bias:
        steps.append(("add", 1 << (shift - 1)))
    if shift != 0:
        steps.append(("shr", shift))
    steps.append(("clip", lo, hi))
    return steps


def rounding_const(shift: int) -> int:
    return (1 << (shift - 1)) if shift > 0 else 0


def check_imm(steps: list[tuple], where: str) -> None:
    for st in steps:
        for v in st[1:]:
            if st[0] != "shr" and not IMM_MIN <= v <= IMM_MAX:
                raise CompileError(f"{where}: epilogue immediate {v} of {st} does not fit 16 bits")


# ---------------------------------------------------------------- lookup tables
UNARY: dict[str, Callable[[np.ndarray, dict], np.ndarray]] = {
    "Relu": lambda x, a: np.maximum(x, 0.0),
    "Clip": lambda x, a: np.clip(x, -np.inf if a.get("min") is None else a["min"],
                                 np.inf if a.get("max") is None else a["max"]),
    "HardSigmoid": lambda x, a: hard_sigmoid(x, a.get("alpha", 0.2), a.get("beta", 0.5)),
    "HardSwish": lambda x, a: hard_swish(x),
    "Sigmoid": lambda x, a: 1.0 / (1.0 + np.exp(-x)),
    "Tanh": lambda x, a: np.tanh(x),
}


def lut_table(func: str, attrs: dict, e_in: int, e_out: int) -> np.ndarray:
    """The 256-entry int8 table of an elementwise function from exponent e_in to e_out."""
    x = np.arange(-128, 128, dtype=np.float64) * 2.0 ** -e_in
    y = UNARY[func](x, attrs)
    return np.clip(np.floor(y * 2.0 ** e_out + 0.5), Q_MIN, Q_MAX).astype(np.int8)


def avg_mults(counts: range | list[int], e_in: int, e_out: int, k: int = AVG_SHIFT) -> list[int]:
    """Fixed-point multipliers mult[c] = round(2**k * 2**(e_out-e_in) / c) for window counts c (index 0 unused)."""
    out = [0]
    for c in range(1, max(counts) + 1):
        out.append(int(math.floor(2.0 ** (k + e_out - e_in) / c + 0.5)))
    return out
