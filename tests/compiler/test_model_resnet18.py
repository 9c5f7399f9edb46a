"""ResNet-18 with generated weights: compiles, runs on fsim (and TSIM), bit-exact with the reference.

The fast tests use the same 18-layer network at 64x64 input; the full 224x224 one is marked slow.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from vta.compiler import compile as compile_model
from vta.compiler.model_resnet18 import build_resnet18, synthetic_images
from vta.isa.config import Config

from .quant_reference import run_reference


def _compile(size: int):
    proto = build_resnet18(size, seed=0)
    return proto, compile_model(proto, Config(), synthetic_images(2, size, seed=3))


@pytest.fixture(scope="module")
def small():
    proto, m = _compile(64)
    yield proto, m
    m.close()


def test_structure_is_resnet18(small):
    _, m = small
    convs = [s for s in m.steps if s.op == "QConv"]
    assert len(convs) == 20  # stem + 16 block convs + 3 downsample convs
    assert sum(s.target == "vta" for s in convs) >= 19
    fused = [s for s in convs if len(m.quant_graph.node(s.name).inputs) == 4]
    assert len(fused) == 8  # every residual add is fused into a conv epilogue


def test_fsim_bit_exact_with_reference(small):
    _, m = small
    x = synthetic_images(1, 64, seed=9)
    ours = m.run(x, keep_all=True)
    ref = run_reference(m.quant_graph, {"input": x}, keep_all=True)
    checked = [k for k, v in ref.items() if k in ours and getattr(v, "dtype", None) == np.int8]
    assert len(checked) >= 24
    for k in checked:
        assert np.array_equal(ours[k], ref[k]), k
    assert np.array_equal(ours["logits"], ref["logits"])


def test_top1_agreement_with_onnxruntime_is_reported(small):
    proto, m = small
    x = synthetic_images(4, 64, seed=11)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    f = sess.run(None, {"input": x})[0]
    q = m.run(x)["logits"]
    agree = float((f.argmax(1) == q.argmax(1)).mean())
    corr = float(np.corrcoef(f.ravel(), q.ravel())[0, 1])
    print(f"ResNet-18 64x64 generated weights: top-1 agreement {agree:.3f}, logit correlation {corr:.3f}")
    assert corr > 0.9


def test_tsim_runs_and_counts_cycles(small):
    from vta.jit import open_device

    try:
        dev = open_device("tsim", Config())
    except Exception as exc:  # a missing Verilator build is a skip, not a pass
        pytest.skip(f"TSIM is not available: {exc}")
    _, m = small
    x = synthetic_images(1, 64, seed=9)
    with dev:
        ours = m.run(x, device=dev)
    assert np.array_equal(ours["logits"], run_reference(m.quant_graph, {"input": x})["logits"])
    cycles = [p.cycles for p in m.last_profile if p.target == "vta"]
    assert all(c and c > 0 for c in cycles)


@pytest.mark.slow
def test_full_224_resnet18_on_fsim_is_bit_exact():
    _, m = _compile(224)
    x = synthetic_images(1, 224, seed=9)
    assert np.array_equal(m.run(x)["logits"], run_reference(m.quant_graph, {"input": x})["logits"])
    m.close()
