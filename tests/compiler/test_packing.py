"""Packed layouts: element placement against explicit index loops, round trips, padding."""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler import layout
from vta.isa.config import Config

PRESETS = ["default", "1x32x32", "4x16x16"]


@pytest.mark.parametrize("preset", PRESETS)
def test_activation_packing_places_every_value(preset):
    cfg = Config.load(preset)
    b, c = cfg.batch, cfg.block_in
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, (5, 37, 3, 4), dtype=np.int8)
    p = layout.pack_activation(x, cfg)
    assert p.shape == (-(-5 // b), -(-37 // c), 3, 4, b, c)
    for n, ch, h, w in [(0, 0, 0, 0), (4, 36, 2, 3), (3, 17, 1, 2), (2, c, 0, 1)]:
        assert p[n // b, ch // c, h, w, n % b, ch % c] == x[n, ch, h, w]
    assert np.array_equal(layout.unpack_activation(p, 5, 37), x)
    full = layout.unpack_activation(p, p.shape[0] * b, p.shape[1] * c)
    assert not full[5:].any() and not full[:, 37:].any()  # padding is zero


@pytest.mark.parametrize("preset", PRESETS)
def test_weight_packing_places_every_value(preset):
    cfg = Config.load(preset)
    c = cfg.block_out
    rng = np.random.default_rng(2)
    w = rng.integers(-128, 128, (40, 19, 3, 2), dtype=np.int8)
    p = layout.pack_weight(w, cfg)
    assert p.shape == (-(-40 // c), -(-19 // c), 3, 2, c, c)
    for o, i, kh, kw in [(0, 0, 0, 0), (39, 18, 2, 1), (17, 5, 1, 0)]:
        assert p[o // c, i // c, kh, kw, o % c, i % c] == w[o, i, kh, kw]
    assert np.array_equal(layout.unpack_weight(p, 40, 19), w)
    taps = [(kh, kw) for kh in range(3) for kw in range(2)]
    blocks = layout.pack_weight_blocks(w, cfg, units=1, cpg=p.shape[0], span=p.shape[1], taps=taps)
    assert np.array_equal(blocks, p.reshape(p.shape[0], p.shape[1], 6, c, c))


def test_grouped_weight_blocks_keep_only_each_units_diagonal():
    cfg = Config()
    rng = np.random.default_rng(3)
    w = rng.integers(-128, 128, (64, 2, 3, 3), dtype=np.int8)  # 32 groups of 2 channels
    dense = layout.expand_groups(w, 32)
    assert dense.shape == (64, 64, 3, 3)
    assert np.array_equal(dense[10, 10:12], w[10]) and not dense[10, :10].any() and not dense[10, 12:].any()
    taps = [(kh, kw) for kh in range(3) for kw in range(3)]
    blocks = layout.pack_weight_blocks(dense, cfg, units=4, cpg=1, span=1, taps=taps)
    assert blocks.shape == (4, 1, 9, 16, 16)
    # unit u: out block u reads in block u; channel 16u+j of the group sees inputs 16u+2(j//2)+{0,1}
    assert blocks[1, 0, 4, 3, 2] == w[19, 0, 1, 1] and blocks[1, 0, 4, 3, 3] == w[19, 1, 1, 1]
    assert blocks[1, 0, 4, 3, 5] == 0


def test_bias_is_repeated_on_every_batch_lane():
    cfg = Config.load("4x16x16")
    bias = np.arange(20, dtype=np.int32) * 1000 - 7
    p = layout.pack_bias(bias, cfg)
    assert p.shape == (2, 4, 16)
    for lane in range(4):
        assert np.array_equal(p[:, lane].reshape(-1)[:20], bias)
    assert not p[1, :, 4:].any()


@pytest.mark.parametrize("preset", PRESETS)
def test_bias_gemm_blocks_add_exactly_the_bias_on_every_lane(preset):
    """ones . w[j] == bias[j] on every batch row, weights within int8, at the ends of the reach and beyond."""
    cfg = Config.load(preset)
    c, ci = cfg.block_out, cfg.block_in
    reach = 127 * 127 * (ci - 1) + 63
    rng = np.random.default_rng(2)
    for lim in (0, 1, 127, 16384, reach):
        bias = rng.integers(-lim, lim + 1, 3 * c).astype(np.int32)
        bias[:2] = lim, -lim
        got = layout.bias_gemm_blocks(bias[: 3 * c - 5], cfg, 3 * c)
        assert got is not None, lim
        ones, w = got
        assert ones.shape == (1, cfg.batch, ci) and w.shape == (3, c, ci)
        assert ones.dtype == w.dtype == np.int8
        sums = np.einsum("bk,ojk->obj", ones[0].astype(np.int64), w.astype(np.int64))  # what a GEMM adds
        want = np.zeros(3 * c, np.int64)
        want[: 3 * c - 5] = bias[: 3 * c - 5]
        assert np.array_equal(sums, np.broadcast_to(want.reshape(3, 1, c), sums.shape)), lim
    low = -127 * 128 * (ci - 1) - 63  # the quotient lanes reach -128 on the negative side
    assert layout.bias_gemm_blocks(np.array([low], np.int32), cfg, c) is not None
    for v in (reach + 1, low - 1, 2**31 - 1, -(2**31)):
        assert layout.bias_gemm_blocks(np.array([v], np.int32), cfg, c) is None, v


def test_flat_packing_round_trip():
    cfg = Config.load("4x16x16")
    x = np.arange(-50, 53, dtype=np.int8).reshape(1, 103)
    p = layout.pack_flat(x, cfg)
    assert p.shape == (2, 4, 16)
    assert np.array_equal(layout.unpack_flat(p, (1, 103)), x)


def test_conv2d_transpose_weight_layout_orders_taps_by_output_phase():
    cfg = Config()
    rng = np.random.default_rng(4)
    w = rng.integers(-128, 128, (20, 24, 4, 4), dtype=np.int8)  # (I, O, KH, KW)
    p = layout.pack_conv2d_transpose_weight(w, cfg, stride=2, padding=1, input_hw=(4, 4))
    assert p.shape == (2, 2, 16, 16, 16)
    # outputs 2q + 0 use kernel rows 3, 1 (flipped residue 1); outputs 2q + 1 use rows 2, 0
    rows = [3, 1, 2, 0]
    taps = [(kh, kw) for kh in rows[:2] for kw in rows[:2]] + [(kh, kw) for kh in rows[:2] for kw in rows[2:]]
    for t, (kh, kw) in enumerate(taps):
        assert p[1, 0, t, 3, 5] == w[5, 16 + 3, kh, kw]
