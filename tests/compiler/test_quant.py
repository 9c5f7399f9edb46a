"""Quantization: exponent choice, lookup tables, epilogues (rounding in the bias, residual), calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vta.compiler.graph import Graph, TensorType
from vta.compiler.graph_errors import CompileError
from vta.compiler.quant import QuantOptions, quantize
from vta.compiler.quant_calib import calibrate
from vta.compiler.quant_ops import best_exp, lut_table, pot_exp, quantize_array

from .quant_reference import run_reference


def test_pot_exp_is_the_largest_exponent_without_saturation():
    for m in (0.01, 0.5, 1.0, 1.7, 127.0, 300.0):
        e = pot_exp(m)
        assert m * 2.0 ** e <= 127 < m * 2.0 ** (e + 1)


def test_best_exp_trades_outliers_for_resolution():
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.standard_normal(10000) * 0.1, [4.0]])
    assert best_exp(v, 4.0, candidates=1) == pot_exp(4.0)
    assert best_exp(v, 4.0, candidates=3) > pot_exp(4.0)


def test_quantize_rounds_half_up():
    assert quantize_array(np.array([0.5, -0.5, 1.5, -1.5, 200.0]), 0).tolist() == [1, 0, 2, -1, 127]


def test_lut_table_matches_the_function():
    t = lut_table("HardSwish", {}, 4, 5)
    for q in (-128, -50, -1, 0, 7, 127):
        x = q / 16
        y = x * min(max(x + 3, 0), 6) / 6
        assert t[q + 128] == min(max(math.floor(y * 32 + 0.5), -128), 127)


def _conv_graph(residual: bool, act, post_act=None) -> Graph:
    rng = np.random.default_rng(1)
    g = Graph("c")
    g.add_input("x", TensorType((1, 4, 6, 6)))
    w = g.add_const("w", (rng.standard_normal((4, 4, 3, 3)) * 0.2).astype(np.float32))
    b = g.add_const("b", (rng.standard_normal(4) * 0.1).astype(np.float32))
    ins = ["x", w, b] + (["x"] if residual else [])
    g.add_node("Conv", ins, ["y"], name="conv", attrs={"strides": (1, 1), "pads": (1, 1, 1, 1), "group": 1,
                                                        "act": act, "post_act": post_act})
    g.outputs = ["y"]
    return g.infer()


def _float_vs_int8(g: Graph, qg: Graph, x: np.ndarray) -> float:
    from vta.compiler.quant_calib import run_float

    f = run_float(g, {"x": x})["y"]
    q = run_reference(qg, {"x": x})["y"]
    return float(np.abs(f - q).max())


def test_conv_epilogue_folds_rounding_into_the_bias():
    g = _conv_graph(False, ("relu",))
    x = np.random.default_rng(2).standard_normal((8, 4, 6, 6)).astype(np.float32)
    cal = calibrate(g, {"x": x[:1]})
    qg = quantize(g, cal)
    node = qg.node("conv")
    epi = node.attrs["epilogue"]
    s = node.attrs["in_exp"] + node.attrs["w_exp"] - node.attrs["out_exp"]
    assert epi == (("bias",), ("shr", s), ("clip", 0, 127))
    bias_f = g.const("b").astype(np.float64)
    ea = node.attrs["in_exp"] + node.attrs["w_exp"]
    expect = np.floor(bias_f * 2.0 ** ea + 0.5).astype(np.int64) + (1 << (s - 1))
    assert np.array_equal(qg.const(node.inputs[2]), expect.astype(np.int32))
    assert _float_vs_int8(g, qg, x[:1]) < 4 * 2.0 ** -node.attrs["out_exp"] + 0.05


def test_residual_epilogue_shifts_to_the_residual_exponent_first():
    g = _conv_graph(True, ("relu",), ("relu",))
    x = np.random.default_rng(3).standard_normal((1, 4, 6, 6)).astype(np.float32)
    qg = quantize(g, calibrate(g, {"x": x}))
    epi = qg.node("conv").attrs["epilogue"]
    kinds = [s[0] for s in epi]
    assert kinds[0] == "bias" and "residual" in kinds and kinds[-1] == "clip"
    assert kinds.index("clip") < kinds.index("residual")  # the pre-residual relu
    assert epi[-1][1] == 0
    assert _float_vs_int8(g, qg, x) < 0.2


def test_graph_outputs_keep_their_names_and_are_float():
    g = _conv_graph(False, None)
    qg = quantize(g, calibrate(g, {"x": np.ones((1, 4, 6, 6), np.float32)}))
    assert qg.outputs == ["y"] and qg.types["y"].dtype == "float32"
    assert [n.op for n in qg.nodes] == ["Quantize", "QConv", "Dequantize"]


def test_calibration_needs_matching_shapes():
    g = _conv_graph(False, None)
    with pytest.raises(CompileError, match="calibration array"):
        calibrate(g, {"x": np.ones((1, 3, 6, 6), np.float32)})


def test_options_are_dataclass_fields():
    assert QuantOptions().act_candidates == 2 and QuantOptions(mse_search=False).mse_search is False


def test_an_op_without_int8_rule_or_cpu_kernel_is_a_named_error():
    from onnx import TensorProto, helper

    from vta.compiler import compile as compile_model

    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["x", "xt"], ["y"], name="attention_scores")]
    g = helper.make_graph(nodes, "mm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(CompileError, match=r"node 'attention_scores.*' \(MatMul\): no CPU kernel"):
        compile_model(m, calibration=np.ones((1, 4, 8), np.float32))


def test_qdq_model_compiles_with_the_scales_it_declares():
    from onnx import TensorProto, helper, numpy_helper

    from vta.compiler import compile as compile_model

    rng = np.random.default_rng(5)
    wq = rng.integers(-127, 128, (16, 16, 3, 3)).astype(np.int8)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
        helper.make_node("DequantizeLinear", ["wq", "ws"], ["wd"]),
        helper.make_node("Conv", ["xd", "wd"], ["c"], pads=[1, 1, 1, 1], name="qconv"),
        helper.make_node("Relu", ["c"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.float32(1 / 32), "s"), numpy_helper.from_array(np.int8(0), "z"),
             numpy_helper.from_array(wq, "wq"), numpy_helper.from_array(np.float32(1 / 256), "ws")]
    g = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    x = (rng.standard_normal((4, 16, 5, 5)) * 1.5).astype(np.float32)
    m = compile_model(model, calibration=x)
    conv = m.quant_graph.node("qconv")
    assert conv.attrs["in_exp"] == 5 and conv.attrs["w_exp"] == 8  # 1/32 and 1/256: the model's own grids
    assert np.array_equal(m.quant_graph.const(conv.inputs[1]), wq)  # weights unchanged
    ours = m.run(x[:1], keep_all=True)
    assert np.array_equal(ours[conv.outputs[0]], run_reference(m.quant_graph, {"x": x[:1]}, keep_all=True)[conv.outputs[0]])
    m.close()


def test_float_layers_stay_float_on_the_cpu():
    from vta.compiler import compile as compile_model
    from vta.compiler import model_digits

    m = compile_model(model_digits.model_path(), calibration=model_digits.calibration_set(16), batch=8,
                      quant=QuantOptions(float_layers=("conv1",)))
    step = {s.name: s for s in m.steps}["conv1"]
    assert step.op == "Conv" and step.target == "cpu" and step.out_dtype == "float32"
    _, _, x, y = model_digits.load_split()
    assert (m.run(x[:64])["probs"].argmax(1) == y[:64]).mean() > 0.95
    m.close()
    with pytest.raises(CompileError, match="float_layers names no node"):
        compile_model(model_digits.model_path(), calibration=model_digits.calibration_set(16),
                      quant=QuantOptions(float_layers=("nope",)))
