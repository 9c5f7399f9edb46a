"""Cross-layer equalization: balance per-channel weight ranges for per-tensor power-of-two quantization.

For a conv A whose output feeds only a conv B, through no activation or a ReLU
(positively homogeneous: relu(x / s) = relu(x) / s for s > 0), output channel c of A
can be divided by s_c and the matching input channel of B multiplied by s_c without
changing the network's float function. Choosing s_c = sqrt(r1_c / r2_c) (r = the
channel's largest |weight| in A and in B) makes both ranges sqrt(r1_c r2_c), so one
per-tensor weight exponent fits every channel better. The VTA requantizes with one
shift per tensor, so per-channel weight scales are not available to it; this is the
standard remedy for such hardware (data-free quantization, Nagel et al. 2019).
"""

from __future__ import annotations

import numpy as np

from .graph import Graph, Node
from .passes_graph import _single_use

_HOMOGENEOUS = (None, ("relu",))


def _pairs(g: Graph) -> list[tuple[Node, Node]]:
    cons = g.consumers()
    out = []
    for a in g.nodes:
        if a.op != "Conv" or len(a.inputs) > 3 or a.attrs.get("post_act") is not None:
            continue
        act = a.attrs.get("act")
        if act not in _HOMOGENEOUS and not (act[0] == "clip" and act[1] == 0.0 and act[2] is None):
            continue
        if not g.is_const(a.inputs[1]) or not _single_use(g, a.outputs[0]):
            continue
        b = cons[a.outputs[0]][0]
        if b.op != "Conv" or b.inputs[0] != a.outputs[0] or not g.is_const(b.inputs[1]):
            continue
        if a.attrs.get("group", 1) != 1 and g.types[a.inputs[1]].shape[1] != 1:
            continue  # grouped (not depthwise) A: its channel scaling would mix groups' weights; keep simple
        out.append((a, b))
    return out


def _b_input_ranges(w2: np.ndarray, group: int, cin: int) -> np.ndarray:
    """max |W2| over everything that multiplies input channel c (c = group * ipg + k), for each c."""
    o, ipg = w2.shape[:2]
    v = np.abs(w2).reshape(group, o // group, ipg, -1).max(axis=(1, 3))
    return v.reshape(cin)


def _scale_b_inputs(w2: np.ndarray, s: np.ndarray, group: int) -> np.ndarray:
    o, ipg = w2.shape[:2]
    shaped = w2.reshape(group, o // group, ipg, -1) * s.reshape(group, 1, ipg, 1)
    return shaped.reshape(w2.shape)


def equalize_layers(g: Graph, rounds: int = 4, tol: float = 1e-3) -> str:
    """Rescale conv -> (ReLU) -> conv pairs so per-channel weight ranges match (float function unchanged).

    One round equalizes disjoint pairs exactly; chains (a conv in two pairs) need a few.
    """
    pairs = _pairs(g)
    weights = {}  # the current float32 arrays, written back as constants once at the end
    for node in {n.name: n for ab in pairs for n in ab}.values():
        weights[node.name] = [g.const(node.inputs[1]), g.const(node.inputs[2]) if len(node.inputs) > 2 and
                              node.inputs[2] else None]
    for _ in range(rounds):
        worst = 0.0
        for a, b in pairs:
            w1, b1 = weights[a.name]
            w2 = weights[b.name][0]
            cout = w1.shape[0]
            r1 = np.abs(w1.reshape(cout, -1)).max(axis=1)
            r2 = _b_input_ranges(w2, b.attrs.get("group", 1), cout)
            ok = (r1 > 0) & (r2 > 0)
            sc = np.ones(cout, np.float32)
            sc[ok] = np.sqrt(r1[ok] / r2[ok])
            worst = max(worst, float(np.max(np.abs(sc - 1))))
            weights[a.name][0] = w1 / sc.reshape((-1,) + (1,) * (w1.ndim - 1))
            if b1 is not None:
                weights[a.name][1] = b1 / sc
            weights[b.name][0] = _scale_b_inputs(w2, sc, b.attrs.get("group", 1))
        if worst < tol:
            break
    for node in {n.name: n for ab in pairs for n in ab}.values():
        w, bias = weights[node.name]
        node.inputs[1] = g.add_const(node.inputs[1] + "_eq", w.astype(np.float32), unique=True)
        if bias is not None:
            node.inputs[2] = g.add_const(node.inputs[2] + "_eq", bias.astype(np.float32), unique=True)
    g.remove_dead()
    return f"equalized {len(pairs)} conv pairs"
