"""Upstream's benchmark workloads, bit-exact on fsim against plain numpy (whole arrays).

ResNet-18 C2-C11, MobileNet D1-D9 (grouped), DCGAN CT1-CT3 (transposed), dense
128x128x128 and the LSTM dense layers, each with upstream's test tail
(>> 8, + bias, clip [0, 127], int8). Seeds derive from the workload name and are
printed on failure.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from vta.compiler import ops
from vta.isa.config import Config
from vta.jit import open_device

from . import ops_reference as ref

# name: (H, W, CI, CO, K, pad, stride)
RESNET18 = {
    "C2": (56, 56, 64, 64, 3, 1, 1), "C3": (56, 56, 64, 128, 3, 1, 2), "C4": (56, 56, 64, 128, 1, 0, 2),
    "C5": (28, 28, 128, 128, 3, 1, 1), "C6": (28, 28, 128, 256, 3, 1, 2), "C7": (28, 28, 128, 256, 1, 0, 2),
    "C8": (14, 14, 256, 256, 3, 1, 1), "C9": (14, 14, 256, 512, 3, 1, 2), "C10": (14, 14, 256, 512, 1, 0, 2),
    "C11": (7, 7, 512, 512, 3, 1, 1),
}
# name: (H, W, CI, CO, groups, stride); all 3x3, pad 1
MOBILENET = {
    "D1": (112, 112, 32, 32, 2, 1), "D2": (112, 112, 64, 64, 4, 2), "D3": (56, 56, 128, 128, 8, 1),
    "D4": (56, 56, 128, 128, 8, 2), "D5": (28, 28, 256, 256, 16, 1), "D6": (28, 28, 256, 256, 16, 2),
    "D7": (14, 14, 512, 512, 32, 1), "D8": (14, 14, 512, 512, 32, 2), "D9": (7, 7, 1024, 1024, 64, 1),
}
# name: (H, W, CI, CO); 4x4 kernel, stride 2, pad 1, output pad 0
DCGAN = {"CT1": (4, 4, 1024, 512), "CT2": (8, 8, 512, 256), "CT3": (16, 16, 256, 128)}
# name: (N, I, O)
DENSE = {"dense128": (128, 128, 128), "lstm.dense.1": (1, 256, 128), "lstm.dense.4": (4, 256, 128)}

TAIL = (ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def _conv_case(name: str, h, w, ci, co, k, pad, stride, groups=1, batch=1):
    seed = _seed(name)
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (batch, ci, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (co, ci // groups, k, k), dtype=np.int8)
    b = rng.integers(-16384, 16384, co).astype(np.int32)
    return seed, x, wt, b


@pytest.mark.parametrize("name", list(RESNET18))
def test_resnet18_conv_bit_exact(name, fsim):
    h, w, ci, co, k, pad, stride = RESNET18[name]
    seed, x, wt, b = _conv_case(name, h, w, ci, co, k, pad, stride)
    conv = ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=pad, epilogue=TAIL)
    y = conv.run(fsim, x)
    want = ref.upstream_tail(ref.conv2d(x, wt, (stride, stride), (pad, pad)), b)
    assert y.shape == want.shape == conv.output_shape
    assert np.array_equal(y, want), f"{name}: output differs from numpy (seed {seed})"
    assert conv.last_stats.gemm_uops == conv.spec.gemm_uops + conv.epilogue_gemm_uops  # no wasted GEMMs


@pytest.mark.parametrize("name", list(MOBILENET))
def test_mobilenet_grouped_conv_bit_exact(name, fsim):
    h, w, ci, co, groups, stride = MOBILENET[name]
    seed, x, wt, b = _conv_case(name, h, w, ci, co, 3, 1, stride, groups)
    conv = ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=1, groups=groups, epilogue=TAIL)
    y = conv.run(fsim, x)
    want = ref.upstream_tail(ref.conv2d(x, wt, (stride, stride), (1, 1), groups), b)
    assert np.array_equal(y, want), f"{name}: output differs from numpy (seed {seed})"
    # each 16-channel group is one block: only the diagonal weight blocks are multiplied
    assert conv.last_stats.gemm_uops - conv.epilogue_gemm_uops == (co // 16) * 9 * conv.output_shape[2] * conv.output_shape[3]


@pytest.mark.parametrize("name", list(DCGAN))
def test_dcgan_conv2d_transpose_bit_exact(name, fsim):
    h, w, ci, co = DCGAN[name]
    seed = _seed(name)
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (1, ci, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (ci, co, 4, 4), dtype=np.int8)
    b = rng.integers(-16384, 16384, co).astype(np.int32)
    op = ops.conv2d_transpose(wt, b, input_shape=x.shape, stride=2, padding=1, output_padding=0, epilogue=TAIL)
    y = op.run(fsim, x)
    want = ref.upstream_tail(ref.conv2d_transpose(x, wt, (2, 2), (1, 1)), b)
    assert y.shape == (1, co, 2 * h, 2 * w)
    assert np.array_equal(y, want), f"{name}: output differs from numpy (seed {seed})"
    # phase decomposition: no GEMM is spent on the zeros a dilated input would contain
    assert op.last_stats.gemm_uops - op.epilogue_gemm_uops == op.spec.gemm_uops <= (ci // 16) * (co // 16) * 4 * (2 * h) * (2 * w)


@pytest.mark.parametrize("name", list(DENSE))
def test_dense_bit_exact(name, fsim):
    n, i, o = DENSE[name]
    seed = _seed(name)
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, i), dtype=np.int8)
    wt = rng.integers(-128, 128, (o, i), dtype=np.int8)
    b = rng.integers(-16384, 16384, o).astype(np.int32)
    d = ops.dense(wt, b, input_shape=x.shape, epilogue=TAIL)
    y = d.run(fsim, x)
    want = ref.upstream_tail(ref.dense(x, wt), b)
    assert np.array_equal(y, want), f"{name}: output differs from numpy (seed {seed})"


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["1x32x32", "4x16x16"])
@pytest.mark.parametrize("name", list(RESNET18))
def test_resnet18_conv_other_cores(name, preset):
    cfg = Config.load(preset)
    h, w, ci, co, k, pad, stride = RESNET18[name]
    seed, x, wt, b = _conv_case(name, h, w, ci, co, k, pad, stride, batch=cfg.batch)
    conv = ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=pad, epilogue=TAIL, config=cfg)
    with open_device("fsim", cfg) as dev:
        y = conv.run(dev, x)
    want = ref.upstream_tail(ref.conv2d(x, wt, (stride, stride), (pad, pad)), b)
    assert np.array_equal(y, want), f"{name} on {preset}: output differs from numpy (seed {seed})"


@pytest.mark.parametrize("preset", ["1x32x32", "4x16x16"])
def test_small_layers_other_cores(preset):
    """CI-sized equivalent of the slow test above: C10, C11, LSTM dense and CT3 on the other core shapes."""
    cfg = Config.load(preset)
    with open_device("fsim", cfg) as dev:
        for name in ("C10", "C11"):
            h, w, ci, co, k, pad, stride = RESNET18[name]
            seed, x, wt, b = _conv_case(name, h, w, ci, co, k, pad, stride, batch=cfg.batch)
            conv = ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=pad, epilogue=TAIL, config=cfg)
            want = ref.upstream_tail(ref.conv2d(x, wt, (stride, stride), (pad, pad)), b)
            assert np.array_equal(conv.run(dev, x), want), f"{name} on {preset} (seed {seed})"
        n, i, o = DENSE["lstm.dense.4"]
        rng = np.random.default_rng(_seed("lstm4" + preset))
        x = rng.integers(-128, 128, (n, i), dtype=np.int8)
        wt = rng.integers(-128, 128, (o, i), dtype=np.int8)
        b = rng.integers(-16384, 16384, o).astype(np.int32)
        d = ops.dense(wt, b, input_shape=x.shape, epilogue=TAIL, config=cfg)
        assert np.array_equal(d.run(dev, x), ref.upstream_tail(ref.dense(x, wt), b))
        h, w, ci, co = DCGAN["CT3"]
        rng = np.random.default_rng(_seed("CT3" + preset))
        x = rng.integers(-128, 128, (cfg.batch, ci, h, w), dtype=np.int8)
        wt = rng.integers(-128, 128, (ci, co, 4, 4), dtype=np.int8)
        b = rng.integers(-16384, 16384, co).astype(np.int32)
        op = ops.conv2d_transpose(wt, b, input_shape=x.shape, stride=2, padding=1, epilogue=TAIL, config=cfg)
        assert np.array_equal(op.run(dev, x), ref.upstream_tail(ref.conv2d_transpose(x, wt, (2, 2), (1, 1)), b))
