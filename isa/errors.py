"""The kit's exception classes; every message names the thing and the rule broken."""


class VtaError(Exception):
    """Base class of every error the kit raises on bad input."""


class ConfigError(VtaError, ValueError):
    """A configuration key is missing, malformed or breaks an ISA rule."""


class IsaError(VtaError, ValueError):
    """An instruction or micro-op cannot be encoded, decoded or assembled."""


class SimulationError(VtaError, RuntimeError):
    """A program broke an execution rule (bad index, deadlock, no FINISH, ...)."""


class DeviceError(VtaError, RuntimeError):
    """A device operation failed (bad address, closed device, backend failure)."""
