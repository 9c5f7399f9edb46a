"""The same operators on TSIM (the Verilated RTL) give outputs identical to fsim.

Skipped (not passed) when TSIM cannot be opened on this machine.
"""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler import ops
from vta.isa.config import Config
from vta.isa.errors import VtaError
from vta.jit import open_device

from .conftest import compile_only
from .test_ops_workloads import DCGAN, MOBILENET, RESNET18, TAIL


@pytest.fixture(scope="module")
def devices():
    try:
        tsim = open_device("tsim", Config())
    except VtaError as exc:
        pytest.skip(f"TSIM is not available: {exc}")
    with open_device("fsim", Config()) as fsim:
        yield fsim, tsim
    tsim.close()


def _same(op, devices, *args, **kwargs):
    fsim, tsim = devices
    a = op.run(fsim, *args, **kwargs)
    b = op.run(tsim, *args, **kwargs)
    assert np.array_equal(a, b), f"{op.kind}: TSIM output differs from fsim"
    assert op.last_stats.cycles and op.last_stats.cycles > 0
    return op.last_stats


def _conv(rng, name, table, **kw):
    if table is RESNET18:
        h, w, ci, co, k, pad, stride = table[name]
        groups = 1
    else:
        h, w, ci, co, groups, stride = table[name]
        k, pad = 3, 1
    x = rng.integers(-128, 128, (1, ci, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (co, ci // groups, k, k), dtype=np.int8)
    b = rng.integers(-16384, 16384, co).astype(np.int32)
    return ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=pad, groups=groups, epilogue=TAIL, **kw), x


def test_small_operators_match_fsim_on_tsim(devices):
    rng = np.random.default_rng(21)
    conv, x = _conv(rng, "C10", RESNET18)
    stats = _same(conv, devices, x)
    assert stats.cycles < 2 * conv.predicted_cycles
    conv, x = _conv(rng, "D9", MOBILENET)
    _same(conv, devices, x)
    w = rng.integers(-128, 128, (64, 32, 4, 4), dtype=np.int8)
    ct = ops.conv2d_transpose(w, None, input_shape=(1, 64, 4, 4), stride=2, padding=1, epilogue=(ops.Shr(8),))
    _same(ct, devices, rng.integers(-128, 128, (1, 64, 4, 4), dtype=np.int8))
    d = ops.dense(rng.integers(-128, 128, (128, 256), dtype=np.int8), None, input_shape=(4, 256),
                  epilogue=(ops.Shr(7), ops.AddResidual()))
    _same(d, devices, rng.integers(-128, 128, (4, 256), dtype=np.int8),
          residual=rng.integers(-128, 128, (4, 128), dtype=np.int8))
    pool = ops.max_pool2d(input_shape=(1, 32, 9, 9), kernel=3, stride=2, padding=1)
    _same(pool, devices, rng.integers(-128, 128, (1, 32, 9, 9), dtype=np.int8))
    add = ops.add(shape=(2, 40, 7), epilogue=(ops.Shr(1),))
    _same(add, devices, rng.integers(-128, 128, (2, 40, 7), dtype=np.int8),
          rng.integers(-128, 128, (2, 40, 7), dtype=np.int8))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RESNET18) + list(MOBILENET))
def test_upstream_conv_workloads_match_fsim_on_tsim(name, devices):
    rng = np.random.default_rng(22)
    conv, x = _conv(rng, name, RESNET18 if name in RESNET18 else MOBILENET)
    _same(conv, devices, x)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DCGAN))
def test_dcgan_match_fsim_on_tsim(name, devices):
    rng = np.random.default_rng(23)
    h, w, ci, co = DCGAN[name]
    wt = rng.integers(-128, 128, (ci, co, 4, 4), dtype=np.int8)
    op = ops.conv2d_transpose(wt, None, input_shape=(1, ci, h, w), stride=2, padding=1, epilogue=TAIL[:1])
    _same(op, devices, rng.integers(-128, 128, (1, ci, h, w), dtype=np.int8))


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["4x16x16", "1x32x32"])
def test_other_core_shapes_match_fsim_on_tsim(preset):
    """Each core shape is its own RTL build (minutes the first time, then cached)."""
    cfg = Config.load(preset)
    try:
        tsim = open_device("tsim", cfg, verbose=0)
    except VtaError as exc:
        pytest.skip(f"TSIM is not available for {preset}: {exc}")
    rng = np.random.default_rng(24)
    with open_device("fsim", cfg) as fsim, tsim:
        devices = (fsim, tsim)
        w = rng.integers(-128, 128, (48, 40, 3, 3), dtype=np.int8)
        b = rng.integers(-999, 999, 48).astype(np.int32)
        conv = ops.conv2d(w, b, input_shape=(cfg.batch, 40, 9, 9), stride=2, padding=1, epilogue=TAIL, config=cfg)
        _same(conv, devices, rng.integers(-128, 128, (cfg.batch, 40, 9, 9), dtype=np.int8))
        wt = rng.integers(-128, 128, (40, 24, 4, 4), dtype=np.int8)
        ct = ops.conv2d_transpose(wt, None, input_shape=(cfg.batch, 40, 3, 3), stride=2, padding=1,
                                  epilogue=(ops.Shr(8), ops.AddResidual()), config=cfg)
        _same(ct, devices, rng.integers(-128, 128, (cfg.batch, 40, 3, 3), dtype=np.int8),
              residual=rng.integers(-128, 128, ct.output_shape, dtype=np.int8))
        pool = ops.max_pool2d(input_shape=(cfg.batch, 24, 7, 7), kernel=3, stride=2, padding=1, config=cfg)
        _same(pool, devices, rng.integers(-128, 128, (cfg.batch, 24, 7, 7), dtype=np.int8))
        g = ops.conv2d(rng.integers(-128, 128, (64, 1, 3, 3), dtype=np.int8), None, input_shape=(cfg.batch, 64, 6, 6),
                       padding=1, groups=64, epilogue=(ops.Shr(4),), config=cfg)
        _same(g, devices, rng.integers(-128, 128, (cfg.batch, 64, 6, 6), dtype=np.int8))


def test_min_init_matches_fsim_and_numpy_on_tsim_after_another_op(devices):
    """MIN-init (reset and bias as one ALU MIN) after an op that leaves ACC far below every init value."""
    from . import ops_reference as ref

    rng = np.random.default_rng(25)
    x = rng.integers(-128, 128, (2, 24, 26, 30), dtype=np.int8)
    w = rng.integers(-128, 128, (40, 24, 1, 1), dtype=np.int8)
    b = rng.integers(-16384, 16384, 40).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=TAIL,
                      tiles=ops.Tiles(h=4, w=15, co=2, ci=1, batch=2, vthreads=2), min_init=True)
    assert conv.min_init is not None
    dirty = ops.conv2d(rng.integers(-128, 128, (48, 24, 3, 3), dtype=np.int8), None, input_shape=(1, 24, 12, 12),
                       padding=1, epilogue=(ops.MulImm(-32768), ops.AddImm(-32768)))
    for dev in devices:
        dirty.run(dev, rng.integers(-128, 128, (1, 24, 12, 12), dtype=np.int8))
    _same(conv, devices, x)
    assert np.array_equal(conv.run(devices[1], x), ref.upstream_tail(ref.conv2d(x, w, (2, 2), (0, 0)), b))


def test_min_init_with_bias_first_and_residual_matches_numpy_on_tsim(devices):
    """The quantized models' tail `+ bias, >> s, + residual, clip` as MIN-init: the residual GEMM after SHR
    carries the offset; extreme residuals included."""
    rng = np.random.default_rng(26)
    x = rng.integers(-128, 128, (1, 32, 10, 9), dtype=np.int8)
    w = rng.integers(-128, 128, (48, 32, 3, 3), dtype=np.int8)
    b = rng.integers(-(1 << 17), 1 << 17, 48).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=x.shape, padding=1, min_init=True,
                      epilogue=(ops.AddBias(), ops.Shr(10), ops.AddResidual(), ops.Clip(0, 127)),
                      tiles=ops.Tiles(h=4, w=9, co=2, ci=1, vthreads=2))
    assert conv.min_init is not None and conv.min_init.bias_shift == 0
    res = rng.integers(-128, 128, conv.output_shape, dtype=np.int8)
    res.flat[::5], res.flat[2::7] = -128, 127
    y = conv.run(devices[1], x, residual=res)
    acc = np.zeros(conv.output_shape, np.int64)
    xp = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    for kh in range(3):
        for kw in range(3):
            acc += np.einsum("nchw,oc->nohw", xp[:, :, kh:kh + 10, kw:kw + 9], w[:, :, kh, kw].astype(np.int64))
    want = np.clip(((acc + b.reshape(1, -1, 1, 1)) >> 10) + res, 0, 127).astype(np.int8)
    assert np.array_equal(y, want)
    _same(conv, devices, x, residual=res)


@pytest.mark.parametrize("min_init", [False, True])
def test_split_tail_matches_fsim_and_numpy_on_tsim(devices, min_init, monkeypatch):
    """The last tile of each of two virtual threads runs its tail and store in parts (schedule_parts.chunked_tail):
    six tiles, edge tiles in rows and channels (the last two cut along channels and along rows)."""
    from vta.compiler.stream import SNest

    from . import ops_reference as ref

    compile_only(monkeypatch, "interleaved")
    rng = np.random.default_rng(27)
    x = rng.integers(-128, 128, (1, 16, 11, 13), dtype=np.int8)
    w = rng.integers(-128, 128, (48, 16, 3, 3), dtype=np.int8)
    b = rng.integers(-16384, 16384, 48).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=x.shape, padding=1, epilogue=TAIL, min_init=min_init,
                      tiles=ops.Tiles(h=4, w=13, co=2, ci=1, vthreads=2))
    assert (conv.min_init is not None) == min_init
    parts = {(op.dst.block.index, op.part) for op in conv.result.stream.ops if isinstance(op, SNest) and op.part}
    assert {t for t, _ in parts} == {0, 1} and max(p for _, p in parts) > 1, conv.ir_text()
    _same(conv, devices, x)
    assert np.array_equal(conv.run(devices[1], x), ref.upstream_tail(ref.conv2d(x, w, (1, 1), (1, 1)), b))
