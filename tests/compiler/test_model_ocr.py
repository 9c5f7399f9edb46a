"""The third-party pretrained CNN (rapidocr text direction, MobileNetV3-style): compile, run, agree with onnxruntime."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from vta.compiler import compile as compile_model
from vta.compiler.model_ocr import INPUT_SHAPE, model_path, render_lines
from vta.isa.config import Config

from .quant_reference import run_reference

BATCH = 8


@pytest.fixture(scope="module")
def setup():
    cal, _ = render_lines(32, seed=1)
    m = compile_model(model_path(), Config(), cal, input_shapes={"x": (BATCH,) + INPUT_SHAPE[1:]}, batch=BATCH)
    x, y = render_lines(16, seed=0)
    yield m, x, y
    m.close()


def test_every_op_maps_and_heavy_layers_use_vta(setup):
    m, _, _ = setup
    ops = {s.op for s in m.steps}
    assert {"QConv", "QLut", "QMul", "QAvgPool", "QDense", "Softmax"} <= ops
    assert not any(s.op in ("HardSwish", "Conv", "Mul") for s in m.steps)  # nothing left in float but softmax
    vta_macs = sum(s.macs for s in m.steps if s.target == "vta")
    assert vta_macs > 0.5 * sum(s.macs for s in m.steps)


def test_bit_exact_with_reference(setup):
    m, x, _ = setup
    ours = m.run(x[:BATCH], keep_all=True)
    ref = run_reference(m.quant_graph, {"x": x[:BATCH]}, keep_all=True)
    checked = [k for k, v in ref.items() if k in ours and getattr(v, "dtype", None) == np.int8]
    assert len(checked) > 90
    for k in checked:
        assert np.array_equal(ours[k], ref[k]), k


def test_top1_agreement_with_onnxruntime(setup):
    m, x, y = setup
    sess = ort.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"])
    f = sess.run(None, {"x": x})[0]
    q = list(m.run(x).values())[0]
    agree = float((f.argmax(1) == q.argmax(1)).mean())
    print(f"OCR direction classifier: top-1 agreement {agree:.3f}, accuracy int8 {(q.argmax(1) == y).mean():.3f}, "
          f"float {(f.argmax(1) == y).mean():.3f}")
    assert agree >= 0.75


def test_tsim_bit_exact(setup):
    from vta.jit import open_device

    try:
        dev = open_device("tsim", Config())
    except Exception as exc:  # a missing Verilator build is a skip, not a pass
        pytest.skip(f"TSIM is not available: {exc}")
    m, x, _ = setup
    with dev:
        ours = m.run(x[:BATCH], device=dev, keep_all=True)
    ref = run_reference(m.quant_graph, {"x": x[:BATCH]}, keep_all=True)
    checked = [k for k, v in ref.items() if k in ours and getattr(v, "dtype", None) == np.int8]
    for k in checked:
        assert np.array_equal(ours[k], ref[k]), k
    assert all(p.cycles for p in m.last_profile if p.target == "vta")
