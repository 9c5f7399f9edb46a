"""CPU kernels (LLVM IR -> native code) are bit-exact with the independent reference interpreter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .quant_reference import run_reference
from vta.compiler.compile_model import lower
from vta.compiler.cpu_kernels import CpuCodegen
from vta.compiler.graph import Graph, TensorType
from vta.compiler.partition import Placement
from vta.compiler.quant_ops import lut_table
from vta.isa.config import Config


def _run_cpu(g: Graph, feeds: dict) -> dict:
    g.infer()
    places = {n.name: Placement("view" if n.op == "Reshape" else "cpu", "test") for n in g.nodes}
    return lower(g, places, Config()).run(feeds, keep_all=True)


def _q(rng, shape):
    return rng.integers(-128, 128, shape, dtype=np.int8)


def _single(op, x_shape, attrs, consts=(), extra_inputs=(), out_exp=3):
    g = Graph("t")
    g.add_input("x", TensorType(x_shape, "int8", 4))
    for name, ttype in extra_inputs:
        g.add_input(name, ttype)
    names = ["x"] + [g.add_const(name, arr) for name, arr in consts] + [n for n, _ in extra_inputs]
    g.add_node(op, names, ["y"], attrs=dict(attrs, out_exp=out_exp))
    g.outputs = ["y"]
    return g


def _check(g, feeds):
    ours = _run_cpu(g, feeds)["y"]
    ref = run_reference(g, feeds)["y"]
    assert ours.dtype == ref.dtype and np.array_equal(ours, ref)


EPILOGUES = [
    (("bias",), ("shr", 7), ("clip", -128, 127)),
    (("bias",), ("shr", 3), ("clip", 0, 127)),
    (("bias",), ("shr", -2), ("add", 5), ("mul", -3), ("min", 90), ("max", -90)),
    (("bias",), ("shr", 40)),                # shifts past 31 give the sign; store keeps low 8 bits (wraps)
    (("bias",), ("shr", -33), ("add", 7)),
]


@pytest.mark.parametrize("epi", EPILOGUES)
@pytest.mark.parametrize("geom", [((1, 16, 8, 9), 3, (1, 1), (1, 1, 1, 1), 1),
                                  ((2, 6, 7, 7), 5, (2, 1), (2, 0, 1, 2), 3),
                                  ((1, 12, 9, 10), 3, (2, 2), (1, 1, 1, 1), 12)])
def test_qconv_matches_reference(epi, geom):
    shape, k, strides, pads, group = geom
    rng = np.random.default_rng(11)
    o = 12 if group != 3 else 9
    w = rng.integers(-127, 128, (o, shape[1] // group, k, k), dtype=np.int8)
    b = rng.integers(-50000, 50000, o).astype(np.int32)
    g = _single("QConv", shape, {"strides": strides, "pads": pads, "group": group, "epilogue": epi},
                [("w", w), ("b", b)])
    _check(g, {"x": _q(rng, shape)})


def test_qconv_with_residual_matches_reference():
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (8, 8, 3, 3), dtype=np.int8)
    b = rng.integers(-3000, 3000, 8).astype(np.int32)
    g = Graph("t")
    g.add_input("x", TensorType((1, 8, 5, 5), "int8", 4))
    g.add_input("r", TensorType((1, 8, 5, 5), "int8", 3))
    g.add_const("w", w)
    g.add_const("b", b)
    g.add_node("QConv", ["x", "w", "b", "r"], ["y"], attrs={
        "strides": (1, 1), "pads": (1, 1, 1, 1), "group": 1, "out_exp": 2,
        "epilogue": (("bias",), ("shr", 5), ("clip", 0, 3000), ("residual",), ("add", 1), ("shr", 1),
                     ("clip", 0, 127))})
    g.outputs = ["y"]
    _check(g, {"x": _q(rng, (1, 8, 5, 5)), "r": _q(rng, (1, 8, 5, 5))})


@settings(max_examples=12)
@given(n=st.integers(1, 2), i=st.integers(1, 40), o=st.integers(1, 20), s=st.integers(0, 12),
       seed=st.integers(0, 1000))
def test_qdense_matches_reference(n, i, o, s, seed):
    rng = np.random.default_rng(seed)
    g = _single("QDense", (n, i), {"epilogue": (("bias",), ("shr", s), ("clip", -128, 127))},
                [("w", rng.integers(-127, 128, (o, i), dtype=np.int8)),
                 ("b", rng.integers(-9999, 9999, o).astype(np.int32))])
    _check(g, {"x": _q(rng, (n, i))})


def test_qconv_transpose_matches_reference():
    rng = np.random.default_rng(5)
    g = _single("QConvTranspose", (1, 4, 5, 6),
                {"strides": (2, 2), "pads": (1, 1, 1, 1), "output_padding": (1, 1), "group": 1,
                 "epilogue": (("bias",), ("shr", 6), ("clip", -128, 127))},
                [("w", rng.integers(-127, 128, (4, 3, 4, 4), dtype=np.int8)),
                 ("b", rng.integers(-999, 999, 3).astype(np.int32))])
    _check(g, {"x": _q(rng, (1, 4, 5, 6))})


@pytest.mark.parametrize("op", ["QMaxPool", "QAvgPool"])
@pytest.mark.parametrize("geom", [((3, 3), (2, 2), (1, 1, 1, 1), 0), ((2, 2), (2, 2), (0, 0, 0, 0), 0),
                                  ((3, 2), (1, 2), (1, 0, 2, 1), 1), ((3, 3), (2, 1), (1, 1, 1, 1), 0)])
def test_pools_match_reference(op, geom):
    from vta.compiler.quant_ops import AVG_SHIFT, avg_mults

    kernel, strides, pads, cip = geom
    rng = np.random.default_rng(2)
    attrs = {"kernel": kernel, "strides": strides, "pads": pads, "count_include_pad": cip}
    if op == "QAvgPool":
        attrs.update(shift=AVG_SHIFT, mults=tuple(avg_mults(range(1, kernel[0] * kernel[1] + 1), 4, 5)),
                     in_exp=4)
    g = _single(op, (2, 3, 7, 8), attrs, out_exp=5)
    if op == "QMaxPool":
        g.nodes[0].attrs.pop("out_exp")
    _check(g, {"x": _q(rng, (2, 3, 7, 8))})


def test_global_avg_pool_matches_reference():
    from vta.compiler.quant_ops import AVG_SHIFT, avg_mults

    rng = np.random.default_rng(4)
    attrs = {"global": True, "kernel": (6, 7), "strides": (1, 1), "pads": (0, 0, 0, 0), "shift": AVG_SHIFT,
             "mults": tuple(avg_mults(range(1, 43), 3, 5)), "in_exp": 3}
    _check(_single("QAvgPool", (2, 5, 6, 7), attrs, out_exp=5), {"x": _q(rng, (2, 5, 6, 7))})


@pytest.mark.parametrize("func,attrs", [("HardSwish", {}), ("HardSigmoid", {"alpha": 0.2, "beta": 0.5}),
                                        ("Sigmoid", {}), ("Relu", {}), ("Clip", {"min": -1.0, "max": 2.0})])
def test_lut_matches_reference(func, attrs):
    rng = np.random.default_rng(6)
    g = _single("QLut", (1, 4, 5, 5), {"func": func, "func_attrs": attrs, "in_exp": 4},
                [("t", lut_table(func, attrs, 4, 6))], out_exp=6)
    _check(g, {"x": _q(rng, (1, 4, 5, 5))})


@pytest.mark.parametrize("op,b_shape,attrs", [
    ("QAdd", (1, 6, 4, 5), {"pre_shift": (0, 2), "sign_b": 1}),
    ("QAdd", (1, 6, 1, 1), {"pre_shift": (1, 0), "sign_b": -1}),
    ("QMul", (1, 6, 1, 1), {}),
    ("QMul", (1, 6, 4, 5), {}),
])
def test_binary_broadcast_matches_reference(op, b_shape, attrs):
    rng = np.random.default_rng(8)
    g = Graph("t")
    g.add_input("x", TensorType((2, 6, 4, 5), "int8", 4))
    g.add_const("b", _q(rng, b_shape))  # a broadcast operand cannot be a second batched input
    g.add_node(op, ["x", "b"], ["y"], attrs=dict(attrs, out_exp=3,
                                                 epilogue=(("add", 4), ("shr", 3), ("clip", -128, 127))))
    g.outputs = ["y"]
    _check(g, {"x": _q(rng, (2, 6, 4, 5))})


def test_concat_transpose_quantize_dequantize_softmax():
    rng = np.random.default_rng(9)
    g = Graph("t")
    g.add_input("f", TensorType((2, 3, 4, 5), "float32"))
    g.add_input("q", TensorType((2, 2, 4, 5), "int8", 6))
    g.add_node("Quantize", ["f"], ["fq"], attrs={"exp": 5})
    g.add_node("QConcat", ["fq", "q"], ["c"], attrs={"axis": 1, "shifts": (1, 2), "out_exp": 4})
    g.add_node("Transpose", ["c"], ["t"], attrs={"perm": [0, 2, 3, 1]})
    g.add_node("Dequantize", ["t"], ["d"], attrs={"exp": 4})
    g.add_node("Softmax", ["d"], ["y"], attrs={"axis": 3})
    g.outputs = ["y"]
    feeds = {"f": (rng.standard_normal((2, 3, 4, 5)) * 3).astype(np.float32), "q": _q(rng, (2, 2, 4, 5))}
    ours = _run_cpu(g, feeds)
    ref = run_reference(g, feeds, keep_all=True)
    for v in ("fq", "c", "t", "d"):
        assert np.array_equal(ours[v], ref[v]), v
    np.testing.assert_allclose(ours["y"], ref["y"], rtol=1e-5, atol=1e-7)


def test_identical_kernels_are_generated_once():
    rng = np.random.default_rng(1)
    g = Graph("t")
    g.add_input("x", TensorType((1, 16, 6, 6), "int8", 4))
    prev = "x"
    for k in range(3):
        w = g.add_const(f"w{k}", rng.integers(-127, 128, (16, 16, 3, 3), dtype=np.int8))
        b = g.add_const(f"b{k}", np.zeros(16, np.int32))
        g.add_node("QConv", [prev, w, b], [f"y{k}"], attrs={"strides": (1, 1), "pads": (1, 1, 1, 1), "group": 1,
                                                           "epilogue": (("bias",), ("shr", 8), ("clip", 0, 127)),
                                                           "out_exp": 4})
        prev = f"y{k}"
    g.outputs = [prev]
    g.infer()
    cg = CpuCodegen()
    specs = [cg.add(g, n) for n in g.nodes]
    assert len({s.func for s in specs}) == 1 and cg.ir_text().count("define void") == 1
    x = _q(rng, (1, 16, 6, 6))
    assert np.array_equal(_run_cpu(g, {"x": x})[prev], run_reference(g, {"x": x})[prev])


@pytest.mark.parametrize("geom", [((1, 3, 11, 12), 7, (2, 2), (3, 3, 3, 3), 1), ((2, 8, 7, 7), 3, (1, 2), (1, 0, 1, 2), 4)])
def test_float_conv_and_dense_kernels_match_numpy(geom):
    from vta.compiler.graph_eval import eval_node

    shape, k, strides, pads, group = geom
    rng = np.random.default_rng(12)
    g = Graph("f")
    g.add_input("x", TensorType(shape, "float32"))
    o = 8
    w = g.add_const("w", rng.standard_normal((o, shape[1] // group, k, k)).astype(np.float32))
    b = g.add_const("b", rng.standard_normal(o).astype(np.float32))
    g.add_node("Conv", ["x", w, b], ["c"], attrs={"strides": strides, "pads": pads, "group": group,
                                                  "act": ("clip", -0.5, 2.0)})
    g.add_node("Reshape", ["c"], ["r"], attrs={"shape": (shape[0], -1)})
    g.infer()
    feat = g.types["r"].shape[1]
    wd = g.add_const("wd", rng.standard_normal((5, feat)).astype(np.float32))
    bd = g.add_const("bd", rng.standard_normal(5).astype(np.float32))
    g.add_node("Dense", ["r", wd, bd], ["y"], attrs={"act": ("relu",)})
    g.outputs = ["y"]
    x = rng.standard_normal(shape).astype(np.float32)
    ours = _run_cpu(g, {"x": x})
    env = {"x": x, **g.consts}
    for n in g.nodes:
        env[n.outputs[0]] = eval_node(n, [env[i] for i in n.inputs])[0]
    np.testing.assert_allclose(ours["c"], env["c"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours["y"], env["y"], rtol=1e-4, atol=1e-3)
