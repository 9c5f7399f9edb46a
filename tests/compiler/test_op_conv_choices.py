"""op_conv.shared_choices: convs equal but for their constants search once and stay exact."""

import numpy as np
import pytest

from vta.compiler import op_conv, ops
from vta.isa.config import Config
from vta.jit import open_device

from . import ops_reference as ref

SHAPE = (1, 32, 10, 10)


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def _layer(rng, shift: int, lo: int):
    w = rng.integers(-128, 128, (48, 32, 3, 3), dtype=np.int8)
    b = rng.integers(-999, 999, 48).astype(np.int32)
    return w, b, (ops.Shr(shift), ops.AddBias(), ops.Clip(lo, 127))


def _expected(x, w, b, shift, lo):
    acc = ref.wrap32(ref.conv2d(x, w, (1, 1), (1, 1)))
    return np.clip((acc >> shift) + b[None, :, None, None], lo, 127).astype(np.int8)


def _count_compiles(monkeypatch) -> list[int]:
    calls = [0]
    orig = op_conv.ConvOp._compiled

    def counted(self, *a):
        calls[0] += 1
        return orig(self, *a)

    monkeypatch.setattr(op_conv.ConvOp, "_compiled", counted)
    return calls


def test_equal_convs_with_other_constants_reuse_the_choice_and_stay_exact(fsim, monkeypatch):
    rng = np.random.default_rng(3)
    layers = [_layer(rng, 8, 0), _layer(rng, 9, -128)]  # other weights, bias, shift and clip bound
    alone = [ops.conv2d(w, b, input_shape=SHAPE, padding=1, epilogue=ep) for w, b, ep in layers]
    calls = _count_compiles(monkeypatch)
    with op_conv.shared_choices():
        first = ops.conv2d(*layers[0][:2], input_shape=SHAPE, padding=1, epilogue=layers[0][2])
        searched = calls[0]
        second = ops.conv2d(*layers[1][:2], input_shape=SHAPE, padding=1, epilogue=layers[1][2])
    assert searched > 1 and calls[0] == searched + 1  # the second compiles only the chosen variant
    assert second.tiles == first.tiles == alone[0].tiles == alone[1].tiles
    assert second.predicted_cycles == alone[1].predicted_cycles
    assert second.reset_and_bias == alone[1].reset_and_bias
    x = rng.integers(-128, 128, SHAPE, dtype=np.int8)
    for conv, (w, b, _), (shift, lo) in zip((first, second), layers, ((8, 0), (9, -128))):
        assert np.array_equal(conv.run(fsim, x), _expected(x, w, b, shift, lo))


def test_choices_are_not_shared_outside_the_block_or_across_shapes(monkeypatch):
    rng = np.random.default_rng(4)
    w, b, ep = _layer(rng, 8, 0)
    calls = _count_compiles(monkeypatch)
    ops.conv2d(w, b, input_shape=SHAPE, padding=1, epilogue=ep)
    alone = calls[0]
    ops.conv2d(w, b, input_shape=SHAPE, padding=1, epilogue=ep)
    assert calls[0] == 2 * alone  # no block: each searches
    with op_conv.shared_choices():
        ops.conv2d(w, b, input_shape=SHAPE, padding=1, epilogue=ep)
        for shape, steps in (((1, 32, 12, 10), ep), (SHAPE, ep[:2])):  # another shape; other steps (no clip)
            before = calls[0]
            ops.conv2d(w, b, input_shape=shape, padding=1, epilogue=steps)
            assert calls[0] - before > 1  # searched again
    with op_conv.shared_choices():
        with op_conv.shared_choices():  # nested: the outer block's cache
            ops.conv2d(w, b, input_shape=SHAPE, padding=1, epilogue=ep)
        before = calls[0]
        ops.conv2d(w, b, input_shape=SHAPE, padding=1, epilogue=ep)
    assert calls[0] == before + 1
