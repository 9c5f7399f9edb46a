"""Command queue: micro-op residency (ring + eviction), kernel cache, DMA argument checks, stream reuse."""

import numpy as np
import pytest

from vta.isa import AluOp, Config, MemType, Opcode, Stage
from vta.jit import CommandQueue, DeviceBuffer, JitError, KernelBuilder, open_device


@pytest.fixture
def dev():
    with open_device("fsim", Config(log_uop_buff_size=7), dram_bytes=1 << 22) as d:  # a 32-entry UOP buffer
        yield d


def _uop_loads(program):
    return [(i.sram_base, i.x_size) for i in program if getattr(i, "opcode", None) == Opcode.LOAD
            and i.memory_type == MemType.UOP and i.x_size]


def test_resident_kernel_is_loaded_once(dev):
    cq = CommandQueue(dev)
    k = KernelBuilder.alu(AluOp.ADD, imm=1).uop(0).build()
    for _ in range(5):
        cq.push_alu(k)
    cq.synchronize()
    assert _uop_loads(cq.last_program) == [(0, 1)]
    assert int(dev.machine.acc[0, 0, 0]) == 5


def test_ring_wraps_and_evicts(dev):
    cq = CommandQueue(dev)
    big = [KernelBuilder.alu(AluOp.ADD, imm=i).uops(np.arange(12) % 3 + 3 * (i % 2)).build() for i in range(1, 4)]
    for k in big:  # 12 + 12 fit in 32; the third wraps to 0 and evicts the first
        cq.push_alu(k)
    cq.push_alu(big[0])  # evicted: loaded again
    cq.synchronize()
    assert _uop_loads(cq.last_program) == [(0, 12), (12, 12), (0, 12), (12, 12)]


def test_oversized_kernel_rejected(dev):
    cq = CommandQueue(dev)
    k = KernelBuilder.alu(AluOp.ADD, imm=1).uops(np.arange(40) % 3).build()
    with pytest.raises(JitError, match="does not fit the UOP buffer"):
        cq.push_alu(k)


def _adder(imm, dsts):
    return KernelBuilder.alu(AluOp.ADD, imm=imm).uops(np.asarray(dsts)).build()


def test_preload_loads_new_kernels_with_one_load_and_runs_them(dev):
    cq = CommandQueue(dev)
    ks = [_adder(1, [0, 1, 2]), _adder(2, [3, 4, 5, 6, 7]), _adder(4, [1, 3])]
    cq.preload(ks)
    for k in ks + ks[::-1]:
        cq.push_alu(k)
    cq.synchronize()
    assert _uop_loads(cq.last_program) == [(0, 10)]
    want = np.zeros(8, dtype=np.int64)
    for imm, dsts in ((1, [0, 1, 2]), (2, [3, 4, 5, 6, 7]), (4, [1, 3])):
        want[dsts] += 2 * imm  # each kernel ran twice
    assert np.array_equal(dev.machine.acc[:8, 0, 0].astype(np.int64), want)


def test_preload_splits_at_kernels_staged_earlier_and_skips_resident_ones(dev):
    cq = CommandQueue(dev)
    a, b, c = (_adder(i + 1, np.arange(12) % 4 + 4 * i) for i in range(3))
    d = _adder(8, [16, 17, 18, 19])
    for k in (a, b, c):  # c wraps to 0 and evicts a
        cq.push_alu(k)
    cq.preload([d, c, a])  # c is resident; d is new (staged after c), a was staged first: two loads
    for k in (a, d, c):
        cq.push_alu(k)
    cq.synchronize()
    assert _uop_loads(cq.last_program) == [(0, 12), (12, 12), (0, 12), (12, 4), (16, 12)]
    want = np.zeros(20, dtype=np.int64)
    for imm, dsts, runs in ((1, np.arange(12) % 4, 2), (2, np.arange(12) % 4 + 4, 1),
                            (3, np.arange(12) % 4 + 8, 2), (8, [16, 17, 18, 19], 1)):
        np.add.at(want, dsts, imm * runs)
    assert np.array_equal(dev.machine.acc[:20, 0, 0].astype(np.int64), want)


def test_preload_rejects_kernels_that_do_not_fit_together(dev):
    cq = CommandQueue(dev)
    ks = [_adder(i, np.arange(12) % 3) for i in range(1, 4)]
    with pytest.raises(JitError, match=r"3 kernels of 36 micro-ops do not fit the UOP buffer \(32\)"):
        cq.preload(ks)


def test_kernel_cache_builds_once(dev):
    cq = CommandQueue(dev)
    calls = []

    def build():
        calls.append(1)
        return KernelBuilder.gemm(reset=True).uop(0)

    a = cq.kernel(("reset", 1), build)
    b = cq.kernel(("reset", 1), build)
    assert a is b and len(calls) == 1


def test_dma_checks_against_buffers(dev):
    cq = CommandQueue(dev)
    buf = DeviceBuffer(dev, 100)
    with pytest.raises(JitError, match="reach byte 112 of a 100-byte buffer"):
        cq.load_2d(MemType.INP, 0, buf, 0, 7, 1, 7)
    with pytest.raises(JitError, match="OUT cannot be loaded"):
        cq.load_2d(MemType.OUT, 0, buf, 0, 1, 1, 1)
    with pytest.raises(JitError, match="not aligned"):
        cq.load_2d(MemType.WGT, 0, buf.addr + 16, 0, 1, 1, 1)


def test_push_mode_mismatch(dev):
    cq = CommandQueue(dev)
    with pytest.raises(JitError, match="needs a GEMM kernel"):
        cq.push_gemm(KernelBuilder.alu(AluOp.ADD, imm=1).uop(0).build())


def test_stream_resets_after_synchronize_and_failure(dev):
    from vta.isa import SimulationError

    cq = CommandQueue(dev)
    cq.push_alu(KernelBuilder.alu(AluOp.ADD, imm=2).uop(0).build())
    cq.synchronize()
    assert len(cq.queue) == 0
    cq.dep_pop(Stage.LOAD, Stage.COMPUTE)  # a wait nobody signals: the final token balance deadlocks
    cq.push_alu(KernelBuilder.alu(AluOp.ADD, imm=2).uop(0).build())
    with pytest.raises(SimulationError, match="deadlock"):
        cq.synchronize()
    assert len(cq.queue) == 0
    cq.push_alu(KernelBuilder.alu(AluOp.ADD, imm=3).uop(1).build())
    cq.synchronize()  # the queue and the device are usable again
    assert int(dev.machine.acc[1, 0, 0]) == 3


def test_empty_synchronize_is_a_no_op(dev):
    stats = CommandQueue(dev).synchronize()
    assert stats.insn_count == 0


def test_recorded_stream_reruns_with_new_inputs():
    """record() keeps the encoded stream; rerunning it after refilling the input gives the new result."""
    cfg = Config()
    with open_device("fsim", cfg, dram_bytes=1 << 22) as d:
        cq = CommandQueue(d)
        src = DeviceBuffer(d, 4 * 64)
        out = DeviceBuffer(d, 4 * 16)
        cq.load_2d(MemType.ACC, 0, src, 0, 4, 1, 4)
        cq.push_alu(KernelBuilder.alu(AluOp.ADD, imm=5).loop(4, dst=1).uop(0).build())
        cq.dep_push(Stage.COMPUTE, Stage.STORE)
        cq.dep_pop(Stage.COMPUTE, Stage.STORE)
        cq.store_2d(0, out, 0, 4, 1, 4)
        stream = cq.record()
        assert len(cq.queue) == 0 and len(stream) == len(cq.last_program)
        for value in (1, -7, 100):
            src.write(np.full((4, 1, 16), value, dtype=np.int32))
            stats = stream.run()
            assert stats.alu_uops == 4
            assert np.array_equal(out.read(np.int8), np.full(64, value + 5, dtype=np.int8))
        stream.free()
        with pytest.raises(JitError, match="freed"):
            stream.run()
        with pytest.raises(JitError, match="empty"):
            cq.record()
