"""The cost model: exact work counts, the tile search's feasibility, prediction vs measurement, measuring."""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler import ops
from vta.compiler.cost_model import roofline_cycles, search
from vta.compiler.tiling import make_plan
from vta.isa.config import Config
from vta.jit import open_device


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
    from vta.compiler.cost_model import src_repeats
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
