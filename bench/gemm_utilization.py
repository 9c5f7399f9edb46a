"""GEMM utilization on TSIM: GEMM micro-ops per cycle of a compute-bound blocked matmul, and where the rest goes.

The workload is vta.jit.workloads.blocked_matmul (double-buffered INP/WGT
loads overlapping the GEMMs) on the default Config. Tiles are the ones with
the most GEMM work per load step that fit the buffers (double-buffered INP and
WGT halves, the ACC tile, the micro-op buffer); the reduction is long (K = 2048)
so that each output tile's fixed costs (reset, epilogue, store) are amortised.
A 512x512x512 run is measured too, to show what a short reduction costs.

Cycles are split with the hardware counters (RunStats.hw_counters): compute
busy on GEMM, reset, ALU micro-ops and instruction overhead; compute stalled
on dependency tokens (with dual issue that can overlap a busy unit, so it is reported
beside the breakdown); the cycles the stage is not busy. Writes bench/results/gemm_utilization.json;
JSON key `utilization` (target >= 0.9).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from _common import print_table, write_json
from vta.isa import AluOp, Config
from vta.jit import CommandQueue, DeviceBuffer, open_device
from vta.jit.workloads import blocked_matmul, pack_a, pack_w, unpack_c
from vta.tsim.conformance import max_work_tiles

TARGET = 0.9
EPILOGUE = ((AluOp.SHR, 8),)  # one ALU pass, as the copy to OUT would be


def measure(dev, cfg: Config, m: int, n: int, k: int) -> dict[str, object]:
    rng = np.random.default_rng(11)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    w = rng.integers(-128, 128, (n, k), dtype=np.int8)
    mb, nb, kb = m // cfg.batch, n // cfg.block_out, k // cfg.block_in
    tiles = max_work_tiles(mb, nb, kb, cfg)
    cq = CommandQueue(dev)
    bufs = [DeviceBuffer.from_array(dev, pack_a(a, cfg)), DeviceBuffer.from_array(dev, pack_w(w, cfg)),
            DeviceBuffer(dev, m * n)]
    blocked_matmul(cq, *bufs, m, n, k, epilogue=EPILOGUE, tiles=tiles)
    s = cq.synchronize()
    got = unpack_c(bufs[2].read(np.int8), m, n, cfg)
    for b in bufs:
        b.free()
    want = ((a.astype(np.int32) @ w.astype(np.int32).T) >> 8).astype(np.int8)
    hw = s.hw_counters
    cycles = s.cycles or 0
    busy, stall = hw["compute_busy"], hw["compute_stall"]
    overhead = busy - s.gemm_uops - s.gemm_reset_uops - s.alu_uops
    step_beats = (tiles.tm * tiles.tk * cfg.inp_elem_bytes + tiles.tn * tiles.tk * cfg.wgt_elem_bytes) // cfg.bus_bytes
    out_tiles = (mb // tiles.tm) * (nb // tiles.tn)
    return {
        "shape": [m, n, k], "tiles": [tiles.tm, tiles.tn, tiles.tk],
        "gemm_uops_per_load_step": tiles.tm * tiles.tn * tiles.tk, "load_beats_per_step": step_beats,
        "output_tiles": out_tiles, "cycles": cycles, "gemm_uops": s.gemm_uops,
        "utilization": round(s.gemm_uops / cycles, 4),
        "cycles_breakdown": {
            "gemm_uops": s.gemm_uops,
            "gemm_reset_uops": s.gemm_reset_uops,
            "alu_uops": s.alu_uops,
            "compute_insn_overhead": overhead,
            "compute_not_busy": cycles - busy,
        },
        # cycles the compute stage's next instruction (or a pending push) waits for a token; with dual
        # issue it may wait while the other unit runs, so this overlaps the busy rows above
        "compute_stall_tokens": stall,
        "stall_explained": {
            "first_load_step_beats": step_beats,
            "store_busy": hw["store_busy"],
            "note": "compute waits for the first INP/WGT step to arrive, then for each output tile's STORE to "
                    "drain OUT before the next tile's GEMMs (blocked_matmul orders store -> compute with a token)",
        },
        "load_busy": hw["load_busy"], "load_stall": hw["load_stall"], "mem_rd_beats": hw["mem_rd_beats"],
        "bit_exact_vs_numpy": bool(np.array_equal(got, want)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=512)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--k", type=int, default=2048)
    args = parser.parse_args()
    cfg = Config()
    load_before = os.getloadavg()
    with open_device("tsim", cfg, dram_bytes=1 << 28, verbose=1) as dev:
        main_run = measure(dev, cfg, args.m, args.n, args.k)
        short = measure(dev, cfg, 512, 512, 512)
    figures = {"config": cfg.bitstream, "utilization": main_run["utilization"], "target": TARGET,
               "meets_target": main_run["utilization"] >= TARGET, "compute_bound": main_run, "short_k_512": short,
               "load_average_before": [round(x, 2) for x in load_before],
               "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    for name, run in (("compute bound", main_run), ("512^3 (short K)", short)):
        print(f"GEMM utilization, {name}: {run['shape']} tiles {run['tiles']} on {cfg.bitstream}")
        rows = [("utilization", f"{run['utilization']:.4f} GEMM uops/cycle"), ("cycles", f"{run['cycles']:,}")]
        for key, value in run["cycles_breakdown"].items():  # type: ignore[union-attr]
            rows.append((f"  {key}", f"{value:>10,}  {value / run['cycles']:6.1%}"))  # type: ignore[operator]
        rows += [("compute token waits", f"{run['compute_stall_tokens']:,} (may overlap busy)"),
                 ("store_busy", f"{run['stall_explained']['store_busy']:,}"),  # type: ignore[index]
                 ("first load step", f"{run['load_beats_per_step']:,} beats"),
                 ("load busy / stall", f"{run['load_busy']:,} / {run['load_stall']:,}"),
                 ("bit exact", str(run["bit_exact_vs_numpy"]))]
        print_table(rows)
    print(f"wrote {write_json('gemm_utilization', figures)}")
    return 0 if main_run["bit_exact_vs_numpy"] and short["bit_exact_vs_numpy"] else 1


if __name__ == "__main__":
    sys.exit(main())
