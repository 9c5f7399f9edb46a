"""Fusion on the float graph: conv/dense + bias + activation + residual add + activation -> one node.

After these passes a Conv carries `act` (after bias), an optional 4th input (the
residual, added after `act`) and `post_act`; quantization turns that node into one
accelerator kernel: one ops.conv2d call whose ALU epilogue does bias, requantize,
clip and the residual add. The float meaning of every node is unchanged.
"""

from __future__ import annotations

from .graph import Graph, Node
from .passes_graph import Pass, _single_use, absorb

_HOSTS = ("Conv", "Dense", "ConvTranspose")


def _as_act(g: Graph, node: Node) -> tuple | None:
    if node.op == "Relu":
        return ("relu",)
    if node.op == "Clip":
        return ("clip", node.attrs.get("min"), node.attrs.get("max"))
    return None


def _compose(first: tuple | None, second: tuple) -> tuple:
    """Activation equal to applying `first` then `second` (both clamps)."""
    if first is None:
        return second
    lo1, hi1 = (0.0, None) if first[0] == "relu" else (first[1], first[2])
    lo2, hi2 = (0.0, None) if second[0] == "relu" else (second[1], second[2])
    lo = max(v for v in (lo1, lo2) if v is not None) if (lo1 is not None or lo2 is not None) else None
    hi = min(v for v in (hi1, hi2) if v is not None) if (hi1 is not None or hi2 is not None) else None
    return ("relu",) if lo == 0.0 and hi is None else ("clip", lo, hi)


def fuse_activation(g: Graph) -> str:
    """Relu/Clip after a Conv/Dense/ConvTranspose/Add (its only reader) becomes the producer's activation."""
    n = 0
    prod = g.producer()
    for node in list(g.nodes):
        act = _as_act(g, node)
        host = prod.get(node.inputs[0]) if act is not None else None
        if host is None or not _single_use(g, host.outputs[0]):
            continue
        if host.op in _HOSTS:
            key = "post_act" if len(host.inputs) > 3 else "act"
        elif host.op == "Add" and not any(g.is_const(i) for i in host.inputs):
            key = "act"
        else:
            continue
        host.attrs[key] = _compose(host.attrs.get(key), act)
        absorb(g, host, node)
        prod = g.producer()
        n += 1
    g.remove_dead()
    return f"fused {n} activations"


def fuse_residual(g: Graph) -> str:
    """Add(conv_out, other) of equal shapes: the Conv takes `other` as its residual; the Add's act becomes post_act."""
    n = 0
    prod = g.producer()
    order = {node.name: k for k, node in enumerate(g.nodes)}
    for node in list(g.nodes):
        if node.op != "Add" or any(g.is_const(i) for i in node.inputs):
            continue
        shape = g.types[node.outputs[0]].shape
        cands = []
        for ci in (0, 1):
            host = prod.get(node.inputs[ci])
            other = node.inputs[1 - ci]
            if host is None or host.op != "Conv" or len(host.inputs) > 3 or not _single_use(g, host.outputs[0]):
                continue
            if g.types[host.outputs[0]].shape != shape or g.types[other].shape != shape or other == host.outputs[0]:
                continue
            cands.append((order[host.name], host, other))
        if not cands:
            continue
        _, host, other = max(cands, key=lambda c: c[0])  # the later conv: its residual is already computed
        if len(host.inputs) == 2:
            host.inputs.append("")
        host.inputs.append(other)
        if node.attrs.get("act"):
            host.attrs["post_act"] = node.attrs["act"]
        absorb(g, host, node)
        prod = g.producer()
        n += 1
    g.toposort()
    g.remove_dead()
    return f"fused {n} residual adds"


def _equalize(g: Graph) -> str:
    from .passes_graph_equalize import equalize_layers

    return equalize_layers(g)


_equalize.__name__ = "equalize_layers"
_equalize.__doc__ = "Cross-layer equalization of conv -> (ReLU) -> conv pairs (passes_graph_equalize)."

FUSE_PIPELINE: list[Pass] = [fuse_activation, fuse_residual, fuse_activation, _equalize]
