"""The `vta` command. Each subcommand lives in its own `cmd_<name>.py` module with a `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from vta.isa.errors import VtaError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vta", description="vta-kit: VTA accelerator co-design kit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    package = importlib.import_module("vta.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"vta.cli.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except VtaError as exc:
        print(f"vta {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"vta {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
