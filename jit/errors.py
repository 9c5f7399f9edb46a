"""Errors of the runtime JIT."""

from vta.isa.errors import VtaError


class JitError(VtaError, ValueError):
    """A runtime call broke a rule (bad kernel, bad dependency pair, transfer outside a buffer)."""
