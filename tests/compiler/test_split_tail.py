"""The last tile of each of two virtual threads runs its trailing ALU ops and its store in parts.

Each case is bit-exact on fsim against plain numpy, its dependency tokens pass the
independent checker, and on the tokenized stream each part's store waits (pops) only
for the compute op that ends its own part's ALU ops: not for a later part's.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from vta.compiler import ops
from vta.compiler.schedule_conv import TAIL_CHUNKS
from vta.compiler.stream import SNest, SStore
from vta.isa.config import Config
from vta.jit import open_device

from . import ops_reference as ref
from .dependency_checker import check_dependencies

SEED = 0x7A11

TAIL = (ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))
# name: input shape, out channels, kernel, stride, padding, tiles, min_init
CASES = {
    "1x1 s2, MIN-init": ((1, 32, 14, 14), 64, 1, 2, 0, ops.Tiles(h=4, w=7, co=2, ci=2), True),
    "1x1 s2, GEMM bias": ((1, 32, 14, 14), 64, 1, 2, 0, ops.Tiles(h=7, w=7, co=2, ci=1), False),
    "3x3, edge tiles": ((1, 16, 11, 13), 48, 3, 1, 1, ops.Tiles(h=4, w=13, co=3, ci=1), None),
    "3x3, one row per tile": ((1, 16, 9, 9), 16, 3, 1, 1, ops.Tiles(h=1, w=9, co=1, ci=1), None),
    "batch 2": ((2, 16, 8, 8), 32, 3, 1, 1, ops.Tiles(h=4, w=8, co=2, ci=1, batch=2), None),
}


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def _conv(case):
    shape, co, k, stride, pad, tiles, min_init = case
    rng = np.random.default_rng(SEED)
    x = rng.integers(-128, 128, shape, dtype=np.int8)
    w = rng.integers(-128, 128, (co, shape[1], k, k), dtype=np.int8)
    b = rng.integers(-16384, 16384, co).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=shape, stride=stride, padding=pad, tiles=tiles, min_init=min_init,
                      epilogue=TAIL)
    return conv, x, ref.upstream_tail(ref.conv2d(x, w, (stride, stride), (pad, pad)), b)


def _parts(ops_: list) -> list[tuple[int, list[int]]]:
    """(store index, indices of its part's ALU ops) for every store that follows part ALU ops."""
    out, pending = [], []
    for i, op in enumerate(ops_):
        if isinstance(op, SNest) and op.part:
            pending.append(i)
        elif isinstance(op, SStore) and pending:
            out.append((i, pending))
            pending = []
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_split_tail_is_exact_and_each_part_store_waits_for_its_part_only(fsim, name):
    conv, x, want = _conv(CASES[name])
    assert np.array_equal(conv.run(fsim, x), want), f"{name}: seed {SEED:#x}"
    assert check_dependencies(fsim, conv.last_program(fsim)) > 0
    stream = conv.result.stream.ops
    parts = _parts(stream)
    assert len(parts) >= 2, conv.ir_text()
    assert "part 1/" in conv.ir_text() and re.search(r"\]\[\d+:\] -> out\[", conv.scheduled_text())
    for store, alu in parts:
        assert stream[store].waits, f"{name}: store at {store} waits for nothing"
        # the store waits for its own part's last ALU op, not for one of a later part
        assert max(stream[store].waits) == alu[-1], f"{name}: store {store} waits {stream[store].waits}, part {alu}"
    # a part's store is emitted before the next part's ALU ops, which it overlaps
    for (s0, _), (_, alu1) in zip(parts, parts[1:]):
        assert s0 < alu1[0]


def test_split_tail_cuts_the_last_tiles_into_at_most_tail_chunks_parts(fsim):
    conv, x, _ = _conv(CASES["1x1 s2, MIN-init"])
    stream = conv.result.stream.ops
    per_tile = {}
    for op in stream:
        if isinstance(op, SNest) and op.part:
            per_tile.setdefault(op.dst.block.index, set()).add(op.part)
    assert set(per_tile) == {0, 1}  # the last tile of each thread
    assert all(max(p) == min(TAIL_CHUNKS, 2) for p in per_tile.values())  # co=2: cut along the channel blocks


def test_one_virtual_thread_does_not_split(fsim):
    shape, co, k, stride, pad, tiles, mi = CASES["1x1 s2, GEMM bias"]
    conv, x, want = _conv((shape, co, k, stride, pad, ops.Tiles(h=7, w=7, co=2, ci=1, vthreads=1), mi))
    assert np.array_equal(conv.run(fsim, x), want)
    assert not any(isinstance(op, SNest) and op.part for op in conv.result.stream.ops)
