"""vta.jit: the runtime — devices, buffers, micro-op kernels and the command queue."""

from .buffer import DeviceBuffer
from .command_queue import CommandQueue
from .device import BACKENDS, Device, open_device, register_backend
from .errors import JitError
from .kernel import KernelBuilder, Loop, UopKernel

__all__ = ["BACKENDS", "CommandQueue", "Device", "DeviceBuffer", "JitError", "KernelBuilder", "Loop", "UopKernel",
           "open_device", "register_backend"]
