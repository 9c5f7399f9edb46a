"""MIN-init: fold the accumulator reset and the bias of a `>> s, + bias, clamp` tail into one ALU MIN per vector.

The conv template normally zeroes each output vector (a GEMM reset) and adds the bias
after the shift (a GEMM or a tensor ALU ADD): two compute-stage micro-ops per vector.
When the tail is `[>> s], + bias, clamps` with a lower clamp, both fold into

    acc = MIN(acc, I_c)    with I_c = (b_c + D) << s      (one tensor ALU op, src per channel)
    acc += conv GEMMs;  acc >>= s;  clamps with every bound c replaced by c + D

D is a multiple of 2^out_width, so the stored low bits are those of the reference.
After the tail every entry holds at least L + D (L: the clamps' lower bound) and
the prologue resets the op's ACC regions once (0 >= L + D), so with I_c <= L + D the
MIN always yields I_c: no reset is needed between tiles, whatever ACC held before the
program. The result is exact when no int32 wrap can occur, which `plan_min_init`
proves per output channel from the weights (inputs are int8, padding is 0); otherwise
it returns None with the reason and the op keeps the reset-and-bias lowering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vta.isa.config import Config
from vta.isa.fields import ALU_FIELDS

from .epilogue import Action

#: The clamp actions MIN-init can shift by D (min/max commute with adding a constant).
CLAMPS = ("min", "max", "clip", "relu")


@dataclass(frozen=True)
class MinInit:
    """A proven MIN-init lowering: offset D, shift s, the per-channel init values and the shifted tail."""

    offset: int  # D, a multiple of 2^out_width
    shift: int  # s (0 when the tail has no Shr)
    lower: int  # L, the clamps' lower bound (the tail leaves every entry >= L + D)
    init: np.ndarray  # int64 (padded output channels,): I_c = (b_c + D) << s; padding channels L + D
    tail: tuple  # the actions after the GEMMs: the Shr (if any), then the clamps with bounds + D

    def text(self) -> str:
        return f"min-init (offset D={self.offset}, shift {self.shift}, every entry >= {self.lower + self.offset})"


def alu_imm_range(config: Config) -> tuple[int, int]:
    """The signed range of the ALU immediate field, as the ISA field table gives its width for `config`."""
    width = next(f for f in ALU_FIELDS if f.name == "imm").bits(config)
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def split_tail(actions: list[Action]) -> tuple[list[Action], int, list[Action]] | None:
    """(the shift action or [], s, clamps) when the actions are `[shr s] bias clamp...` with 0 <= s < 32."""
    acts = list(actions)
    shr: list[Action] = []
    if acts and acts[0][0] == "alu" and acts[0][1] == "shr":
        shr = [acts.pop(0)]
        if not 0 <= shr[0][2] < 32:
            return None
    if len(acts) < 2 or acts[0] != ("bias",):
        return None
    clamps = acts[1:]
    if not all(a[0] == "alu" and a[1] in CLAMPS for a in clamps):
        return None
    return shr, (shr[0][2] if shr else 0), clamps


def clamp_bounds(clamps: list[Action]) -> tuple[float, list[int]]:
    """The lower bound the clamp sequence guarantees (-inf if none) and every constant it uses."""
    low, consts = -np.inf, []
    for _, op, imm in clamps:
        if op == "max":
            low, consts = max(low, imm), consts + [imm]
        elif op == "min":
            low, consts = min(low, imm), consts + [imm]
        elif op == "relu":
            low = max(low, 0)
        else:
            low, consts = min(max(low, imm[0]), imm[1]), consts + list(imm)
    return low, consts


def shift_clamps(clamps: list[Action], d: int) -> list[Action]:
    """The clamps with every bound moved by d (relu becomes MAX d)."""
    out = []
    for _, op, imm in clamps:
        if op == "relu":
            out.append(("alu", "max", d))
        elif op == "clip":
            out.append(("alu", "clip", (imm[0] + d, imm[1] + d)))
        else:
            out.append(("alu", op, imm + d))
    return out


def conv_sum_range(dense_kernel: np.ndarray, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Per output channel, int64 bounds of every partial sum of the convolution.

    Each term is w * x with x an input value or a zero of the padding, so it lies in
    [min(w*xmin, w*xmax, 0), max(...)]; a sum of any subset of the terms (the accumulator
    between GEMM micro-ops, in whatever order they run) lies between the sums of those bounds.
    """
    xmin, xmax = -(1 << (config.inp_width - 1)), (1 << (config.inp_width - 1)) - 1
    w = dense_kernel.astype(np.int64).reshape(dense_kernel.shape[0], -1)
    lo = np.minimum(np.minimum(w * xmin, w * xmax), 0).sum(axis=1)
    hi = np.maximum(np.maximum(w * xmin, w * xmax), 0).sum(axis=1)
    return lo, hi


def plan_min_init(actions: list[Action], dense_kernel: np.ndarray, bias: np.ndarray | None, config: Config,
                  channels_padded: int) -> tuple[MinInit | None, str]:
    """The MIN-init lowering of a conv op's epilogue if it is provably exact, else (None, why not).

    Conditions: the tail is `[>> s] + bias clamps` with a lower clamp; every shifted clamp
    bound fits the ALU immediate; and, for every output channel c and every partial conv
    sum x, I_c <= L + D, x + I_c and the reference's x and (x >> s) + b_c stay within the
    accumulator's range. D is the most negative multiple of 2^out_width that satisfies them.
    """
    tail = split_tail(actions)
    if tail is None or bias is None:
        return None, "the tail is not [>> s] + bias clamps"
    shr, shift, clamps = tail
    low, consts = clamp_bounds(clamps)
    if low == -np.inf:
        return None, "the clamps give no lower bound"
    low = int(low)
    imm_lo, imm_hi = alu_imm_range(config)
    top = 1 << (config.acc_width - 1)
    acc_min, acc_max = -top, top - 1
    xlo, xhi = conv_sum_range(dense_kernel, config)
    b = bias.astype(np.int64)
    if xlo.min(initial=0) < acc_min or xhi.max(initial=0) > acc_max:
        return None, "the convolution sum itself may wrap"
    if ((xlo >> shift) + b).min(initial=0) < acc_min or ((xhi >> shift) + b).max(initial=0) > acc_max:
        return None, "the reference (x >> s) + bias may wrap"
    m, p = 1 << config.out_width, 1 << shift
    # D's interval: the immediates, 0 >= L + D (the prologue's reset), then per channel
    # I_c + xlo >= acc_min (lower bound on D) and I_c <= L + D, I_c + xhi <= acc_max (upper).
    d_lo = max(imm_lo - min(consts + [low]), int((-((xlo - acc_min) // p) - b).max(initial=-top)))
    d_hi = min(imm_hi - max(consts + [low]), -low, int((((acc_max - xhi) // p) - b).min(initial=top)))
    if p > 1:
        d_hi = min(d_hi, int(((low - b * p) // (p - 1)).min(initial=top)))
    elif b.size and int(b.max()) > low:
        return None, f"with no shift every bias must be <= the lower clamp {low}"
    d = -((-d_lo) // m) * m  # the smallest multiple of m >= d_lo
    if d > d_hi:
        return None, "no offset D keeps the init below the lower clamp without int32 overflow"
    init = np.full(channels_padded, low + d, dtype=np.int64)
    init[: len(b)] = (b + d) * p
    # the conditions, checked directly on the chosen D
    ok = (init[: len(b)] <= low + d).all() and (init[: len(b)] + xlo >= acc_min).all() and \
        (init[: len(b)] + xhi <= acc_max).all() and imm_lo <= min(consts + [low]) + d and \
        max(consts + [low]) + d <= imm_hi and low + d <= 0 and d % m == 0
    if not ok:
        return None, "internal: the chosen offset fails a condition"
    return MinInit(d, shift, low, init, tuple(shr + shift_clamps(clamps, d))), "min-init"
