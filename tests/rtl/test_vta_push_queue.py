"""Pending-push queue bench (tb_vta_push_queue.py) at vta_compute's size; slow: the bench fails on
injected bugs."""

import pytest

from rtl_build import failing_tests, run_bench

F = "vta_push_queue.sv"
PARAMS = {"Depth": 4, "CntBits": 4}
ENV = {"VTA_TB_DEPTH": "4", "VTA_TB_CNT_BITS": "4"}
MUTANTS = {
    "own count wraps below zero": (F, "own_q[i] - CntBits'(own_retire_i && own_q[i] != '0)",
                                   "own_q[i] - CntBits'(own_retire_i)"),
    "head ignores the older count": (F, "own_q[0] == '0 && older_q[0] == '0", "own_q[0] == '0"),
    "add with pop lands one slot late": (F, "if (i == 32'(n) - 32'(pop_i)) begin", "if (i == 32'(n)) begin"),
}


def test_vta_push_queue():
    run_bench("vta_push_queue", "tb_vta_push_queue", parameters=PARAMS, extra_env=ENV)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_vta_push_queue_catches(mutant):
    failed = failing_tests("vta_push_queue", "tb_vta_push_queue", (MUTANTS[mutant],), parameters=PARAMS,
                           extra_env=ENV)
    assert failed, f"{mutant}: the bench passed"
