"""The blocked matmul workload against numpy, on several configs, tilings and epilogues."""

import numpy as np
import pytest

from vta.isa import AluOp, Config
from vta.jit import CommandQueue, DeviceBuffer, JitError, open_device
from vta.jit.workloads import MatmulTiles, blocked_matmul, choose_tiles, pack_a, pack_bias, pack_w, unpack_c


def run_matmul(cfg, m, n, k, seed, bias=True, epilogue=((AluOp.SHR, 8), (AluOp.MAX, 0), (AluOp.MIN, 127)),
               tiles=None, virtual_threads=2):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    w = rng.integers(-128, 128, (n, k), dtype=np.int8)
    b = rng.integers(-20000, 20000, n).astype(np.int32)
    with open_device("fsim", cfg, dram_bytes=1 << 26) as dev:
        cq = CommandQueue(dev)
        ab, wb = DeviceBuffer.from_array(dev, pack_a(a, cfg)), DeviceBuffer.from_array(dev, pack_w(w, cfg))
        bb = DeviceBuffer.from_array(dev, pack_bias(b, cfg)) if bias else None
        cb = DeviceBuffer(dev, m * n)
        used = blocked_matmul(cq, ab, wb, cb, m, n, k, bias=bb, epilogue=epilogue, tiles=tiles,
                              virtual_threads=virtual_threads)
        stats = cq.synchronize()
        got = unpack_c(cb.read(np.int8), m, n, cfg)
    acc = a.astype(np.int64) @ w.astype(np.int64).T + (b if bias else 0)
    return got, acc, used, stats


@pytest.mark.parametrize("name", ["default", "1x32x32", "4x16x16", "1x16x16_wide"])
def test_matmul_with_bias_relu_requant(name):
    cfg = Config.load(name)
    m, n, k = 8 * cfg.batch * 4, 2 * cfg.block_out * 3, 3 * cfg.block_in * 2
    got, acc, _, stats = run_matmul(cfg, m, n, k, seed=5)
    assert np.array_equal(got, np.clip(acc >> 8, 0, 127).astype(np.int8))
    assert stats.gemm_uops == (m // cfg.batch) * (n // cfg.block_out) * (k // cfg.block_in)


@pytest.mark.parametrize("tiles", [MatmulTiles(1, 1, 1), MatmulTiles(2, 3, 2), MatmulTiles(4, 1, 6)])
@pytest.mark.parametrize("vt", [1, 2])
def test_explicit_tilings_agree(tiles, vt):
    cfg = Config()
    got, acc, used, _ = run_matmul(cfg, 64, 48, 96, seed=9, tiles=tiles, virtual_threads=vt, bias=False,
                                   epilogue=((AluOp.SHR, 4),))
    assert used == tiles
    assert np.array_equal(got, (acc >> 4).astype(np.int8))  # int8 store keeps the low 8 bits


def test_plain_store_of_the_accumulator_low_bits():
    got, acc, _, _ = run_matmul(Config(), 16, 16, 32, seed=2, bias=False, epilogue=())
    assert np.array_equal(got, acc.astype(np.int8))


def test_tiles_fit_the_buffers():
    for name in ("default", "1x32x32", "4x16x16"):
        cfg = Config.load(name)
        t = choose_tiles(64, 16, 32, cfg, bias=True)
        assert 2 * t.tm * t.tk <= cfg.inp_depth and 2 * t.tn * t.tk <= cfg.wgt_depth
        assert t.tm * t.tn + t.tn <= cfg.acc_depth


def test_shape_errors():
    cfg = Config()
    with open_device("fsim", cfg, dram_bytes=1 << 22) as dev:
        cq = CommandQueue(dev)
        buf = DeviceBuffer(dev, 4096)
        with pytest.raises(JitError, match="multiples"):
            blocked_matmul(cq, buf, buf, buf, 16, 17, 16)
        with pytest.raises(JitError, match="do not divide"):
            blocked_matmul(cq, buf, buf, buf, 16, 16, 32, tiles=MatmulTiles(3, 1, 1))
