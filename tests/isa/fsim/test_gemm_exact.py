"""The float-BLAS GEMM path is exact at the edges of its bounds (against int64 numpy written here)."""

import numpy as np
import pytest

from vta.isa import Config
from vta.isa.fsim.gemm import FLOAT32_EXACT, _exact_dtype
from vta.jit import CommandQueue, DeviceBuffer, open_device
from vta.jit.workloads import MatmulTiles, blocked_matmul, pack_a, pack_w, unpack_c


def _run(a: np.ndarray, w: np.ndarray, config: Config, tiles: MatmulTiles) -> np.ndarray:
    """A @ W^T through the JIT, stored with SHR 0 (low 8 bits) and read back."""
    m, k = a.shape
    n = w.shape[0]
    with open_device("fsim", config) as dev:
        cq = CommandQueue(dev)
        ab, wb = DeviceBuffer.from_array(dev, pack_a(a, config)), DeviceBuffer.from_array(dev, pack_w(w, config))
        cb = DeviceBuffer(dev, m * n)
        blocked_matmul(cq, ab, wb, cb, m, n, k, tiles=tiles, virtual_threads=1)
        cq.synchronize()
        acc = dev.machine.acc.copy()
        return unpack_c(cb.read(np.int8), m, n, config), acc


@pytest.mark.parametrize("k_blocks", [63, 64, 65, 128])
@pytest.mark.parametrize("value", [-128, 127])
def test_worst_case_magnitudes_around_the_float32_bound(k_blocks, value):
    """All operands at the extreme: the sum of |products| crosses 2^24 at K = 1024."""
    cfg = Config()
    k = 16 * k_blocks
    a = np.full((16, k), value, dtype=np.int8)
    w = np.full((16, k), -128, dtype=np.int8)
    w[1::2] = 127
    got, acc = _run(a, w, cfg, MatmulTiles(tm=16, tn=1, tk=k_blocks))
    ref = a.astype(np.int64) @ w.astype(np.int64).T
    assert np.array_equal(got, ref.astype(np.int8))
    full = acc[:16, 0, :]  # the last output tile (n block 0..0) holds column block 0 of all 16 rows
    assert np.array_equal(full.astype(np.int64), (ref[:, -16:]).astype(np.int32).astype(np.int64))


def test_exact_dtype_bound_edges():
    x = np.full((4, 16), -128, dtype=np.int8)
    w = np.full((4, 16), -128, dtype=np.int8)
    assert _exact_dtype(x, w, FLOAT32_EXACT // (128 * 128)) == np.float32  # exactly 2^24: representable
    assert _exact_dtype(x, w, FLOAT32_EXACT // (128 * 128) + 1) == np.float64
    small = np.ones((4, 16), dtype=np.int8)
    assert _exact_dtype(small, small, 1 << 20) == np.float32  # data bound, not the int8 worst case


def test_int32_wrap_on_accumulation():
    """GEMM adds into ACC with 32-bit wrap: ACC preloaded near 2^31 overflows like the hardware."""
    from vta.isa import MemType, Stage
    from vta.jit import KernelBuilder

    cfg = Config()
    rng = np.random.default_rng(3)
    x = rng.integers(100, 128, (1, 16), dtype=np.int8)
    w = rng.integers(100, 128, (16, 16), dtype=np.int8)
    start = np.full((1, 16), (1 << 31) - 1000, dtype=np.int32)
    with open_device("fsim", cfg) as dev:
        cq = CommandQueue(dev)
        xb, wb, ab = (DeviceBuffer.from_array(dev, v) for v in (x, w, start))
        cq.load_2d(MemType.INP, 0, xb, 0, 1, 1, 1)
        cq.load_2d(MemType.WGT, 0, wb, 0, 1, 1, 1)
        cq.dep_push(Stage.LOAD, Stage.COMPUTE)
        cq.dep_pop(Stage.LOAD, Stage.COMPUTE)
        cq.load_2d(MemType.ACC, 0, ab, 0, 1, 1, 1)
        cq.push_gemm(KernelBuilder.gemm().uop(0, 0, 0).build())
        cq.synchronize()
        got = dev.machine.acc[0].astype(np.int64)
        out = dev.machine.out[0].copy()
    total = start.astype(np.int64) + x.astype(np.int64) @ w.astype(np.int64).T
    wrapped = (total + (1 << 31)) % (1 << 32) - (1 << 31)
    assert (total > (1 << 31) - 1).all()  # the case really overflows
    assert np.array_equal(got, wrapped)
    assert np.array_equal(out, (wrapped & 0xFF).astype(np.uint8).view(np.int8))
