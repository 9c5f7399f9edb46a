"""The fetch lookahead rule (isa/semantics.md, QUEUE_DEPTH) is the RTL's: at the depth both finish, past it both stop.

fsim rejects the deeper program statically; TSIM, run without that check, really
deadlocks (its cycle limit ends the run) — so the rule is neither looser nor
stricter than the hardware's command queues.
"""

from __future__ import annotations

import pytest

from vta.isa.config import Config
from vta.isa.errors import SimulationError
from vta.isa.fsim.walk import QUEUE_DEPTH
from vta.jit import open_device
from vta.tsim.edge_programs import queue_lookahead

STAGES = ("load", "compute", "store")


@pytest.fixture(scope="module")
def tsim_unchecked():
    with open_device("tsim", Config(), verbose=0, max_cycles=200_000, check=False) as dev:
        yield dev


@pytest.mark.parametrize("stage", STAGES)
def test_lookahead_of_the_queue_depth_finishes_on_fsim_and_the_rtl(stage, tsim_unchecked):
    with open_device("fsim", Config()) as fsim:
        expected = queue_lookahead(fsim, stage, QUEUE_DEPTH)[0]
    got = queue_lookahead(tsim_unchecked, stage, QUEUE_DEPTH)[0]
    assert got.insn_count == expected.insn_count > QUEUE_DEPTH + 1


@pytest.mark.parametrize("stage", STAGES)
def test_lookahead_past_the_queue_depth_stops_fsim_and_the_rtl(stage, tsim_unchecked):
    with open_device("fsim", Config()) as fsim, pytest.raises(SimulationError, match="fetch is stalled"):
        queue_lookahead(fsim, stage, QUEUE_DEPTH + 1)
    with pytest.raises(SimulationError, match="cycle limit"):
        queue_lookahead(tsim_unchecked, stage, QUEUE_DEPTH + 1)
