"""ONNX frontend: an ONNX ModelProto (opsets 11-19) -> a typed, shape-inferred Graph.

Nodes are converted one by one with their input types known, so static shape
arithmetic (Shape -> Cast -> Slice -> Concat -> Reshape) folds to constants as it
is read. Every attribute of every op is checked: an op, attribute or value the
compiler does not handle raises CompileError naming the node, its op and the opset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from .graph import Graph, Node, TensorType
from .graph_errors import CompileError, node_error
from .graph_eval import eval_node

OPSET_MIN, OPSET_MAX = 11, 19

_ONNX_DTYPES = {1: "float32", 2: "int32", 3: "int8", 5: "int32", 6: "int32", 7: "int64", 9: "bool", 10: "float32",
                11: "float32", 12: "int32", 13: "int64"}


class _Ctx:
    """State while converting one model: the graph, the opset, and the current ONNX node."""

    def __init__(self, graph: Graph, opset: int) -> None:
        self.g = graph
        self.opset = opset
        self.node: Any = None

    def err(self, rule: str) -> CompileError:
        return node_error(Node(self.node.op_type, self.node.name or self.node.output[0], [], []), rule, self.opset)

    def attrs(self, allowed: dict[str, Any]) -> dict[str, Any]:
        """The node's attributes with defaults; an attribute not in `allowed` is an error."""
        import onnx

        out = dict(allowed)
        for a in self.node.attribute:
            if a.name not in allowed:
                raise self.err(f"attribute {a.name!r} is not supported (supported: {', '.join(allowed) or 'none'})")
            out[a.name] = onnx.helper.get_attribute_value(a)
            if isinstance(out[a.name], bytes):
                out[a.name] = out[a.name].decode()
        return out

    def const_input(self, i: int, what: str) -> np.ndarray | None:
        ins = self.node.input
        if i >= len(ins) or not ins[i]:
            return None
        if not self.g.is_const(ins[i]):
            raise self.err(f"input {i} ({what}) must be a constant (it is computed at run time)")
        return self.g.const(ins[i])

    def emit(self, op: str, inputs: list[str], attrs: dict[str, Any] | None = None,
             outputs: list[str] | None = None) -> Node:
        outs = outputs if outputs is not None else list(self.node.output)
        name = self.node.name if self.node.name and self.node.name not in self.g.types else None
        node = self.g.add_node(op, inputs, outs, name=self.g.fresh(name or outs[0]), attrs=attrs)
        _infer_or_fold(self.g, node, self)
        return node

    def alias(self, src: str) -> None:
        """The node's output is `src` (Identity, Dropout, folded no-ops)."""
        self.g.meta.setdefault("aliases", {})[self.node.output[0]] = src


def _infer_or_fold(g: Graph, node: Node, ctx: _Ctx) -> None:
    from .graph_ops import infer_node

    try:
        types = infer_node(node, [g.types[i] if i else None for i in node.inputs], g)
    except CompileError as exc:
        raise ctx.err(str(exc).split("): ", 1)[-1]) from None
    for o, t in zip(node.outputs, types):
        g.types[o] = t
    foldable = node.op == "Shape" or (node.inputs and all(g.is_const(i) for i in node.inputs if i))
    if foldable and node.op in _FOLDABLE:
        vals = [g.const(i) if i else None for i in node.inputs] if node.op != "Shape" else [
            np.empty(g.types[node.inputs[0]].shape, np.bool_)]
        outs = eval_node(node, vals)
        g.nodes.remove(node)
        for o, v in zip(node.outputs, outs):
            g.add_const(o, v)


_FOLDABLE = {"Shape", "Cast", "Slice", "Concat", "Gather", "Unsqueeze", "Squeeze", "Reshape", "Add", "Sub", "Mul",
             "Div", "Transpose", "Identity", "Neg", "Sqrt", "Reciprocal", "Pow", "Max", "Min", "DequantizeLinear",
             "QuantizeLinear", "Relu", "Clip", "Exp", "Tanh", "Sigmoid", "MatMul"}


# ---------------------------------------------------------------- converters
def _pads_2d(ctx: _Ctx, a: dict[str, Any], in_hw: tuple[int, int], k: tuple[int, int],
             s: tuple[int, int]) -> tuple[int, int, int, int]:
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        p = list(a.get("pads") or [0, 0, 0, 0])
        if len(p) != 4:
            raise ctx.err(f"pads {p} must have 4 entries (2-D only)")
        return (p[0], p[1], p[2], p[3])
    if auto == "VALID":
        return (0, 0, 0, 0)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = []
        for dim in range(2):
            o = -(-in_hw[dim] // s[dim])
            total = max(0, (o - 1) * s[dim] + k[dim] - in_hw[dim])
            small, big = total // 2, total - total // 2
            out.append((small, big) if auto == "SAME_UPPER" else (big, small))
        return (out[0][0], out[1][0], out[0][1], out[1][1])
    raise ctx.err(f"auto_pad {auto!r} is not supported")


def _check_dilations(ctx: _Ctx, a: dict[str, Any]) -> None:
    d = a.get("dilations")
    if d and any(v != 1 for v in d):
        raise ctx.err(f"dilations {list(d)} are not supported (only 1)")


def _x(ctx: _Ctx, i: int = 0) -> TensorType:
    return ctx.g.type(ctx.node.input[i])


def _conv(ctx: _Ctx) -> None:
    a = ctx.attrs({"auto_pad": "NOTSET", "dilations": None, "group": 1, "kernel_shape": None, "pads": None,
                   "strides": None})
    _check_dilations(ctx, a)
    x, w = _x(ctx), _x(ctx, 1)
    if len(x.shape) != 4 or len(w.shape) != 4:
        raise ctx.err(f"only 2-D convolution (4-D tensors) is supported, got input {x.shape} weight {w.shape}")
    k = tuple(w.shape[2:])
    if a["kernel_shape"] and tuple(a["kernel_shape"]) != k:
        raise ctx.err(f"kernel_shape {a['kernel_shape']} does not match the weight {w.shape}")
    s = tuple(a["strides"] or (1, 1))
    pads = _pads_2d(ctx, a, x.shape[2:], k, s)
    ctx.emit("Conv", list(ctx.node.input), {"strides": s, "pads": pads, "group": int(a["group"])})


def _conv_transpose(ctx: _Ctx) -> None:
    a = ctx.attrs({"auto_pad": "NOTSET", "dilations": None, "group": 1, "kernel_shape": None, "pads": None,
                   "strides": None, "output_padding": None, "output_shape": None})
    _check_dilations(ctx, a)
    if a["output_shape"]:
        raise ctx.err("output_shape is not supported (give pads and output_padding)")
    if a["auto_pad"] not in ("NOTSET", ""):
        raise ctx.err(f"auto_pad {a['auto_pad']!r} is not supported for ConvTranspose")
    if a["group"] != 1:
        raise ctx.err(f"group {a['group']} is not supported for ConvTranspose (only 1)")
    s = tuple(a["strides"] or (1, 1))
    p = tuple(a["pads"] or (0, 0, 0, 0))
    ctx.emit("ConvTranspose", list(ctx.node.input),
             {"strides": s, "pads": (p[0], p[1], p[2], p[3]), "output_padding": tuple(a["output_padding"] or (0, 0)),
              "group": 1})


def _gemm(ctx: _Ctx) -> None:
    a = ctx.attrs({"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0})
    if a["transA"]:
        raise ctx.err("transA=1 is not supported")
    b = ctx.const_input(1, "B")
    w = (b if a["transB"] else b.T) * np.float32(a["alpha"])
    ins = [ctx.node.input[0], ctx.g.add_const(ctx.node.input[1] + "_w", np.ascontiguousarray(w), unique=True)]
    c = ctx.const_input(2, "C")
    if c is not None:
        if c.size not in (1, w.shape[0]):
            raise ctx.err(f"bias C of shape {c.shape} is not per-output ({w.shape[0]})")
        ins.append(ctx.g.add_const(ctx.node.input[2] + "_b",
                                   np.broadcast_to(c.reshape(-1) * np.float32(a["beta"]), (w.shape[0],)).copy(),
                                   unique=True))
    ctx.emit("Dense", ins)


def _matmul(ctx: _Ctx) -> None:
    ctx.attrs({})
    a, b = _x(ctx), _x(ctx, 1)
    if ctx.g.is_const(ctx.node.input[1]) and len(a.shape) == 2 and len(b.shape) == 2:
        w = np.ascontiguousarray(ctx.g.const(ctx.node.input[1]).T)
        ctx.emit("Dense", [ctx.node.input[0], ctx.g.add_const(ctx.node.input[1] + "_w", w, unique=True)])
    else:
        ctx.emit("MatMul", list(ctx.node.input))


def _batchnorm(ctx: _Ctx) -> None:
    a = ctx.attrs({"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0, "spatial": 1})
    if a["training_mode"] or len(ctx.node.output) > 1:
        raise ctx.err("training mode (running statistics outputs) is not supported")
    for i, what in enumerate(("scale", "B", "mean", "var"), start=1):
        ctx.const_input(i, what)
    ctx.emit("BatchNorm", list(ctx.node.input), {"epsilon": float(a["epsilon"])})


def _clip(ctx: _Ctx) -> None:
    a = ctx.attrs({"min": None, "max": None})  # min/max attributes are opset < 11; inputs from 11
    lo, hi = a["min"], a["max"]
    v = ctx.const_input(1, "min")
    lo = float(v) if v is not None else lo
    v = ctx.const_input(2, "max")
    hi = float(v) if v is not None else hi
    ctx.emit("Clip", [ctx.node.input[0]], {"min": lo, "max": hi})


def _simple(op: str, allowed: dict[str, Any] | None = None, keep: tuple[str, ...] = ()) -> Callable[[_Ctx], None]:
    def conv(ctx: _Ctx) -> None:
        a = ctx.attrs(allowed or {})
        ctx.emit(op, [i for i in ctx.node.input], {k: a[k] for k in keep})
    return conv


def _pool(op: str) -> Callable[[_Ctx], None]:
    def conv(ctx: _Ctx) -> None:
        allowed = {"auto_pad": "NOTSET", "ceil_mode": 0, "kernel_shape": None, "pads": None, "strides": None,
                   "dilations": None}
        allowed.update({"storage_order": 0} if op == "MaxPool" else {"count_include_pad": 0})
        a = ctx.attrs(allowed)
        _check_dilations(ctx, a)
        if len(ctx.node.output) > 1 and ctx.node.output[1]:
            raise ctx.err("the Indices output is not supported")
        if a.get("storage_order"):
            raise ctx.err("storage_order=1 is not supported")
        x = _x(ctx)
        if len(x.shape) != 4:
            raise ctx.err(f"only 2-D pooling is supported, got input {x.shape}")
        k = tuple(a["kernel_shape"])
        s = tuple(a["strides"] or (1, 1))
        pt, pl, pb, pr = _pads_2d(ctx, a, x.shape[2:], k, s)
        if a["ceil_mode"]:  # extra bottom/right padding so the last partial window is kept
            for dim, (lo_p, hi_p) in enumerate(((pt, pb), (pl, pr))):
                span = x.shape[2 + dim] + lo_p + hi_p - k[dim]
                extra = (-span) % s[dim]
                if dim == 0:
                    pb += extra
                else:
                    pr += extra
            if op == "AvgPool" and a["count_include_pad"]:
                raise ctx.err("ceil_mode=1 with count_include_pad=1 is not supported")
        attrs = {"kernel": k, "strides": s, "pads": (pt, pl, pb, pr)}
        if op == "AvgPool":
            attrs["count_include_pad"] = int(a["count_include_pad"])
        ctx.emit(op, [ctx.node.input[0]], attrs)
    return conv


def _global_pool(op: str) -> Callable[[_Ctx], None]:
    def conv(ctx: _Ctx) -> None:
        ctx.attrs({})
        x = _x(ctx)
        if len(x.shape) != 4:
            raise ctx.err(f"only 4-D NCHW input is supported, got {x.shape}")
        ctx.emit(op, [ctx.node.input[0]], {"global": True, "kernel": tuple(x.shape[2:]), "strides": (1, 1),
                                           "pads": (0, 0, 0, 0), "count_include_pad": 0})
    return conv


def _flatten(ctx: _Ctx) -> None:
    a = ctx.attrs({"axis": 1})
    x = _x(ctx)
    axis = a["axis"] + len(x.shape) if a["axis"] < 0 else a["axis"]
    shape = (int(np.prod(x.shape[:axis])), int(np.prod(x.shape[axis:])))
    ctx.emit("Reshape", [ctx.node.input[0]], {"shape": shape})


def _reshape(ctx: _Ctx) -> None:
    a = ctx.attrs({"allowzero": 0})
    shape = ctx.const_input(1, "shape")
    ctx.emit("Reshape", [ctx.node.input[0]], {"shape": tuple(int(v) for v in shape), "allowzero": a["allowzero"]})


def _softmax(ctx: _Ctx) -> None:
    a = ctx.attrs({"axis": -1 if ctx.opset >= 13 else 1})
    x = _x(ctx)
    axis = a["axis"] + len(x.shape) if a["axis"] < 0 else a["axis"]
    if ctx.opset < 13 and axis != len(x.shape) - 1:
        raise ctx.err(f"opset<13 Softmax flattens from axis {axis}; only the last axis is supported")
    ctx.emit("Softmax", [ctx.node.input[0]], {"axis": axis})


def _identity(ctx: _Ctx) -> None:
    ctx.attrs({"seed": 0, "ratio": 0.5, "training_mode": 0} if ctx.node.op_type == "Dropout" else {})
    ctx.alias(ctx.node.input[0])


def _constant(ctx: _Ctx) -> None:
    import onnx

    if len(ctx.node.attribute) != 1:
        raise ctx.err("Constant needs exactly one value attribute")
    a = ctx.node.attribute[0]
    v = onnx.helper.get_attribute_value(a)
    if a.name == "value":
        arr = onnx.numpy_helper.to_array(v)
    elif a.name in ("value_float", "value_int"):
        arr = np.array(v, np.float32 if a.name == "value_float" else np.int64)
    elif a.name in ("value_floats", "value_ints"):
        arr = np.array(v, np.float32 if a.name == "value_floats" else np.int64)
    else:
        raise ctx.err(f"Constant attribute {a.name!r} is not supported")
    ctx.g.add_const(ctx.node.output[0], arr)


def _shape(ctx: _Ctx) -> None:
    a = ctx.attrs({"start": 0, "end": None})
    shape = np.array(_x(ctx).shape, np.int64)[a["start"]:a["end"]]
    ctx.g.add_const(ctx.node.output[0], shape)


def _cast(ctx: _Ctx) -> None:
    a = ctx.attrs({"to": 1, "saturate": 1})
    to = _ONNX_DTYPES.get(a["to"])
    if to is None:
        raise ctx.err(f"Cast to ONNX type {a['to']} is not supported")
    if _x(ctx).dtype == to:
        ctx.alias(ctx.node.input[0])
        return
    ctx.emit("Cast", [ctx.node.input[0]], {"to": to})


def _slice(ctx: _Ctx) -> None:
    ctx.attrs({})
    starts = ctx.const_input(1, "starts")
    ends = ctx.const_input(2, "ends")
    axes = ctx.const_input(3, "axes")
    steps = ctx.const_input(4, "steps")
    ctx.emit("Slice", [ctx.node.input[0]], {
        "starts": [int(v) for v in starts], "ends": [int(min(max(v, -2**62), 2**62)) for v in ends],
        "axes": None if axes is None else [int(v) for v in axes],
        "steps": None if steps is None else [int(v) for v in steps]})


def _axes_op(op: str) -> Callable[[_Ctx], None]:
    def conv(ctx: _Ctx) -> None:
        a = ctx.attrs({"axes": None})
        axes = a["axes"]
        if len(ctx.node.input) > 1 and ctx.node.input[1]:
            axes = [int(v) for v in ctx.const_input(1, "axes")]
        if op == "Unsqueeze" and axes is None:
            raise ctx.err("Unsqueeze needs axes")
        ctx.emit(op, [ctx.node.input[0]], {"axes": None if axes is None else list(axes)})
    return conv


def _qlinear(op: str) -> Callable[[_Ctx], None]:
    def conv(ctx: _Ctx) -> None:
        a = ctx.attrs({"axis": 1, "saturate": 1})
        ctx.const_input(1, "scale")
        ctx.const_input(2, "zero_point")
        ctx.emit(op, list(ctx.node.input), {"axis": a["axis"]})
    return conv


CONVERTERS: dict[str, Callable[[_Ctx], None]] = {
    "Conv": _conv, "ConvTranspose": _conv_transpose, "Gemm": _gemm, "MatMul": _matmul,
    "BatchNormalization": _batchnorm, "Relu": _simple("Relu"), "Clip": _clip,
    "HardSigmoid": _simple("HardSigmoid", {"alpha": 0.2, "beta": 0.5}, ("alpha", "beta")),
    "HardSwish": _simple("HardSwish"), "Sigmoid": _simple("Sigmoid"), "Tanh": _simple("Tanh"),
    "Add": _simple("Add"), "Sub": _simple("Sub"), "Mul": _simple("Mul"), "Div": _simple("Div"),
    "Pow": _simple("Pow"), "Max": _simple("Max"), "Min": _simple("Min"), "Neg": _simple("Neg"),
    "Sqrt": _simple("Sqrt"), "Reciprocal": _simple("Reciprocal"), "Exp": _simple("Exp"),
    "MaxPool": _pool("MaxPool"), "AveragePool": _pool("AvgPool"),
    "GlobalAveragePool": _global_pool("AvgPool"), "GlobalMaxPool": _global_pool("MaxPool"),
    "Flatten": _flatten, "Reshape": _reshape, "Transpose": _simple("Transpose", {"perm": None}, ("perm",)),
    "Concat": _simple("Concat", {"axis": 0}, ("axis",)), "Softmax": _softmax, "Identity": _identity,
    "Dropout": _identity, "Constant": _constant, "Shape": _shape, "Cast": _cast, "Slice": _slice,
    "Gather": _simple("Gather", {"axis": 0}, ("axis",)), "Unsqueeze": _axes_op("Unsqueeze"),
    "Squeeze": _axes_op("Squeeze"), "QuantizeLinear": _qlinear("QuantizeLinear"),
    "DequantizeLinear": _qlinear("DequantizeLinear"),
}


# ---------------------------------------------------------------- entry point
def load_onnx(model: Any) -> Any:
    """An onnx.ModelProto from a path, bytes or a ModelProto."""
    import onnx

    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (bytes, bytearray)):
        return onnx.load_from_string(bytes(model))
    path = Path(model)
    if not path.exists():
        raise CompileError(f"ONNX model {str(path)!r} does not exist")
    try:
        return onnx.load(str(path))
    except Exception as exc:  # onnx raises DecodeError and friends from protobuf
        raise CompileError(f"{path}: not a readable ONNX model ({exc})") from None


def from_onnx(model: Any, input_shapes: dict[str, tuple[int, ...]] | None = None, batch: int = 1) -> Graph:
    """Convert an ONNX model to a Graph; dynamic input dims come from `input_shapes` (batch dims -> `batch`)."""
    import onnx

    proto = load_onnx(model)
    opset = None
    for imp in proto.opset_import:
        if imp.domain in ("", "ai.onnx"):
            opset = imp.version
        elif imp.domain != "ai.onnx.ml":
            raise CompileError(f"model imports operator domain {imp.domain!r}; only the default ONNX domain is supported")
    if opset is None or not OPSET_MIN <= opset <= OPSET_MAX:
        raise CompileError(f"model opset {opset} is outside the supported range {OPSET_MIN}-{OPSET_MAX}")
    g = Graph(proto.graph.name or "model")
    g.meta["opset"] = opset
    ctx = _Ctx(g, opset)
    for init in proto.graph.initializer:
        g.add_const(init.name, onnx.numpy_helper.to_array(init))
    input_shapes = dict(input_shapes or {})
    for vi in proto.graph.input:
        if vi.name in g.consts:
            continue
        tt = vi.type.tensor_type
        dtype = _ONNX_DTYPES.get(tt.elem_type)
        if dtype is None:
            raise CompileError(f"graph input {vi.name!r} has unsupported element type {tt.elem_type}")
        given = input_shapes.pop(vi.name, None)
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tt.shape.dim]
        if given is not None:
            if len(given) != len(dims) or any(d is not None and d != v for d, v in zip(dims, given)):
                raise CompileError(f"input_shapes[{vi.name!r}] = {tuple(given)} does not match the model's {dims}")
            dims = list(given)
        if dims and dims[0] is None:
            dims[0] = batch
        if any(d is None for d in dims):
            raise CompileError(f"graph input {vi.name!r} has dynamic dimensions {dims}; pass input_shapes="
                               f"{{{vi.name!r}: (...)}}")
        g.add_input(vi.name, TensorType(tuple(dims), dtype))
    if input_shapes:
        raise CompileError(f"input_shapes names unknown inputs {sorted(input_shapes)}")
    aliases: dict[str, str] = g.meta.setdefault("aliases", {})
    for onode in proto.graph.node:
        ctx.node = onode
        if onode.domain not in ("", "ai.onnx"):
            raise ctx.err(f"domain {onode.domain!r} is not supported")
        conv = CONVERTERS.get(onode.op_type)
        if conv is None:
            raise ctx.err("op is not supported by the vta-kit ONNX frontend")
        ctx.node = _NodeView(onode, aliases)
        for i in ctx.node.input:
            if i and i not in g.types:
                raise ctx.err(f"input {i!r} is not produced by any earlier node")
        conv(ctx)
    outs = []
    for o in proto.graph.output:
        name = aliases.get(o.name, o.name)
        if name not in g.types:
            raise CompileError(f"graph output {o.name!r} is not produced")
        outs.append(name)
    g.outputs = outs
    g.meta["output_names"] = [o.name for o in proto.graph.output]
    del g.meta["aliases"]
    g.remove_dead()
    return g


class _NodeView:
    """An ONNX node with its inputs resolved through aliases (the model proto is not modified)."""

    def __init__(self, onode: Any, aliases: dict[str, str]) -> None:
        self.op_type, self.name, self.domain = onode.op_type, onode.name, onode.domain
        self.output = list(onode.output)
        self.attribute = list(onode.attribute)
        self.input = []
        for name in onode.input:
            while name in aliases:
                name = aliases[name]
            self.input.append(name)
