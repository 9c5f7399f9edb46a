"""MIN-init (compiler/min_init.py): reset and bias as one ALU MIN per vector, chosen only when provably exact.

Every case compares the whole output with plain numpy (int64 arithmetic, int32 wrap
where the reference wraps, low 8 bits at the end), whichever lowering the op chose,
and checks which one it chose.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vta.compiler import ops
from vta.isa.config import Config
from vta.jit import open_device

from . import ops_reference as ref

SEED = 20240923
IMM_MIN = -(1 << 15)  # the default Config's 16-bit ALU immediate


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def wrap32(a: np.ndarray) -> np.ndarray:
    return ((a.astype(np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def tail_reference(acc: np.ndarray, bias: np.ndarray, shift: int | None, clamps, *, bias_first: bool = False,
                   residual: np.ndarray | None = None) -> np.ndarray:
    """[+ bias] [>> shift] [+ bias] (one bias; int32 wrap), [+ residual] (int32 wrap), then the clamps
    ("max", c) / ("min", c) in order, low 8 bits."""
    a = wrap32(acc)
    b = bias.astype(np.int64).reshape(1, -1, 1, 1)
    if bias_first:
        a = wrap32(a + b)
    if shift is not None:
        a = a >> shift
    if not bias_first:
        a = wrap32(a + b)
    if residual is not None:
        a = wrap32(a + residual.astype(np.int64))
    for op, c in clamps:
        a = np.maximum(a, c) if op == "max" else np.minimum(a, c)
    return a.astype(np.int8)


def steps_of(shift: int | None, clamps, *, bias_first: bool = False, residual: bool = False) -> tuple:
    steps = [ops.AddBias()] if bias_first else []
    steps += [] if shift is None else [ops.Shr(shift)]
    steps += [] if bias_first else [ops.AddBias()]
    steps += [ops.AddResidual()] if residual else []
    steps += [ops.MaxImm(c) if op == "max" else ops.MinImm(c) for op, c in clamps]
    return tuple(steps)


def garbage_acc(dev, rng) -> None:
    """Fill fsim's accumulator with random int32 values, far below and above any init value."""
    acc = dev.machine.acc
    acc[...] = rng.integers(-(1 << 31), 1 << 31, acc.shape, dtype=np.int64).astype(np.int32)


def run_case(fsim, rng, x_shape, w_shape, bias, shift, clamps, *, stride=1, padding=0, tiles=None,
             garbage=True, weight=None, min_init=True, bias_first=False, residual=None):
    """Compile, run on fsim (after filling ACC with garbage) and compare the whole output with numpy;
    residual: None, or "random" / an int8 value for the whole tensor / an int8 array."""
    x = rng.integers(-128, 128, x_shape, dtype=np.int8)
    w = weight if weight is not None else rng.integers(-128, 128, w_shape, dtype=np.int8)
    conv = ops.conv2d(w, bias, input_shape=x.shape, stride=stride, padding=padding,
                      epilogue=steps_of(shift, clamps, bias_first=bias_first, residual=residual is not None),
                      tiles=tiles, min_init=min_init)
    res = None
    if residual is not None:
        if isinstance(residual, str):
            res = rng.integers(-128, 128, conv.output_shape, dtype=np.int8)
            res.flat[::7], res.flat[3::11] = -128, 127  # the extremes, at many places
        else:
            res = np.broadcast_to(np.asarray(residual, np.int8), conv.output_shape).copy()
    if garbage:
        garbage_acc(fsim, rng)
    y = conv.run(fsim, x) if res is None else conv.run(fsim, x, residual=res)
    want = tail_reference(ref.conv2d(x, w, (stride, stride), (padding, padding)), bias, shift, clamps,
                          bias_first=bias_first, residual=res)
    assert np.array_equal(y, want), f"{conv.reset_and_bias} (seed {SEED})"
    return conv


UPSTREAM = [("max", 0), ("min", 127)]


def test_chosen_for_upstream_tail_on_a_resnet_1x1_stride2_layer(fsim):
    """ResNet-18's C4 (1x1, stride 2, 64 -> 128 channels on 56x56) with upstream's tail and bias range.

    TSIM: 53,476 cycles with MIN-init, 57,727 with reset + bias GEMM. (At a quarter of the size, 28x28,
    MIN-init is also faster on TSIM, 14,956 against 15,037, but the model ranks the GEMM lowering first.)"""
    rng = np.random.default_rng(SEED)
    b = rng.integers(-16384, 16384, 128).astype(np.int32)
    x = rng.integers(-128, 128, (1, 64, 56, 56), dtype=np.int8)
    w = rng.integers(-128, 128, (128, 64, 1, 1), dtype=np.int8)
    conv = ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)))
    garbage_acc(fsim, rng)
    assert np.array_equal(conv.run(fsim, x), ref.upstream_tail(ref.conv2d(x, w, (2, 2), (0, 0)), b))
    # the cost model chose it (min_init=None) and predicts fewer cycles than reset + bias GEMM
    assert conv.min_init is not None and not conv.bias_gemm
    assert conv.predicted_cycles < ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=(
        ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)), min_init=False).predicted_cycles
    assert conv.min_init.offset == IMM_MIN and conv.min_init.shift == 8
    # visible in the IR and the op: the init MIN with its note, the attribute, no reset per tile
    assert "reset_and_bias = min-init" in conv.scheduled_text()
    ir = conv.ir_text()
    assert "ALU MIN loops[co<" in ir and ", p<" in ir and "reset + bias: min-init" in ir
    assert "reset_and_bias = min-init" in ir and "min-init" in conv.reset_and_bias
    st_ = conv.last_stats
    plan = conv.plan
    assert st_.gemm_reset_uops == plan.acc_regions * plan.s_acc  # once, in the prologue
    assert st_.gemm_uops == conv.spec.gemm_uops  # no bias GEMM
    assert st_.alu_uops == 4 * conv.spec.out_elems  # init, SHR, MAX, MIN
    assert plan.acc.banked  # two threads, tile + init values fit a bank: one copy of the init per bank
    assert st_.acc_load_nbytes == 2 * conv.spec.cob * 16 * 4  # the init values, once per copy


@pytest.mark.parametrize("lo, hi, offset", [(0, 127, -32768), (-128, 127, -32512)])
@pytest.mark.parametrize("shift", [8, 3])
def test_boundary_bias_uses_min_init_and_one_more_falls_back(fsim, lo, hi, offset, shift):
    """The largest bias with (b + D) << s <= lo + D (D the most negative offset the immediates allow)."""
    assert offset % 256 == 0 and offset + lo >= IMM_MIN and offset + lo - 256 < IMM_MIN
    b_max = (lo + offset) // (1 << shift) - offset
    assert ((b_max + offset) << shift) <= lo + offset < ((b_max + 1 + offset) << shift)
    rng = np.random.default_rng(SEED + shift)
    for b_top, chosen in ((b_max, True), (b_max + 1, False)):
        b = rng.integers(-1000, 1000, 40).astype(np.int32)
        b[7] = b_top
        conv = run_case(fsim, rng, (1, 24, 9, 7), (40, 24, 3, 3), b, shift, [("max", lo), ("min", hi)], padding=1)
        assert (conv.min_init is not None) == chosen, conv.reset_and_bias
        if chosen:
            assert conv.min_init.offset == offset
        else:
            assert conv.bias_gemm and "no MIN-init" in conv.reset_and_bias


def test_large_negative_biases_and_no_shift(fsim):
    """s = 0 (Shr(0), or no Shr) needs every bias <= the lower clamp; a wide clamp keeps outputs varied."""
    rng = np.random.default_rng(SEED + 1)
    clamps = [("max", -32000), ("min", 32000)]
    for shift in (0, None):
        b = rng.integers(-1_500_000, -32000, 48).astype(np.int32)
        b[0] = -32000
        conv = run_case(fsim, rng, (1, 32, 8, 8), (48, 32, 1, 1), b, shift, clamps)
        assert conv.min_init is not None and conv.min_init.shift == 0, conv.reset_and_bias
        b[1] = -31999  # above the lower clamp: with no shift the init cannot stay below it
        conv = run_case(fsim, rng, (1, 32, 8, 8), (48, 32, 1, 1), b, shift, clamps)
        assert conv.min_init is None
    # large negative biases beyond the GEMM form's reach, with a shift
    b = rng.integers(-8_000_000, -1_000_000, 48).astype(np.int32)
    conv = run_case(fsim, rng, (1, 32, 8, 8), (48, 32, 3, 3), b, 4, [("max", -128), ("min", 127)], padding=1)
    assert conv.min_init is not None


def test_relu_only_tail_uses_min_init_and_stores_the_low_bits(fsim):
    rng = np.random.default_rng(SEED + 2)
    b = rng.integers(-20000, 20000, 33).astype(np.int32)
    x = rng.integers(-128, 128, (1, 20, 7, 9), dtype=np.int8)
    w = rng.integers(-128, 128, (33, 20, 3, 3), dtype=np.int8)
    conv = ops.conv2d(w, b, input_shape=x.shape, padding=1, epilogue=(ops.Shr(6), ops.AddBias(), ops.Relu()),
                      min_init=True)
    assert conv.min_init is not None
    garbage_acc(fsim, rng)
    want = np.maximum((ref.conv2d(x, w, (1, 1), (1, 1)) >> 6) + b.reshape(1, -1, 1, 1), 0).astype(np.int8)
    assert np.array_equal(conv.run(fsim, x), want)
    assert want.min() < 0  # values above 127 wrap in the int8 store, on both sides


def test_tails_without_a_lower_clamp_or_of_another_shape_fall_back(fsim):
    rng = np.random.default_rng(SEED + 3)
    b = rng.integers(-100, 100, 16).astype(np.int32)
    conv = run_case(fsim, rng, (1, 16, 6, 6), (16, 16, 1, 1), b, 8, [("min", 100)])
    assert conv.min_init is None and "lower bound" in conv.reset_and_bias
    # a MAX followed by a lower MIN: the lower bound is the MIN's, and it still folds
    conv = run_case(fsim, rng, (1, 16, 6, 6), (16, 16, 1, 1), b, 8, [("max", 50), ("min", -20)])
    assert conv.min_init is not None and conv.min_init.lower == -20
    x = rng.integers(-128, 128, (1, 16, 6, 6), dtype=np.int8)
    w = rng.integers(-128, 128, (16, 16, 1, 1), dtype=np.int8)
    for steps in ((ops.Shr(8), ops.AddBias(), ops.AddImm(3), ops.Relu()),
                  (ops.Shr(-2), ops.AddBias(), ops.Relu()),
                  (ops.AddBias(), ops.Shr(8), ops.Shr(1), ops.Clip(0, 127)),
                  (ops.AddBias(), ops.Shr(8), ops.MulImm(2), ops.Clip(0, 127)),
                  (ops.AddBias(), ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
                  (ops.AddBias(), ops.AddResidual(), ops.Shr(8), ops.Clip(0, 127)),
                  (ops.Shr(8), ops.AddResidual(), ops.AddBias(), ops.Clip(0, 127)),
                  (ops.AddBias(), ops.Shr(10), ops.AddResidual(), ops.AddImm(1), ops.Shr(1), ops.Clip(0, 127))):
        conv = ops.conv2d(w, b, input_shape=x.shape, epilogue=steps, min_init=True)
        assert conv.min_init is None, steps
        assert "not [+ bias] [>> s] [+ bias] [+ residual] clamps" in conv.reset_and_bias
    conv = ops.conv2d(w, b, input_shape=x.shape, epilogue=(ops.AddBias(), ops.Shr(8), ops.AddResidual()),
                      min_init=True)
    assert conv.min_init is None and "not [+ bias]" in conv.reset_and_bias


BIAS_FIRST = (ops.AddBias(), ops.Shr(8), ops.Clip(0, 127))  # the quantized models' order


def test_bias_first_tail_is_chosen_on_a_resnet_1x1_stride2_layer(fsim):
    """`+ bias, >> s, clip`: the init is b + (D << s), and the cost model prefers it on C4's shape (56x56; at
    28x28 it ranks the GEMM lowering first, see the test above)."""
    rng = np.random.default_rng(SEED + 10)
    b = rng.integers(-4096, 4096, 128).astype(np.int32)
    x = rng.integers(-128, 128, (1, 64, 56, 56), dtype=np.int8)
    w = rng.integers(-128, 128, (128, 64, 1, 1), dtype=np.int8)
    conv = ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=BIAS_FIRST)
    assert conv.min_init is not None and not conv.bias_gemm, conv.reset_and_bias
    assert conv.min_init.offset == IMM_MIN and conv.min_init.bias_shift == 0
    assert np.array_equal(conv.min_init.init[:128], b.astype(np.int64) + (IMM_MIN << 8))
    assert conv.predicted_cycles < ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=BIAS_FIRST,
                                              min_init=False).predicted_cycles
    garbage_acc(fsim, rng)
    want = np.clip((ref.conv2d(x, w, (2, 2), (0, 0)) + b.reshape(1, -1, 1, 1)) >> 8, 0, 127).astype(np.int8)
    assert np.array_equal(conv.run(fsim, x), want)
    assert conv.last_stats.gemm_uops == conv.spec.gemm_uops  # no bias GEMM


@pytest.mark.parametrize("lo, hi", [(0, 127), (-128, 127)])
@pytest.mark.parametrize("shift", [0, 1, 3, 8, 11])
def test_bias_first_tail_matches_numpy(fsim, lo, hi, shift):
    """Forced (min_init=True) and as the cost model picks: both bit-exact; s = 0 needs every bias <= lo."""
    rng = np.random.default_rng(SEED + 11 + shift)
    b = rng.integers(-(1 << (shift + 8)), 1 << (shift + 8), 40).astype(np.int32)
    if shift == 0:
        b = np.minimum(b, lo)
    for min_init in (True, None):
        conv = run_case(fsim, rng, (1, 24, 9, 7), (40, 24, 3, 3), b, shift, [("max", lo), ("min", hi)], padding=1,
                        bias_first=True, min_init=min_init)
        assert conv.min_init is not None or (min_init is None and "cost model" in conv.reset_and_bias)
    assert conv.min_init is None or conv.min_init.shift == shift


@pytest.mark.parametrize("lo, hi, offset", [(0, 127, -32768), (-128, 127, -32512)])
@pytest.mark.parametrize("shift", [0, 3, 8])
def test_bias_first_boundary_bias_uses_min_init_and_one_more_falls_back(fsim, lo, hi, offset, shift):
    """The largest bias with b + (D << s) <= lo + D, D the most negative offset the immediates allow."""
    b_max = lo - offset * ((1 << shift) - 1)
    assert b_max + (offset << shift) == lo + offset
    rng = np.random.default_rng(SEED + 12 + shift)
    for b_top, chosen in ((b_max, True), (b_max + 1, False)):
        b = rng.integers(-1000, min(1000, lo), 40).astype(np.int32)
        b[7] = b_top
        conv = run_case(fsim, rng, (1, 24, 9, 7), (40, 24, 3, 3), b, shift, [("max", lo), ("min", hi)], padding=1,
                        bias_first=True)
        assert (conv.min_init is not None) == chosen, conv.reset_and_bias
        if chosen:
            assert conv.min_init.offset == offset
        else:
            assert "no MIN-init" in conv.reset_and_bias


@pytest.mark.parametrize("shift", [0, 1])
def test_bias_first_falls_back_where_the_reference_x_plus_bias_wraps(fsim, shift):
    """x + b passes INT32_MIN in the reference; a positive D would keep x + init in range, so only the
    reference's wrap rules MIN-init out, and the fallback reproduces the wrap."""
    rng = np.random.default_rng(SEED + 13)
    w = rng.integers(-1, 2, (16, 16, 1, 1)).astype(np.int8)  # partial sums within [-2048, 2048]
    clamps = [("max", -30000), ("min", 30000)]
    b = np.full(16, -(1 << 31) + 100, np.int32)
    conv = run_case(fsim, rng, (1, 16, 6, 6), None, b, shift, clamps, weight=w, bias_first=True)
    assert conv.min_init is None and "wrap" in conv.reset_and_bias
    b[:] = -(1 << 31) + 2048  # x + b stays in int32
    conv = run_case(fsim, rng, (1, 16, 6, 6), None, b, shift, clamps, weight=w, bias_first=True)
    assert conv.min_init is not None


@pytest.mark.parametrize("bias_first", [False, True])
@pytest.mark.parametrize("lo, hi, shift", [(0, 127, 10), (-128, 127, 8), (0, 127, 7), (-128, 127, 0)])
def test_residual_tails_match_numpy(fsim, bias_first, lo, hi, shift):
    """`[+ b] >> s [+ b] + residual clip`: the int8 residual (identity GEMM after the SHR) carries D
    through; random residuals with the extremes, then all -128 and all 127."""
    rng = np.random.default_rng(SEED + 14 + shift)
    b = rng.integers(-(1 << (shift + 7)), 1 << (shift + 7), 40).astype(np.int32)
    if shift == 0:
        b = np.minimum(b, lo)
    if not bias_first:
        b = b >> shift
    tiles = ops.Tiles(h=4, w=7, co=2, ci=1, vthreads=2)
    for residual in ("random", -128, 127):
        conv = run_case(fsim, rng, (1, 24, 9, 7), (40, 24, 3, 3), b, shift, [("max", lo), ("min", hi)], padding=1,
                        bias_first=bias_first, residual=residual, tiles=tiles)
        assert conv.min_init is not None, conv.reset_and_bias
        assert conv.min_init.bias_shift == (0 if bias_first else shift)
    ir = conv.ir_text()
    assert ir.index("ALU SHR") < ir.index("+ residual") < ir.index("ALU MAX")
    assert conv.last_stats.gemm_uops == conv.spec.gemm_uops + conv.spec.out_elems  # the residual GEMM only


@pytest.mark.parametrize("bias_first", [False, True])
def test_the_residual_range_bounds_the_offset(fsim, bias_first):
    """With v = b near INT32_MIN (zero weights), v + D - 128 must stay in int32: the residual raises D
    from -256 to 0, and a bias 1 below the reference's own wrap falls back."""
    rng = np.random.default_rng(SEED + 15)
    w = np.zeros((16, 16, 1, 1), np.int8)
    clamps = [("max", -30000), ("min", 30000)]
    b = np.full(16, -(1 << 31) + 300, np.int32)
    conv = run_case(fsim, rng, (1, 16, 4, 4), None, b, 0, clamps, weight=w, bias_first=bias_first)
    assert conv.min_init is not None and conv.min_init.offset == -256
    conv = run_case(fsim, rng, (1, 16, 4, 4), None, b, 0, clamps, weight=w, bias_first=bias_first, residual=-128)
    assert conv.min_init is not None and conv.min_init.offset == 0
    b[:] = -(1 << 31) + 127  # the reference's b - 128 wraps
    conv = run_case(fsim, rng, (1, 16, 4, 4), None, b, 0, clamps, weight=w, bias_first=bias_first, residual=-128)
    assert conv.min_init is None and "wrap" in conv.reset_and_bias


def test_overflow_falls_back_and_stays_exact(fsim):
    rng = np.random.default_rng(SEED + 4)
    # the convolution's partial sums with the init would leave int32 (extreme weights, many taps)
    w = np.where(rng.random((16, 512, 3, 3)) < 0.5, -128, 127).astype(np.int8)
    b = np.full(16, -8_300_000, np.int32)
    conv = run_case(fsim, rng, (1, 512, 3, 3), None, b, 8, UPSTREAM, padding=1, weight=w)
    assert conv.min_init is None and "overflow" in conv.reset_and_bias
    b[:] = -8_000_000  # with less extreme biases it fits
    conv = run_case(fsim, rng, (1, 512, 3, 3), None, b, 8, UPSTREAM, padding=1, weight=w)
    assert conv.min_init is not None
    # (b + D) << s alone leaves int32
    b = rng.integers(1, 100, 16).astype(np.int32)
    conv = run_case(fsim, rng, (1, 16, 5, 5), (16, 16, 1, 1), b, 24, UPSTREAM)
    assert conv.min_init is None
    # a large shift with a zero bias: a less negative offset keeps the init in range
    conv = run_case(fsim, rng, (1, 16, 5, 5), (16, 16, 1, 1), np.zeros(16, np.int32), 20, UPSTREAM)
    assert conv.min_init is not None and -(1 << 31) <= int(conv.min_init.init.min())
    # the reference itself wraps: (x >> 0) + b passes INT32_MIN
    b = np.full(16, -(1 << 31) + 5, np.int32)
    conv = run_case(fsim, rng, (1, 16, 5, 5), (16, 16, 1, 1), b, 0, [("max", -128), ("min", 127)])
    assert conv.min_init is None and "wrap" in conv.reset_and_bias


def test_garbage_left_in_acc_by_another_op(fsim):
    """An op that leaves INT32_MIN-like values in ACC (far below any init) runs before and between runs."""
    rng = np.random.default_rng(SEED + 5)
    x = rng.integers(-128, 128, (1, 32, 14, 14), dtype=np.int8)
    w = rng.integers(-128, 128, (64, 32, 1, 1), dtype=np.int8)
    b = rng.integers(-16384, 16384, 64).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
                      min_init=True)
    assert conv.min_init is not None
    dirty = ops.conv2d(rng.integers(-128, 128, (64, 32, 3, 3), dtype=np.int8), None, input_shape=(1, 32, 14, 14),
                       padding=1, epilogue=(ops.MulImm(-32768), ops.AddImm(-32768)))
    want = ref.upstream_tail(ref.conv2d(x, w, (2, 2), (0, 0)), b)
    for _ in range(2):
        dirty.run(fsim, rng.integers(-128, 128, (1, 32, 14, 14), dtype=np.int8))
        assert np.array_equal(conv.run(fsim, x), want)


@pytest.mark.parametrize("tiles", [
    ops.Tiles(h=4, w=15, co=2, ci=1, vthreads=2),  # 4 row tiles (the last of 1 row) x 2 channel tiles (1 block)
    ops.Tiles(h=3, w=8, co=2, ci=2, vthreads=1),
    ops.Tiles(h=5, w=15, co=2, ci=1, batch=3, vthreads=2),  # 3 batch blocks per tile: more than channel blocks
])
def test_many_tiles_per_thread_and_edge_tiles(fsim, tiles):
    rng = np.random.default_rng(SEED + 6)
    b = rng.integers(-16384, 16384, 40).astype(np.int32)
    x = rng.integers(-128, 128, (3, 24, 26, 30), dtype=np.int8)
    w = rng.integers(-128, 128, (40, 24, 1, 1), dtype=np.int8)
    conv = ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=steps_of(8, UPSTREAM), tiles=tiles, min_init=True)
    assert conv.min_init is not None
    counts = conv.plan.counts
    assert counts["h"] * counts["w"] * counts["co"] * counts["batch"] >= 4
    garbage_acc(fsim, rng)
    assert np.array_equal(conv.run(fsim, x), ref.upstream_tail(ref.conv2d(x, w, (2, 2), (0, 0)), b))
    # consecutive micro-ops of the init read one src: the channel is the outer loop, pixels inner
    assert "ALU MIN loops[co<" in conv.ir_text()


@st.composite
def tails(draw):
    shift = draw(st.sampled_from([None, 0, 1, 4, 8, 8, 12, 20, 31]))
    lo = draw(st.one_of(st.integers(-128, 127), st.integers(-(1 << 15), (1 << 15) - 1)))
    kind = draw(st.sampled_from(["clip", "relu", "max", "max-min-max"]))
    if kind == "clip":
        clamps = [("max", lo), ("min", draw(st.integers(lo, (1 << 15) - 1)))]
    elif kind == "relu":
        clamps = [("max", 0)]
    elif kind == "max":
        clamps = [("max", lo)]
    else:
        clamps = [("max", lo), ("min", draw(st.integers(-(1 << 15), (1 << 15) - 1))), ("max", lo // 2)]
    scale = draw(st.sampled_from([1 << 7, 1 << 12, 1 << 12, 1 << 16, 1 << 23, 1 << 31]))
    return shift, clamps, scale, draw(st.integers(1, 3)), draw(st.booleans()), draw(st.booleans())


@settings(max_examples=40, deadline=None)
@given(tails())
def test_random_biases_shifts_and_clamps_match_numpy(case):
    """Whichever lowering is chosen, the output is numpy's, with garbage in ACC before the run."""
    shift, clamps, scale, k, bias_first, residual = case
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    b = rng.integers(-scale, scale, 24, dtype=np.int64).clip(-(1 << 31), (1 << 31) - 1).astype(np.int32)
    x = rng.integers(-128, 128, (2, 20, 7, 6), dtype=np.int8)
    w = rng.integers(-128, 128, (24, 20, k, k), dtype=np.int8)
    relu = clamps == [("max", 0)]
    form = dict(bias_first=bias_first, residual=residual)
    steps = steps_of(shift, clamps, **form) if not relu else steps_of(shift, [], **form) + (ops.Relu(),)
    conv = ops.conv2d(w, b, input_shape=x.shape, padding=k // 2, epilogue=steps, min_init=True)
    res = rng.integers(-128, 128, conv.output_shape, dtype=np.int8) if residual else None
    if residual:
        res.flat[::5] = -128
    dev = _fsim()
    garbage_acc(dev, rng)
    want = tail_reference(ref.conv2d(x, w, (1, 1), (k // 2, k // 2)), b, shift, clamps, bias_first=bias_first,
                          residual=res)
    got = conv.run(dev, x) if res is None else conv.run(dev, x, residual=res)
    assert np.array_equal(got, want), conv.reset_and_bias


_DEV: list = []


def _fsim():
    if not _DEV:
        _DEV.append(open_device("fsim", Config()))
    return _DEV[0]


def test_the_cost_model_picks_the_faster_reset_and_bias_lowering():
    """C10: the default compares both lowerings by the cost model and keeps the faster (the note says why when
    it declines MIN-init); min_init=False turns it off, min_init=True forces it where exact."""
    rng = np.random.default_rng(SEED + 7)
    w = rng.integers(-128, 128, (512, 256, 1, 1), dtype=np.int8)
    b = rng.integers(-16384, 16384, 512).astype(np.int32)
    tail = (ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))
    auto = ops.conv2d(w, b, input_shape=(1, 256, 14, 14), stride=2, epilogue=tail)
    forced = ops.conv2d(w, b, input_shape=(1, 256, 14, 14), stride=2, epilogue=tail, min_init=True)
    off = ops.conv2d(w, b, input_shape=(1, 256, 14, 14), stride=2, epilogue=tail, min_init=False)
    assert forced.min_init is not None and off.min_init is None and "min_init=False" in off.reset_and_bias
    assert auto.predicted_cycles == min(forced.predicted_cycles, off.predicted_cycles)
    assert (auto.min_init is None) == (off.predicted_cycles < forced.predicted_cycles)
    if auto.min_init is None:
        assert "cost model predicts" in auto.reset_and_bias
        assert "reset_and_bias = reset, then bias by GEMM" in auto.scheduled_text()
