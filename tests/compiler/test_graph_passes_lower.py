"""Lowering passes on the quantized graph compute the same integers (checked against the unlowered reference)."""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler.compile_model import lower
from vta.compiler.graph import Graph, TensorType
from vta.compiler.partition import partition
from vta.compiler.passes_graph_lower import space_to_depth_reference, space_to_depth_stem
from vta.isa.config import Config

from .quant_reference import run_reference


def _stem(h: int, w: int, k: int, pads: tuple[int, int, int, int], c: int = 3) -> Graph:
    rng = np.random.default_rng(h * 100 + w + k)
    g = Graph("stem")
    g.add_input("x", TensorType((2, c, h, w), "int8", 5))
    g.add_const("w", rng.integers(-127, 128, (16, c, k, k), dtype=np.int8))
    g.add_const("b", rng.integers(-5000, 5000, 16).astype(np.int32))
    g.add_node("QConv", ["x", "w", "b"], ["y"], name="stem", attrs={
        "strides": (2, 2), "pads": pads, "group": 1, "out_exp": 4,
        "epilogue": (("bias",), ("shr", 7), ("clip", 0, 127))})
    g.outputs = ["y"]
    return g.infer()


@pytest.mark.parametrize("geom", [(20, 20, 7, (3, 3, 3, 3)), (17, 14, 3, (1, 1, 1, 1)), (11, 12, 5, (2, 1, 0, 2)),
                                  (9, 9, 3, (0, 0, 0, 0))])
@pytest.mark.parametrize("policy", ["cpu", "vta"])
def test_space_to_depth_stem_is_exact(geom, policy):
    h, w, k, pads = geom
    g = _stem(h, w, k, pads)
    lg = g.copy()
    assert space_to_depth_stem(lg, Config().block_in) == "rewrote 1 stride-2 stems"
    assert [n.op for n in lg.nodes] == ["SpaceToDepth", "QConv"]
    assert lg.types["y"] == g.types["y"]
    x = np.random.default_rng(1).integers(-128, 128, (2, 3, h, w), dtype=np.int8)
    s2d = lg.nodes[0]
    m = lower(lg, partition(lg, Config(), policy), Config())
    out = m.run({"x": x}, keep_all=True)
    assert np.array_equal(out[s2d.outputs[0]], space_to_depth_reference(x, s2d.attrs["pads"], s2d.attrs["out_hw"]))
    assert np.array_equal(out["y"], run_reference(g, {"x": x})["y"])
    m.close()


def test_wide_or_unit_stride_convs_are_left_alone():
    g = _stem(12, 12, 3, (1, 1, 1, 1), c=8)
    assert space_to_depth_stem(g, 16) == "rewrote 0 stride-2 stems"
