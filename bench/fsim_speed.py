"""fsim speed: a 1024x1024x1024 int8 blocked GEMM built through the JIT, against numpy in the same run.

Writes bench/results/fsim_speed.json with fsim_s (simulation of the whole
program), numpy_int_s (plain int32 matmul), blas_s (float32 BLAS matmul, the
arithmetic floor) and ratio_blas = fsim_s / blas_s (target <= 5). fsim runs its
matmuls on one BLAS thread by default, so blas_s is measured on one thread too;
the *_all_threads figures repeat both with the BLAS library's own thread count.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _common import print_table, write_json
from vta.isa import AluOp, Config
from vta.isa.fsim import blas_limit
from vta.jit import CommandQueue, DeviceBuffer, open_device
from vta.jit.workloads import blocked_matmul, pack_a, pack_w, unpack_c

EPILOGUE = ((AluOp.SHR, 10), (AluOp.MAX, -128), (AluOp.MIN, 127))


def time_fsim(cfg: Config, a: np.ndarray, w: np.ndarray, repeats: int, blas_threads: int | None):
    """Best simulation time of the whole program; returns (seconds, stats, tiles, output, build seconds)."""
    n = a.shape[0]
    with open_device("fsim", cfg, blas_threads=blas_threads) as dev:
        cq = CommandQueue(dev)
        ab, wb = DeviceBuffer.from_array(dev, pack_a(a, cfg)), DeviceBuffer.from_array(dev, pack_w(w, cfg))
        cb = DeviceBuffer(dev, n * n)
        start = time.perf_counter()
        tiles = blocked_matmul(cq, ab, wb, cb, n, n, n, epilogue=EPILOGUE)
        build_s = time.perf_counter() - start
        cq.synchronize()  # first run warms the kernel cache; each repeat rebuilds the same stream
        best, stats = float("inf"), None
        for _ in range(repeats):
            blocked_matmul(cq, ab, wb, cb, n, n, n, epilogue=EPILOGUE, tiles=tiles)
            stats = cq.synchronize()
            best = min(best, stats.elapsed_s)
        return best, stats, tiles, unpack_c(cb.read(np.int8), n, n, cfg), build_s


def time_blas(af: np.ndarray, wf: np.ndarray, repeats: int, threads: int | None) -> float:
    best = float("inf")
    with blas_limit(threads):
        for _ in range(repeats):
            start = time.perf_counter()
            af @ wf.T
            best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024, help="M = N = K (multiple of the block)")
    parser.add_argument("--config", default="default")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cfg = Config.load(args.config)
    n = args.size
    rng = np.random.default_rng(2024)
    a = rng.integers(-128, 128, (n, n), dtype=np.int8)
    w = rng.integers(-128, 128, (n, n), dtype=np.int8)

    fsim_s, stats, tiles, got, build_s = time_fsim(cfg, a, w, args.repeats, 1)
    fsim_all_s, *_ = time_fsim(cfg, a, w, args.repeats, None)
    a32, w32 = a.astype(np.int32), w.astype(np.int32)
    start = time.perf_counter()
    ref = a32 @ w32.T
    numpy_int_s = time.perf_counter() - start
    af, wf = a.astype(np.float32), w.astype(np.float32)
    blas_s = time_blas(af, wf, args.repeats, 1)
    blas_all_s = time_blas(af, wf, args.repeats, None)
    exact = bool(np.array_equal(got, np.clip(ref >> 10, -128, 127).astype(np.int8)))

    figures = {
        "size": n, "config": cfg.bitstream, "tiles": [tiles.tm, tiles.tn, tiles.tk],
        "gemm_uops": stats.gemm_uops, "instructions": stats.insn_count,
        "jit_build_s": round(build_s, 4), "fsim_s": round(fsim_s, 4), "numpy_int_s": round(numpy_int_s, 4),
        "blas_s": round(blas_s, 4), "ratio_blas": round(fsim_s / blas_s, 2),
        "fsim_all_threads_s": round(fsim_all_s, 4), "blas_all_threads_s": round(blas_all_s, 4),
        "ratio_blas_all_threads": round(fsim_all_s / blas_all_s, 2),
        "speedup_vs_numpy_int": round(numpy_int_s / fsim_s, 1), "bit_exact": exact,
    }
    print(f"fsim speed: {n}x{n}x{n} int8 GEMM on {cfg.bitstream}")
    print_table([(k, str(v)) for k, v in figures.items()])
    print(f"wrote {write_json('fsim_speed', figures)}")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
