"""TSIM speed: simulated cycles per second on a GEMM-heavy program, and the TSIM build time cold and cached.

The program is a 512x512x512 int8 blocked matmul (vta.jit.workloads, double
buffered loads) on the default Config. Speed is the best of --repeats runs,
by wall clock (`cycles_per_s`, the JSON key) and by this process's CPU time
(`cycles_per_cpu_s`, less sensitive to other jobs on the machine). The cold
build uses a fresh VTA_CACHE_DIR (nothing cached, the Verilator runtime
objects included); the cached figure is the same build() call once the library
exists. Load averages are recorded before and after: two cores are shared with
other builds. docs/hardware.md ("TSIM speed") says what the figure depends on.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from _common import print_table, write_json
from vta.isa import AluOp, Config
from vta.jit import CommandQueue, DeviceBuffer, open_device
from vta.jit.workloads import blocked_matmul, pack_a, pack_w, unpack_c
from vta.tsim.build import build
from vta.tsim.rtl import vta_top_spec

TARGET = 1_000_000
EPILOGUE = ((AluOp.SHR, 10), (AluOp.MAX, -128), (AluOp.MIN, 127))


def time_builds(cfg: Config) -> dict[str, float]:
    """Cold build into an empty cache folder, then the cached lookup of the same library."""
    old = os.environ.get("VTA_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="vta-cold-cache-") as tmp:
        os.environ["VTA_CACHE_DIR"] = tmp
        try:
            spec = vta_top_spec(cfg)
            cold = build(spec, verbose=1)
            cached = build(spec, verbose=0)
            start = time.perf_counter()
            with open_device("tsim", cfg, verbose=0):
                pass
            open_s = time.perf_counter() - start
        finally:
            if old is None:
                os.environ.pop("VTA_CACHE_DIR", None)
            else:
                os.environ["VTA_CACHE_DIR"] = old
    assert not cold.cached and cached.cached
    return {"build_cold_s": round(cold.seconds, 1), "build_cached_s": round(cached.seconds, 4),
            "open_cached_device_s": round(open_s, 3)}


def time_runs(cfg: Config, size: int, repeats: int) -> dict[str, object]:
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, (size, size), dtype=np.int8)
    w = rng.integers(-128, 128, (size, size), dtype=np.int8)
    best_wall = best_cpu = float("inf")
    with open_device("tsim", cfg, dram_bytes=1 << 28, verbose=1) as dev:
        evals = dev.harness.evals_per_cycle
        cq = CommandQueue(dev)
        ab, wb = DeviceBuffer.from_array(dev, pack_a(a, cfg)), DeviceBuffer.from_array(dev, pack_w(w, cfg))
        cb = DeviceBuffer(dev, size * size)
        for _ in range(repeats):
            tiles = blocked_matmul(cq, ab, wb, cb, size, size, size, epilogue=EPILOGUE)
            wall, cpu = time.perf_counter(), time.process_time()
            stats = cq.synchronize()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        got = unpack_c(cb.read(np.int8), size, size, cfg)
    want = np.clip((a.astype(np.int32) @ w.astype(np.int32).T) >> 10, -128, 127).astype(np.int8)
    cycles = stats.cycles or 0
    return {
        "program": f"blocked matmul {size}x{size}x{size}, tiles {tiles.tm}x{tiles.tn}x{tiles.tk}, shift/clip epilogue",
        "cycles": cycles, "gemm_uops": stats.gemm_uops, "repeats": repeats, "evals_per_cycle": evals,
        "best_wall_s": round(best_wall, 3), "best_cpu_s": round(best_cpu, 3),
        "cycles_per_s": round(cycles / best_wall), "cycles_per_cpu_s": round(cycles / best_cpu),
        "bit_exact_vs_numpy": bool(np.array_equal(got, want)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="M = N = K of the matmul")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold build (about a minute)")
    args = parser.parse_args()
    cfg = Config()
    load_before = os.getloadavg()
    figures: dict[str, object] = {"config": cfg.bitstream, "target_cycles_per_s": TARGET}
    if not args.no_cold:
        figures.update(time_builds(cfg))
    figures.update(time_runs(cfg, args.size, args.repeats))
    figures["meets_target"] = figures["cycles_per_s"] >= TARGET  # type: ignore[operator]
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    figures["cpus"] = os.cpu_count()
    print(f"TSIM speed on {cfg.bitstream}")
    print_table([(k, f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v))
                 for k, v in figures.items()])
    print(f"wrote {write_json('tsim_speed', figures)}")
    return 0 if figures["bit_exact_vs_numpy"] else 1


if __name__ == "__main__":
    sys.exit(main())
