"""The fast executor equals the plain reference interpreter on random programs (aliasing included)."""

import numpy as np
import pytest

from vta.isa import Config
from vta.jit import open_device
from vta.jit.fuzz import random_program

CONFIGS = {"default": Config(), "1x32x32": Config.load("1x32x32"), "4x16x16": Config.load("4x16x16")}


@pytest.mark.parametrize("name, seeds", [("default", range(0, 60)), ("1x32x32", range(100, 115)),
                                         ("4x16x16", range(200, 215))])
def test_random_programs_identical_state(name, seeds):
    config = CONFIGS[name]
    fast = open_device("fsim", config)
    ref = open_device("fsim", config, reference=True)
    for seed in seeds:
        prog = random_program(config, seed, ops=20)
        s1, dram_fast = prog.run(fast)
        s2, dram_ref = prog.run(ref)
        where = f"config {name}, seed {seed}:\n{prog.text()}"
        for a, b in zip(dram_fast, dram_ref):
            assert np.array_equal(a, b), where
        for sram in ("acc", "out", "inp", "wgt", "uop"):
            assert np.array_equal(getattr(fast.machine, sram), getattr(ref.machine, sram)), f"{sram} {where}"
        assert s1.profiler() == s2.profiler()


def test_heavily_aliased_alu_chain():
    """acc[i+1] = acc[i+1] + acc[i] along a chain: every point reads the previous point's write."""
    from vta.isa import AluOp, MemType
    from vta.jit import CommandQueue, DeviceBuffer, KernelBuilder

    config = Config()
    rng = np.random.default_rng(11)
    data = rng.integers(-1000, 1000, (64, 1, 16)).astype(np.int32)
    expect = data.astype(np.int64).copy()
    for i in range(1, 64):
        expect[i] = expect[i] + expect[i - 1]
    for op_case in ("fast", "reference"):
        dev = open_device("fsim", config, reference=(op_case == "reference"))
        cq = CommandQueue(dev)
        buf = DeviceBuffer.from_array(dev, data)
        cq.load_2d(MemType.ACC, 0, buf, 0, 64, 1, 64)
        cq.push_alu(KernelBuilder.alu(AluOp.ADD).loop(63, dst=1, src=1).uop(1, 0).build())
        cq.synchronize()
        assert np.array_equal(dev.machine.acc[:64].astype(np.int64), expect), op_case


def test_repeated_destination_reduction_and_shift_imm():
    """Repeated dsts: MAX folds (ufunc.at path), SHR by an immediate composes (closed form)."""
    from vta.isa import AluOp, MemType
    from vta.jit import CommandQueue, DeviceBuffer, KernelBuilder

    config = Config()
    rng = np.random.default_rng(12)
    data = rng.integers(-(1 << 30), 1 << 30, (32, 1, 16)).astype(np.int32)
    win = data.astype(np.int64).copy()
    win[0] = np.max(win[0:9], axis=0)  # acc[0] = max over acc[1..8] and itself, sequentially
    win[10] = win[10] >> 6  # three SHR 2 on the same entry
    dev = open_device("fsim", config)
    cq = CommandQueue(dev)
    buf = DeviceBuffer.from_array(dev, data)
    cq.load_2d(MemType.ACC, 0, buf, 0, 32, 1, 32)
    cq.push_alu(KernelBuilder.alu(AluOp.MAX).loop(8, src=1).uop(0, 1).build())
    cq.push_alu(KernelBuilder.alu(AluOp.SHR, imm=2).loop(3).uop(10).build())
    cq.synchronize()
    assert np.array_equal(dev.machine.acc[:32].astype(np.int64), win)


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), ops=st.integers(1, 30), hazards=st.booleans())
def test_property_random_programs(seed, ops, hazards):
    """Property form: any generated program gives identical DRAM and SRAMs on both executors."""
    config = Config()
    prog = random_program(config, seed, ops=ops, hazards=hazards)
    fast = open_device("fsim", config, dram_bytes=1 << 22)
    ref = open_device("fsim", config, dram_bytes=1 << 22, reference=True)
    (_, a), (_, b) = prog.run(fast), prog.run(ref)
    assert all(np.array_equal(x, y) for x, y in zip(a, b)), prog.text()
    assert np.array_equal(fast.machine.acc, ref.machine.acc) and np.array_equal(fast.machine.out, ref.machine.out)
