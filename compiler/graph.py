"""The typed dataflow graph IR: values (shape, dtype, quantization exponent), nodes, constants.

A `Graph` is a list of `Node`s in topological order. Values are named; each has a
`TensorType`. Constants are values with a numpy array in `graph.consts`. Quantized
values carry `exp`: the real number a stored integer q stands for is q * 2**-exp.

    g = Graph("m"); g.add_input("x", TensorType((1, 3, 8, 8), "float32"))
    g.add_node("Relu", ["x"], ["y"]); g.outputs = ["y"]; g.infer(); print(g)
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from .graph_errors import CompileError, node_error

DTYPES = ("float32", "int8", "int32", "int64", "bool")


@dataclass(frozen=True)
class TensorType:
    """Static shape, element type and (for quantized tensors) the power-of-two exponent."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    exp: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        if self.dtype not in DTYPES:
            raise CompileError(f"unknown dtype {self.dtype!r}; known: {', '.join(DTYPES)}")

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __str__(self) -> str:
        q = f"@2^-{self.exp}" if self.exp is not None and self.exp >= 0 else (
            f"@2^{-self.exp}" if self.exp is not None else "")
        return f"{self.dtype}[{','.join(map(str, self.shape))}]{q}"


@dataclass
class Node:
    """One operation: op type, named inputs and outputs, attributes (plain Python values)."""

    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


def _fmt_attr(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"<{v.dtype}{list(v.shape)}>"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)) and len(v) > 8:
        return f"[{len(v)} items]"
    return str(v)


class Graph:
    """Nodes in topological order, value types, constants, graph inputs and outputs."""

    def __init__(self, name: str = "graph") -> None:
        self.name = name
        self.nodes: list[Node] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.types: dict[str, TensorType] = {}
        self.consts: dict[str, np.ndarray] = {}
        self.meta: dict[str, Any] = {}
        self._uid = itertools.count()

    # ------------------------------------------------------------ building
    def add_input(self, name: str, ttype: TensorType) -> str:
        self.inputs.append(name)
        self.types[name] = ttype
        return name

    def add_const(self, name: str, value: np.ndarray, *, unique: bool = False) -> str:
        """Register a constant; with unique=True a fresh name is derived from `name`."""
        if unique:
            name = self.fresh(name)
        arr = np.asarray(value)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        self.consts[name] = arr
        self.types[name] = TensorType(arr.shape, _dtype_name(arr.dtype))
        return name

    def add_node(self, op: str, inputs: list[str], outputs: list[str] | int = 1, name: str | None = None,
                 attrs: dict[str, Any] | None = None, *, index: int | None = None) -> Node:
        """Append (or insert at `index`) a node; integer `outputs` makes that many fresh value names."""
        name = name or self.fresh(op.lower())
        if isinstance(outputs, int):
            outputs = [name if outputs == 1 else f"{name}:{i}" for i in range(outputs)]
            outputs = [self.fresh(o) if o in self.types else o for o in outputs]
        node = Node(op, name, list(inputs), list(outputs), dict(attrs or {}))
        if index is None:
            self.nodes.append(node)
        else:
            self.nodes.insert(index, node)
        return node

    def fresh(self, base: str) -> str:
        """A value/node name not used yet, derived from `base`."""
        names = self.types.keys() | {n.name for n in self.nodes}
        if base not in names:
            return base
        while True:
            cand = f"{base}_{next(self._uid)}"
            if cand not in names:
                return cand

    # ------------------------------------------------------------ queries
    def producer(self) -> dict[str, Node]:
        """Value name -> the node that produces it."""
        return {o: n for n in self.nodes for o in n.outputs}

    def consumers(self) -> dict[str, list[Node]]:
        """Value name -> the nodes that read it (graph outputs are not nodes)."""
        uses: dict[str, list[Node]] = {}
        for n in self.nodes:
            for i in n.inputs:
                if i:
                    uses.setdefault(i, []).append(n)
        return uses

    def is_const(self, name: str) -> bool:
        return name in self.consts

    def const(self, name: str) -> np.ndarray:
        return self.consts[name]

    def type(self, name: str) -> TensorType:
        try:
            return self.types[name]
        except KeyError:
            raise CompileError(f"graph {self.name!r}: value {name!r} has no type (run infer())") from None

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise CompileError(f"graph {self.name!r}: no node named {name!r}")

    # ------------------------------------------------------------ editing
    def replace_uses(self, old: str, new: str) -> None:
        """Every reader of `old` (nodes and graph outputs) reads `new` instead."""
        for n in self.nodes:
            n.inputs = [new if i == old else i for i in n.inputs]
        self.outputs = [new if o == old else o for o in self.outputs]

    def remove_dead(self) -> int:
        """Drop nodes whose outputs nobody reads and unused constants; returns nodes removed."""
        live = set(self.outputs)
        keep: list[Node] = []
        for n in reversed(self.nodes):
            if any(o in live for o in n.outputs):
                keep.append(n)
                live.update(i for i in n.inputs if i)
        removed = len(self.nodes) - len(keep)
        self.nodes = list(reversed(keep))
        for c in [c for c in self.consts if c not in live]:
            del self.consts[c]
        used = live | set(self.inputs) | {o for n in self.nodes for o in n.outputs}
        for t in [t for t in self.types if t not in used]:
            del self.types[t]
        return removed

    def toposort(self) -> None:
        """Reorder nodes so every value is produced before it is read; raises on a cycle."""
        ready = set(self.inputs) | set(self.consts) | {""}
        pending, order = list(self.nodes), []
        while pending:
            rest = []
            for n in pending:
                if all(i in ready for i in n.inputs):
                    order.append(n)
                    ready.update(n.outputs)
                else:
                    rest.append(n)
            if len(rest) == len(pending):
                missing = sorted({i for n in rest for i in n.inputs if i not in ready})
                raise CompileError(f"graph {self.name!r}: cycle or undefined values {missing[:5]} "
                                   f"(first stuck node {rest[0].name!r} ({rest[0].op}))")
            pending = rest
        self.nodes = order

    def copy(self) -> "Graph":
        g = Graph(self.name)
        g.nodes = [Node(n.op, n.name, list(n.inputs), list(n.outputs), copy.copy(n.attrs)) for n in self.nodes]
        g.inputs, g.outputs = list(self.inputs), list(self.outputs)
        g.types = dict(self.types)
        g.consts = dict(self.consts)
        g.meta = dict(self.meta)
        return g

    def infer(self) -> "Graph":
        """Recompute every node's output types from its inputs (shape and dtype inference)."""
        from .graph_ops import infer_node

        for n in self.nodes:
            ins = []
            for i in n.inputs:
                if i and i not in self.types:
                    raise node_error(n, f"input {i!r} is not defined before this node")
                ins.append(self.types[i] if i else None)
            outs = infer_node(n, ins, self)
            if len(outs) != len(n.outputs):
                raise node_error(n, f"produces {len(outs)} values, node lists {len(n.outputs)} outputs")
            for o, t in zip(n.outputs, outs):
                old = self.types.get(o)
                if old is not None and old.exp is not None and t.exp is None and old.dtype == t.dtype:
                    t = TensorType(t.shape, t.dtype, old.exp)
                self.types[o] = t
        return self

    # ------------------------------------------------------------ printing
    def op_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n.op] = counts.get(n.op, 0) + 1
        return counts

    def format_node(self, n: Node) -> str:
        def arg(v: str) -> str:
            if not v:
                return "_"
            if v in self.consts:
                return f"${v}:{self.types[v]}" if self.consts[v].size > 4 else f"${v}={self.consts[v].tolist()}"
            return f"%{v}"

        attrs = ", ".join(f"{k}={_fmt_attr(v)}" for k, v in n.attrs.items())
        outs = ", ".join(f"%{o}: {self.types[o]}" if o in self.types else f"%{o}" for o in n.outputs)
        return f"{outs} = {n.op}({', '.join(arg(i) for i in n.inputs)})" + (f" {{{attrs}}}" if attrs else "")

    def __str__(self) -> str:
        lines = [f"graph {self.name} ({len(self.nodes)} nodes, {len(self.consts)} constants)"]
        for i in self.inputs:
            lines.append(f"  input  %{i}: {self.types.get(i)}")
        for n in self.nodes:
            lines.append(f"  {self.format_node(n)}   # {n.name}")
        lines.append(f"  output {', '.join('%' + o for o in self.outputs)}")
        return "\n".join(lines)


def _dtype_name(dt: np.dtype) -> str:
    name = np.dtype(dt).name
    if name in ("float64", "float16"):
        return "float32"
    if name in ("int16", "uint8", "uint16", "uint32", "uint64"):
        return "int32" if name != "uint64" else "int64"
    if name not in DTYPES:
        raise CompileError(f"constant dtype {name} is not supported")
    return name


def np_dtype(dtype: str) -> np.dtype:
    return np.dtype(dtype)


def iter_values(graph: Graph) -> Iterable[str]:
    yield from graph.inputs
    for n in graph.nodes:
        yield from n.outputs
