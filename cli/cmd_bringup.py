"""`vta bringup`: take a Config from JSON to a conformant TSIM model in one command, with a pass/fail table."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bringup", help="validate a Config, generate and lint its RTL package, build TSIM, run conformance and fuzzing",
        description="Bring up an accelerator configuration: validate the config, generate vta_pkg.sv into a build "
                    "directory, lint the RTL, build the TSIM model, run the conformance programs and a batch of "
                    "random programs on fsim and TSIM, and print a pass/fail table. Exit status 1 if any step "
                    "fails, 2 for an invalid config.")
    p.add_argument("--config", default="default", help="preset name or vta_config.json path (default: default)")
    p.add_argument("--build-dir", type=Path, default=Path("build/bringup"),
                   help="where the package, config and report go (default: build/bringup)")
    p.add_argument("--fuzz", type=int, default=None, metavar="N",
                   help="random programs to run on fsim and TSIM (default: 150; 0 skips fuzzing)")
    p.add_argument("--seed", type=int, default=0, help="base seed of the conformance inputs and fuzz programs")
    p.add_argument("--groups", default=None,
                   help="conformance groups to run, comma separated: scenario, edge, workload, compiler (default: all)")
    p.add_argument("--install-package", action="store_true",
                   help="also overwrite the committed vta_hw/rtl/vta_pkg.sv with this Config's package")
    p.add_argument("--json", type=Path, default=None, help="also write the report to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true", help="show build progress and the steps as they start")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from vta.isa.errors import VtaError
    from vta.tsim.bringup import DEFAULT_FUZZ, bringup
    from vta.tsim.conformance import GROUPS

    groups = GROUPS if args.groups is None else tuple(g.strip() for g in args.groups.split(",") if g.strip())
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise VtaError(f"unknown conformance group {unknown[0]!r}; groups: {', '.join(GROUPS)}")
    fuzz = DEFAULT_FUZZ if args.fuzz is None else args.fuzz
    if fuzz < 0:
        raise VtaError(f"--fuzz must be 0 or more, got {fuzz}")
    progress = (lambda msg: print(f"bringup: {msg}", file=sys.stderr, flush=True)) if args.verbose else None
    report = bringup(args.config, build_dir=args.build_dir, fuzz_programs=fuzz, seed=args.seed,
                     install_package=args.install_package, groups=groups, verbose=1 if args.verbose else 0,
                     progress=progress)
    print(report.table())
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    return 0 if report.ok else 1
