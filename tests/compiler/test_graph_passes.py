"""Float passes, fusion and equalization keep the float function; each does what its docstring says."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from vta.compiler.frontend_onnx import from_onnx
from vta.compiler.fuse import FUSE_PIPELINE
from vta.compiler.passes_graph import FLOAT_PIPELINE, describe, run_pipeline
from vta.compiler.passes_graph_equalize import equalize_layers
from vta.compiler.quant_calib import run_float

SEED = 7


def _rand(*shape, scale=1.0):
    return (np.random.default_rng(SEED + len(shape)).standard_normal(shape) * scale).astype(np.float32)


def _block_model():
    """conv-bn-relu -> conv-bn (+ skip) -> relu -> hard-swish pattern -> conv -> gap -> gemm."""
    c = 8
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "s1", "b1", "m1", "v1"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "cb2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c2", "s1", "b1", "m1", "v1"], ["n2"]),
        helper.make_node("Add", ["n2", "x"], ["sum"]),
        helper.make_node("Relu", ["sum"], ["r2"]),
        helper.make_node("Add", ["r2", "three"], ["p3"]),
        helper.make_node("Clip", ["p3", "zero", "six"], ["cl"]),
        helper.make_node("Mul", ["r2", "cl"], ["m"]),
        helper.make_node("Div", ["m", "six"], ["hs"]),
        helper.make_node("Conv", ["hs", "w3"], ["c3"], group=c, kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["c3"], ["gp"]),
        helper.make_node("Flatten", ["gp"], ["fl"]),
        helper.make_node("Gemm", ["fl", "wf", "bf"], ["y"], transB=1),
    ]
    inits = {"w1": _rand(c, c, 3, 3, scale=0.3), "s1": np.abs(_rand(c)) + 0.5, "b1": _rand(c), "m1": _rand(c) * 0.1,
             "v1": np.abs(_rand(c)) + 0.5, "w2": _rand(c, c, 3, 3, scale=0.3), "cb2": _rand(c),
             "three": np.float32(3), "zero": np.float32(0), "six": np.float32(6), "w3": _rand(c, 1, 3, 3),
             "wf": _rand(4, c), "bf": _rand(4)}
    g = helper.make_graph(nodes, "blk", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, 6, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


@pytest.fixture(scope="module")
def block():
    return from_onnx(_block_model())


def _same_function(g0, g1):
    x = _rand(1, 8, 6, 6)
    a = run_float(g0, {"x": x})
    b = run_float(g1, {"x": x})
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-4)


def test_float_pipeline_keeps_the_function_and_folds(block):
    g = block.copy()
    run_pipeline(g, FLOAT_PIPELINE)
    _same_function(block, g)
    ops = g.op_counts()
    assert "BatchNorm" not in ops and "Div" not in ops and ops.get("HardSwish") == 1


def test_fusion_makes_one_node_per_kernel(block):
    g = block.copy()
    run_pipeline(g, FLOAT_PIPELINE)
    run_pipeline(g, FUSE_PIPELINE)
    _same_function(block, g)
    convs = [n for n in g.nodes if n.op == "Conv"]
    assert convs[0].attrs.get("act") == ("relu",)
    assert len(convs[1].inputs) == 4 and convs[1].attrs.get("post_act") == ("relu",)  # bias, residual, relu
    assert "Add" not in g.op_counts() and "Relu" not in g.op_counts()


def test_equalization_balances_channel_ranges_and_keeps_the_function(block):
    g = block.copy()
    run_pipeline(g, FLOAT_PIPELINE)
    run_pipeline(g, FUSE_PIPELINE[:-1])
    before = g.copy()
    assert equalize_layers(g) == "equalized 1 conv pairs"
    _same_function(before, g)
    a, b = [n for n in g.nodes if n.op == "Conv"][:2]
    r1 = np.abs(g.const(a.inputs[1])).reshape(8, -1).max(1)
    r2 = np.abs(g.const(b.inputs[1])).transpose(1, 0, 2, 3).reshape(8, -1).max(1)
    np.testing.assert_allclose(r1, r2, rtol=1e-3)


def test_pipeline_is_printable():
    text = describe(FLOAT_PIPELINE + FUSE_PIPELINE)
    assert "fold_affine: Fold BatchNorm" in text and "fuse_residual" in text and "equalize_layers" in text
