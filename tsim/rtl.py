"""The build spec of the kit's accelerator RTL (vta_hw/rtl, top `vta_top`) for a Config."""

from __future__ import annotations

import importlib
from pathlib import Path

from vta.hw.toolchain import ToolchainError
from vta.isa.config import Config

from .build import BuildSpec

PKG_NAME = "vta_pkg.sv"


def rtl_dir() -> Path:
    """vta_hw/rtl of the installed kit (the package data folder of vta.hw)."""
    hw = importlib.import_module("vta.hw")
    return Path(next(iter(hw.__path__))).resolve() / "rtl"


def rtl_sources(folder: Path) -> list[Path]:
    """The RTL files in compile order: vta_hw/sources.py's list if it exists, else packages first."""
    try:
        sources = importlib.import_module("vta.hw.sources")
    except ImportError:
        sources = None
    listing = getattr(sources, "SOURCES", None) if sources is not None else None
    if listing:
        files = [folder / Path(str(name)).name for name in listing]
    else:
        files = sorted(folder.glob("*.sv"), key=lambda p: (not p.stem.endswith("_pkg"), p.name))
    return [p for p in files if p.name != PKG_NAME]


def vta_top_spec(config: Config) -> BuildSpec:
    """vta_top with its package generated for `config` (vta.hw.pkg_gen)."""
    folder = rtl_dir()
    if not (folder / "vta_top.sv").is_file():
        raise ToolchainError(f"the accelerator RTL is not there: {folder / 'vta_top.sv'} does not exist")
    try:
        pkg_gen = importlib.import_module("vta.hw.pkg_gen")
    except ImportError as exc:
        raise ToolchainError(f"cannot generate vta_pkg.sv for TSIM: {exc}") from exc
    return BuildSpec(
        config=config,
        top="vta_top",
        sources=tuple(rtl_sources(folder)),
        generated=((PKG_NAME, pkg_gen.generate(config, f"tsim {config.bitstream}")),),
        include_dirs=(folder,),
        label="vta",
    )
