"""In-flight FIFO bench (tb_vta_inflight.py) at vta_compute's size (KernelQueueDepth + 6); slow: the
bench fails on injected bugs."""

import pytest

from rtl_build import failing_tests, run_bench
from vta.hw.pkg_gen import MICROARCH

F = "vta_inflight.sv"
DEPTH = MICROARCH.kernel_queue_depth + 6
PARAMS = {"Depth": DEPTH, "CntBits": DEPTH.bit_length()}
ENV = {"VTA_TB_DEPTH": str(DEPTH)}
MUTANTS = {
    "union over free slots": (F, "if (valid_q[i]) banks_o = banks_o | banks_q[i];", "banks_o = banks_o | banks_q[i];"),
    "add with retire lands one slot late": (F, "if (i == 32'(n) - 32'(retire_i)) begin", "if (i == 32'(n)) begin"),
}


def test_vta_inflight():
    run_bench("vta_inflight", "tb_vta_inflight", parameters=PARAMS, extra_env=ENV)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_vta_inflight_catches(mutant):
    failed = failing_tests("vta_inflight", "tb_vta_inflight", (MUTANTS[mutant],), parameters=PARAMS, extra_env=ENV)
    assert failed, f"{mutant}: the bench passed"
