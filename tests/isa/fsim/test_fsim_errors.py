"""Every rejection rule: SimulationError names the instruction index, its disassembly and the rule."""

import numpy as np
import pytest

from vta.isa import (AluInsn, Config, FinishInsn, GemmInsn, MemType, SimulationError, Uop, encode_program,
                     encode_uop, load, store)
from vta.isa.fsim import Machine, check_program, run_program
from vta.jit import open_device


def _run(insns, uops=(), data_bytes=4096, config=None, check_only=False):
    config = config or Config()
    dev = open_device("fsim", config, dram_bytes=1 << 22)
    data = dev.alloc(data_bytes)
    uop_addr = dev.alloc(4096)
    dev.write(uop_addr, np.array([encode_uop(u, config) for u in uops] or [0], dtype=np.uint32))
    fixed = [i.replace(dram_base=i.dram_base + (uop_addr // 4 if i.memory_type == MemType.UOP else
                                               data // config.elem_bytes(i.memory_type)))
             if hasattr(i, "memory_type") and i.x_size and i.memory_type in list(MemType) else i for i in insns]
    blob = encode_program(fixed, config)
    addr = dev.alloc(len(blob))
    dev.write(addr, blob)
    before = dev.dram.data.copy()
    try:
        if check_only:
            return dev.check_program(addr, len(fixed)), dev
        return dev.run(addr, len(fixed), timeout_s=5.0), dev
    except SimulationError:
        assert np.array_equal(before, dev.dram.data), "a rejected program wrote DRAM"
        raise


def _uop_load(n):
    return load(MemType.UOP, sram_base=0, dram_base=0, y_size=1, x_size=n, x_stride=n)


CASES = [
    ("unknown opcode", None, r"instruction 0 \(\.insn .*\): unknown opcode 6"),
    ("alu opcode", [AluInsn(alu_opcode=6, uop_end=1), FinishInsn()], r"instruction 0 \(ALU aluop6.*unknown alu_opcode 6"),
    ("load out", [load(MemType.OUT, x_size=1, y_size=1, x_stride=1), FinishInsn()], "OUT cannot be loaded"),
    ("memtype 5", [load(5, x_size=1, y_size=1, x_stride=1), FinishInsn()], "memory type 5 is not supported"),
    ("store type", [load(MemType.UOP).replace(opcode=1, x_size=1, y_size=1, memory_type=MemType.ACC), FinishInsn()],
     "memory type 3 is not OUT"),
    ("store pad", [store(x_size=1, y_size=1, x_stride=1, x_pad_0=1, push_prev_dep=True), GemmInsn(pop_next_dep=True),
                   FinishInsn()], "STORE cannot pad"),
    ("sram past depth", [load(MemType.INP, sram_base=2047, x_size=2, y_size=1, x_stride=2, push_next_dep=True),
                         GemmInsn(pop_prev_dep=True), FinishInsn()], "past the INP depth 2048"),
    ("padding past depth", [load(MemType.ACC, sram_base=2040, x_size=1, y_size=1, x_stride=1, y_pad_1=8),
                            FinishInsn()], "past the ACC depth"),
    ("dram outside", [load(MemType.ACC, dram_base=60, x_size=8, y_size=1, x_stride=8), FinishInsn()],
     "not inside one allocation"),
    ("store dram outside", [store(dram_base=250, x_size=8, y_size=1, x_stride=8, push_prev_dep=True),
                            GemmInsn(pop_next_dep=True), FinishInsn()], "not inside one allocation"),
    ("gemm index", [_uop_load(1), GemmInsn(uop_bgn=0, uop_end=1, iter_out=3, dst_factor_out=1000), FinishInsn()],
     "ACC index reaches 3000, past the ACC depth 2048"),
    ("uop past depth", [GemmInsn(uop_bgn=8190, uop_end=8200), FinishInsn()], "past the UOP depth 8192"),
    ("inp index", [_uop_load(1), GemmInsn(uop_bgn=0, uop_end=1, iter_in=3, src_factor_in=1024), FinishInsn()],
     "INP index reaches 2048, past the INP depth 2048"),
    ("load prev flag", [load(MemType.INP, pop_prev_dep=True), FinishInsn()], "load stage has no prev stage"),
    ("store next flag", [store(push_next_dep=True), FinishInsn()], "store stage has no next stage"),
    ("no finish", [load(MemType.INP)], "has no FINISH"),
    ("finish not last", [FinishInsn(), load(MemType.INP)], "FINISH must be the last instruction"),
    ("deadlock", [GemmInsn(pop_prev_dep=True), FinishInsn()], "deadlock.*compute stage at instruction 0.*l2g"),
    ("finish race", [store(x_size=1, y_size=1, x_stride=1), FinishInsn()],
     "FINISH can execute before instruction 0"),
]


@pytest.mark.parametrize("name, insns, pattern", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("check_only", [False, True])
def test_rejections(name, insns, pattern, check_only):
    if insns is None:  # an opcode no dataclass can express: patch the raw bytes
        config = Config()
        dev = open_device("fsim", config, dram_bytes=1 << 22)
        blob = bytearray(encode_program([FinishInsn(), FinishInsn()], config))
        blob[0] = 6
        addr = dev.alloc(len(blob))
        dev.write(addr, bytes(blob))
        with pytest.raises(SimulationError, match=pattern):
            (dev.check_program if check_only else dev.run)(addr, 2)
        return
    with pytest.raises(SimulationError, match=pattern):
        _run(insns, uops=[Uop(1000, 0, 0)] if name == "gemm index" else [Uop(0, 0, 0)], check_only=check_only)


def test_device_usable_after_failure_and_state_reset():
    config = Config()
    dev = open_device("fsim", config, dram_bytes=1 << 22)
    dev.machine.acc[...] = 5
    bad = encode_program([GemmInsn(pop_prev_dep=True), FinishInsn()], config)
    addr = dev.alloc(len(bad))
    dev.write(addr, bad)
    with pytest.raises(SimulationError):
        dev.run(addr, 2)
    assert not dev.machine.acc.any()  # state reset
    good = encode_program([FinishInsn()], config)
    dev.write(addr, good + bytes(16))
    stats = dev.run(addr, 1)
    assert stats.insns_by_opcode == {"FINISH": 1}


def test_timeout_is_an_error():
    """A long program with a tiny time budget stops with a timeout error, not a hang."""
    config = Config()
    m = Machine(config)
    dev = open_device("fsim", config, dram_bytes=1 << 22)
    insns = [load(MemType.UOP) for _ in range(20000)] + [FinishInsn()]  # compute-stage NOPs
    blob = encode_program(insns, config)
    addr = dev.alloc(len(blob))
    dev.write(addr, blob)
    with pytest.raises(SimulationError, match="timeout"):
        run_program(config, dev.dram, addr, len(insns), m, timeout_s=1e-4)


def test_token_overflow():
    config = Config()
    dev = open_device("fsim", config, dram_bytes=1 << 22)
    insns = [GemmInsn(push_next_dep=True) for _ in range(65536)] + [FinishInsn()]  # g2s tokens nobody takes
    blob = encode_program(insns, config)
    addr = dev.alloc(len(blob))
    dev.write(addr, blob)
    with pytest.raises(SimulationError, match="overflows"):
        check_program(config, dev.dram, addr, len(insns))


def test_check_only_touches_no_data():
    config = Config()
    dev = open_device("fsim", config, dram_bytes=1 << 22)
    src = dev.alloc(4096)
    dev.write(src, np.arange(4096, dtype=np.uint8))
    out = dev.alloc(4096)
    insns = [load(MemType.ACC, dram_base=src // 64, x_size=4, y_size=1, x_stride=4),
             AluInsn(alu_opcode=2, use_imm=True, imm=1, uop_end=0),
             store(dram_base=out // 16, x_size=4, y_size=1, x_stride=4, push_prev_dep=True),
             GemmInsn(pop_next_dep=True), FinishInsn()]
    blob = encode_program(insns, config)
    addr = dev.alloc(len(blob))
    dev.write(addr, blob)
    before = dev.dram.data.copy()
    stats = dev.check_program(addr, len(insns))
    assert np.array_equal(before, dev.dram.data) and not dev.machine.acc.any()
    assert stats.acc_load_nbytes == 4 * 64 and stats.out_store_nbytes == 4 * 16
