"""fsim models in-order fetch into command queues of QUEUE_DEPTH unstarted instructions per stage."""

from __future__ import annotations

import pytest

from vta.isa.config import Config
from vta.isa.errors import SimulationError
from vta.isa.fsim.walk import QUEUE_DEPTH
from vta.jit import open_device
from vta.tsim.edge_programs import queue_lookahead


@pytest.mark.parametrize("stage", ["load", "compute", "store"])
def test_a_stage_may_wait_with_a_full_queue_but_not_more(stage):
    with open_device("fsim", Config()) as dev:
        stats = queue_lookahead(dev, stage, QUEUE_DEPTH)[0]
        assert stats.insns_by_opcode["FINISH"] == 1  # finished, although more than QUEUE_DEPTH instructions queued
        assert stats.insn_count > QUEUE_DEPTH + 1
        with pytest.raises(SimulationError) as err:
            queue_lookahead(dev, stage, QUEUE_DEPTH + 1)
    message = str(err.value)
    assert "deadlock" in message and f"the {stage} queue holds {QUEUE_DEPTH} instructions" in message
    assert f"fetch is stalled at instruction {QUEUE_DEPTH}" in message

