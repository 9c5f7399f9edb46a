"""`vta info`: a configuration and every derived quantity, plus the instruction layouts."""

from __future__ import annotations

import argparse
import json

from vta.isa import Config
from vta.isa.config import presets
from vta.isa.fields import Kind
from vta.isa.layout import insn_layout, uop_layout


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="print a configuration and its derived quantities")
    p.add_argument("--config", default="default", help="preset name or JSON file (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--layouts", action="store_true", help="also print every instruction field's bits")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = Config.load(args.config)
    if args.json:
        print(json.dumps({"config": cfg.to_dict(), "derived": cfg.derived()}, indent=2))
        return 0
    print(f"config {args.config}: {cfg.model}")
    for key, value in cfg.to_dict().items():
        print(f"  {key:<20} {value}")
    print("derived:")
    for key, value in cfg.derived().items():
        print(f"  {key:<20} {value}")
    if args.layouts:
        for kind in (Kind.MEM, Kind.GEMM, Kind.ALU):
            print(f"{kind.name} layout:")
            for s in insn_layout(kind, cfg).slots:
                print(f"  {s.lsb:3d}-{s.msb:3d}  {s.name}")
        print("UOP layout:")
        for s in uop_layout(cfg).slots:
            print(f"  {s.lsb:3d}-{s.msb:3d}  {s.name}")
    print(f"presets: {', '.join(presets())}")
    return 0
