"""Lowering passes on the quantized graph (run after quantization, before partition).

They change how a node is computed, never what it computes: the integer results
are identical, so the quantized graph before these passes stays the reference.

space_to_depth_stem: a stride-2 conv with few input channels (ResNet's 7x7 stem on
3 channels) wastes most of the accelerator's 16-wide input blocks. Rearranging the
padded input by 2x2 blocks into 4x the channels turns it into a stride-1 conv with a
ceil(K/2) kernel whose weights are the original taps (zeros where 2k+i >= K): the
same products summed, about a third of the GEMM work for the stem.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .graph import Graph, Node, TensorType

LowerPass = Callable[[Graph, int], str]


def _s2d_candidate(g: Graph, node: Node, block_in: int) -> bool:
    if node.op != "QConv" or tuple(node.attrs["strides"]) != (2, 2) or node.attrs.get("group", 1) != 1:
        return False
    c = g.types[node.inputs[0]].shape[1]
    kh, kw = g.types[node.inputs[1]].shape[2:]
    return 4 * c <= block_in and c < block_in and kh >= 3 and kw >= 3


def space_to_depth_stem(g: Graph, block_in: int) -> str:
    """Stride-2 convs on fewer than block_in/4 channels -> SpaceToDepth (CPU) + stride-1 conv on 4x channels."""
    n_done = 0
    for node in list(g.nodes):
        if not _s2d_candidate(g, node, block_in):
            continue
        x = node.inputs[0]
        n, c, h, w = g.types[x].shape
        wt = g.const(node.inputs[1])
        o, _, kh, kw = wt.shape
        _, _, oh, ow = g.types[node.outputs[0]].shape
        pt, pl, _, _ = node.attrs["pads"]
        kh2, kw2 = -(-kh // 2), -(-kw // 2)
        hs, ws = oh + kh2 - 1, ow + kw2 - 1
        w2 = np.zeros((o, c, 2 * kh2, 2 * kw2), np.int8)
        w2[:, :, :kh, :kw] = wt
        # channel index c*4 + i*2 + j holds input row 2a+i, column 2b+j of channel c
        w2 = w2.reshape(o, c, kh2, 2, kw2, 2).transpose(0, 1, 3, 5, 2, 4).reshape(o, c * 4, kh2, kw2)
        s2d = g.fresh(x + "_s2d")
        idx = g.nodes.index(node)
        g.add_node("SpaceToDepth", [x], [s2d], name=g.fresh(node.name + "_s2d"), index=idx,
                   attrs={"pads": (pt, pl), "out_hw": (hs, ws)})
        g.types[s2d] = TensorType((n, 4 * c, hs, ws), "int8", g.types[x].exp)
        node.inputs = [s2d, g.add_const(node.inputs[1] + "_s2d", np.ascontiguousarray(w2), unique=True)] + \
            node.inputs[2:]
        macs = n * o * oh * ow * c * kh * kw  # the original conv's MACs (the zero taps are not work)
        node.attrs = dict(node.attrs, strides=(1, 1), pads=(0, 0, 0, 0), space_to_depth=True, macs=macs)
        n_done += 1
    g.infer()
    return f"rewrote {n_done} stride-2 stems"


LOWER_PIPELINE: list[LowerPass] = [space_to_depth_stem]


def space_to_depth_reference(x: np.ndarray, pads: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """Plain numpy meaning of SpaceToDepth (zero outside the input), for tests."""
    n, c, h, w = x.shape
    hs, ws = out_hw
    xp = np.zeros((n, c, 2 * hs, 2 * ws), x.dtype)
    pt, pl = pads
    src = x[:, :, max(0, -pt):h, max(0, -pl):w]
    hh, ww = min(src.shape[2], 2 * hs - max(pt, 0)), min(src.shape[3], 2 * ws - max(pl, 0))
    xp[:, :, max(pt, 0):max(pt, 0) + hh, max(pl, 0):max(pl, 0) + ww] = src[:, :, :hh, :ww]
    return xp.reshape(n, c, hs, 2, ws, 2).transpose(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, hs, ws)
