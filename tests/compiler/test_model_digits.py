"""The digits CNN end to end: int8 on VTA (fsim) is bit-exact with the reference and within 1 point of float."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from vta.compiler import compile as compile_model
from vta.compiler import model_digits
from vta.isa.config import Config

from .quant_reference import run_reference


@pytest.fixture(scope="module")
def data():
    return model_digits.load_split()


@pytest.fixture(scope="module")
def module_vta():
    m = compile_model(model_digits.model_path(), Config(), model_digits.calibration_set(64), batch=72,
                      partition_policy="vta")
    yield m
    m.close()


def test_every_mac_runs_on_vta(module_vta):
    targets = {s.name: s.target for s in module_vta.steps}
    assert targets == {"quantize_input": "cpu", "conv1": "vta", "conv2": "vta", "pool": "vta", "conv3": "vta",
                       "flatten": "view", "fc": "vta", "dequantize_logits": "cpu", "softmax": "cpu"}
    conv3 = module_vta.quant_graph.node("conv3")
    assert ("residual",) in conv3.attrs["epilogue"]  # the skip add is fused into conv3's epilogue


def test_vta_fsim_bit_exact_with_reference_on_the_test_set(module_vta, data):
    x = data[2]
    ours = module_vta.run(x, device="fsim", keep_all=True)
    ref = run_reference(module_vta.quant_graph, {"input": x}, keep_all=True)
    for v in ("input_q", "a1", "a2", "pool", "a3", "logits"):
        assert ours[v].dtype == np.int8 and np.array_equal(ours[v], ref[v]), v
    np.testing.assert_allclose(ours["probs"], ref["probs"], rtol=1e-5, atol=1e-6)


def test_int8_accuracy_within_one_point_of_float(module_vta, data):
    _, _, x, y = data
    sess = ort.InferenceSession(str(model_digits.model_path()), providers=["CPUExecutionProvider"])
    acc_float = (sess.run(None, {"input": x})[0].argmax(1) == y).mean()
    acc_int8 = (module_vta.run(x)["probs"].argmax(1) == y).mean()
    assert acc_float > 0.97
    assert acc_int8 >= acc_float - 0.01


def test_default_cost_partition_matches_the_reference_too(data):
    m = compile_model(model_digits.model_path(), Config(), model_digits.calibration_set(64), batch=8)
    x = data[2][:16]
    ours = m.run(x, keep_all=True)
    ref = run_reference(m.quant_graph, {"input": x}, keep_all=True)
    assert np.array_equal(ours["logits"], ref["logits"])
    assert any(s.target == "vta" for s in m.steps)
    table = m.layer_table()
    assert "conv2" in table and "VTA" in table and "MACs" in table
    m.close()


def test_tsim_bit_exact_on_a_few_digits(module_vta, data):
    from vta.jit import open_device

    try:
        dev = open_device("tsim", Config())
    except Exception as exc:  # TSIM needs a Verilator build; report as a skip, never as a pass
        pytest.skip(f"TSIM is not available: {exc}")
    with dev:
        x = data[2][:72]
        ours = module_vta.run(x, device=dev, keep_all=True)
        ref = run_reference(module_vta.quant_graph, {"input": x}, keep_all=True)
        assert np.array_equal(ours["logits"], ref["logits"])
        assert all(p.cycles for p in module_vta.last_profile if p.target == "vta")


def test_demo_runs_and_writes_the_picture(tmp_path, capsys):
    from vta.compiler import model_demo

    assert model_demo.main(["--png", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "int8 on VTA accuracy" in out and "conv2" in out
    assert (tmp_path / "d.png").stat().st_size > 10000
