"""Split tails: a tile runs its trailing ALU ops and its store in parts (the last tile of each of two virtual
threads in the interleaved order; every tile, with its MIN-init, in the pipelined order of pass_pipeline).

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
def test_split_tail_is_exact_and_each_part_store_waits_for_its_part_only(fsim, interleaved, name):
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


def test_split_tail_cuts_the_last_tiles_into_at_most_tail_chunks_parts(fsim, interleaved):
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


# ---------------------------------------------------------------------- pipelined tile order (pass_pipeline)

@pytest.mark.parametrize("name", list(CASES))
def test_pipelined_order_is_exact_and_its_tokens_pass_the_checker(fsim, pipelined, name):
    conv, x, want = _conv(CASES[name])
    assert conv.func.attr("tile_order") == "pipelined"
    assert np.array_equal(conv.run(fsim, x), want), f"{name}: seed {SEED:#x}"
    assert check_dependencies(fsim, conv.last_program(fsim)) > 0


def _label(op) -> str:
    if isinstance(op, SStore):
        return "S"
    return "G" if op.mode == "gemm" else "I" if op.imm is None else "T"


def test_pipelined_order_puts_a_tail_before_the_other_threads_gemm_and_its_next_init_after(fsim, pipelined):
    """C4-like 1x1 stride-2 MIN-init conv: per tile f (thread t), the stream runs G_f, then the other thread's
    init parts, then t's tail parts each followed by its store part, then G_{f+1}; init part j waits for the
    store of part j of its thread's previous tile, and every tile's tail is split."""
    rng = np.random.default_rng(SEED)
    shape = (1, 64, 28, 28)
    w = rng.integers(-128, 128, (128, 64, 1, 1), dtype=np.int8)
    b = rng.integers(-16384, 16384, 128).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=shape, stride=2, tiles=ops.Tiles(h=2, w=14, co=8, ci=4), min_init=True,
                      epilogue=TAIL)
    x = rng.integers(-128, 128, shape, dtype=np.int8)
    assert np.array_equal(conv.run(fsim, x), ref.upstream_tail(ref.conv2d(x, w, (2, 2), (0, 0)), b))
    stream = conv.result.stream.ops
    seq = [(i, _label(op), op.block.index if isinstance(op, SStore) else op.dst.block.index, getattr(op, "part", 0))
           for i, op in enumerate(stream) if isinstance(op, SStore) or (isinstance(op, SNest) and not op.reset)]
    gemms = [n for n, (_, k, _, _) in enumerate(seq) if k == "G"]
    assert len(gemms) == 7  # 7 row tiles, alternating threads
    for a, b_ in zip(gemms, gemms[1:]):
        t, u = seq[a][2], seq[b_][2]
        assert t != u
        between = [(k, th, p) for _, k, th, p in seq[a + 1:b_]]
        inits = [e for e in between if e[0] == "I"]
        tails = [e for e in between if e[0] in "TS"]
        assert between == inits + tails  # the other thread's init, then this thread's tail
        assert {th for _, th, _ in inits} <= {u} and {th for _, th, _ in tails} == {t}
        assert [p for k, _, p in tails if k == "T"] == [p for p in range(1, 5) for _ in range(3)]
        assert [k for k, _, _ in tails] == (["T"] * 3 + ["S"]) * 4  # a store after each part
    # each init part of a later tile waits (among stores) only for its own part's store
    stores = {i: n for n, (i, k, _, _) in enumerate(seq) if k == "S"}
    for i, k, t, p in seq:
        if k == "I" and stream[i].waits:
            waited = [seq[stores[j]] for j in stream[i].waits if j in stores]
            assert waited and all(th == t for _, _, th, _ in waited)
            part_of_store = [sum(1 for j2 in stores if j2 <= j and stream[j2].block.index == t) for j in stream[i].waits
                             if j in stores]
            assert all((n - 1) % 4 + 1 == p for n in part_of_store)
