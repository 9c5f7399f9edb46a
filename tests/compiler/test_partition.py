"""Partition: policies, capability fallbacks with reasons, cost decisions."""

from __future__ import annotations

import numpy as np
import pytest

from vta.compiler import model_digits
from vta.compiler.compile_model import quantized_graph
from vta.compiler.graph import Graph, TensorType
from vta.compiler.graph_errors import CompileError
from vta.compiler.partition import CostModel, partition
from vta.compiler.partition_vta import nonnegative, to_ops_epilogue
from vta.isa.config import Config


@pytest.fixture(scope="module")
def qg():
    return quantized_graph(model_digits.model_path(), model_digits.calibration_set(16), batch=4)[1]


def test_policy_cpu_places_nothing_on_vta(qg):
    places = partition(qg, Config(), "cpu")
    assert all(p.target in ("cpu", "view") for p in places.values())
    assert places["flatten"].target == "view"


def test_policy_vta_places_every_capable_node(qg):
    places = partition(qg, Config(), "vta")
    assert {n for n, p in places.items() if p.target == "vta"} == {"conv1", "conv2", "pool", "conv3", "fc"}
    assert places["softmax"].reason == "no VTA kernel for this op"
    assert places["conv2"].vta_cycles > 0


def test_cost_policy_follows_the_estimate(qg):
    slow_cpu = partition(qg, Config(), "cost", CostModel(cpu_macs_per_s=1e6, cpu_bytes_per_s=1e6))
    fast_cpu = partition(qg, Config(), "cost", CostModel(cpu_macs_per_s=1e15, cpu_bytes_per_s=1e15))
    assert slow_cpu["conv2"].target == "vta" and fast_cpu["conv2"].target == "cpu"
    assert "CPU" in fast_cpu["conv2"].reason and "VTA" in fast_cpu["conv2"].reason


def test_unknown_policy_is_an_error(qg):
    with pytest.raises(CompileError, match="partition policy"):
        partition(qg, Config(), "gpu")


def test_incapable_nodes_fall_back_to_cpu_with_the_reason():
    g = Graph("t")
    g.add_input("a", TensorType((1, 16, 4, 4), "int8", 4))
    g.add_const("c", np.ones((1, 16, 1, 1), np.int8))
    g.add_node("QAdd", ["a", "c"], ["y"], name="bcast_add",
               attrs={"pre_shift": (0, 0), "sign_b": 1, "epilogue": (("clip", -128, 127),), "out_exp": 4})
    g.add_node("QMaxPool", ["y"], ["p"], name="padded_pool",
               attrs={"kernel": (3, 3), "strides": (1, 1), "pads": (1, 1, 1, 1)})
    g.outputs = ["p"]
    g.infer()
    places = partition(g, Config(), "vta")
    assert places["bcast_add"].target == "cpu" and "equal shapes" in places["bcast_add"].reason
    assert places["padded_pool"].target == "cpu" and "pads with 0" in places["padded_pool"].reason
    assert not nonnegative(g, "y")


def test_epilogue_translation_is_one_to_one():
    from vta.compiler import ops

    steps = (("bias",), ("shr", 3), ("add", 4), ("mul", -2), ("min", 9), ("max", -9), ("clip", 0, 127),
             ("residual",))
    assert to_ops_epilogue(ops, steps) == (ops.AddBias(), ops.Shr(3), ops.AddImm(4), ops.MulImm(-2), ops.MinImm(9),
                                           ops.MaxImm(-9), ops.Clip(0, 127), ops.AddResidual())


def test_every_vta_mapped_op_matches_the_reference_on_fsim():
    from vta.compiler.compile_model import lower

    from .quant_reference import run_reference

    rng = np.random.default_rng(21)
    g = Graph("t")
    g.add_input("x", TensorType((1, 16, 6, 6), "int8", 4))
    g.add_const("w", rng.integers(-127, 128, (16, 16, 3, 3), dtype=np.int8))
    g.add_const("b", rng.integers(-2000, 2000, 16).astype(np.int32))
    g.add_node("QConv", ["x", "w", "b"], ["c"], name="conv", attrs={
        "strides": (1, 1), "pads": (1, 1, 1, 1), "group": 1, "out_exp": 4,
        "epilogue": (("bias",), ("shr", 8), ("clip", 0, 127))})
    g.add_node("QMaxPool", ["c"], ["p"], name="pool", attrs={"kernel": (3, 3), "strides": (1, 1),
                                                               "pads": (1, 1, 1, 1)})
    g.add_node("QAdd", ["p", "c"], ["s"], name="add", attrs={
        "pre_shift": (0, 0), "sign_b": 1, "out_exp": 3, "epilogue": (("add", 1), ("shr", 1), ("clip", -128, 127))})
    g.add_const("wt", rng.integers(-127, 128, (16, 16, 4, 4), dtype=np.int8))
    g.add_const("bt", rng.integers(-2000, 2000, 16).astype(np.int32))
    g.add_node("QConvTranspose", ["s", "wt", "bt"], ["y"], name="up", attrs={
        "strides": (2, 2), "pads": (1, 1, 1, 1), "output_padding": (0, 0), "group": 1, "out_exp": 2,
        "epilogue": (("bias",), ("shr", 9), ("clip", -128, 127))})
    g.outputs = ["y"]
    g.infer()
    places = partition(g, Config(), "vta")
    assert {n: p.target for n, p in places.items()} == {"conv": "vta", "pool": "vta", "add": "vta", "up": "vta"}
    m = lower(g, places, Config())
    x = rng.integers(-128, 128, (1, 16, 6, 6), dtype=np.int8)
    ours = m.run({"x": x}, keep_all=True)
    ref = run_reference(g, {"x": x}, keep_all=True)
    for v in ("c", "p", "s", "y"):
        assert np.array_equal(ours[v], ref[v]), v
    m.close()
