"""The loop IR, the pass pipeline and what each pass establishes, checked on compiled operators."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from vta.compiler import ops, pass_stream, pipeline
from vta.compiler.codegen import ALU, GEMM, LOAD, POP, PRELOAD, PUSH, Program
from vta.compiler.expr import emax, emin, floordiv, mod, var
from vta.compiler.loop_ir import Contract, Copy, Elementwise, Fill, For, walk
from vta.compiler.stream import SLoad, SNest, SStore, SSync
from vta.isa.config import Config
from vta.isa.opcodes import MemType, Stage
from vta.jit import open_device

from . import ops_reference as ref
from .dependency_checker import check_dependencies

SEED = 7


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def _rand(rng, shape):
    return rng.integers(-128, 128, shape, dtype=np.int8)


# ---------------------------------------------------------------------- expressions
def test_expressions_fold_to_affine_normal_form():
    h, t = var("h_o"), var("t")
    e = (h * 2 + t) * 2 - 1
    assert str(e) == "h_o*4 + t*2 - 1"
    assert e.coef("h_o") == 4 and e.coef("t") == 2 and e.const == -1
    assert e.subst({"t": 1}) == h * 4 + 1
    assert e.evaluate({"h_o": 3, "t": 1}) == 13
    assert str(emin(4, 56 - h * 4)) == "min(4, 56 - h_o*4)"
    assert emax(3, 5) == 5 and emin(h + 2, h + 7) == h + 2
    assert floordiv(h * 8 + 4, 4) == h * 2 + 1 and mod(h * 8 + 5, 4) == 1
    assert floordiv(h, 3).evaluate({"h_o": 7}) == 2 and mod(h, 3).evaluate({"h_o": 7}) == 1


# ---------------------------------------------------------------------- pipeline and IR
def test_pipeline_is_a_printable_list_of_documented_passes():
    text = pipeline.describe()
    names = [p.__name__ for p in pipeline.PIPELINE]
    assert names == ["inject_virtual_threads", "inject_dma", "tensorize_gemm", "tensorize_alu", "fold_uop_loops",
                     "lower_to_stream", "pipeline_virtual_threads", "sink_static_loads", "split_synchronize",
                     "assign_sram_slots", "build_kernels", "insert_dependency_tokens", "codegen"]
    for p in pipeline.PIPELINE:
        assert p.__doc__ and p.__name__ in text
        if p is not pipeline.codegen:
            assert "Establishes" in p.__doc__ or p is pipeline.LOWER



def test_ir_before_and_after_the_loop_passes(interleaved):
    rng = np.random.default_rng(SEED)
    # a bias beyond MIN-init's reach (32640 for >> 8 into [0, 127]), within the one-cycle GEMM form's
    conv = ops.conv2d(_rand(rng, (64, 64, 3, 3)), np.full(64, 40000, np.int32), input_shape=(1, 64, 56, 56), padding=1,
                      epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
                      tiles=ops.Tiles(h=4, w=56, co=4, ci=2, vthreads=2))
    before = conv.scheduled_text()
    assert "vthread t in 0..2" in before and "acc[t]" in before and "(zero pad h,w)" in before
    assert "b<1, j<16, k<16" in before  # the scalar lanes tensorization matches against the GEMM intrinsic
    after = conv.ir_text()
    assert "vthread t" not in after and "acc[0]" in after and "acc[1]" in after
    assert "LOAD INP" in after and "pad=(max(0, " in after and "STORE OUT" in after
    assert "GEMM reset" in after and "ALU SHR loops[e<" in after
    assert "+ bias (GEMM: ones . bias block)" in after
    stmts = list(walk(conv.result.ir.body))
    assert not any(isinstance(s, (Copy, Contract, Fill, Elementwise)) for s in stmts)
    assert not any(isinstance(s, For) and s.kind == "vthread" for s in stmts)
    # virtual threads interleave: both threads' loads of a reduction step come before either GEMM
    prog = conv.program_text().splitlines()
    first_load = next(i for i, line in enumerate(prog) if "load_2d  INP" in line)
    first_gemm = next(i for i, line in enumerate(prog) if "push_gemm" in line and i > first_load)
    assert sum("load_2d  INP" in line for line in prog[:first_gemm]) == 4  # 2 threads x 2 channel blocks
    # ... thread by thread: thread 0's input and weights are signalled before thread 1's input loads
    inp_loads = [i for i, line in enumerate(prog) if "load_2d  INP" in line]
    first_signal = next(i for i, line in enumerate(prog) if "dep_push load -> compute" in line)
    assert inp_loads[1] < first_signal < inp_loads[2]
    # sink_static_loads: the bias blocks load after the first tile's GEMMs, just before the bias GEMM
    bias_load = next(i for i, line in enumerate(prog) if "biasw+0" in line)
    assert first_gemm < bias_load and "push_alu" in prog[bias_load - 1]


def test_virtual_threads_run_their_tails_in_turn_and_init_before_their_first_gemm(interleaved):
    """A thread's tail ALU ops are contiguous in the compute queue and its store waits only for them, so it
    overlaps the other thread's tail; on each thread's last tile, split into parts (`schedule_parts.chunked_tail`),
    a part's store waits only for that part's ops; thread 1's MIN-init follows thread 0's first GEMM of the tile."""
    rng = np.random.default_rng(SEED)
    conv = ops.conv2d(_rand(rng, (64, 32, 1, 1)), rng.integers(-2000, 2000, 64).astype(np.int32),
                      input_shape=(1, 32, 28, 28), stride=2, epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
                      tiles=ops.Tiles(h=2, w=14, co=4, ci=1, vthreads=2), min_init=True)
    stream = conv.result.stream.ops
    compute = [(i, op) for i, op in enumerate(stream) if isinstance(op, SNest) and not op.reset]

    def kind(op) -> str:
        return "gemm" if op.mode == "gemm" else "init" if op.imm is None else "tail"

    labels = [(kind(op), op.dst.block.index, op.part) for _, op in compute]
    assert {t for _, t, _ in labels} == {0, 1}
    # tails: every maximal run of one thread's tail ops is that thread's whole tail (SHR, MAX, MIN), on the last
    # tile of each thread once per part, parts in order
    runs: list[list[tuple[int, int]]] = []
    for (k, t, p), (k0, t0, _) in zip(labels, [(None, None, None)] + labels):
        if k == "tail":
            if k0 == "tail" and t0 == t:
                runs[-1].append((t, p))
            else:
                runs.append([(t, p)])
    whole = [[(t, 0)] * 3 for t in (0, 1, 0, 1, 0)]
    parts = [[(t, p) for p in (1, 2, 3, 4) for _ in range(3)] for t in (1, 0)]  # co=4: one block per part
    assert runs == whole + parts  # 7 row tiles, the last on thread 0
    # each store waits for its thread's last tail op of its tile or part, which precedes the other thread's tail
    # (and, on a split tile, the thread's next part)
    pos = {i: n for n, (i, _) in enumerate(compute)}
    stores = [op for op in stream if isinstance(op, SStore)]
    assert len(stores) == 5 + 2 * 4
    waited_parts: dict[int, list[int]] = {0: [], 1: []}
    for st in stores:
        last = max(w for w in st.waits if w in pos)
        k, t, p = labels[pos[last]]
        assert k == "tail" and t == st.block.index
        after = labels[pos[last] + 1:pos[last] + 2]
        assert not after or after[0] != ("tail", t, p)
        waited_parts[t].append(p)
    assert waited_parts == {0: [0, 0, 0, 1, 2, 3, 4], 1: [0, 0, 1, 2, 3, 4]}
    # inits: thread 0's comes before its first GEMM, thread 1's between thread 0's and its own first GEMM
    for n, (k, t, _) in enumerate(labels):
        if k == "init":
            assert labels[n + 1] == ("gemm", t, 0)
            if t == 1:
                assert labels[n - 1] == ("gemm", 0, 0)


# ---------------------------------------------------------------------- dependency tokens
def _token_cases():
    rng = np.random.default_rng(SEED)
    tail = (ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))
    yield "conv", lambda cfg: ops.conv2d(_rand(rng, (40, 24, 3, 3)), np.arange(40, dtype=np.int32),
                                         input_shape=(cfg.batch, 24, 11, 9), stride=2, padding=1, epilogue=tail,
                                         config=cfg), ()
    yield "resid", lambda cfg: ops.conv2d(_rand(rng, (32, 32, 1, 1)), None, input_shape=(cfg.batch, 32, 8, 8),
                                          epilogue=(ops.Shr(5), ops.AddResidual()), config=cfg), ("res",)
    yield "group", lambda cfg: ops.conv2d(_rand(rng, (64, 1, 3, 3)), None, input_shape=(1, 64, 9, 9), padding=1,
                                          groups=64, epilogue=(ops.Shr(3),), config=cfg), ()
    yield "convT", lambda cfg: ops.conv2d_transpose(_rand(rng, (32, 16, 4, 4)), None, input_shape=(1, 32, 5, 5),
                                                    stride=2, padding=1, epilogue=(ops.Shr(8),), config=cfg), ()
    yield "dense", lambda cfg: ops.dense(_rand(rng, (96, 80)), None, input_shape=(9, 80), epilogue=(ops.Shr(7),),
                                         config=cfg), ()
    yield "pool", lambda cfg: ops.max_pool2d(input_shape=(1, 48, 15, 15), kernel=3, stride=2, padding=1, config=cfg), ()
    yield "add", lambda cfg: ops.add(shape=(3, 50, 41), epilogue=(ops.Shr(1),), config=cfg), ("b",)


@pytest.mark.parametrize("preset", ["default", "1x32x32", "4x16x16"])
def test_every_cross_stage_conflict_is_ordered_by_tokens(preset):
    cfg = Config.load(preset)
    rng = np.random.default_rng(SEED)
    with open_device("fsim", cfg) as dev:
        for name, make, extra in _token_cases():
            op = make(cfg)
            args = [_rand(rng, op.input_shape)]
            kwargs = {}
            if "res" in extra:
                kwargs["residual"] = _rand(rng, op.output_shape)
            if "b" in extra:
                args.append(_rand(rng, op.input_shape))
            op.run(dev, *args, **kwargs)
            checked = check_dependencies(dev, op.last_program(dev))
            assert checked > 0, name


def test_dependency_checker_catches_a_missing_token(fsim):
    rng = np.random.default_rng(SEED)
    conv = ops.conv2d(_rand(rng, (64, 64, 3, 3)), None, input_shape=(1, 64, 14, 14), padding=1,
                      epilogue=(ops.Shr(8),), tiles=ops.Tiles(h=7, w=14, co=2, ci=2))
    x = _rand(rng, (1, 64, 14, 14))
    good = conv.run(fsim, x)
    check_dependencies(fsim, conv.last_program(fsim))
    segs = copy.deepcopy(conv.program.segments)
    seg = segs[0]
    push = next(i for i, c in enumerate(seg) if c[0] == PUSH and c[1] == Stage.LOAD)
    pop = next(i for i, c in enumerate(seg) if c[0] == POP and c[1] == Stage.LOAD)
    del seg[max(push, pop)], seg[min(push, pop)]
    conv.program = Program(conv.program.name, segs)
    assert np.array_equal(conv.run(fsim, x), good)  # fsim runs in program order: the result does not change
    with pytest.raises(AssertionError, match="no token ordering them"):
        check_dependencies(fsim, conv.last_program(fsim))


# ---------------------------------------------------------------------- memory planning
def test_weights_that_fit_are_loaded_once(fsim):
    rng = np.random.default_rng(SEED)
    w = _rand(rng, (64, 64, 3, 3))
    conv = ops.conv2d(w, None, input_shape=(1, 64, 56, 56), padding=1, epilogue=(ops.Shr(8),),
                      tiles=ops.Tiles(h=2, w=56, co=4, ci=4))
    x = _rand(rng, (1, 64, 56, 56))
    y = conv.run(fsim, x)
    assert np.array_equal(y, (ref.conv2d(x, w, (1, 1), (1, 1)) >> 8).astype(np.int8))
    assert conv.last_stats.wgt_load_nbytes == w.size  # 144 blocks of 256 bytes, once, for 28 tiles


def test_consecutive_blocks_alternate_slots_so_loads_overlap_gemms():
    rng = np.random.default_rng(SEED)
    for co, ci, h, tiles in [(512, 512, 7, ops.Tiles(h=7, w=7, co=32, ci=1, vthreads=1)),
                             (256, 256, 14, ops.Tiles(h=14, w=14, co=8, ci=2, vthreads=1))]:
        conv = ops.conv2d(_rand(rng, (co, ci, 3, 3)), None, input_shape=(1, ci, h, h), padding=1, tiles=tiles)
        steps = []  # (INP block base, WGT block base) per reduction step: [INP DMAs...] then one WGT DMA
        inp: list[int] = []
        for c in conv.program.segments[0]:
            if c[0] == LOAD and c[1] == MemType.INP:
                inp.append(c[2])
            elif c[0] == LOAD and c[1] == MemType.WGT:
                steps.append((min(inp), c[2]))
                inp = []
        assert len(steps) > 8
        for (i0, w0), (i1, w1) in zip(steps, steps[1:]):
            assert i0 != i1 and w0 != w1, f"a load targets the slot the previous GEMM reads: {steps[:6]}"


# ---------------------------------------------------------------------- kernels
def _classify_ok(kernel) -> bool:
    """Every loop/uop axis is a row (moves ACC not WGT), column (ACC+WGT, not INP) or reduction (not ACC) axis."""
    from vta.isa.fsim.gemm import affine_axes

    cols = np.stack([kernel.dst, kernel.src, kernel.wgt], axis=1)
    found = affine_axes(cols) if len(cols) > 1 else (cols[0], [])
    if found is None:
        return False
    axes = [(lp.extent, lp.dst, lp.src, lp.wgt) for lp in kernel.loops]
    axes += [(a.extent, a.dst, a.src, a.wgt) for a in found[1]]
    for ext, d, s, w in axes:
        if ext <= 1:
            continue
        if not ((d and not w) or (d and not s and w) or not d):
            return False
    return True


def test_gemm_kernels_are_affine_grids_of_row_column_reduction_axes():
    rng = np.random.default_rng(SEED)
    made = [
        ops.conv2d(_rand(rng, (64, 64, 3, 3)), None, input_shape=(1, 64, 28, 28), padding=1),
        ops.conv2d(_rand(rng, (128, 64, 1, 1)), None, input_shape=(1, 64, 28, 28), stride=2),
        ops.conv2d(_rand(rng, (64, 2, 3, 3)), None, input_shape=(1, 64, 14, 14), padding=1, groups=32),
        ops.conv2d_transpose(_rand(rng, (64, 32, 4, 4)), None, input_shape=(1, 64, 8, 8), stride=2, padding=1),
        ops.dense(_rand(rng, (128, 256)), None, input_shape=(4, 256)),
    ]
    for op in made:
        for k in op.program.kernels():
            for lag in (1, 2):  # the pipeline hazard rule
                assert not np.any(k.dst[lag:] == k.dst[:-lag])
            if k.mode == "gemm" and not k.reset:
                assert _classify_ok(k), f"{op.kind}: {k.describe()}"


def test_kernels_with_the_same_micro_ops_share_one_copy(fsim):
    """build_kernels keys kernels by their micro-ops: a tile's reset, SHR, MAX and MIN load once."""
    rng = np.random.default_rng(SEED)
    w, b = _rand(rng, (128, 64, 1, 1)), rng.integers(-999, 999, 128).astype(np.int32)
    x = _rand(rng, (1, 64, 28, 28))
    conv = ops.conv2d(w, b, input_shape=x.shape, stride=2, epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
                      tiles=ops.Tiles(h=7, w=14, co=8, ci=2, vthreads=2))
    calls = [c for seg in conv.program.segments for c in seg if c[0] in (GEMM, ALU)]
    distinct = {id(c[1]) for c in calls}
    shared = {c[1].key for c in calls}
    assert len(shared) < len(distinct)  # different instructions, one set of micro-op words
    by_key = {}
    for c in calls:
        by_key.setdefault(c[1].key, set()).add((c[1].mode, c[1].reset, int(c[1].alu_opcode), c[1].imm))
    assert any(len(v) >= 4 for v in by_key.values())  # reset, SHR 8, MAX 0, MIN 127 of one accumulator region
    for k in conv.program.kernels():
        same = [c[1] for c in calls if c[1].key == k.key]
        assert all(np.array_equal(o.dst, k.dst) and np.array_equal(o.src, k.src) and np.array_equal(o.wgt, k.wgt)
                   for o in same)
    y = conv.run(fsim, x)
    want = ref.upstream_tail(ref.conv2d(x, w, (2, 2), (0, 0)), b)
    assert np.array_equal(y, want)


def test_segments_preload_their_kernels_before_the_first_load(fsim):
    """codegen: one preload of every kernel (a single LOAD UOP) and the ACC constant loads, then a token the first
    INP/WGT load waits for."""
    rng = np.random.default_rng(SEED)
    w, b = _rand(rng, (64, 32, 3, 3)), rng.integers(-999, 999, 64).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=(1, 32, 12, 12), padding=1, epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)))
    for seg in conv.program.segments:
        keys = [c[1].key for c in seg if c[0] in (GEMM, ALU)]
        assert seg[0][0] == PRELOAD and [k.key for k in seg[0][1]] == list(dict.fromkeys(keys))
        n = 1 + next(i for i, c in enumerate(seg[1:]) if not (c[0] == LOAD and c[1] == MemType.ACC))
        assert seg[n] == (PUSH, Stage.COMPUTE, Stage.LOAD)  # after the preload and the leading ACC constants
        assert not (seg[n + 1][0] == LOAD and seg[n + 1][1] == MemType.ACC)
        first_load = next(i for i, c in enumerate(seg) if c[0] == LOAD and c[1] in (MemType.INP, MemType.WGT))
        assert seg[first_load - 1] == (POP, Stage.COMPUTE, Stage.LOAD)
    assert "preload  k0 k1" in conv.program_text()
    x = _rand(rng, (1, 32, 12, 12))
    conv.run(fsim, x)
    assert conv.last_stats.uop_load_nbytes == 4 * sum(len(k) for k in conv.program.kernels())  # each loaded once
    uop_loads = [i for i in conv.last_program(fsim) if getattr(i, "memory_type", None) == MemType.UOP and i.x_size]
    assert len(uop_loads) == 1  # the last segment's kernels come in one LOAD UOP


# ---------------------------------------------------------------------- segments
def test_long_streams_are_split_into_synchronize_segments(fsim, monkeypatch):
    monkeypatch.setattr(pass_stream, "SEGMENT_INSNS", 60)
    rng = np.random.default_rng(SEED)
    w = _rand(rng, (32, 48, 3, 3))
    b = rng.integers(-999, 999, 32).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=(1, 48, 20, 20), padding=1,
                      epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
                      tiles=ops.Tiles(h=2, w=20, co=1, ci=1, vthreads=2))
    assert len(conv.program.segments) > 3
    x = _rand(rng, (1, 48, 20, 20))
    y = conv.run(fsim, x)
    assert np.array_equal(y, ref.upstream_tail(ref.conv2d(x, w, (1, 1), (1, 1)), b))
    assert conv.last_stats.insns_by_opcode["FINISH"] == len(conv.program.segments)
    check_dependencies(fsim, conv.last_program(fsim))  # the last segment


def test_edge_tiles_that_do_not_divide_the_layer(fsim):
    rng = np.random.default_rng(SEED)
    w = _rand(rng, (40, 36, 3, 3))
    x = _rand(rng, (1, 36, 13, 17))
    for tiles in [ops.Tiles(h=5, w=7, co=2, ci=2, vthreads=2), ops.Tiles(h=4, w=17, co=3, ci=1, vthreads=1,
                                                                             order="channel")]:
        conv = ops.conv2d(w, None, input_shape=x.shape, stride=(1, 2), padding=(1, 2), epilogue=(ops.Shr(8),),
                          tiles=tiles)
        assert np.array_equal(conv.run(fsim, x), (ref.conv2d(x, w, (1, 2), (1, 2)) >> 8).astype(np.int8))
        assert len({k.key for k in conv.program.kernels() if k.mode == "gemm"}) > 1  # edge tiles have own kernels
    assert GEMM != LOAD


def test_alu_tensorization_of_named_elementwise_ops(fsim):
    """shl, clip, relu, copy (in place and from another ACC region) expand to the ALU's opcodes."""
    from vta.compiler.expr import as_expr
    from vta.compiler.loop_ir import Access, Axis, Elementwise, Func, Ref, UopNest
    from vta.compiler.pass_tensorize import tensorize_alu

    e = (Axis("e", as_expr(8), 8),)
    acc = Access(Ref("acc"), as_expr(0), (("e", as_expr(1)),))
    other = Access(Ref("acc"), as_expr(8), (("e", as_expr(1)),))
    body = (Elementwise("shl", e, acc, imm=3), Elementwise("clip", e, acc, imm=(-5, 9)), Elementwise("relu", e, acc),
            Elementwise("copy", e, acc), Elementwise("copy", e, acc, src=other))
    out = tensorize_alu(Func("t", (), (), body)).body
    got = [(n.alu_op, n.imm, n.src is not None) for n in out if isinstance(n, UopNest)]
    assert got == [("shr", -3, False), ("max", -5, False), ("min", 9, False), ("max", 0, False), ("shr", 0, False),
                   ("mul", 0, False), ("add", None, True)]
    # and through an operator: the epilogue's Clip, Relu and a left shift, in the IR and on the device
    rng = np.random.default_rng(SEED)
    w = _rand(rng, (16, 16, 1, 1))
    conv = ops.conv2d(w, None, input_shape=(1, 16, 4, 4), epilogue=(ops.Shr(-2), ops.Relu(), ops.Clip(3, 90)))
    text = conv.scheduled_text()
    assert "acc[t][e] << 2" in text or "acc[0][e] << 2" in text
    assert "relu(" in text and "clip(" in text and ", 3, 90)" in text
    x = _rand(rng, (1, 16, 4, 4))
    want = np.clip(np.maximum(ref.wrap32(ref.conv2d(x, w) << 2), 0), 3, 90).astype(np.int8)
    assert np.array_equal(conv.run(fsim, x), want)


def _two_thread_1x1(rng):
    """(conv, weight, bias): a C4-like 1x1 stride-2 MIN-init conv with two virtual threads and many tiles."""
    w, b = _rand(rng, (64, 32, 1, 1)), rng.integers(-999, 999, 64).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=(1, 32, 14, 14), stride=2, min_init=True,
                      epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)),
                      tiles=ops.Tiles(h=2, w=7, co=2, ci=1, vthreads=2))
    return conv, w, b


@pytest.mark.parametrize("order", ["interleaved", "pipelined"])
def test_operands_name_the_position_of_their_load_after_every_stream_pass(order, request, monkeypatch):
    """Passes that reorder the stream (pass_pipeline, sink_static_loads) keep each operand's load_index on
    its load, so split_synchronize's cut test reads true positions (and its SSyncs keep them)."""
    request.getfixturevalue(order)
    monkeypatch.setattr(pass_stream, "SEGMENT_INSNS", 60)
    conv, *_ = _two_thread_1x1(np.random.default_rng(SEED))
    ops_ = conv.result.stream.ops
    assert any(isinstance(op, SSync) for op in ops_)
    checked = 0
    for op in ops_:
        if isinstance(op, SNest):
            for o in (op.src, op.wgt):
                if o is not None and o.load_index >= 0:
                    load = ops_[o.load_index]
                    assert isinstance(load, SLoad) and load.block == o.block
                    checked += 1
    assert checked > 10


def test_pipelined_streams_start_with_both_threads_resets_and_the_acc_constants(pipelined, fsim):
    """pass_pipeline hoists thread 1's leading reset beside thread 0's; sink_static_loads leaves the ACC
    constants (MIN-init values, one copy per bank) ahead of every nest; the result stays bit-exact."""
    rng = np.random.default_rng(SEED)
    conv, w, b = _two_thread_1x1(rng)
    stream = conv.result.stream.ops
    nests = [op for op in stream if isinstance(op, SNest)]
    assert [(n.mode, n.reset, n.dst.block.index) for n in nests[:2]] == [("gemm", True, 0), ("gemm", True, 1)]
    first_nest = stream.index(nests[0])
    acc_loads = [i for i, op in enumerate(stream) if isinstance(op, SLoad) and op.dmas[0].mem == MemType.ACC]
    assert len(acc_loads) == 2 and max(acc_loads) < first_nest
    x = _rand(rng, (1, 32, 14, 14))
    want = ref.upstream_tail(ref.conv2d(x, w, (2, 2), (0, 0)), b)
    assert np.array_equal(conv.run(fsim, x), want)
    check_dependencies(fsim, conv.last_program(fsim))


def test_program_text_names_each_push_by_its_operation():
    """Kernels with equal micro-ops share a key, so the listing names the operation on every push line."""
    rng = np.random.default_rng(SEED)
    w, b = _rand(rng, (32, 32, 1, 1)), rng.integers(-999, 999, 32).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=(1, 32, 8, 8), epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)))
    pushes = [line.split() for line in conv.program_text().splitlines() if line.strip().startswith("push_")]
    ops_named = {" ".join(p[2:]) for p in pushes}
    assert {"ALU SHR imm=8", "GEMM"} <= ops_named and all(p[2] in ("GEMM", "ALU") for p in pushes)
    assert all((p[0] == "push_gemm") == (p[2] == "GEMM") for p in pushes)
