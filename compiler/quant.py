"""Post-training int8 quantization with power-of-two scales: fused float graph -> quantized graph.

Each float tensor gets an exponent e (value = q * 2**-e) chosen from calibration
(quant_ops.best_exp: the no-saturation exponent or the next finer one, whichever
has the smaller squared error on the calibration values); weights get one
per-tensor exponent the same way (symmetric, [-127, 127]); biases are int32 at
the accumulator's exponent. FakeQuant (from QDQ models) pins its tensor's exponent.

Requantization is round half up then clip (quant_ops module docstring), so it is
shift + clip on the VTA ALU. Ops without an integer rule run in float on the CPU,
with Dequantize/Quantize inserted around them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .graph import Graph, Node, TensorType
from .graph_errors import CompileError, node_error
from .graph_ops import act_bounds, infer_node
from .quant_calib import Calibration
from .quant_ops import (AVG_SHIFT, Q_MAX, Q_MIN, UNARY, W_MAX, avg_mults, best_exp, imm_bound, lut_table, pot_exp,
                        q_bound, quantize_array, requant_steps, rounding_const)

_LAYOUT_OPS = ("Reshape", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Gather")
_CONV_OPS = {"Conv": "QConv", "Dense": "QDense", "ConvTranspose": "QConvTranspose"}


@dataclass
class QuantOptions:
    """Knobs of the quantizer."""

    mse_search: bool = True          # also try finer exponents (saturating outliers) and keep the lowest error
    act_candidates: int = 2          # exponents tried for activations: e0 .. e0 + n - 1
    weight_candidates: int = 2       # the same for weights
    max_avg_gain_bits: int = 16      # cap on e_out - e_in for average pooling (keeps int64 products safe)
    saturation_aware: bool = True    # a tensor read only by saturating functions is ranged over their knees
    float_layers: tuple[str, ...] = ()  # node names kept in float32 (run on the CPU), like upstream's skip layers


def fake_quant_exp(a: dict) -> int:
    """The exponent for a Q/DQ pair: its own grid when that is int8 with a power-of-two scale and zero point 0,
    else the finest power-of-two grid that holds its whole range."""
    e = -math.log2(a["scale"])
    if a["zero_point"] == 0 and a["qmin"] == Q_MIN and a["qmax"] == Q_MAX and e == round(e):
        return int(round(e))
    return pot_exp(max(abs(a["qmin"] - a["zero_point"]), abs(a["qmax"] - a["zero_point"])) * a["scale"])


def saturation_window(node: Node) -> tuple[float, float] | None:
    """(lo, hi) such that the elementwise op is constant below lo and above hi (None: not saturating)."""
    a = node.attrs
    if node.op == "HardSwish":
        return (-3.0, np.inf)
    if node.op == "HardSigmoid":
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        return (-beta / alpha, (1.0 - beta) / alpha) if alpha > 0 else None
    if node.op == "Relu":
        return (0.0, np.inf)
    if node.op == "Clip":
        return (-np.inf if a.get("min") is None else a["min"], np.inf if a.get("max") is None else a["max"])
    return None


class Quantizer:
    """Walks the float graph in order and emits the quantized graph."""

    def __init__(self, src: Graph, calib: Calibration, opts: QuantOptions) -> None:
        self.src, self.calib, self.opts = src, calib, opts
        self.g = Graph(src.name + "_int8")
        self.g.meta = dict(src.meta)
        self.qv: dict[str, str] = {}
        self.fv: dict[str, str] = {}
        self.hints: dict[str, int] = {}
        self._exp_cache: dict[str, int] = {}
        self.consumers = src.consumers()
        self.reserved = set(src.inputs) | set(src.outputs)
        for node in src.nodes:
            if node.op == "FakeQuant":
                self.hints[node.inputs[0]] = self.hints[node.outputs[0]] = fake_quant_exp(node.attrs)

    # ------------------------------------------------------------ exponents and conversions
    def exp_of(self, v: str) -> int:
        if v in self.hints:
            return self.hints[v]
        if v not in self._exp_cache:
            st = self.calib.stats.get(v)
            if st is None:
                raise CompileError(f"value {v!r} was not seen during calibration")
            cands = self.opts.act_candidates if self.opts.mse_search else 1
            values, maxabs = st.values(), st.maxabs
            window = self._sensitive_window(v)
            if window is not None:  # only a saturating function reads v: values beyond its knees need no codes
                values = np.clip(values, *window)
                maxabs = float(np.max(np.abs(values))) if values.size else 0.0
            self._exp_cache[v] = best_exp(values, maxabs, candidates=cands)
        return self._exp_cache[v]

    def _sensitive_window(self, v: str) -> tuple[float, float] | None:
        """The input interval outside which every reader of v is constant, if all readers saturate."""
        readers = self.consumers.get(v, [])
        if not readers or v in self.src.outputs or not self.opts.saturation_aware:
            return None
        lo, hi = np.inf, -np.inf
        for r in readers:
            w = saturation_window(r)
            if w is None:
                return None
            lo, hi = min(lo, w[0]), max(hi, w[1])
        return lo, hi

    def qexp(self, qname: str) -> int:
        return self.g.types[qname].exp

    def emit(self, op: str, inputs: list[str], out: str, attrs: dict, name: str) -> Node:
        node = self.g.add_node(op, inputs, [out], name=self.g.fresh(name), attrs=attrs)
        types = infer_node(node, [self.g.types[i] if i else None for i in inputs], self.g)
        self.g.types[out] = types[0]
        return node

    def qname(self, v: str) -> str:
        return self.g.fresh(v + "_q" if v in self.reserved else v)

    def add_qconst(self, base: str, q: np.ndarray, exp: int | None) -> str:
        name = self.g.add_const(base, q, unique=True)
        self.g.types[name] = TensorType(q.shape, self.g.types[name].dtype, exp)
        return name

    def as_q(self, v: str) -> str:
        if v in self.qv:
            return self.qv[v]
        if self.src.is_const(v):
            c = self.src.const(v).astype(np.float32)
            e = best_exp(c, float(np.max(np.abs(c))) if c.size else 0.0)
            self.qv[v] = self.add_qconst(v + "_q", quantize_array(c, e), e)
            return self.qv[v]
        f = self.as_f(v)
        out = self.g.fresh(v + "_q")
        self.emit("Quantize", [f], out, {"exp": self.exp_of(v)}, "quantize_" + v)
        self.qv[v] = out
        return out

    def as_f(self, v: str) -> str:
        if v in self.fv:
            return self.fv[v]
        if self.src.is_const(v):
            self.fv[v] = self.g.add_const(v, self.src.const(v))
            return self.fv[v]
        if v not in self.qv:
            raise CompileError(f"value {v!r} is used before it is defined")
        q = self.qv[v]
        out = v if v in self.src.outputs and v not in self.g.types else self.g.fresh(v + "_f")
        self.emit("Dequantize", [q], out, {"exp": self.qexp(q)}, "dequantize_" + v)
        self.fv[v] = out
        return out

    # ------------------------------------------------------------ driver
    def run(self) -> Graph:
        for name in self.src.inputs:
            self.g.add_input(name, self.src.types[name])
            self.fv[name] = name
        unknown = set(self.opts.float_layers) - {n.name for n in self.src.nodes}
        if unknown:
            raise CompileError(f"float_layers names no node of the graph: {sorted(unknown)}")
        for node in self.src.nodes:
            rule = None if node.name in self.opts.float_layers else RULES.get(node.op)
            if rule is None or not rule(self, node):
                self.float_fallback(node)
        self.g.outputs = [self.as_f(o) for o in self.src.outputs]
        self.g.remove_dead()
        return self.g

    def float_fallback(self, node: Node) -> None:
        ins = [self.as_f(i) if i else "" for i in node.inputs]
        if node.op in _CONV_OPS and (len(ins) < 3 or not ins[2]):  # CPU float kernels always take a bias
            oc = self.src.types[node.outputs[0]].shape[1]
            zero = self.g.add_const(node.name + "_zero_bias", np.zeros(oc, np.float32), unique=True)
            ins = ins[:2] + [zero] + ins[3:]
        outs = [o if o not in self.g.types else self.g.fresh(o) for o in node.outputs]
        new = self.g.add_node(node.op, ins, outs, name=self.g.fresh(node.name), attrs=dict(node.attrs))
        for o, t in zip(outs, infer_node(new, [self.g.types[i] if i else None for i in ins], self.g)):
            self.g.types[o] = t
        for o, new_o in zip(node.outputs, outs):
            self.fv[o] = new_o


# ---------------------------------------------------------------- rules (return False to fall back to float)
Rule = Callable[[Quantizer, Node], bool]


def _bounds(act: tuple | None, exp: int) -> tuple[int, int]:
    lo, hi = act_bounds(act)
    return q_bound(lo, exp, False), q_bound(hi, exp, True)


def _conv_rule(qz: Quantizer, node: Node) -> bool:
    src = qz.src
    if not src.is_const(node.inputs[1]) or (len(node.inputs) > 2 and node.inputs[2] and not src.is_const(node.inputs[2])):
        return False
    x = qz.as_q(node.inputs[0])
    ex = qz.qexp(x)
    w = src.const(node.inputs[1]).astype(np.float32)
    ew = best_exp(w, float(np.max(np.abs(w))), qmax=W_MAX, lo=-W_MAX, hi=W_MAX,
                  candidates=qz.opts.weight_candidates if qz.opts.mse_search else 1)
    wq = quantize_array(w, ew, -W_MAX, W_MAX)
    ea = ex + ew
    oc = w.shape[1] if node.op == "ConvTranspose" else w.shape[0]
    b = src.const(node.inputs[2]).astype(np.float64) if len(node.inputs) > 2 and node.inputs[2] else np.zeros(oc)
    bias = np.floor(b * 2.0 ** ea + 0.5).astype(np.int64)
    out = node.outputs[0]
    eo = qz.exp_of(out)
    act, post = node.attrs.get("act"), node.attrs.get("post_act")
    ins = [x, qz.add_qconst(node.inputs[1] + "_q", wq, ew)]
    if len(node.inputs) > 3:
        r = qz.as_q(node.inputs[3])
        er = qz.qexp(r)
        s1 = ea - er
        bias += rounding_const(s1)
        steps: list[tuple] = [("bias",)] + ([("shr", s1)] if s1 else [])
        if act is not None:
            lo, hi = act_bounds(act)
            steps.append(("clip", imm_bound(lo, er), imm_bound(hi, er)))
        steps.append(("residual",))
        steps += requant_steps(er - eo, *_bounds(post, eo), rounding_in_bias=False)
    else:
        s = ea - eo
        bias += rounding_const(s)
        merged = act if post is None else (post if act is None else ("clip", max(act_bounds(act)[0], act_bounds(post)[0]),
                                                                     min(act_bounds(act)[1], act_bounds(post)[1])))
        steps = [("bias",)] + requant_steps(s, *_bounds(merged, eo), rounding_in_bias=True)
        r = None
    if np.any(np.abs(bias) >= 2 ** 31):
        raise node_error(node, f"quantized bias does not fit int32 (accumulator exponent {ea})")
    ins.append(qz.add_qconst(node.name + "_bias_q", bias.astype(np.int32), ea))
    if r is not None:
        ins.append(r)
    attrs = {k: node.attrs[k] for k in ("strides", "pads", "group", "output_padding") if k in node.attrs}
    attrs.update(epilogue=tuple(steps), in_exp=ex, w_exp=ew, out_exp=eo)
    q = qz.qname(out)
    qz.emit(_CONV_OPS[node.op], ins, q, attrs, node.name)
    qz.qv[out] = q
    return True


def _maxpool_rule(qz: Quantizer, node: Node) -> bool:
    x = qz.as_q(node.inputs[0])
    q = qz.qname(node.outputs[0])
    qz.emit("QMaxPool", [x], q, dict(node.attrs), node.name)
    qz.qv[node.outputs[0]] = q
    return True


def _avgpool_rule(qz: Quantizer, node: Node) -> bool:
    x = qz.as_q(node.inputs[0])
    ei = qz.qexp(x)
    eo = min(qz.exp_of(node.outputs[0]), ei + qz.opts.max_avg_gain_bits)
    kh, kw = node.attrs["kernel"]
    attrs = dict(node.attrs)
    attrs.update(shift=AVG_SHIFT, mults=tuple(avg_mults(range(1, kh * kw + 1), ei, eo)), in_exp=ei, out_exp=eo)
    q = qz.qname(node.outputs[0])
    qz.emit("QAvgPool", [x], q, attrs, node.name)
    qz.qv[node.outputs[0]] = q
    return True


def _unary_rule(qz: Quantizer, node: Node) -> bool:
    x = qz.as_q(node.inputs[0])
    ei = qz.qexp(x)
    eo = qz.exp_of(node.outputs[0])
    if node.op in ("Relu", "Clip"):
        eo = max(eo, ei)  # a clamp never needs a coarser scale than its input
    table = qz.add_qconst(node.name + "_lut", lut_table(node.op, node.attrs, ei, eo), None)
    q = qz.qname(node.outputs[0])
    qz.emit("QLut", [x, table], q, {"func": node.op, "func_attrs": dict(node.attrs), "in_exp": ei, "out_exp": eo},
            node.name)
    qz.qv[node.outputs[0]] = q
    return True


def _const_operand(qz: Quantizer, v: str, near_exp: int) -> str:
    c = qz.src.const(v).astype(np.float32)
    e = min(best_exp(c, float(np.max(np.abs(c))) if c.size else 0.0), near_exp + 6)
    return qz.add_qconst(v + "_q", quantize_array(c, e), e)


def _add_rule(qz: Quantizer, node: Node) -> bool:
    a_name, b_name = node.inputs
    if qz.src.is_const(a_name):
        return False
    a = qz.as_q(a_name)
    b = _const_operand(qz, b_name, qz.qexp(a)) if qz.src.is_const(b_name) else qz.as_q(b_name)
    ea, eb = qz.qexp(a), qz.qexp(b)
    e = max(ea, eb)
    if e - min(ea, eb) > 16:
        return False
    eo = qz.exp_of(node.outputs[0])
    steps = requant_steps(e - eo, *_bounds(node.attrs.get("act"), eo), rounding_in_bias=False)
    q = qz.qname(node.outputs[0])
    qz.emit("QAdd", [a, b], q, {"pre_shift": (e - ea, e - eb), "sign_b": -1 if node.op == "Sub" else 1,
                                "epilogue": tuple(steps), "out_exp": eo}, node.name)
    qz.qv[node.outputs[0]] = q
    return True


def _mul_rule(qz: Quantizer, node: Node) -> bool:
    a_name, b_name = node.inputs
    if qz.src.is_const(a_name):
        return False
    a = qz.as_q(a_name)
    b = _const_operand(qz, b_name, 0) if qz.src.is_const(b_name) else qz.as_q(b_name)
    eo = qz.exp_of(node.outputs[0])
    steps = requant_steps(qz.qexp(a) + qz.qexp(b) - eo, Q_MIN, Q_MAX, rounding_in_bias=False)
    q = qz.qname(node.outputs[0])
    qz.emit("QMul", [a, b], q, {"epilogue": tuple(steps), "out_exp": eo}, node.name)
    qz.qv[node.outputs[0]] = q
    return True


def _layout_rule(qz: Quantizer, node: Node) -> bool:
    if qz.src.is_const(node.inputs[0]):
        return False
    x = qz.as_q(node.inputs[0])
    q = qz.qname(node.outputs[0])
    qz.emit(node.op, [x] + [qz.as_f(i) for i in node.inputs[1:]], q, dict(node.attrs), node.name)
    qz.qv[node.outputs[0]] = q
    return True


def _concat_rule(qz: Quantizer, node: Node) -> bool:
    ins = [qz.as_q(i) for i in node.inputs]
    eo = qz.exp_of(node.outputs[0])
    q = qz.qname(node.outputs[0])
    qz.emit("QConcat", ins, q, {"axis": node.attrs["axis"], "shifts": tuple(qz.qexp(i) - eo for i in ins),
                                "out_exp": eo}, node.name)
    qz.qv[node.outputs[0]] = q
    return True


def _passthrough_rule(qz: Quantizer, node: Node) -> bool:
    qz.qv[node.outputs[0]] = qz.as_q(node.inputs[0])
    return True


RULES: dict[str, Rule] = {
    "Conv": _conv_rule, "Dense": _conv_rule, "ConvTranspose": _conv_rule,
    "MaxPool": _maxpool_rule, "AvgPool": _avgpool_rule,
    "Add": _add_rule, "Sub": _add_rule, "Mul": _mul_rule, "Concat": _concat_rule,
    "FakeQuant": _passthrough_rule, "Identity": _passthrough_rule,
    **{op: _unary_rule for op in UNARY},
    **{op: _layout_rule for op in _LAYOUT_OPS},
}


def quantize(graph: Graph, calib: Calibration, opts: QuantOptions | None = None) -> Graph:
    """The quantized graph (see the module docstring); the input graph is not modified."""
    return Quantizer(graph, calib, opts or QuantOptions()).run()
