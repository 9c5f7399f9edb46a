"""`vta demo`: the kit's first run. `matmul`: an int8 matmul + bias + relu + requantize on fsim via the JIT."""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np

from vta.isa import AluOp, Config
from vta.jit import CommandQueue, DeviceBuffer, open_device
from vta.jit.workloads import blocked_matmul, pack_a, pack_bias, pack_w, unpack_c

#: Demos provided by higher layers, run by name: "module:function(args) -> int".
EXTRA_DEMOS = {"digits": "vta.compiler.model_demo:main"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run a demo (default: matmul)")
    p.add_argument("which", nargs="?", default="matmul", choices=["matmul", *EXTRA_DEMOS])
    p.add_argument("--config", default="default")
    p.add_argument("--device", default="fsim")
    p.add_argument("--size", type=int, default=256, help="matmul M = N = K")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.which != "matmul":
        module, _, fn = EXTRA_DEMOS[args.which].partition(":")
        return int(getattr(importlib.import_module(module), fn)(["--config", args.config, "--device", args.device]) or 0)
    return matmul_demo(Config.load(args.config), args.device, args.size)


def matmul_demo(cfg: Config, device: str, size: int) -> int:
    m = n = k = size
    rng = np.random.default_rng(42)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    w = rng.integers(-128, 128, (n, k), dtype=np.int8)
    bias = rng.integers(-4096, 4096, n).astype(np.int32)
    shift = 9
    print(f"vta demo: C = clip((A @ W^T + bias) >> {shift}, 0, 127) for {m}x{k} @ {k}x{n} int8 on {device} "
          f"({cfg.bitstream}, {cfg.macs_per_cycle} MACs/cycle)")
    with open_device(device, cfg) as dev:
        cq = CommandQueue(dev)
        ab, wb = DeviceBuffer.from_array(dev, pack_a(a, cfg)), DeviceBuffer.from_array(dev, pack_w(w, cfg))
        bb, cb = DeviceBuffer.from_array(dev, pack_bias(bias, cfg)), DeviceBuffer(dev, m * n)
        start = time.perf_counter()
        tiles = blocked_matmul(cq, ab, wb, cb, m, n, k, bias=bb,
                               epilogue=((AluOp.SHR, shift), (AluOp.MAX, 0), (AluOp.MIN, 127)))
        build_s = time.perf_counter() - start
        stats = cq.synchronize()
        got = unpack_c(cb.read(np.int8), m, n, cfg)
    start = time.perf_counter()
    expect = np.clip((a.astype(np.int32) @ w.astype(np.int32).T + bias) >> shift, 0, 127).astype(np.int8)
    numpy_s = time.perf_counter() - start
    listing = cq.disasm().splitlines()
    print(f"\ntiles (row blocks, column blocks, reduction blocks) = ({tiles.tm}, {tiles.tn}, {tiles.tk}); "
          f"{len(listing)} instructions, first 12:")
    print("\n".join(listing[:12]))
    print("   ...\n" + "\n".join(listing[-3:]))
    print("\n" + stats.summary())
    print(f"\nJIT build {build_s * 1e3:.1f} ms, {device} run {stats.elapsed_s * 1e3:.1f} ms, "
          f"numpy int32 reference {numpy_s * 1e3:.1f} ms")
    ok = np.array_equal(got, expect)
    print(f"result {'matches' if ok else 'DOES NOT MATCH'} numpy bit for bit "
          f"({np.count_nonzero(got)} of {got.size} outputs nonzero)")
    return 0 if ok else 1
