"""MIN-init: fold the accumulator reset and the bias of a conv tail into one ALU MIN per vector.

The conv template normally zeroes each output vector (a GEMM reset) and adds the bias
(a GEMM or a tensor ALU ADD): two compute-stage micro-ops per vector. When the tail is
`[+ bias] [>> s] [+ bias] [+ residual] clamps` (one bias, before or after the shift; the
residual after both) with a lower clamp, reset and bias fold into

    acc = MIN(acc, I_c)    with I_c = (b_c << k) + (D << s)     (one tensor ALU op, src per channel)
    acc += conv GEMMs;  acc >>= s;  [acc += residual];  clamps with every bound c replaced by c + D

where k = s when the bias follows the shift, 0 when it precedes it. With x the conv sum,
(x + (b_c << k) + (D << s)) >> s is (((x >> k) + b_c) >> (s - k)) + D, the reference's
value after its bias and shift plus D, exactly (a floor shift of an integer plus a multiple of
2^s); the int8 residual (added by an identity GEMM) and min/max clamps carry D through.
D is a multiple of 2^out_width, so the stored low bits are those of the reference.
After the tail every entry holds at least L + D (L: the clamps' lower bound) and
the prologue resets the op's ACC regions once (0 >= L + D), so with I_c <= L + D the
MIN always yields I_c: no reset is needed between tiles, whatever ACC held before the
program. The result is exact when no int32 wrap can occur, in the reference or here,
which `plan_min_init` proves per output channel from the weights (inputs are int8,
padding is 0); otherwise it returns None with the reason and the op keeps the
reset-and-bias lowering.

The init values live in ACC; with two virtual threads on banked ACC (acc_banks.py) each
bank holds its own copy, loaded once per copy, so a thread's MIN reads only its bank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vta.isa.config import Config

from .epilogue import IMM_MAX, IMM_MIN, Action

#: The clamp actions MIN-init can shift by D (min/max commute with adding a constant).
CLAMPS = ("min", "max", "clip", "relu")


@dataclass(frozen=True)
class MinInit:
    """A proven MIN-init lowering: offset D, shift s, the per-channel init values and the shifted tail."""

    offset: int  # D, a multiple of 2^out_width
    shift: int  # s (0 when the tail has no Shr)
    bias_shift: int  # k: s when the bias follows the shift, 0 when it precedes it
    lower: int  # L, the clamps' lower bound (the tail leaves every entry >= L + D)
    init: np.ndarray  # int64 (padded output channels,): I_c = (b_c << k) + (D << s); padding channels L + D
    tail: tuple  # the actions after the GEMMs: the Shr (if any), the residual (if any), the clamps with bounds + D

    def text(self) -> str:
        return (f"min-init (offset D={self.offset}, init (b << {self.bias_shift}) + (D << {self.shift}), "
                f"every entry >= {self.lower + self.offset})")


@dataclass(frozen=True)
class Tail:
    """An epilogue MIN-init can fold: `[+ bias] [>> s] [+ bias] [+ residual] clamps` with one bias."""

    shr: tuple  # the shift action, or ()
    shift: int  # s
    bias_shift: int  # k: s when the bias follows the shift, 0 when it precedes it
    residual: bool
    clamps: tuple


def split_tail(actions: list[Action]) -> Tail | None:
    """The actions as a Tail when they are `[bias] [shr s] [bias] [residual] clamp...` with one bias, 0 <= s < 32."""
    acts = list(actions)
    bias_first = acts[:1] == [("bias",)]
    acts = acts[bias_first:]
    shr = tuple(acts[:1]) if acts[:1] and acts[0][:2] == ("alu", "shr") else ()
    acts = acts[len(shr):]
    if shr and not 0 <= shr[0][2] < 32:
        return None
    if not bias_first:
        if acts[:1] != [("bias",)]:
            return None
        acts = acts[1:]
    residual = acts[:1] == [("residual",)]
    clamps = tuple(acts[residual:])
    if not clamps or not all(a[0] == "alu" and a[1] in CLAMPS for a in clamps):
        return None
    shift = shr[0][2] if shr else 0
    return Tail(shr, shift, 0 if bias_first else shift, residual, clamps)


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

    Conditions: the tail is a `Tail` with a lower clamp; every shifted clamp bound fits the
    ALU immediate; L + D <= 0; and, for every output channel c, every partial conv sum x and
    every residual r (int8, when the tail has one): I_c <= L + D, and x + I_c, the value
    after the shift plus D + r, and the reference's x, (x >> k) + b_c and value + r stay
    within the accumulator's range. D is the most negative multiple of 2^out_width that
    satisfies them.
    """
    tail = split_tail(actions)
    if tail is None or bias is None:
        return None, "the tail is not [+ bias] [>> s] [+ bias] [+ residual] clamps, with one bias"
    shift, k = tail.shift, tail.bias_shift
    low, consts = clamp_bounds(list(tail.clamps))
    if low == -np.inf:
        return None, "the clamps give no lower bound"
    low = int(low)
    imm_lo, imm_hi = IMM_MIN, IMM_MAX
    top = 1 << (config.acc_width - 1)
    acc_min, acc_max = -top, top - 1
    res = 1 << (config.inp_width - 1)  # the residual is loaded into INP: int8 on the default core
    r_lo, r_hi = (-res, res - 1) if tail.residual else (0, 0)
    xlo, xhi = conv_sum_range(dense_kernel, config)
    b = bias.astype(np.int64)
    bk = b << k  # I_c = bk + D * 2^s
    v_lo, v_hi = (xlo + bk) >> shift, (xhi + bk) >> shift  # the reference's value after bias and shift
    if xlo.min(initial=0) < acc_min or xhi.max(initial=0) > acc_max:
        return None, "the convolution sum itself may wrap"
    if ((xlo >> k) + b).min(initial=0) < acc_min or ((xhi >> k) + b).max(initial=0) > acc_max or \
            (v_lo + r_lo).min(initial=0) < acc_min or (v_hi + r_hi).max(initial=0) > acc_max:
        return None, "the reference's bias or residual add may wrap"
    m, p = 1 << config.out_width, 1 << shift
    # D's interval: the immediates, 0 >= L + D (the prologue's reset), then per channel
    # I_c + xlo >= acc_min and v + D + r >= acc_min (lower bounds on D); I_c <= L + D,
    # I_c + xhi <= acc_max and v + D + r <= acc_max (upper)
    lows = [imm_lo - min(consts + [low]), -((xlo + bk - acc_min) // p), acc_min - r_lo - v_lo]
    highs = [imm_hi - max(consts + [low]), -low, (acc_max - xhi - bk) // p, acc_max - r_hi - v_hi]
    if p > 1:
        highs.append((low - bk) // (p - 1))
    elif b.size and int(b.max()) > low:
        return None, f"with no shift every bias must be <= the lower clamp {low}"
    d_lo = max(int(np.max(v, initial=-top)) for v in lows)
    d_hi = min(int(np.min(v, initial=top)) for v in highs)
    d = -((-d_lo) // m) * m  # the smallest multiple of m >= d_lo
    if d > d_hi:
        return None, "no offset D keeps the init below the lower clamp without int32 overflow"
    init = np.full(channels_padded, low + d, dtype=np.int64)
    init[: len(b)] = bk + d * p
    # the conditions, checked directly on the chosen D
    i = init[: len(b)]
    ok = (i <= low + d).all() and (i + xlo >= acc_min).all() and (i + xhi <= acc_max).all() and \
        (v_lo + d + r_lo >= acc_min).all() and (v_hi + d + r_hi <= acc_max).all() and \
        imm_lo <= min(consts + [low]) + d and max(consts + [low]) + d <= imm_hi and low + d <= 0 and d % m == 0
    if not ok:
        return None, "internal: the chosen offset fails a condition"
    after = tail.shr + (("residual",),) * tail.residual + tuple(shift_clamps(list(tail.clamps), d))
    return MinInit(d, shift, k, low, init, after), "min-init"
