"""Epilogues in any order, residuals, immediates, and the CompileErrors of the operator API."""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler import ops
from vta.compiler.errors import CompileError
from vta.isa.config import Config
from vta.isa.errors import VtaError
from vta.jit import open_device

from . import ops_reference as ref

SEED = 20240611


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def apply_steps(acc: np.ndarray, steps, bias=None, residual=None) -> np.ndarray:
    """The epilogue's meaning in plain numpy: int32 wrap after each step, low 8 bits at the end."""
    a = ref.wrap32(acc)
    for s in steps:
        if isinstance(s, ops.Shr):
            a = a >> min(s.n, 31) if s.n >= 0 else (a << min(-s.n, 32))
        elif isinstance(s, ops.AddImm):
            a = a + s.c
        elif isinstance(s, ops.MulImm):
            a = a * s.c
        elif isinstance(s, ops.MinImm):
            a = np.minimum(a, s.c)
        elif isinstance(s, ops.MaxImm):
            a = np.maximum(a, s.c)
        elif isinstance(s, ops.Clip):
            a = np.minimum(np.maximum(a, s.lo), s.hi)
        elif isinstance(s, ops.Relu):
            a = np.maximum(a, 0)
        elif isinstance(s, ops.AddBias):
            a = a + bias.astype(np.int64).reshape((1, -1) + (1,) * (a.ndim - 2))
        elif isinstance(s, ops.AddResidual):
            a = a + residual.astype(np.int64)
        a = ref.wrap32(a)
    return a.astype(np.int8)


EPILOGUES = [
    (),
    (ops.AddBias(), ops.Shr(8), ops.Clip(-128, 127)),
    (ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
    (ops.Shr(-3), ops.MulImm(-7), ops.AddImm(1000), ops.Relu()),
    (ops.AddResidual(), ops.Shr(6)),
    (ops.Shr(7), ops.AddBias(), ops.Relu(), ops.AddResidual(), ops.MinImm(100), ops.MaxImm(-100)),
    (ops.MulImm(32767), ops.MulImm(-32768), ops.Shr(40)),
    (ops.AddImm(-32768), ops.Shr(0), ops.AddResidual(), ops.AddBias()),
    (ops.Shr(-31), ops.AddImm(-1), ops.AddBias(), ops.Shr(24)),  # the bias add wraps past INT32_MAX/MIN
]

#: bias ranges: within the GEMM form's reach (layout.bias_gemm_blocks) and beyond it (ALU ADD from ACC)
BIAS_RANGES = {"gemm": 241_998, "alu": 1 << 20}


@pytest.mark.parametrize("bias_form", list(BIAS_RANGES))
@pytest.mark.parametrize("k", range(len(EPILOGUES)))
def test_conv_epilogue_in_any_order(k, bias_form, fsim):
    steps = EPILOGUES[k]
    rng = np.random.default_rng(SEED + k)
    x = rng.integers(-128, 128, (1, 24, 9, 7), dtype=np.int8)
    w = rng.integers(-128, 128, (20, 24, 3, 3), dtype=np.int8)
    lim = BIAS_RANGES[bias_form]
    b = rng.integers(-lim, lim + 1, 20).astype(np.int32)
    b[:2] = lim, -lim  # the ends of the range
    res = rng.integers(-128, 128, (1, 20, 5, 4), dtype=np.int8)
    # min_init=False: the bias form (GEMM within its reach, else ALU) is what this test pins
    conv = ops.conv2d(w, b, input_shape=x.shape, stride=2, padding=1, epilogue=steps, min_init=False)
    if any(isinstance(s, ops.AddBias) for s in steps):
        assert conv.bias_gemm == (bias_form == "gemm")
    has_res = any(isinstance(s, ops.AddResidual) for s in steps)
    y = conv.run(fsim, x, residual=res if has_res else None)
    want = apply_steps(ref.conv2d(x, w, (2, 2), (1, 1)), steps, b, res)
    assert np.array_equal(y, want), f"epilogue {steps} (seed {SEED + k})"


def test_dense_and_transpose_with_residual(fsim):
    rng = np.random.default_rng(SEED)
    x = rng.integers(-128, 128, (5, 70), dtype=np.int8)
    w = rng.integers(-128, 128, (33, 70), dtype=np.int8)
    res = rng.integers(-128, 128, (5, 33), dtype=np.int8)
    steps = (ops.Shr(9), ops.AddResidual(), ops.Clip(-100, 100))
    d = ops.dense(w, None, input_shape=x.shape, epilogue=steps)
    assert np.array_equal(d.run(fsim, x, residual=res), apply_steps(ref.dense(x, w), steps, residual=res))
    xt = rng.integers(-128, 128, (1, 8, 3, 5), dtype=np.int8)
    wt = rng.integers(-128, 128, (8, 12, 3, 3), dtype=np.int8)
    op = ops.conv2d_transpose(wt, None, input_shape=xt.shape, stride=2, padding=1, output_padding=1, epilogue=steps)
    rt = rng.integers(-128, 128, op.output_shape, dtype=np.int8)
    want = apply_steps(ref.conv2d_transpose(xt, wt, (2, 2), (1, 1), (1, 1)), steps, residual=rt)
    assert np.array_equal(op.run(fsim, xt, residual=rt), want)


def test_transpose_with_kernel_smaller_than_stride_writes_every_output(fsim):
    """Outputs no kernel tap reaches are still stored (as 0 + bias), even with an empty epilogue."""
    rng = np.random.default_rng(SEED)
    x = rng.integers(-128, 128, (1, 5, 3, 4), dtype=np.int8)
    w = rng.integers(-128, 128, (5, 7, 1, 2), dtype=np.int8)
    for steps in ((), (ops.AddBias(),)):
        b = rng.integers(-100, 100, 7).astype(np.int32)
        op = ops.conv2d_transpose(w, b, input_shape=x.shape, stride=3, padding=0, output_padding=2, epilogue=steps)
        want = apply_steps(ref.conv2d_transpose(x, w, (3, 3), (0, 0), (2, 2)), steps, b)
        for _ in range(2):  # the second run must not see the first run's OUT contents
            assert np.array_equal(op.run(fsim, x), want)


def test_add_epilogue(fsim):
    rng = np.random.default_rng(SEED)
    a = rng.integers(-128, 128, (2, 3, 17, 5), dtype=np.int8)
    b = rng.integers(-128, 128, (2, 3, 17, 5), dtype=np.int8)
    steps = (ops.MulImm(3), ops.Shr(2), ops.AddImm(-5), ops.Clip(-50, 60))
    op = ops.add(shape=a.shape, epilogue=steps)
    want = apply_steps(a.astype(np.int64) + b, steps)
    assert np.array_equal(op.run(fsim, a, b), want)


def test_repeated_runs_reuse_device_buffers(fsim):
    rng = np.random.default_rng(SEED)
    w = rng.integers(-128, 128, (16, 16, 3, 3), dtype=np.int8)
    conv = ops.conv2d(w, None, input_shape=(1, 16, 6, 6), padding=1, epilogue=(ops.Shr(6),))
    for k in range(3):
        x = rng.integers(-128, 128, (1, 16, 6, 6), dtype=np.int8)
        assert np.array_equal(conv.run(fsim, x), apply_steps(ref.conv2d(x, w, (1, 1), (1, 1)), (ops.Shr(6),)))
    loaded = conv.last_stats.wgt_load_nbytes
    assert loaded == 9 * 256  # one 16x16 block per tap, once


# ---------------------------------------------------------------------- errors
def _w(shape, dtype=np.int8):
    return np.zeros(shape, dtype=dtype)


@pytest.mark.parametrize("make, words", [
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5), epilogue=(ops.AddBias(),)),
     ["conv2d", "AddBias", "bias=None"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5), epilogue=(ops.AddImm(40000),)),
     ["conv2d", "40000", "16-bit"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5), epilogue=(ops.Shr(-40000),)),
     ["conv2d", "Shr", "16-bit"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5), epilogue=("relu",)),
     ["conv2d", "'relu'", "not an ops epilogue step"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5),
                        epilogue=(ops.AddResidual(), ops.AddResidual())), ["conv2d", "only once"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3), np.float32), None, input_shape=(1, 4, 5, 5)), ["conv2d", "int8", "float32"]),
    (lambda: ops.conv2d(_w((8, 5, 3, 3)), None, input_shape=(1, 4, 5, 5)), ["conv2d", "(8, 5, 3, 3)", "(8, 4, 3, 3)"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), _w((8,), np.int64), input_shape=(1, 4, 5, 5)), ["bias", "int32"]),
    (lambda: ops.conv2d(_w((9, 2, 3, 3)), None, input_shape=(1, 4, 5, 5), groups=2), ["groups=2", "divisor"]),
    (lambda: ops.conv2d(_w((8, 4, 7, 7)), None, input_shape=(1, 4, 5, 5)), ["conv2d", "smaller than the kernel"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5)), ["input_shape", "(N, C, H, W)"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5), stride=0), ["stride", ">= 1"]),
    (lambda: ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5), tiles="big"), ["tiles must be"]),
    (lambda: ops.conv2d(_w((64, 64, 3, 3)), None, input_shape=(1, 64, 56, 56), padding=1,
                        tiles=ops.Tiles(h=56, w=56, co=4, ci=4)), ["conv2d", "INP buffer", "2048"]),
    (lambda: ops.conv2d(_w((512, 64, 1, 1)), None, input_shape=(1, 64, 56, 56),
                        tiles=ops.Tiles(h=8, w=56, co=32, ci=1)), ["conv2d", "ACC buffer", "2048"]),
    (lambda: ops.conv2d(_w((512, 512, 3, 3)), None, input_shape=(1, 512, 7, 7), padding=1,
                        tiles=ops.Tiles(h=7, w=7, co=32, ci=4)), ["conv2d", "WGT buffer", "1024"]),
    (lambda: ops.conv2d(_w((64, 32, 3, 3)), None, input_shape=(1, 64, 8, 8), padding=1, groups=2,
                        tiles=ops.Tiles(h=8, w=8, co=3, ci=1)), ["co=3", "group unit"]),
    (lambda: ops.conv2d(_w((16, 16, 3, 3)), None, input_shape=(1, 16, 4, 4), padding=20,
                        tiles=ops.Tiles(h=21, w=21, co=1, ci=1)), ["conv2d", "pads up to 15"]),
    (lambda: ops.conv2d_transpose(_w((16, 16, 4, 4)), None, input_shape=(1, 16, 4, 4), stride=2, padding=1,
                                  tiles=ops.Tiles(h=3, w=8, co=1, ci=1)), ["multiple of the transposed stride 2"]),
    (lambda: ops.conv2d_transpose(_w((16, 16, 4, 4)), None, input_shape=(1, 16, 4, 4), stride=2, output_padding=2),
     ["output_padding", "smaller than the stride"]),
    (lambda: ops.dense(_w((8, 4)), None, input_shape=(3, 5)), ["dense", "(8, 4)", "(8, 5)"]),
    (lambda: ops.max_pool2d(input_shape=(1, 4, 5, 5), kernel=2, padding=2), ["max_pool2d", "half the kernel"]),
    (lambda: ops.add(shape=(0, 3)), ["add", "positive"]),
    (lambda: ops.add(shape=(3,), epilogue=(ops.AddBias(),)), ["add", "AddBias", "no bias operand"]),
])
def test_compile_errors_name_the_op_and_rule(make, words):
    with pytest.raises(CompileError) as info:
        make()
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    assert isinstance(info.value, VtaError)


def test_run_errors(fsim):
    conv = ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5), epilogue=(ops.AddResidual(),))
    with pytest.raises(CompileError, match="residual tensor is required"):
        conv.run(fsim, _w((1, 4, 5, 5)))
    with pytest.raises(CompileError, match=r"x has shape \(1, 4, 5, 6\), expected \(1, 4, 5, 5\)"):
        conv.run(fsim, _w((1, 4, 5, 6)), residual=_w((1, 8, 3, 3)))
    plain = ops.conv2d(_w((8, 4, 3, 3)), None, input_shape=(1, 4, 5, 5))
    with pytest.raises(CompileError, match="no AddResidual"):
        plain.run(fsim, _w((1, 4, 5, 5)), residual=_w((1, 8, 3, 3)))
    with open_device("fsim", Config.load("1x32x32")) as other:
        with pytest.raises(CompileError, match="compiled for 1x16"):
            plain.run(other, _w((1, 4, 5, 5)))


def test_padding_wider_than_the_dma_pad_field_is_tiled_around(fsim):
    """Padding 20 exceeds the 4-bit pad field; tiles whose window is all padding are skipped, the rest fit."""
    rng = np.random.default_rng(SEED)
    x = rng.integers(-128, 128, (1, 16, 4, 4), dtype=np.int8)
    w = rng.integers(-128, 128, (16, 16, 3, 3), dtype=np.int8)
    b = rng.integers(-99, 99, 16).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=x.shape, padding=20, epilogue=(ops.AddBias(),))
    want = apply_steps(ref.conv2d(x, w, (1, 1), (20, 20)), (ops.AddBias(),), b)
    assert conv.output_shape == (1, 16, 42, 42)
    assert np.array_equal(conv.run(fsim, x), want)
