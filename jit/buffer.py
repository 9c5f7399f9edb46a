"""Typed views of device allocations, so callers move numpy arrays instead of raw bytes."""

from __future__ import annotations

import numpy as np

from .device import Device


class DeviceBuffer:
    """A device allocation: `addr` (physical, 4096-aligned) and `nbytes`; freed by `free()` or `with`."""

    def __init__(self, device: Device, nbytes: int) -> None:
        self.device = device
        self.nbytes = int(nbytes)
        self.addr = device.alloc(self.nbytes)

    @classmethod
    def from_array(cls, device: Device, array: np.ndarray) -> "DeviceBuffer":
        """Allocate and fill with the raw bytes of `array` (C order)."""
        arr = np.ascontiguousarray(array)
        buf = cls(device, max(arr.nbytes, 1))
        buf.write(arr)
        return buf

    def write(self, array: np.ndarray | bytes, offset: int = 0) -> None:
        self.device.write(self.addr + offset, array)

    def read(self, dtype: np.dtype | type = np.uint8, shape: tuple[int, ...] | None = None, offset: int = 0) -> np.ndarray:
        """A copy of the buffer (from `offset`) as `dtype`, reshaped to `shape` if given."""
        dt = np.dtype(dtype)
        count = int(np.prod(shape)) if shape is not None else (self.nbytes - offset) // dt.itemsize
        raw = self.device.read(self.addr + offset, count * dt.itemsize)
        out = raw.view(dt)
        return out.reshape(shape) if shape is not None else out

    def free(self) -> None:
        if self.addr:
            self.device.free(self.addr)
            self.addr = 0

    def __enter__(self) -> "DeviceBuffer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    def __repr__(self) -> str:
        return f"DeviceBuffer(addr={self.addr:#x}, nbytes={self.nbytes})"
