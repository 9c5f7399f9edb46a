"""Property tests: random shapes, strides, paddings, groups and channel counts on three core shapes.

Changing the core (1x16x16, 1x32x32, 4x16x16 with batch 4) must not break the
compiler: every generated operator is compared with plain numpy on whole arrays.
Hypothesis prints the failing example (its shapes are the seed of the data).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vta.compiler import ops
from vta.compiler.cost_model import search
from vta.isa.config import Config
from vta.jit import open_device

from . import ops_reference as ref

PRESETS = ["default", "1x32x32", "4x16x16"]
_DEVICES: dict[str, object] = {}


def device(preset: str):
    if preset not in _DEVICES:
        _DEVICES[preset] = open_device("fsim", Config.load(preset))
    return _DEVICES[preset]


def rng_for(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def conv_cases(draw):
    preset = draw(st.sampled_from(PRESETS))
    k = draw(st.integers(1, 4))
    kw = draw(st.sampled_from([k, draw(st.integers(1, 4))]))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = (draw(st.integers(0, k)), draw(st.integers(0, kw)))  # pad >= kernel: windows wholly in padding
    h = draw(st.integers(max(1, k - 2 * pad[0]), 12))
    w = draw(st.integers(max(1, kw - 2 * pad[1]), 12))
    groups = draw(st.sampled_from([1, 1, 2, 3, 4, 8, 16]))
    ci = groups * draw(st.integers(1, max(1, 40 // groups)))
    co = groups * draw(st.integers(1, max(1, 40 // groups)))
    n = draw(st.integers(1, 5))
    return preset, n, ci, h, w, co, (k, kw), stride, pad, groups


@settings(max_examples=45)
@given(conv_cases(), st.sampled_from([0, 1, 2]))
def test_random_conv2d_matches_numpy(case, tail):
    preset, n, ci, h, w, co, (kh, kw), stride, pad, groups = case
    rng = rng_for(case, tail)
    x = rng.integers(-128, 128, (n, ci, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (co, ci // groups, kh, kw), dtype=np.int8)
    b = rng.integers(-(1 << 14), 1 << 14, co).astype(np.int32)
    epilogue = [(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)), (ops.AddBias(), ops.Shr(5)), ()][tail]
    conv = ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=pad, groups=groups, epilogue=epilogue,
                      config=Config.load(preset))
    y = conv.run(device(preset), x)
    acc = ref.conv2d(x, wt, stride, pad, groups)
    bias = b.astype(np.int64).reshape(1, -1, 1, 1)
    want = [np.clip((acc >> 8) + bias, 0, 127), (ref.wrap32(acc + bias)) >> 5, ref.wrap32(acc)][tail].astype(np.int8)
    assert np.array_equal(y, want)


@st.composite
def transpose_cases(draw):
    preset = draw(st.sampled_from(PRESETS))
    k = draw(st.integers(1, 5))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k - 1))
    op = draw(st.integers(0, s - 1))
    h = draw(st.integers(1, 6))
    w = draw(st.integers(1, 6))
    return preset, draw(st.integers(1, 3)), draw(st.integers(1, 24)), h, w, draw(st.integers(1, 24)), k, s, p, op


@settings(max_examples=30)
@given(transpose_cases())
def test_random_conv2d_transpose_matches_numpy(case):
    preset, n, ci, h, w, co, k, s, p, op = case
    if (h - 1) * s - 2 * p + k + op < 1 or (w - 1) * s - 2 * p + k + op < 1:
        return  # empty output: rejected with a CompileError (tested elsewhere)
    rng = rng_for(case)
    x = rng.integers(-128, 128, (n, ci, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (ci, co, k, k), dtype=np.int8)
    conv = ops.conv2d_transpose(wt, None, input_shape=x.shape, stride=s, padding=p, output_padding=op,
                                epilogue=(ops.Shr(6),), config=Config.load(preset))
    y = conv.run(device(preset), x)
    want = (ref.conv2d_transpose(x, wt, (s, s), (p, p), (op, op)) >> 6).astype(np.int8)
    assert np.array_equal(y, want)


@settings(max_examples=30)
@given(st.sampled_from(PRESETS), st.integers(1, 9), st.integers(1, 70), st.integers(1, 70))
def test_random_dense_matches_numpy(preset, n, i, o):
    rng = rng_for(preset, n, i, o)
    x = rng.integers(-128, 128, (n, i), dtype=np.int8)
    wt = rng.integers(-128, 128, (o, i), dtype=np.int8)
    b = rng.integers(-(1 << 20), 1 << 20, o).astype(np.int32)
    d = ops.dense(wt, b, input_shape=x.shape, epilogue=(ops.AddBias(), ops.Shr(7), ops.Clip(-100, 100)),
                  config=Config.load(preset))
    want = np.clip(ref.wrap32(ref.dense(x, wt) + b) >> 7, -100, 100).astype(np.int8)
    assert np.array_equal(d.run(device(preset), x), want)


@settings(max_examples=30)
@given(st.sampled_from(PRESETS), st.integers(1, 3), st.integers(1, 40), st.integers(1, 10), st.integers(1, 10),
       st.integers(1, 4), st.integers(1, 3), st.data())
def test_random_max_pool_matches_numpy(preset, n, c, h, w, k, s, data):
    p = data.draw(st.integers(0, k // 2))
    if h + 2 * p < k or w + 2 * p < k:
        return
    rng = rng_for(preset, n, c, h, w, k, s, p)
    x = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    pool = ops.max_pool2d(input_shape=x.shape, kernel=k, stride=s, padding=p, config=Config.load(preset))
    assert np.array_equal(pool.run(device(preset), x), ref.max_pool2d(x, (k, k), (s, s), (p, p)))


@settings(max_examples=20)
@given(st.sampled_from(PRESETS), st.lists(st.integers(1, 9), min_size=1, max_size=4), st.integers(-4, 4))
def test_random_add_matches_numpy(preset, shape, shift):
    shape = tuple(shape)
    rng = rng_for(preset, shape, shift)
    a = rng.integers(-128, 128, shape, dtype=np.int8)
    b = rng.integers(-128, 128, shape, dtype=np.int8)
    op = ops.add(shape=shape, epilogue=(ops.Shr(shift), ops.Clip(-128, 127)), config=Config.load(preset))
    s = a.astype(np.int64) + b
    want = np.clip(s >> shift if shift >= 0 else s << -shift, -128, 127).astype(np.int8)
    assert np.array_equal(op.run(device(preset), a, b), want)


@settings(max_examples=25)
@given(conv_cases(), st.integers(0, 7))
def test_every_searched_tiling_is_correct(case, pick):
    """Not only the model's favourite: any candidate tiling the search returns computes the same thing."""
    preset, n, ci, h, w, co, (kh, kw), stride, pad, groups = case
    cfg = Config.load(preset)
    rng = rng_for(case, pick)
    x = rng.integers(-128, 128, (n, ci, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (co, ci // groups, kh, kw), dtype=np.int8)
    first = ops.conv2d(wt, None, input_shape=x.shape, stride=stride, padding=pad, groups=groups,
                       epilogue=(ops.Shr(4),), config=cfg)
    cands = search(first.spec, alu_steps=1, bias=False, residual=False, top=8).tiles
    tiles = cands[pick % len(cands)]
    conv = first.with_tiles(tiles)
    want = (ref.conv2d(x, wt, stride, pad, groups) >> 4).astype(np.int8)
    assert np.array_equal(conv.run(device(preset), x), want), tiles.text()


@pytest.mark.parametrize("preset", PRESETS)
def test_non_multiple_channels_and_batch_padding(preset):
    """Channel counts off the block and batches off Config.batch are padded and sliced back."""
    cfg = Config.load(preset)
    rng = rng_for("pad", preset)
    x = rng.integers(-128, 128, (3, 5, 6, 7), dtype=np.int8)
    wt = rng.integers(-128, 128, (33, 5, 3, 3), dtype=np.int8)
    conv = ops.conv2d(wt, None, input_shape=x.shape, padding=1, epilogue=(ops.Shr(3),), config=cfg)
    assert conv.output_shape == (3, 33, 6, 7)
    assert np.array_equal(conv.run(device(preset), x), (ref.conv2d(x, wt, (1, 1), (1, 1)) >> 3).astype(np.int8))
