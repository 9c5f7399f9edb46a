"""The operator compiler's error class."""

from __future__ import annotations

from vta.isa.errors import VtaError


class CompileError(VtaError, ValueError):
    """An operator that cannot be mapped to the accelerator; the message names the op, its shapes and the rule."""


def op_error(op: str, shapes: str, rule: str) -> CompileError:
    """A CompileError in the kit's format: `<op> <shapes>: <rule>`."""
    return CompileError(f"{op} {shapes}: {rule}")
