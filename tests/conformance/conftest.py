"""fsim/TSIM device pairs for the bring-up Configs, opened once per test session.

TSIM libraries come from the build cache (keyed by RTL, package and options),
so the conformance tests, tests/tsim/test_fuzz.py and tests/cli/test_bringup.py
share one build per Config; with xdist the per-key build lock makes the second
worker wait for the first instead of building again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from vta.isa.config import Config
from vta.tsim.conformance import DevicePair

#: The Configs CI brings up: the default, the two other preset core shapes, and a
#: non-preset one (BATCH 2, BLOCK 8, 128-bit bus, small buffers) given as a JSON file.
ODD_CONFIG = Path(__file__).resolve().parent / "configs" / "2x8x8_bus128.json"
CONFIGS = {"default": "default", "1x32x32": "1x32x32", "4x16x16": "4x16x16", "2x8x8_bus128": str(ODD_CONFIG)}


@pytest.fixture(scope="session")
def device_pair() -> Iterator[Callable[[str], DevicePair]]:
    """device_pair(name) -> the session's DevicePair for one of CONFIGS (opened on first use)."""
    pairs: dict[str, DevicePair] = {}

    def get(name: str) -> DevicePair:
        if name not in pairs:
            pairs[name] = DevicePair.open(Config.load(CONFIGS[name]))
        return pairs[name]

    yield get
    for pair in pairs.values():
        pair.close()
