"""`vta compile`: ONNX model -> one compiled-module file (VTA kernels + native CPU code)."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from vta.isa.config import Config


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("compile", help="compile an ONNX model to a .vta module (int8, VTA + CPU)")
    p.add_argument("model", help="ONNX model file (opsets 11-19)")
    p.add_argument("-o", "--output", required=True, help="compiled module file to write (e.g. model.vta)")
    p.add_argument("--config", default=None, help="preset name or vta_config.json (default: the default Config)")
    p.add_argument("--calib", required=True, help=".npy (or .npz with one array per input) of calibration samples")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="shape for an input with dynamic dimensions (repeatable)")
    p.add_argument("--batch", type=int, default=1, help="batch size compiled for (default 1)")
    p.add_argument("--partition", choices=("cost", "vta", "cpu"), default="cost",
                   help="VTA/CPU placement policy (default: cost estimate)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument("--show-graph", action="store_true", help="print the quantized graph")
    p.set_defaults(func=_compile)


def _shapes(items: list[str]) -> dict[str, tuple[int, ...]]:
    from vta.compiler.graph_errors import CompileError

    out = {}
    for item in items:
        name, _, dims = item.partition("=")
        try:
            out[name] = tuple(int(d) for d in dims.split(","))
        except ValueError:
            raise CompileError(f"--input-shape {item!r}: expected NAME=D0,D1,...") from None
    return out


def load_arrays(path: str) -> np.ndarray | dict[str, np.ndarray]:
    from vta.compiler.graph_errors import CompileError

    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CompileError(f"cannot read {path!r} as .npy/.npz: {exc}") from None
    if isinstance(data, np.ndarray):
        return data
    with data:
        return {k: data[k] for k in data.files}


def _compile(args: argparse.Namespace) -> int:
    from vta.compiler.compile_model import compile as compile_model

    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    config = Config.load(args.config) if args.config else Config()
    calib = load_arrays(args.calib)
    t0 = time.perf_counter()
    log(f"compiling {args.model} for {config.target} (batch {args.batch}, partition {args.partition})")
    m = compile_model(args.model, config, calib, input_shapes=_shapes(args.input_shape) or None, batch=args.batch,
                      partition_policy=args.partition, log=log)
    if args.show_graph:
        print(m.quant_graph)
    path = m.save(args.output)
    log(m.placement_table())
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.1f} s: {m.summary()}")
    return 0
