"""The cost model: exact work counts, the tile search's feasibility, prediction vs measurement, measuring,
the compute stage's dual issue on hand-built streams."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vta.compiler import ops
from vta.compiler.cost_model import CostParams, roofline_cycles, search
from vta.compiler.stream_timing import simulate
from vta.compiler.stream import Block, Operand, SDma, SLoad, SNest, SStore, SSync, Stream
from vta.compiler.tiling import make_plan
from vta.isa.config import Config
from vta.isa.opcodes import AluOp, MemType, Stage
from vta.jit import open_device
from vta.jit.kernel import KernelBuilder, Loop


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def _conv(rng, shape, co, k, **kw):
    w = rng.integers(-128, 128, (co, shape[1] // kw.get("groups", 1), k, k), dtype=np.int8)
    b = rng.integers(-100, 100, co).astype(np.int32)
    return ops.conv2d(w, b, input_shape=shape, epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)), **kw)


def test_program_work_counts_equal_what_the_device_counts(fsim):
    """The model is fed exact counts: micro-ops, bytes per memory type and instructions match fsim's RunStats."""
    rng = np.random.default_rng(11)
    made = [_conv(rng, (1, 64, 28, 28), 128, 3, stride=2, padding=1), _conv(rng, (1, 32, 9, 9), 48, 1),
            _conv(rng, (1, 64, 10, 10), 64, 3, padding=1, groups=8),
            ops.dense(rng.integers(-128, 128, (100, 300), dtype=np.int8), None, input_shape=(7, 300))]
    for op in made:
        op.run(fsim, rng.integers(-128, 128, op.input_shape, dtype=np.int8))
        s, w = op.last_stats, op.work
        assert (s.gemm_uops, s.gemm_reset_uops, s.alu_uops) == (w["gemm_uops"], w["gemm_reset_uops"], w["alu_uops"])
        assert (s.inp_load_nbytes, s.wgt_load_nbytes, s.acc_load_nbytes, s.out_store_nbytes) == \
            (w["inp_bytes"], w["wgt_bytes"], w["acc_bytes"], w["out_bytes"])
        assert s.uop_load_nbytes == w["uop_bytes"]
        assert s.gemm_uops == op.spec.gemm_uops + op.epilogue_gemm_uops
        text = op.compare_text()
        assert "predicted" in text and "measured on fsim" in text


@pytest.mark.parametrize("preset", ["default", "1x32x32", "4x16x16"])
def test_searched_tiles_fit_the_buffers(preset):
    cfg = Config.load(preset)
    rng = np.random.default_rng(12)
    for shape, co, k, kw in [((1, 64, 56, 56), 64, 3, dict(padding=1)), ((1, 512, 7, 7), 512, 3, dict(padding=1)),
                             ((1, 256, 14, 14), 512, 1, dict(stride=2)),
                             ((1, 128, 28, 28), 128, 3, dict(padding=1, groups=8))]:
        op = _conv(rng, shape, co, k, config=cfg, **kw)
        cands = search(op.spec, alu_steps=3, bias=True, residual=False, top=20)
        assert cands.tiles
        for t in cands.tiles:
            plan = make_plan(op.spec, t, bias=True, residual=False)
            assert plan.inp_slots * plan.s_inp <= cfg.inp_depth
            assert plan.wgt_slots * plan.s_wgt <= cfg.wgt_depth
            assert t.vthreads * plan.s_acc + op.spec.cob <= cfg.acc_depth
        assert list(cands.cycles) == sorted(cands.cycles) or len(set(cands.cycles)) > 1


def test_roofline_bound_of_resnet_c2_is_its_gemm_count():
    rng = np.random.default_rng(13)
    op = _conv(rng, (1, 64, 56, 56), 64, 3, padding=1)
    assert roofline_cycles(op.spec) == 451584 == op.spec.gemm_uops
    op = _conv(rng, (1, 256, 14, 14), 512, 1, stride=2)  # C10: the model counts only the pixels read
    n_in, n_w, n_out = 7 * 7 * 256, 512 * 256, 7 * 7 * 512
    assert roofline_cycles(op.spec) == max(25088, (n_in + n_w + n_out) / 8)


def test_measure_tiles_runs_the_best_candidates(fsim):
    rng = np.random.default_rng(14)
    w = rng.integers(-128, 128, (64, 64, 3, 3), dtype=np.int8)
    conv = ops.conv2d(w, None, input_shape=(1, 64, 14, 14), padding=1, epilogue=(ops.Shr(8),),
                      tiles=ops.MeasureTiles(fsim, top=3))
    assert 1 <= len(conv.tuning) <= 3
    assert all(r["measured_cycles"] is None for r in conv.tuning)  # fsim counts, it has no clock
    assert min(r["score"] for r in conv.tuning) == next(r["score"] for r in conv.tuning if r["tiles"] == conv.tiles)
    assert "predicted" in conv.tuning_text()
    x = rng.integers(-128, 128, (1, 64, 14, 14), dtype=np.int8)
    assert conv.run(fsim, x).shape == (1, 64, 14, 14)


def test_src_repeats_counts_consecutive_micro_ops_on_one_src():
    """Against a plain walk of the execution order: outer loop, inner loop, micro-ops."""
    from vta.compiler.stream_timing import src_repeats
    from vta.isa.opcodes import AluOp
    from vta.jit.kernel import KernelBuilder

    rng = np.random.default_rng(15)
    for _ in range(200):
        kb = KernelBuilder.alu(AluOp.MIN)
        loops = [(int(rng.integers(1, 5)), int(rng.integers(0, 3)) * int(rng.integers(0, 2)))
                 for _ in range(int(rng.integers(0, 3)))]
        for ext, src in loops:
            kb.loop(ext, dst=50, src=src)
        n = int(rng.integers(1, 5))
        src = rng.integers(0, 3, n)
        kb.uops(dst=np.arange(n) * 7, src=src, wgt=np.zeros(n, np.int64))
        k = kb.build()
        walk = []
        ext = [e for e, _ in loops] + [1] * (2 - len(loops))
        step = [s for _, s in loops] + [0] * (2 - len(loops))
        for i in range(ext[0]):
            for j in range(ext[1]):
                walk += [int(s) + i * step[0] + j * step[1] for s in src]
        want = sum(a == b for a, b in zip(walk[1:], walk[:-1]))
        assert src_repeats(k) == want, (loops, list(src))


def test_min_init_lowers_the_prediction_of_a_1x1_stride2_layer():
    """C4: reset + bias GEMM (2 cycles per vector) vs one MIN whose src repeats over a channel's pixels."""
    rng = np.random.default_rng(16)
    w = rng.integers(-128, 128, (128, 64, 1, 1), dtype=np.int8)
    tail = (ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))
    fold = ops.conv2d(w, rng.integers(-16384, 16384, 128).astype(np.int32), input_shape=(1, 64, 56, 56), stride=2,
                      epilogue=tail)
    gemm = ops.conv2d(w, np.full(128, 40000, np.int32), input_shape=(1, 64, 56, 56), stride=2, epilogue=tail)
    assert fold.min_init is not None and gemm.min_init is None and gemm.bias_gemm
    # one micro-op cycle per vector saved, less the prologue's one reset of both accumulator regions
    saved = gemm.prediction.compute_cycles - fold.prediction.compute_cycles
    assert saved > fold.spec.out_elems - 2 * fold.plan.s_acc - 1000
    assert fold.predicted_cycles < gemm.predicted_cycles
    spec = fold.spec
    a = search(spec, alu_steps=3, bias=True, residual=False, bias_gemm=True, top=1)
    b = search(spec, alu_steps=3, bias=True, residual=False, min_init=True, top=1)
    assert b.cycles[0] < a.cycles[0]


# ---------------------------------------------------------------------- dual issue on hand-built streams
# Config(): acc_depth 2048, so ACC bank 1 starts at index 1024; bus 8 B/cycle.
DI = CostParams(insn_cycles=10, dispatch_cycles=10, dma_cycles=20)
SI = dataclasses.replace(DI, dual_issue=False)
B0, B1 = 0, 1024  # an ACC index in bank 0, in bank 1


def _gemm(dst: int, cycles: int):
    """A GEMM instruction of `cycles` (insn_cycles + one micro-op per iteration) writing from ACC[dst] on."""
    return KernelBuilder.gemm().loop(cycles - DI.insn_cycles, dst=1, src=1).uop(dst=dst).build()


def _alu(dst: int, cycles: int, src: int | None = None):
    """An ALU SHR by an immediate of `cycles`, or with `src` an ADD of ACC[src..] (alu_tensor_cycles per micro-op)."""
    if src is None:
        return KernelBuilder.alu(AluOp.SHR, imm=8).loop(cycles - DI.insn_cycles, dst=1).uop(dst=dst).build()
    n = (cycles - DI.insn_cycles) // int(DI.alu_tensor_cycles)
    return KernelBuilder.alu(AluOp.ADD).loop(n, dst=1, src=1).uop(dst=dst, src=src).build()


def _nest(k, waits=(), push=False) -> SNest:
    return SNest(k.mode, Operand(Block("acc"), 0), None, None, [], (), kernels=[k], waits=list(waits),
                 pushes=[Stage.STORE] if push else [])


def _dma(mem: MemType) -> SDma:
    return SDma(mem, 0, "x", 0, 1, 1, 1, (0, 0, 0, 0))


def _stream(*ops, inp: bool = True) -> tuple[Stream, float]:
    """The stream [INP load] + ops, the first op popping the load (`waits` are indices in this stream), and
    when that load ends: codegen first loads every kernel of the segment (one LOAD UOP: dma_cycles + 4 B per
    micro-op), then the INP load runs. inp=False: just `ops` (no preload, no load)."""
    cfg = Config()
    if not inp:
        return Stream("t", list(ops), {}, {}, cfg), 0.0
    kernels = {k.key: k for op in ops if isinstance(op, SNest) for k in op.kernels}
    pre = DI.dma_cycles + sum(4 * len(k) / cfg.bus_bytes for k in kernels.values())
    ops[0].waits = [0]
    load = SLoad(Block("inp"), [_dma(MemType.INP)], pushes=[Stage.COMPUTE])
    return Stream("t", [load, *ops], {}, {}, cfg), pre + DI.dma_cycles + cfg.inp_elem_bytes / cfg.bus_bytes


def test_bank_set_is_that_of_the_lowest_and_highest_index_of_dst_and_a_tensor_src():
    from vta.compiler.stream_timing import bank_set
    d = 2048
    assert bank_set(_gemm(0, 1034), d) == 0b01  # indices 0..1023
    assert bank_set(_gemm(0, 1035), d) == 0b11  # the loop reaches 1024
    assert bank_set(_gemm(B1, 110), d) == 0b10
    assert bank_set(_gemm(2000, 110), d) == 0b11  # 2000 + 99 reaches acc_depth: both banks
    assert bank_set(KernelBuilder.alu(AluOp.SHR, imm=8).uop(dst=B0, src=B1).build(), d) == 0b01  # src unread
    assert bank_set(_alu(B0, 110, src=B1), d) == 0b11
    assert bank_set(KernelBuilder.gemm().uop(dst=B0, src=B1).build(), d) == 0b01  # a GEMM's src is INP
    empty = dataclasses.replace(_gemm(B0, 110), loops=(Loop(0),))
    assert bank_set(empty, d) == 0


def test_gemm_then_alu_in_one_bank_serialize():
    s, t0 = _stream(_nest(_gemm(B0, 110)), _nest(_alu(B0, 110)))
    assert simulate(s, DI).cycles == t0 + 220
    # one unit: the model loads each kernel at its first use, a second LOAD UOP's fixed cost
    assert simulate(s, SI).cycles == t0 + 220 + SI.dma_cycles


def test_gemm_then_alu_in_different_banks_overlap():
    s, t0 = _stream(_nest(_gemm(B1, 110)), _nest(_alu(B0, 110)))
    p = simulate(s, DI)
    assert p.cycles == t0 + 110
    assert simulate(s, SI).cycles == t0 + 220 + SI.dma_cycles
    assert (p.gemm_unit_cycles, p.alu_unit_cycles) == (110, 110)
    assert p.compute_cycles == 20 + 2 * 4 / 8 + 110  # one LOAD UOP of both kernels (preload), then both units at once


def test_alu_with_a_tensor_src_in_the_other_bank_serializes():
    s, t0 = _stream(_nest(_gemm(B1, 110)), _nest(_alu(B0, 210, src=B1)))
    assert simulate(s, DI).cycles == t0 + 320
    s, t0 = _stream(_nest(_gemm(B1, 110)), _nest(_alu(B0, 210, src=B0 + 500)))  # src in the dst's bank
    assert simulate(s, DI).cycles == t0 + 210


def test_pending_pushes_hold_their_own_unit_only_when_its_push_queue_is_full():
    # the GEMM pushes once the older ALU instruction completes (t0 + 400); with room for one pending push no
    # GEMM is dispatched until then, with room for four (the default) the next GEMM runs meanwhile
    store = SStore(Block("acc"), [_dma(MemType.OUT)], waits=[2])
    s, t0 = _stream(_nest(_alu(B0, 400)), _nest(_gemm(B1, 60), push=True), store, _nest(_gemm(B1, 60)))
    assert simulate(s, dataclasses.replace(DI, push_queue=1)).cycles == t0 + 460
    assert simulate(s, DI).cycles == t0 + 422  # the store's end
    # a pending push of the GEMM unit does not stop the ALU unit
    s, t0 = _stream(_nest(_gemm(B1, 300), push=True), _nest(_alu(B0, 400)))
    assert simulate(s, DI).cycles == t0 + 400


def test_a_store_waits_for_the_push_after_every_older_instruction():
    store = SStore(Block("acc"), [_dma(MemType.OUT)], waits=[2])
    s, t0 = _stream(_nest(_gemm(B1, 300)), _nest(_alu(B0, 60), push=True), store)
    assert simulate(s, DI).cycles == t0 + 300 + DI.dma_cycles + 2  # 16 B of OUT at 8 B/cycle


def test_loads_and_finish_drain_both_units():
    acc_load = SLoad(Block("bias"), [_dma(MemType.ACC)])  # LOAD ACC: 64 B, compute stage
    s, t0 = _stream(_nest(_gemm(B1, 300)), acc_load, _nest(_alu(B0, 60)))
    assert simulate(s, DI).cycles == t0 + 300 + DI.dma_cycles + 8 + 60
    # no INP/WGT load, so no preload: the ALU kernel's LOAD UOP (20 + 0.5 cycles) comes at its first use
    g, a = _gemm(B1, 300), _alu(B0, 60)
    s, _ = _stream(_nest(g), _nest(a), inp=False)
    assert simulate(s, DI).cycles == 20.5 + 300 + 20.5 + 60
    s, _ = _stream(_nest(g), _nest(a), SSync(), _nest(g), _nest(a), inp=False)  # FINISH, then the kernels again
    assert simulate(s, DI).cycles == 2 * (20.5 + 300 + 20.5 + 60)


def test_a_unit_runs_queued_instructions_back_to_back_up_to_its_queue_depth():
    # an ALU instruction in the other bank waits for no GEMM; GEMMs queue behind each other, each starting
    # queued_insn_cycles after the one before; with a queue of one the dispatcher stalls on the third GEMM
    gemms = [_nest(_gemm(B1, 110)) for _ in range(3)]
    s, t0 = _stream(*gemms, _nest(_alu(B0, 60)))
    p = simulate(s, DI)
    assert p.cycles == t0 + 3 * 110 - 2 * (DI.dispatch_cycles - DI.queued_insn_cycles)
    s, t0 = _stream(*[_nest(_gemm(B1, 110)) for _ in range(3)], _nest(_alu(B0, 400)))
    assert simulate(s, DI).cycles == t0 + 400  # the ALU instruction is dispatched at once
    q1 = dataclasses.replace(DI, kernel_queue=1)
    assert simulate(s, q1).cycles == t0 + 110 + 400  # the third GEMM waits for the first to retire, the ALU too


def test_search_ranks_banked_two_thread_tilings_by_the_busier_unit():
    """Dual issue lowers only two-thread tilings whose regions fit a bank each, to at least half the serial time."""
    rng = np.random.default_rng(17)
    op = _conv(rng, (1, 64, 56, 56), 128, 1, stride=2)  # C4: as many ALU as GEMM micro-ops
    kw = dict(alu_steps=3, bias=True, residual=False, min_init=True, top=100_000, tolerance=0.0)
    dual, single = (search(op.spec, params=p, **kw) for p in (CostParams(), CostParams(dual_issue=False)))
    serial = dict(zip(single.tiles, single.cycles))
    lowered = 0
    for t, c in zip(dual.tiles, dual.cycles):
        assert c <= serial[t]
        if c < serial[t]:
            lowered += 1
            plan = make_plan(op.spec, t, bias=True, residual=False, min_init=True)
            assert t.vthreads == 2 and plan.s_acc + op.spec.cob <= op.spec.config.acc_depth // 2
            assert c >= serial[t] / 2
    assert lowered and dual.tiles[0].vthreads == 2 and dual.cycles[0] < single.cycles[0]
