"""The compiler's error class for models it cannot take (unsupported op, attribute, shape)."""

from __future__ import annotations

from vta.isa.errors import VtaError


class CompileError(VtaError, ValueError):
    """A model, graph or option the compiler cannot handle; the message names the node, op and rule."""


def node_error(node, rule: str, opset: int | None = None) -> CompileError:
    """A CompileError naming a node (name and op type), the opset if known, and the rule broken."""
    where = f"node {node.name!r} ({node.op}"
    if opset is not None:
        where += f", opset {opset}"
    return CompileError(f"{where}): {rule}")
