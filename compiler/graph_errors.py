"""The compiler's error class for models it cannot take (unsupported op, attribute, shape).

It is the operator compiler's `CompileError` (compiler/errors.py) when that module is
present, so one `except CompileError` catches both layers.
"""

from __future__ import annotations

from vta.isa.errors import VtaError

try:
    from .errors import CompileError
except ImportError:  # the operator compiler's module is not there: same class shape of our own
    class CompileError(VtaError, ValueError):  # type: ignore[no-redef]
        """A model, graph or option the compiler cannot handle; the message names the node, op and rule."""


def node_error(node, rule: str, opset: int | None = None) -> CompileError:
    """A CompileError naming a node (name and op type), the opset if known, and the rule broken."""
    where = f"node {node.name!r} ({node.op}"
    if opset is not None:
        where += f", opset {opset}"
    return CompileError(f"{where}): {rule}")


__all__ = ["CompileError", "VtaError", "node_error"]
