"""ONNX frontend: every supported op evaluated by the float evaluator equals onnxruntime; errors name node, op, opset."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from vta.compiler.frontend_onnx import from_onnx
from vta.compiler.graph_errors import CompileError
from vta.compiler.passes_graph import FLOAT_PIPELINE, run_pipeline
from vta.compiler.quant_calib import run_float

SEED = 1234


def _model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "t", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def _init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def _check_against_ort(model, feeds, passes=False, atol=1e-4):
    g = from_onnx(model)
    if passes:
        run_pipeline(g, FLOAT_PIPELINE)
    ours = run_float(g, feeds)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    theirs = sess.run(None, feeds)
    for (name, a), b in zip(ours.items(), theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=atol, err_msg=name)
    return g


def _rand(*shape):
    return np.random.default_rng(SEED).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("opset", [11, 13, 19])
@pytest.mark.parametrize("attrs", [
    dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
    dict(kernel_shape=[3, 3], pads=[0, 1, 2, 1], strides=[2, 1]),
    dict(kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[2, 2], group=4),
    dict(kernel_shape=[3, 3], auto_pad="SAME_UPPER", strides=[2, 2]),
])
def test_conv_variants_match_onnxruntime(opset, attrs):
    group = attrs.get("group", 1)
    w = _rand(8, 8 // group, *attrs["kernel_shape"])
    m = _model([helper.make_node("Conv", ["x", "w", "b"], ["y"], **attrs)], [_vi("x", [1, 8, 9, 11])],
               [_vi("y", None)], [_init("w", w), _init("b", _rand(8))], opset)
    _check_against_ort(m, {"x": _rand(1, 8, 9, 11)})


def test_depthwise_conv_batchnorm_hardswish_se_block_matches_onnxruntime():
    c = 8
    nodes = [
        helper.make_node("Conv", ["x", "dw"], ["d"], group=c, kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["d", "s", "bb", "m", "v"], ["bn"], epsilon=1e-5),
        helper.make_node("HardSwish", ["bn"], ["hs"]),
        helper.make_node("GlobalAveragePool", ["hs"], ["gp"]),
        helper.make_node("Conv", ["gp", "fc1"], ["f1"]),
        helper.make_node("Relu", ["f1"], ["r1"]),
        helper.make_node("Conv", ["r1", "fc2"], ["f2"]),
        helper.make_node("HardSigmoid", ["f2"], ["hsig"], alpha=1 / 6, beta=0.5),
        helper.make_node("Mul", ["hs", "hsig"], ["se"]),
        helper.make_node("Sigmoid", ["se"], ["y"]),
    ]
    inits = [_init("dw", _rand(c, 1, 3, 3)), _init("s", np.abs(_rand(c)) + 0.5), _init("bb", _rand(c)),
             _init("m", _rand(c) * 0.1), _init("v", np.abs(_rand(c)) + 0.5), _init("fc1", _rand(2, c, 1, 1)),
             _init("fc2", _rand(c, 2, 1, 1))]
    m = _model(nodes, [_vi("x", [1, c, 6, 7])], [_vi("y", None)], inits, 14)
    g = _check_against_ort(m, {"x": _rand(1, c, 6, 7)}, passes=True)
    assert "BatchNorm" not in g.op_counts()  # folded into the depthwise conv


def test_gemm_matmul_pools_softmax_and_friends_match_onnxruntime():
    nodes = [
        helper.make_node("MaxPool", ["x"], ["mp"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("AveragePool", ["mp"], ["ap"], kernel_shape=[2, 2], strides=[1, 1], pads=[1, 1, 0, 0]),
        helper.make_node("Clip", ["ap", "lo", "hi"], ["cl"]),
        helper.make_node("Sub", ["cl", "c1"], ["sb"]),
        helper.make_node("Div", ["sb", "c2"], ["dv"]),
        helper.make_node("Transpose", ["dv"], ["tr"], perm=[0, 1, 3, 2]),
        helper.make_node("Flatten", ["tr"], ["fl"], axis=1),
        helper.make_node("Gemm", ["fl", "w", "b"], ["g1"], transB=1, alpha=0.5, beta=2.0),
        helper.make_node("MatMul", ["g1", "w2"], ["mm"]),
        helper.make_node("Concat", ["mm", "mm"], ["cc"], axis=1),
        helper.make_node("Softmax", ["cc"], ["y"], axis=-1),
    ]
    inits = [_init("lo", np.float32(-0.5)), _init("hi", np.float32(1.0)), _init("c1", np.float32(0.25)),
             _init("c2", np.float32(2.0)), _init("w", _rand(6, 4 * 4 * 4)), _init("b", _rand(6)),
             _init("w2", _rand(6, 3))]
    m = _model(nodes, [_vi("x", [2, 4, 7, 7])], [_vi("y", None)], inits)
    _check_against_ort(m, {"x": _rand(2, 4, 7, 7)}, passes=True)


def test_conv_transpose_matches_onnxruntime():
    m = _model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1],
                                 output_padding=[1, 1], kernel_shape=[4, 4])],
               [_vi("x", [1, 4, 5, 6])], [_vi("y", None)], [_init("w", _rand(4, 3, 4, 4)), _init("b", _rand(3))])
    _check_against_ort(m, {"x": _rand(1, 4, 5, 6)})


def test_shape_arithmetic_folds_to_constants():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Cast", ["s"], ["s32"], to=TensorProto.INT32),
        helper.make_node("Slice", ["s32", "st", "en", "ax"], ["n"]),
        helper.make_node("Cast", ["n"], ["n64"], to=TensorProto.INT64),
        helper.make_node("Concat", ["n64", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["r"]),
        helper.make_node("Identity", ["r"], ["y"]),
    ]
    inits = [_init("st", np.array([0], np.int64)), _init("en", np.array([1], np.int64)),
             _init("ax", np.array([0], np.int64)), _init("minus1", np.array([-1], np.int64))]
    m = _model(nodes, [_vi("x", ["N", 3, 4, 5])], [_vi("y", None)], inits, 13)
    g = from_onnx(m, batch=2)
    assert g.op_counts() == {"Reshape": 1}
    assert g.types[g.outputs[0]].shape == (2, 60)


def test_qdq_model_becomes_fake_quant_and_folded_weights():
    wq = np.random.default_rng(SEED).integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
        helper.make_node("DequantizeLinear", ["wq", "ws"], ["wd"]),
        helper.make_node("Conv", ["xd", "wd"], ["y"], pads=[1, 1, 1, 1]),
    ]
    inits = [_init("xs", np.float32(0.05)), _init("xz", np.int8(0)), _init("wq", wq), _init("ws", np.float32(0.01))]
    m = _model(nodes, [_vi("x", [1, 3, 5, 5])], [_vi("y", None)], inits, 13)
    g = _check_against_ort(m, {"x": _rand(1, 3, 5, 5)}, passes=True)
    assert g.op_counts() == {"FakeQuant": 1, "Conv": 1}


def test_unsupported_op_names_node_op_and_opset():
    m = _model([helper.make_node("LSTM", ["x", "w", "r"], ["y"], name="my_lstm", hidden_size=2)],
               [_vi("x", [1, 1, 2])], [_vi("y", None)], [_init("w", _rand(1, 8, 2)), _init("r", _rand(1, 8, 2))], 14)
    with pytest.raises(CompileError, match=r"node 'my_lstm' \(LSTM, opset 14\).*not supported"):
        from_onnx(m)


def test_unsupported_attribute_value_is_an_error():
    m = _model([helper.make_node("Conv", ["x", "w"], ["y"], name="dil", dilations=[2, 2])],
               [_vi("x", [1, 1, 5, 5])], [_vi("y", None)], [_init("w", _rand(1, 1, 3, 3))])
    with pytest.raises(CompileError, match=r"node 'dil' \(Conv, opset 13\): dilations \[2, 2\]"):
        from_onnx(m)
    m = _model([helper.make_node("Relu", ["x"], ["y"], name="r", bogus=1)], [_vi("x", [1])], [_vi("y", None)])
    with pytest.raises(CompileError, match="attribute 'bogus' is not supported"):
        from_onnx(m)


def test_opset_outside_range_and_dynamic_dims_are_errors():
    m = _model([helper.make_node("Relu", ["x"], ["y"])], [_vi("x", [1, 2])], [_vi("y", None)], opset=9)
    with pytest.raises(CompileError, match="opset 9 is outside"):
        from_onnx(m)
    m = _model([helper.make_node("Relu", ["x"], ["y"])], [_vi("x", [1, "H"])], [_vi("y", None)])
    with pytest.raises(CompileError, match="dynamic dimensions"):
        from_onnx(m)
    assert from_onnx(m, {"x": (1, 7)}).types["x"].shape == (1, 7)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CompileError, match="does not exist"):
        from_onnx(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(CompileError, match="not a readable ONNX model"):
        from_onnx(bad)


def test_model_proto_is_not_modified():
    m = _model([helper.make_node("Identity", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["y"])],
               [_vi("x", [1, 2])], [_vi("y", None)])
    before = m.SerializeToString()
    from_onnx(m)
    assert m.SerializeToString() == before
