"""Strided convs whose kernel rows are fewer than the row stride load only the rows the taps read.

Each case is bit-exact on fsim against plain numpy, its dependency tokens pass the
independent checker, and the INP LOADs of the compiled stream (decoded from the
instructions, not from the compiler's IR) touch exactly the input rows some tap reads:
every loaded element is in a used row, every used row is loaded, and the elements
loaded are the used rows times the column windows (the tiles keep each input window
resident across output-channel tiles, so nothing else is loaded twice).
"""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler import ops
from vta.isa.config import Config
from vta.isa.insn import MemInsn
from vta.isa.opcodes import MemType, Opcode
from vta.jit import open_device

from . import ops_reference as ref
from .dependency_checker import check_dependencies

SEED = 0x5EED5


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def _used(size: int, k: int, s: int, p: int) -> set[int]:
    """Input positions (in bounds) that some output reads along one dimension."""
    out = (size + 2 * p - k) // s + 1
    return {q * s + m - p for q in range(out) for m in range(k) if 0 <= q * s + m - p < size}


def _input_loads(insns: list) -> list[MemInsn]:
    return [i for i in insns if isinstance(i, MemInsn) and i.opcode == Opcode.LOAD
            and i.memory_type == MemType.INP and i.x_size > 0]


def _loaded_rows(insns: list, shape: tuple[int, ...]) -> tuple[np.ndarray, set[int]]:
    """(element offsets read from DRAM, relative to the first; input rows they lie in) of the INP LOADs."""
    n, c, h, w = shape
    offs = []
    for i in _input_loads(insns):
        rows = i.dram_base + np.arange(i.y_size)[:, None] * i.x_stride + np.arange(i.x_size)[None, :]
        offs.append(rows.reshape(-1))
    flat = np.concatenate(offs)
    flat = flat - flat.min()  # element (0, 0, 0, 0) is read (no padding at the top left)
    return flat, set(int(r) for r in np.unique((flat // w) % h))


# (input shape, out channels, kernel (kh, kw), stride, padding, tiles)
CASES = {
    "1x1 s2": ((1, 32, 14, 14), 32, (1, 1), (2, 2), (0, 0), ops.Tiles(h=2, w=7, co=2, ci=2)),
    "1x1 s2 edge tiles, one thread": ((1, 32, 14, 14), 32, (1, 1), (2, 2), (0, 0),
                                      ops.Tiles(h=3, w=7, co=2, ci=2, vthreads=1)),
    "1x1 s2 two reduction steps": ((1, 32, 14, 14), 16, (1, 1), (2, 2), (0, 0), ops.Tiles(h=4, w=7, co=1, ci=1)),
    "1x1 s2 batch 2": ((2, 16, 10, 10), 16, (1, 1), (2, 2), (0, 0), ops.Tiles(h=5, w=5, co=1, ci=1, batch=2)),
    "1x1 s3": ((1, 32, 13, 13), 16, (1, 1), (3, 3), (0, 0), ops.Tiles(h=2, w=5, co=1, ci=2)),
    "1x1 s3 uneven rows": ((1, 16, 14, 11), 16, (1, 1), (3, 2), (0, 0), ops.Tiles(h=3, w=6, co=1, ci=1)),
    "1x3 row stride 2, padded columns": ((1, 16, 11, 9), 32, (1, 3), (2, 1), (0, 1), ops.Tiles(h=3, w=9, co=2, ci=1)),
    "1x3 row stride 2, column tiles": ((1, 16, 11, 12), 16, (1, 3), (2, 1), (0, 1), ops.Tiles(h=6, w=5, co=1, ci=1)),
    "2x2 s3, whole rows": ((1, 16, 11, 8), 16, (2, 2), (3, 3), (0, 0), ops.Tiles(h=2, w=3, co=1, ci=1)),
}


def _run(fsim, shape, co, kernel, stride, padding, tiles):
    rng = np.random.default_rng(SEED)
    x = rng.integers(-128, 128, shape, dtype=np.int8)
    w = rng.integers(-128, 128, (co, shape[1], *kernel), dtype=np.int8)
    # no bias: its GEMM form would load a constant INP element, which is not input
    conv = ops.conv2d(w, None, input_shape=shape, stride=stride, padding=padding, tiles=tiles,
                      epilogue=(ops.Shr(8), ops.Clip(-100, 100)))
    y = conv.run(fsim, x)
    want = np.clip(ref.conv2d(x, w, stride, padding) >> 8, -100, 100).astype(np.int8)
    assert np.array_equal(y, want), f"seed {SEED:#x}"
    check_dependencies(fsim, conv.last_program(fsim))
    return conv


@pytest.mark.parametrize("name", list(CASES))
def test_strided_conv_loads_only_the_rows_its_taps_read(fsim, name):
    shape, co, kernel, stride, padding, tiles = CASES[name]
    conv = _run(fsim, shape, co, kernel, stride, padding, tiles)
    assert conv.plan.packed_rows, conv.plan.text()
    assert len(conv.program.segments) == 1  # last_program is the whole program
    n, c, h, w = shape
    cfg = conv.spec.config
    flat, rows = _loaded_rows(conv.last_program(fsim), shape)
    used_rows = _used(h, kernel[0], stride[0], padding[0])
    assert rows == used_rows
    # columns are loaded as whole windows (the DMA cannot skip within a row): per column tile,
    # from the first to the last column it reads
    col_sum = 0
    cols = conv.spec.cols
    for q0 in range(0, cols.q_total, conv.plan.tq_w):
        s, e = cols.window(q0, min(conv.plan.tq_w, cols.q_total - q0))
        col_sum += min(s + e, w) - max(s, 0)
    elems = conv.spec.nb * conv.spec.cib * len(used_rows) * col_sum
    assert flat.size == elems
    in_bytes = sum(i.x_size * i.y_size for i in _input_loads(conv.last_program(fsim))) * cfg.inp_elem_bytes
    assert in_bytes == elems * cfg.inp_elem_bytes


def test_the_ir_and_the_dma_skip_rows(fsim):
    shape, co, kernel, stride, padding, tiles = CASES["1x1 s2"]
    conv = _run(fsim, shape, co, kernel, stride, padding, tiles)
    assert "step 2, " in conv.scheduled_text()  # the input region: every other row
    assert "stride=28" in conv.ir_text()  # DRAM rows two tensor rows (2 x 14 elements) apart
    # the GEMM steps one compact row (the 13-column window) per output row, not two
    assert "oh*13" in conv.ir_text() and "oh*26" not in conv.ir_text()
    loads = _input_loads(conv.last_program(fsim))
    assert loads and all(i.x_stride == 2 * shape[3] for i in loads)


@pytest.mark.parametrize("name,shape,kernel,stride,padding,tiles", [
    # rows that need zero padding keep the dense window
    ("1x1 s2 padded rows", (1, 16, 9, 9), (1, 1), (2, 2), (1, 1), ops.Tiles(h=2, w=5, co=1, ci=1)),
    # runs of two rows whose columns are not whole rows: one DMA row would not be contiguous
    ("2x2 s3, partial rows", (1, 16, 11, 9), (2, 2), (3, 3), (0, 0), ops.Tiles(h=2, w=3, co=1, ci=1)),
    # kernel rows = stride: every row is read
    ("2x2 s2", (1, 16, 10, 10), (2, 2), (2, 2), (0, 0), ops.Tiles(h=2, w=5, co=1, ci=1)),
])
def test_other_strided_windows_stay_dense_and_exact(fsim, name, shape, kernel, stride, padding, tiles):
    conv = _run(fsim, shape, 16, kernel, stride, padding, tiles)
    assert not conv.plan.packed_rows


def test_the_search_counts_the_packed_window():
    """C4 (1x1, stride 2): the plan's INP block holds the used rows only, and the model's input bytes drop."""
    rng = np.random.default_rng(SEED)
    w = rng.integers(-128, 128, (128, 64, 1, 1), dtype=np.int8)
    b = rng.integers(-16384, 16384, 128).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=(1, 64, 56, 56), stride=2,
                      epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)))
    plan = conv.plan
    assert plan.packed_rows
    assert plan.in_rows == plan.tq_h  # one row per output row, not 2*h - 1
    assert plan.s_inp == plan.tiles.batch * plan.in_blocks * plan.in_rows * plan.in_cols
