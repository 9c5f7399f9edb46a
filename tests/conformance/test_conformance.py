"""ISA conformance of the RTL: every conformance program gives on TSIM exactly fsim's outputs and DRAM.

The default Config runs each program as its own test; the other bring-up
Configs run the whole list in one test each (a build per Config, cached).
fsim is the reference; seeds are derived from the program name and printed
on failure.
"""

from __future__ import annotations

import pytest

from vta.tsim.conformance import programs

SEED = 0
#: The bring-up Configs besides the default (resolved by the device_pair fixture in conftest.py).
OTHER_CONFIGS = ["1x32x32", "4x16x16", "2x8x8_bus128"]
PROGRAMS = programs()


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_default_config_program_matches_fsim(program, device_pair):
    outcome = device_pair("default").compare(program, SEED)
    assert outcome.ok, outcome.text()
    assert outcome.cycles is not None


@pytest.mark.parametrize("name", OTHER_CONFIGS)
def test_other_config_programs_match_fsim(name, device_pair):
    pair = device_pair(name)
    outcomes = [pair.compare(p, SEED) for p in PROGRAMS]
    failed = [o.text() for o in outcomes if not o.ok]
    assert not failed, f"{name} ({pair.config.bitstream}, bus {pair.config.bus_width}):\n" + "\n".join(failed)
    assert sum(o.cycles or 0 for o in outcomes) > 0
