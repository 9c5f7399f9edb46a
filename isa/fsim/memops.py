"""Fast 2D LOAD/STORE between the DRAM arena and the SRAMs (strided numpy views, no Python loops)."""

from __future__ import annotations

import numpy as np

from ..dram import Dram
from .machine import Machine
from .program import MemFields


def _rows(data: np.ndarray, start: int, rows: int, row_bytes: int, stride_bytes: int) -> np.ndarray:
    """A (rows, row_bytes) view of DRAM rows `stride_bytes` apart (already bounds-checked).

    Built with the ndarray constructor: numpy's as_strided costs ~20x more per call.
    """
    return np.ndarray((rows, row_bytes), dtype=np.uint8, buffer=data, offset=start, strides=(stride_bytes, 1))


def load_2d(m: Machine, dram: Dram, f: MemFields) -> None:
    """LOAD: dense SRAM block with zero padding around y_size rows of x_size elements."""
    sram = m.sram(f.memory_type)
    eb = sram.shape[1]
    width = f.x_pad_0 + f.x_size + f.x_pad_1
    height = f.y_pad_0 + f.y_size + f.y_pad_1
    block = sram[f.sram_base : f.sram_base + width * height].reshape(height, width * eb)
    if f.y_pad_0 or f.y_pad_1 or f.x_pad_0 or f.x_pad_1:
        block[...] = 0
    if f.y_size:
        src = _rows(dram.data, f.dram_base * eb, f.y_size, f.x_size * eb, f.x_stride * eb)
        block[f.y_pad_0 : f.y_pad_0 + f.y_size, f.x_pad_0 * eb : (f.x_pad_0 + f.x_size) * eb] = src


def store_2d(m: Machine, dram: Dram, f: MemFields) -> None:
    """STORE: y_size rows of x_size OUT elements (dense in SRAM) to strided DRAM rows."""
    out = m.sram(f.memory_type)
    eb = out.shape[1]
    src = out[f.sram_base : f.sram_base + f.y_size * f.x_size].reshape(f.y_size, f.x_size * eb)
    start = f.dram_base * eb
    if f.x_stride >= f.x_size or f.y_size == 1:
        dst = _rows(dram.data, start, f.y_size, f.x_size * eb, f.x_stride * eb)
        dst[...] = src
    else:  # overlapping rows: later rows win, as in sequential hardware
        for r in range(f.y_size):
            at = start + r * f.x_stride * eb
            dram.data[at : at + f.x_size * eb] = src[r]
