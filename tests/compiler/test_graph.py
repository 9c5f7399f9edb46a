"""The graph IR: building, shape/dtype inference, printing, topological order, errors."""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler.graph import Graph, TensorType
from vta.compiler.graph_errors import CompileError
from vta.isa.errors import VtaError


def _conv_graph() -> Graph:
    g = Graph("t")
    g.add_input("x", TensorType((1, 8, 10, 12)))
    w = g.add_const("w", np.zeros((16, 4, 3, 3), np.float32))
    g.add_node("Conv", ["x", w], ["y"], attrs={"strides": (2, 1), "pads": (1, 0, 1, 2), "group": 2})
    g.add_node("Relu", ["y"], ["z"])
    g.add_node("AvgPool", ["z"], ["p"], attrs={"global": True, "kernel": (5, 12), "strides": (1, 1),
                                                "pads": (0, 0, 0, 0)})
    g.add_node("Reshape", ["p"], ["r"], attrs={"shape": (1, -1)})
    g.outputs = ["r"]
    return g


def test_infer_shapes_and_dtypes():
    g = _conv_graph().infer()
    assert g.types["y"] == TensorType((1, 16, 5, 12), "float32")
    assert g.types["p"].shape == (1, 16, 1, 1)
    assert g.types["r"].shape == (1, 16)


def test_print_shows_types_constants_and_attributes():
    text = str(_conv_graph().infer())
    assert "%y: float32[1,16,5,12] = Conv(%x, $w:float32[16,4,3,3])" in text and "float32[1,16,5,12]" in text
    assert "group=2" in text and "output %r" in text


def test_quantized_type_prints_exponent():
    assert str(TensorType((2, 3), "int8", 5)) == "int8[2,3]@2^-5"


def test_bad_group_is_a_compile_error_naming_the_node():
    g = _conv_graph()
    g.nodes[0].attrs["group"] = 3
    with pytest.raises(CompileError, match=r"node 'conv' \(Conv\).*group"):
        g.infer()
    assert issubclass(CompileError, VtaError)


def test_toposort_orders_and_detects_undefined():
    g = _conv_graph()
    g.nodes.reverse()
    g.toposort()
    assert [n.op for n in g.nodes] == ["Conv", "Relu", "AvgPool", "Reshape"]
    g.nodes[0].inputs = ["nowhere"]
    with pytest.raises(CompileError, match="undefined values"):
        g.toposort()


def test_remove_dead_drops_unused_nodes_and_constants():
    g = _conv_graph()
    g.add_const("unused", np.ones(3, np.float32))
    g.add_node("Relu", ["x"], ["dead"])
    g.infer()
    assert g.remove_dead() == 1
    assert "unused" not in g.consts and "dead" not in g.types


def test_reshape_rejects_bad_sizes():
    g = _conv_graph()
    g.nodes[-1].attrs["shape"] = (1, 15)
    with pytest.raises(CompileError, match="cannot reshape"):
        g.infer()
