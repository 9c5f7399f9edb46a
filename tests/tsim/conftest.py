"""Shared TSIM test fixtures: the fixture top (tests/tsim/fixtures) built once per session.

The libraries go to the normal build cache, so a later session reuses them;
set VTA_CACHE_DIR to build into a fresh folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from vta.hw.regmap_header import sv_localparams
from vta.hw.toolchain import fst_support
from vta.isa import Config
from vta.tsim.build import BuildOptions, BuildSpec, BuiltLibrary, build

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WIDE = Config(log_bus_width=7)  # 128-bit bus: the Verilated data ports become VlWide arrays


def _fixture_spec(config: Config) -> BuildSpec:
    """The fixture DMA top (same ports as vta_top) for a Config's bus width."""
    return BuildSpec(
        config=config,
        top="fixture_dma_top",
        sources=(FIXTURES / "fixture_dma_top.sv",),
        generated=(("vta_regs.svh", sv_localparams()),),
        parameters=(("BusWidth", config.bus_width),),
        label="fixture",
    )


@pytest.fixture(scope="session")
def fixture_spec() -> Callable[[Config], BuildSpec]:
    return _fixture_spec


@pytest.fixture(scope="session")
def wide_config() -> Config:
    return WIDE


@pytest.fixture(scope="session")
def fixture_lib() -> BuiltLibrary:
    return build(_fixture_spec(Config()), verbose=0)


@pytest.fixture(scope="session")
def wide_fixture_lib() -> BuiltLibrary:
    return build(_fixture_spec(WIDE), verbose=0)


@pytest.fixture(scope="session")
def trace_format() -> str:
    """FST where this machine can build it (lz4 headers), else VCD."""
    return "fst" if fst_support() is None else "vcd"


@pytest.fixture(scope="session")
def traced_fixture_lib(trace_format) -> BuiltLibrary:
    return build(_fixture_spec(Config()), BuildOptions(trace=trace_format), verbose=0)
