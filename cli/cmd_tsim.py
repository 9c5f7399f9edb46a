"""`vta tsim`: build the Verilator cycle model of a Config ahead of time, list or clear the build cache."""

from __future__ import annotations

import argparse
import json
import shutil

from vta.isa.config import Config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tsim", help="TSIM (Verilator cycle model): build, list and clean the cache")
    sub = parser.add_subparsers(dest="tsim_command", metavar="ACTION")
    sub.required = True

    p = sub.add_parser("build", help="build (or find in the cache) the TSIM library of a Config")
    p.add_argument("--config", default=None, help="preset name or vta_config.json path (default: the default Config)")
    p.add_argument("--trace", choices=("fst", "vcd"), default=None, help="build the traced variant")
    p.add_argument("--threads", type=int, default=1, help="Verilator --threads of the model")
    p.add_argument("--jobs", type=int, default=2, help="parallel compile jobs")
    p.add_argument("-v", "--verbose", action="store_true", help="show the tools' output")
    p.set_defaults(func=_build)

    p = sub.add_parser("cache", help="list the cached TSIM libraries")
    p.add_argument("--clean", action="store_true", help="delete every cached TSIM library")
    p.set_defaults(func=_cache)


def _build(args: argparse.Namespace) -> int:
    from vta.tsim.build import BuildOptions, build
    from vta.tsim.rtl import vta_top_spec

    config = Config.load(args.config) if args.config else Config()
    options = BuildOptions(trace=args.trace or "", threads=args.threads, jobs=args.jobs)
    lib = build(vta_top_spec(config), options, verbose=2 if args.verbose else 1)
    state = "cached" if lib.cached else f"built in {lib.seconds:.1f} s"
    print(f"{lib.path} ({state})")
    return 0


def _cache(args: argparse.Namespace) -> int:
    from vta.tsim.build import LIB_NAME, tsim_cache_dir

    root = tsim_cache_dir()
    if args.clean:
        shutil.rmtree(root, ignore_errors=True)
        print(f"removed {root}")
        return 0
    entries = sorted(p for p in root.iterdir() if (p / LIB_NAME).is_file())
    for entry in entries:
        try:
            meta = json.loads((entry / "build.json").read_text())
        except (OSError, ValueError):
            meta = {}
        size_mb = (entry / LIB_NAME).stat().st_size / 1e6
        print(f"{entry.name}  {size_mb:.1f} MB  built {meta.get('built', '?')}")
    print(f"{len(entries)} libraries in {root}")
    return 0
