"""On-chip state of the simulated accelerator: the five SRAMs and the decoded micro-op buffer."""

from __future__ import annotations

import numpy as np

from ..config import Config
from ..encode import decode_uops
from ..opcodes import MemType


PLAN_CACHE_LIMIT = 4096


class Machine:
    """INP/WGT/ACC/OUT element arrays and the UOP buffer (raw words plus decoded columns).

    Element layouts match DRAM: INP [batch][block_in] int8, WGT [block_out][block_in]
    int8, ACC [batch][block_out] int32, OUT [batch][block_out] int8.
    """

    def __init__(self, config: Config) -> None:
        c = self.config = config
        self.inp = np.zeros((c.inp_depth, c.batch, c.block_in), dtype=np.int8)
        self.wgt = np.zeros((c.wgt_depth, c.block_out, c.block_in), dtype=np.int8)
        self.acc = np.zeros((c.acc_depth, c.batch, c.block_out), dtype=np.int32)
        self.out = np.zeros((c.out_depth, c.batch, c.block_out), dtype=np.int8)
        self.uop = np.zeros(c.uop_depth, dtype=np.uint32)
        self.uop_dst = np.zeros(c.uop_depth, dtype=np.int64)
        self.uop_src = np.zeros(c.uop_depth, dtype=np.int64)
        self.uop_wgt = np.zeros(c.uop_depth, dtype=np.int64)
        # Execution plans keyed by (instruction nest fields, micro-op words they run): content-addressed,
        # so reloading the same kernel (every run reloads its micro-ops) keeps its plans.
        self.plan_cache: dict = {}
        self._byte_views = {int(mt): arr.reshape(arr.shape[0], -1).view(np.uint8) for mt, arr in (
            (MemType.INP, self.inp), (MemType.WGT, self.wgt), (MemType.ACC, self.acc),
            (MemType.OUT, self.out), (MemType.UOP, self.uop))}

    def reset(self) -> None:
        """Zero every SRAM (after a failed run the device starts from a clean state)."""
        for arr in (self.inp, self.wgt, self.acc, self.out, self.uop, self.uop_dst, self.uop_src, self.uop_wgt):
            arr[...] = 0
        self.plan_cache.clear()

    def uops_changed(self, start: int, stop: int) -> None:
        """Refresh the decoded columns after UOP SRAM words [start, stop) were written."""
        if stop > start:
            d, s, w = decode_uops(self.uop[start:stop], self.config)
            self.uop_dst[start:stop] = d
            self.uop_src[start:stop] = s
            self.uop_wgt[start:stop] = w

    def nest_plan(self, f) -> dict:
        """The cache entry (a dict of lazily computed facts) for a GEMM/ALU nest and its current micro-ops."""
        key = (f, self.uop[f.uop_bgn : f.uop_end].tobytes())
        entry = self.plan_cache.get(key)
        if entry is None:
            if len(self.plan_cache) > PLAN_CACHE_LIMIT:
                self.plan_cache.clear()
            entry = self.plan_cache[key] = {}
        return entry

    def sram(self, memory_type: int) -> np.ndarray:
        """The element array of a memory type as a (depth, element bytes) uint8 view."""
        return self._byte_views[memory_type]
