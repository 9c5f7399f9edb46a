"""Known differences between fsim and the RTL, kept as strict xfails so a fix shows up as XPASS (then delete).

Queue depth: fsim lets every instruction sit in its stage's queue at once
(isa/semantics.md has no queue-depth rule), the RTL's fetch dispatches in
order into 256-entry command queues and stalls when one is full. A valid
program whose 257th queued STORE waits for a token that only an instruction
fetched after it can produce finishes on fsim and deadlocks the hardware
(the cycle limit ends the run). Either the ISA rules gain a lookahead limit
that fsim's check enforces, or the RTL must not block fetch on one full queue.
"""

from __future__ import annotations

import numpy as np
import pytest

from vta.isa.config import Config
from vta.isa.errors import SimulationError
from vta.isa.insn import FinishInsn, GemmInsn, load, store
from vta.isa.opcodes import MemType
from vta.jit import open_device
from vta.tsim.edge_programs import RawProgram

QUEUE_DEPTH = 256  # vta.hw.pkg_gen.MICROARCH.cmd_queue_depth


def queue_lookahead(dev, stores: int):
    """GEMM waits for the final LOAD; `stores` token-waiting STOREs are fetched before the GEMMs that feed them."""
    p = RawProgram(dev)
    x = p.elem(p.buffer(np.arange(dev.config.inp_elem_bytes, dtype=np.uint8)), MemType.INP)
    out = p.output("out", 1)
    p.insns = [GemmInsn(uop_bgn=0, uop_end=0, pop_prev_dep=True, push_next_dep=True)]
    p.insns += [store(sram_base=0, dram_base=out, y_size=1, x_size=0, x_stride=1, pop_prev_dep=True,
                      push_prev_dep=i == stores - 1) for i in range(stores)]
    p.insns += [GemmInsn(uop_bgn=0, uop_end=0, push_next_dep=True) for _ in range(stores - 1)]
    p.insns += [load(MemType.INP, sram_base=0, dram_base=x, y_size=1, x_size=1, x_stride=1, push_next_dep=True),
                FinishInsn(pop_next_dep=True)]
    return p.run()


def test_queue_lookahead_at_the_queue_depth_runs():
    with open_device("fsim", Config()) as fsim, open_device("tsim", Config(), verbose=0, max_cycles=300_000) as tsim:
        a, b = queue_lookahead(fsim, QUEUE_DEPTH)[0], queue_lookahead(tsim, QUEUE_DEPTH)[0]
    assert np.array_equal(a["out"], b["out"])


@pytest.mark.xfail(strict=True, raises=SimulationError,
                   reason="RTL command queues are 256 deep and fetch blocks on a full one; fsim has no such limit")
def test_queue_lookahead_past_the_queue_depth_runs():
    with open_device("fsim", Config()) as fsim:
        queue_lookahead(fsim, QUEUE_DEPTH + 1)  # the reference finishes it
    with open_device("tsim", Config(), verbose=0, max_cycles=300_000) as tsim:
        queue_lookahead(tsim, QUEUE_DEPTH + 1)
