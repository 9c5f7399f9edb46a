"""Dependency-token bookkeeping of the instruction queue (upstream InsnQueue rules)."""

import pytest

from vta.isa import GemmInsn, MemType, Stage, load, store
from vta.jit import JitError
from vta.jit.insn_queue import InsnQueue


def flags(insn):
    return tuple(int(getattr(insn, f)) for f in ("pop_prev_dep", "pop_next_dep", "push_prev_dep", "push_next_dep"))


def test_push_sets_flag_on_last_instruction_of_the_stage():
    q = InsnQueue()
    q.append(load(MemType.INP, x_size=1, y_size=1))
    q.dep_push(Stage.LOAD, Stage.COMPUTE)
    assert len(q) == 1 and flags(q.insns[0]) == (0, 0, 0, 1)


def test_push_after_other_stage_appends_a_nop():
    q = InsnQueue()
    q.append(load(MemType.INP, x_size=1, y_size=1))
    q.append(GemmInsn())
    q.dep_push(Stage.LOAD, Stage.COMPUTE)
    assert len(q) == 3 and q.insns[2].is_nop and q.insns[2].stage == Stage.LOAD and q.insns[2].push_next_dep


def test_pop_lands_on_the_next_instruction_of_the_stage():
    q = InsnQueue()
    q.dep_pop(Stage.LOAD, Stage.COMPUTE)
    q.dep_pop(Stage.STORE, Stage.COMPUTE)
    q.append(GemmInsn())
    assert flags(q.insns[0]) == (1, 1, 0, 0)


def test_second_pending_pop_commits_a_nop():
    q = InsnQueue()
    q.dep_pop(Stage.LOAD, Stage.COMPUTE)
    q.dep_pop(Stage.LOAD, Stage.COMPUTE)
    q.append(GemmInsn())
    assert len(q) == 2 and q.insns[0].is_nop and flags(q.insns[0]) == (1, 0, 0, 0) and flags(q.insns[1]) == (1, 0, 0, 0)


def test_finish_balances_and_ends_with_finish():
    q = InsnQueue()
    q.append(store(x_size=1, y_size=1))
    q.finish()
    stages = [i.stage for i in q.insns]
    assert q.insns[-1].KIND.name == "FINISH"
    assert flags(q.insns[0]) == (0, 0, 1, 0)  # the store signals compute
    nop = q.insns[-2]
    assert nop.stage == Stage.COMPUTE and nop.pop_prev_dep and nop.pop_next_dep
    assert Stage.LOAD in stages  # a load NOP pushing l2g


@pytest.mark.parametrize("src, dst", [(Stage.LOAD, Stage.STORE), (Stage.STORE, Stage.LOAD), (Stage.LOAD, Stage.LOAD)])
def test_illegal_pairs(src, dst):
    with pytest.raises(JitError, match="no dependency path"):
        InsnQueue().dep_push(src, dst)


def test_serialize_orders_every_adjacent_pair():
    q = InsnQueue()
    q.append(load(MemType.INP, x_size=1, y_size=1))
    q.append(GemmInsn())
    q.append(load(MemType.WGT, x_size=1, y_size=1))
    q.append(store(x_size=1, y_size=1))
    q.append(GemmInsn())
    q.serialize()
    # load0 -> gemm1 -> load2; gemm1 -> store3 (across the load); load2 and store3 -> gemm4
    assert [flags(i) for i in q.insns] == [(0, 0, 0, 1), (1, 0, 1, 1), (0, 1, 0, 1), (1, 0, 1, 0), (1, 1, 0, 0)]
