"""Simulated physical DRAM: one zero-filled arena with page-aligned allocations.

Addresses are byte offsets into the arena; the first page is never handed out,
so address 0 is never valid (as upstream's virtual memory). Every access is
checked to lie inside a single live allocation, which is how the simulators
guarantee that a program writes nothing outside its own buffers. The arena is a
numpy array, so other backends (TSIM) can share it without copies.
"""

from __future__ import annotations

import bisect

import numpy as np

from .errors import DeviceError

PAGE_BYTES = 4096
DEFAULT_CAPACITY = 1 << 30  # untouched pages cost nothing: numpy zeros come from calloc


class Dram:
    """A byte-addressed memory with a first-fit, page-granular allocator."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity % PAGE_BYTES or capacity < 2 * PAGE_BYTES:
            raise DeviceError(f"DRAM capacity {capacity} must be a multiple of {PAGE_BYTES} and hold two pages")
        self.capacity = capacity
        self.data = np.zeros(capacity, dtype=np.uint8)
        self._starts: list[int] = []  # sorted starts of live allocations
        self._sizes: dict[int, int] = {}  # start -> requested bytes
        self._spans: dict[int, int] = {}  # start -> reserved bytes (whole pages)
        self._free: list[tuple[int, int]] = [(PAGE_BYTES, capacity - PAGE_BYTES)]  # (start, bytes), sorted

    # ------------------------------------------------------------ allocation
    def alloc(self, nbytes: int) -> int:
        """Reserve `nbytes` (zeroed); returns a nonzero, page-aligned address."""
        if not isinstance(nbytes, (int, np.integer)) or nbytes <= 0:
            raise DeviceError(f"alloc: size must be a positive integer, got {nbytes!r}")
        span = -(-int(nbytes) // PAGE_BYTES) * PAGE_BYTES
        for i, (start, size) in enumerate(self._free):
            if size >= span:
                if size == span:
                    del self._free[i]
                else:
                    self._free[i] = (start + span, size - span)
                bisect.insort(self._starts, start)
                self._sizes[start] = int(nbytes)
                self._spans[start] = span
                self.data[start : start + span] = 0
                return start
        raise DeviceError(
            f"alloc: out of device memory ({nbytes} bytes requested, {self.free_bytes} free of {self.capacity})"
        )

    def free(self, addr: int) -> None:
        if addr not in self._sizes:
            raise DeviceError(f"free: {addr:#x} is not the start of a live allocation")
        span = self._spans.pop(addr)
        del self._sizes[addr]
        self._starts.remove(addr)
        bisect.insort(self._free, (addr, span))
        merged: list[tuple[int, int]] = []
        for start, size in self._free:
            if merged and merged[-1][0] + merged[-1][1] == start:
                merged[-1] = (merged[-1][0], merged[-1][1] + size)
            else:
                merged.append((start, size))
        self._free = merged

    def free_all(self) -> None:
        for addr in list(self._starts):
            self.free(addr)

    @property
    def free_bytes(self) -> int:
        return sum(size for _, size in self._free)

    def allocations(self) -> list[tuple[int, int]]:
        """(address, requested bytes) of every live allocation, by address."""
        return [(s, self._sizes[s]) for s in self._starts]

    # ------------------------------------------------------------ checking
    def find(self, addr: int) -> tuple[int, int] | None:
        """The live allocation (start, bytes) containing `addr`, if any."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        start = self._starts[i]
        size = self._sizes[start]
        return (start, size) if addr < start + size else None

    def contains(self, addr: int, nbytes: int) -> bool:
        """True if [addr, addr + nbytes) lies inside one live allocation (nbytes 0: always)."""
        if nbytes <= 0:
            return True
        hit = self.find(addr)
        return hit is not None and addr + nbytes <= hit[0] + hit[1]

    def check(self, addr: int, nbytes: int, what: str) -> None:
        if not self.contains(addr, nbytes):
            raise DeviceError(f"{what}: bytes [{addr:#x}, {addr + nbytes:#x}) are not inside one allocation")

    # ------------------------------------------------------------ access
    def write(self, addr: int, data: bytes | bytearray | memoryview | np.ndarray) -> None:
        buf = as_bytes(data)
        self.check(addr, buf.size, "write")
        self.data[addr : addr + buf.size] = buf

    def read(self, addr: int, nbytes: int) -> np.ndarray:
        if nbytes < 0:
            raise DeviceError(f"read: negative size {nbytes}")
        self.check(addr, nbytes, "read")
        return self.data[addr : addr + nbytes].copy()


def as_bytes(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """A flat uint8 view of any bytes-like object or numpy array (raw bytes, no conversion)."""
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    return np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
