"""Float graph passes: each takes a Graph, rewrites it in place and returns a short note.

`FLOAT_PIPELINE` is the ordered list the compiler runs; print it with `describe(FLOAT_PIPELINE)`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .graph import Graph, Node
from .graph_eval import EVAL, eval_node

Pass = Callable[[Graph], str]

_NO_FOLD = {"Quantize", "Dequantize"}


def fold_constants(g: Graph) -> str:
    """Evaluate every node whose inputs are all constants; its outputs become constants."""
    n = 0
    for node in list(g.nodes):
        if node.op in _NO_FOLD or node.op not in EVAL or not node.inputs:
            continue
        if all(not i or g.is_const(i) for i in node.inputs):
            vals = eval_node(node, [g.const(i) if i else None for i in node.inputs])
            g.nodes.remove(node)
            for o, v in zip(node.outputs, vals):
                g.add_const(o, v)
            n += 1
    return f"folded {n} nodes"


def eliminate_identity(g: Graph) -> str:
    """Remove no-op nodes: Identity, Reshape/Squeeze/Unsqueeze to the same shape, identity Transpose, same-type Cast."""
    n = 0
    for node in list(g.nodes):
        src = node.inputs[0] if node.inputs else None
        if src is None or src in g.consts:
            continue
        same = node.op == "Identity"
        if node.op in ("Reshape", "Squeeze", "Unsqueeze") and g.types[src].shape == g.types[node.outputs[0]].shape:
            same = True
        if node.op == "Transpose" and list(node.attrs.get("perm") or []) == sorted(node.attrs.get("perm") or [0, 1]):
            same = True
        if node.op == "Cast" and g.types[src].dtype == node.attrs["to"]:
            same = True
        if node.op == "Mul" and g.is_const(node.inputs[1]) and np.all(g.const(node.inputs[1]) == 1) and \
                g.types[src].shape == g.types[node.outputs[0]].shape:
            same = True
        if node.op == "Add" and g.is_const(node.inputs[1]) and np.all(g.const(node.inputs[1]) == 0) and \
                g.types[src].shape == g.types[node.outputs[0]].shape and not node.attrs.get("act"):
            same = True
        if same and node.outputs[0] not in g.outputs:
            g.nodes.remove(node)
            g.replace_uses(node.outputs[0], src)
            n += 1
    return f"removed {n} no-op nodes"


def canonicalize_arith(g: Graph) -> str:
    """Constants go second; Sub/Div by a constant become Add/Mul; Clip(0, inf) becomes Relu."""
    n = 0
    for node in g.nodes:
        if node.op in ("Add", "Mul") and g.is_const(node.inputs[0]) and not g.is_const(node.inputs[1]):
            node.inputs.reverse()
            n += 1
        if node.op == "Sub" and g.is_const(node.inputs[1]) and g.types[node.inputs[1]].dtype == "float32":
            node.op = "Add"
            node.inputs[1] = g.add_const(node.inputs[1] + "_neg", -g.const(node.inputs[1]), unique=True)
            n += 1
        if node.op == "Div" and g.is_const(node.inputs[1]) and g.types[node.inputs[1]].dtype == "float32":
            node.op = "Mul"
            node.inputs[1] = g.add_const(node.inputs[1] + "_rcp", (1.0 / g.const(node.inputs[1])).astype(np.float32),
                                         unique=True)
            n += 1
        if node.op == "Clip" and node.attrs.get("min") == 0.0 and node.attrs.get("max") is None:
            node.op, node.attrs = "Relu", {}
            n += 1
    return f"rewrote {n} nodes"


def _single_use(g: Graph, value: str) -> bool:
    return value not in g.outputs and len(g.consumers().get(value, [])) == 1


def absorb(g: Graph, host: Node, node: Node) -> None:
    """Remove `node` (the only reader of host's output); host now produces node's output value."""
    g.nodes.remove(node)
    old = host.outputs[0]
    host.outputs = [node.outputs[0]]
    g.types[node.outputs[0]] = g.types[old]


def _scalar(g: Graph, v: str) -> float | None:
    if g.is_const(v) and g.const(v).size == 1:
        return float(g.const(v).reshape(()))
    return None


def match_hardswish(g: Graph) -> str:
    """x * Clip(x + 3, 0, 6) * (1/6)  ->  HardSwish(x); also x * HardSigmoid(x, 1/6, 0.5)."""
    prod = g.producer()
    n = 0
    for node in list(g.nodes):
        if node.op != "Mul":
            continue
        c = _scalar(g, node.inputs[1])
        m1 = prod.get(node.inputs[0])
        if c is not None and abs(c - 1 / 6) < 1e-6 and m1 is not None and m1.op == "Mul" and _single_use(g, m1.outputs[0]):
            for xi, ki in ((0, 1), (1, 0)):
                x, k = m1.inputs[xi], prod.get(m1.inputs[ki])
                if k is None or k.op != "Clip" or k.attrs.get("min") != 0.0 or k.attrs.get("max") != 6.0:
                    continue
                a = prod.get(k.inputs[0])
                if a is None or a.op != "Add" or a.inputs[0] != x or _scalar(g, a.inputs[1]) != 3.0:
                    continue
                node.op, node.inputs, node.attrs = "HardSwish", [x], {}
                n += 1
                break
            continue
        for xi, ki in ((0, 1), (1, 0)):
            hs = prod.get(node.inputs[ki])
            if hs is not None and hs.op == "HardSigmoid" and hs.inputs[0] == node.inputs[xi] and \
                    abs(hs.attrs.get("alpha", 0.2) - 1 / 6) < 1e-6 and hs.attrs.get("beta", 0.5) == 0.5:
                node.op, node.inputs, node.attrs = "HardSwish", [node.inputs[xi]], {}
                n += 1
                break
    g.remove_dead()
    return f"matched {n} hard-swish patterns"


def fold_qdq(g: Graph) -> str:
    """QuantizeLinear -> DequantizeLinear on an activation becomes FakeQuant (its scale guides quantization)."""
    prod = g.producer()
    n = 0
    for node in list(g.nodes):
        if node.op != "DequantizeLinear":
            continue
        q = prod.get(node.inputs[0])
        if q is None or q.op != "QuantizeLinear":
            continue
        s, zp = g.const(q.inputs[1]), (g.const(q.inputs[2]) if len(q.inputs) > 2 and q.inputs[2] else np.zeros((), np.int8))
        if s.size != 1 or zp.size != 1:
            continue
        info = np.iinfo(zp.dtype)
        node.op, node.inputs = "FakeQuant", [q.inputs[0]]
        node.attrs = {"scale": float(s.reshape(())), "zero_point": int(zp.reshape(())), "qmin": int(info.min),
                      "qmax": int(info.max)}
        n += 1
    g.remove_dead()
    return f"turned {n} Q/DQ pairs into FakeQuant"


_AFFINE_HOSTS = ("Conv", "Dense", "ConvTranspose")


def _channels_vec(g: Graph, host: Node, c: np.ndarray) -> np.ndarray | None:
    """A per-output-channel vector equivalent to broadcasting constant c on the host's output, or None."""
    out = g.types[host.outputs[0]].shape
    oc = out[1]
    if c.size == 1:
        return np.full(oc, float(c.reshape(())), np.float32)
    shape = (1,) * (len(out) - c.ndim) + c.shape
    want = [1] * len(out)
    want[1] = oc
    if list(shape) == want:
        return c.reshape(oc).astype(np.float32)
    return None


def fold_affine(g: Graph) -> str:
    """Fold BatchNorm, and Add/Mul by per-channel constants, into the preceding Conv/Dense weights and bias.

    A BatchNorm with no foldable producer becomes Mul + Add by per-channel constants.
    """
    n = 0
    changed = True
    while changed:
        changed = False
        prod = g.producer()
        for node in list(g.nodes):
            host = prod.get(node.inputs[0]) if node.inputs else None
            ok_host = host is not None and host.op in _AFFINE_HOSTS and not host.attrs.get("act") \
                and len(host.inputs) <= 3 and _single_use(g, host.outputs[0]) and g.is_const(host.inputs[1])
            if node.op == "BatchNorm":
                scale, bias, mean, var = (g.const(i).astype(np.float64) for i in node.inputs[1:5])
                k = scale / np.sqrt(var + node.attrs.get("epsilon", 1e-5))
                mul, add = k, bias - mean * k
            elif node.op in ("Add", "Mul") and ok_host and g.is_const(node.inputs[1]):
                vec = _channels_vec(g, host, g.const(node.inputs[1]))
                if vec is None:
                    continue
                mul = vec if node.op == "Mul" else np.ones_like(vec)
                add = vec if node.op == "Add" else np.zeros_like(vec)
            else:
                continue
            if ok_host:
                _scale_host(g, host, mul, add)
                absorb(g, host, node)
            elif node.op == "BatchNorm":
                rank = len(g.types[node.inputs[0]].shape)
                shape = (1, -1) + (1,) * (rank - 2)
                mc = g.add_const(node.name + "_k", mul.astype(np.float32).reshape(shape), unique=True)
                ac = g.add_const(node.name + "_b", add.astype(np.float32).reshape(shape), unique=True)
                mid = g.fresh(node.name + "_scaled")
                idx = g.nodes.index(node)
                g.add_node("Mul", [node.inputs[0], mc], [mid], attrs={}, index=idx)
                node.op, node.inputs, node.attrs = "Add", [mid, ac], {}
                g.infer()
            else:
                continue
            n += 1
            changed = True
            break
    g.remove_dead()
    return f"folded {n} affine ops"


def _scale_host(g: Graph, host: Node, mul: np.ndarray, add: np.ndarray) -> None:
    w = g.const(host.inputs[1]).astype(np.float64)
    if host.op == "ConvTranspose":
        w = w * mul.reshape(1, -1, 1, 1)
    else:
        w = w * mul.reshape((-1,) + (1,) * (w.ndim - 1))
    oc = len(mul)
    b = g.const(host.inputs[2]).astype(np.float64) if len(host.inputs) > 2 and host.inputs[2] else np.zeros(oc)
    b = b * mul + add
    host.inputs[1] = g.add_const(host.inputs[1] + "_f", w.astype(np.float32), unique=True)
    bname = g.add_const((host.inputs[2] if len(host.inputs) > 2 and host.inputs[2] else host.name + "_bias") + "_f",
                        b.astype(np.float32), unique=True)
    if len(host.inputs) > 2:
        host.inputs[2] = bname
    else:
        host.inputs.append(bname)


def simplify_layout(g: Graph) -> str:
    """Layout: merge Reshape chains, cancel inverse Transposes, turn size-1-only Transposes into Reshapes."""
    n = 0
    prod = g.producer()
    for node in list(g.nodes):
        src = prod.get(node.inputs[0]) if node.inputs else None
        if node.op == "Reshape" and src is not None and src.op == "Reshape" and _single_use(g, src.outputs[0]):
            node.inputs[0] = src.inputs[0]
            node.attrs = {"shape": g.types[node.outputs[0]].shape}
            n += 1
        elif node.op == "Transpose" and src is not None and src.op == "Transpose" and _single_use(g, src.outputs[0]):
            p1, p2 = src.attrs["perm"], node.attrs["perm"]
            node.inputs[0] = src.inputs[0]
            node.attrs = {"perm": [p1[p] for p in p2]}
            n += 1
        elif node.op == "Transpose":
            shape = g.types[node.inputs[0]].shape
            moved = [p for p in node.attrs["perm"] if shape[p] != 1]
            if moved == sorted(moved):
                node.op, node.attrs = "Reshape", {"shape": g.types[node.outputs[0]].shape}
                n += 1
    g.remove_dead()
    g.infer()
    return f"simplified {n} layout ops"


def infer_types(g: Graph) -> str:
    """Re-run shape and dtype inference over the whole graph."""
    g.infer()
    return f"{len(g.nodes)} nodes typed"


FLOAT_PIPELINE: list[Pass] = [
    fold_qdq, fold_constants, eliminate_identity, canonicalize_arith, match_hardswish, fold_affine,
    fold_constants, simplify_layout, eliminate_identity, infer_types,
]


def describe(pipeline: list[Pass]) -> str:
    """One line per pass: its name and the first line of its docstring."""
    return "\n".join(f"{i + 1:2d}. {p.__name__}: {(p.__doc__ or '').strip().splitlines()[0]}"
                     for i, p in enumerate(pipeline))


def run_pipeline(g: Graph, pipeline: list[Pass], log: Callable[[str], None] | None = None) -> Graph:
    for p in pipeline:
        note = p(g)
        if log is not None:
            log(f"  {p.__name__}: {note}")
    return g
