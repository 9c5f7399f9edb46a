"""The operator compiler's error class: the compiler's one CompileError, shared with the graph-level passes.

It is defined beside the graph IR (graph_errors.py) and re-exported here, so that
`except CompileError` catches a rejection from any layer of the compiler (the
partitioner relies on this to fall back to the CPU for an operator VTA cannot take).
"""

from __future__ import annotations

from .graph_errors import CompileError

__all__ = ["CompileError", "op_error"]


def op_error(op: str, shapes: str, rule: str) -> CompileError:
    """A CompileError in the kit's format: `<op> <shapes>: <rule>`."""
    return CompileError(f"{op} {shapes}: {rule}")
