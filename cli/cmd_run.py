"""`vta run`: run a compiled module on an input on fsim, tsim or another device."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="run a compiled .vta module on an input (.npy/.npz)")
    p.add_argument("module", help="compiled module file from `vta compile`")
    p.add_argument("--input", required=True, help=".npy (one input) or .npz (one array per input name)")
    p.add_argument("--device", default="fsim", help="fsim (default), tsim, or another registered device")
    p.add_argument("--output", default=None, help="write the outputs to this .npz")
    p.add_argument("--profile", action="store_true", help="print the per-layer table")
    p.add_argument("--top", type=int, default=5, help="print the top-k classes of each output row (default 5)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from vta.cli.cmd_compile import load_arrays
    from vta.compiler.artifact_runtime import CompiledModule

    t0 = time.perf_counter()
    m = CompiledModule.load(args.module)
    print(f"loaded {args.module} in {time.perf_counter() - t0:.2f} s: {m.summary()}", file=sys.stderr)
    x = load_arrays(args.input)
    t1 = time.perf_counter()
    out = m.run(x, device=args.device)
    print(f"ran on {args.device} in {time.perf_counter() - t1:.2f} s", file=sys.stderr)
    m.close()
    for name, y in out.items():
        print(f"{name}: {y.dtype}{list(y.shape)}")
        if y.ndim == 2 and args.top > 0:
            for r, row in enumerate(y[:8]):
                top = np.argsort(-row)[:args.top]
                print(f"  [{r}] " + ", ".join(f"{int(c)}:{float(row[c]):.4f}" for c in top))
    if args.profile:
        print(m.layer_table())
    if args.output:
        np.savez(args.output, **{k.replace("/", "_"): v for k, v in out.items()})
        print(f"wrote {args.output}")
    return 0
