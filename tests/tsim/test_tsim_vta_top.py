"""The real accelerator (vta_hw/rtl, top vta_top) under TSIM: small hand-encoded programs against numpy and fsim.

Skipped until vta_hw/rtl/vta_top.sv exists; its build is shared by the module.
"""

from __future__ import annotations

import numpy as np
import pytest

from vta.isa import AluInsn, AluOp, Config, FinishInsn, GemmInsn, MemType, Uop, encode_program, encode_uop, load, store
from vta.isa.errors import SimulationError
from vta.jit import CommandQueue, DeviceBuffer, open_device
from vta.jit.workloads import blocked_matmul, pack_a, pack_w, unpack_c
from vta.tsim.rtl import rtl_dir

CFG = Config()
DRAM = 1 << 26

pytestmark = pytest.mark.skipif(not (rtl_dir() / "vta_top.sv").is_file(),
                                reason="vta_hw/rtl/vta_top.sv does not exist yet")


@pytest.fixture(scope="module")
def tsim():
    with open_device("tsim", CFG, dram_bytes=DRAM, verbose=0) as dev:
        yield dev


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", CFG, dram_bytes=DRAM) as dev:
        yield dev


def put(dev, data: bytes | np.ndarray) -> int:
    raw = np.frombuffer(data, np.uint8) if isinstance(data, bytes) else np.ascontiguousarray(data).view(np.uint8)
    addr = dev.alloc(max(raw.size, 1))
    dev.write(addr, raw)
    return addr


def uop_words(uops: list[Uop]) -> np.ndarray:
    return np.array([encode_uop(u, CFG) for u in uops], dtype=np.uint32)


def run_program(dev, insns, timeout_s: float = 30.0):
    blob = encode_program(insns, CFG)
    addr = put(dev, blob)
    try:
        return dev.run(addr, len(insns), timeout_s=timeout_s)
    finally:
        dev.free(addr)


def test_finish_only(tsim):
    stats = run_program(tsim, [FinishInsn()])
    assert stats.cycles is not None and 0 < stats.cycles < 1000
    assert stats.insns_by_opcode.get("FINISH") == 1


def gemm_program(dev, inp: np.ndarray, wgt: np.ndarray) -> tuple[list, int]:
    """OUT[0] = low 8 bits of INP[0] @ WGT[0]^T, stored to a fresh buffer; returns (insns, out address)."""
    eb_inp, eb_wgt, eb_out, eb_uop = (CFG.elem_bytes(t) for t in (MemType.INP, MemType.WGT, MemType.OUT,
                                                                  MemType.UOP))
    a_inp, a_wgt = put(dev, inp), put(dev, wgt)
    a_uop = put(dev, uop_words([Uop(0, 0, 0)]))
    a_out = dev.alloc(eb_out)
    insns = [
        load(MemType.UOP, sram_base=0, dram_base=a_uop // eb_uop, y_size=1, x_size=1, x_stride=1),
        load(MemType.INP, sram_base=0, dram_base=a_inp // eb_inp, y_size=1, x_size=1, x_stride=1),
        load(MemType.WGT, sram_base=0, dram_base=a_wgt // eb_wgt, y_size=1, x_size=1, x_stride=1,
             push_next_dep=True),
        GemmInsn(reset_reg=True, uop_bgn=0, uop_end=1),
        GemmInsn(uop_bgn=0, uop_end=1, pop_prev_dep=True, push_next_dep=True),
        store(sram_base=0, dram_base=a_out // eb_out, y_size=1, x_size=1, x_stride=1, pop_prev_dep=True,
              push_prev_dep=True),
        FinishInsn(pop_next_dep=True),
    ]
    return insns, a_out


def test_one_gemm_block_matches_numpy(tsim):
    rng = np.random.default_rng(11)
    inp = rng.integers(-128, 128, (CFG.batch, CFG.block_in), dtype=np.int8)
    wgt = rng.integers(-128, 128, (CFG.block_out, CFG.block_in), dtype=np.int8)
    insns, a_out = gemm_program(tsim, inp, wgt)
    stats = run_program(tsim, insns)
    expect = (inp.astype(np.int32) @ wgt.astype(np.int32).T).astype(np.int8)  # low 8 bits
    got = tsim.read(a_out, CFG.elem_bytes(MemType.OUT)).view(np.int8).reshape(CFG.batch, CFG.block_out)
    assert np.array_equal(got, expect)
    assert stats.hw_counters["gemm_uops"] == stats.gemm_uops == 1


def test_alu_ops_match_numpy(tsim):
    rng = np.random.default_rng(12)
    n = 8
    acc = rng.integers(-(1 << 20), 1 << 20, (n, CFG.batch, CFG.block_out), dtype=np.int32)
    eb_acc, eb_out, eb_uop = (CFG.elem_bytes(t) for t in (MemType.ACC, MemType.OUT, MemType.UOP))
    a_acc = put(tsim, acc)
    # uop i: dst i, src i + n/2 (for the non-immediate ops over the first half)
    a_uop = put(tsim, uop_words([Uop(i, i + n // 2, 0) for i in range(n)]))
    a_out = tsim.alloc(n * eb_out)
    insns = [
        load(MemType.UOP, sram_base=0, dram_base=a_uop // eb_uop, y_size=1, x_size=n, x_stride=n),
        load(MemType.ACC, sram_base=0, dram_base=a_acc // eb_acc, y_size=1, x_size=n, x_stride=n),
        AluInsn(alu_opcode=AluOp.ADD, uop_bgn=0, uop_end=n // 2),  # acc[i] += acc[i + n/2]
        AluInsn(alu_opcode=AluOp.SHR, uop_bgn=0, uop_end=n, use_imm=True, imm=3),
        AluInsn(alu_opcode=AluOp.MAX, uop_bgn=0, uop_end=n, use_imm=True, imm=-100),
        AluInsn(alu_opcode=AluOp.MIN, uop_bgn=0, uop_end=n, use_imm=True, imm=100, push_next_dep=True),
        store(sram_base=0, dram_base=a_out // eb_out, y_size=1, x_size=n, x_stride=n, pop_prev_dep=True,
              push_prev_dep=True),
        FinishInsn(pop_next_dep=True),
    ]
    stats = run_program(tsim, insns)
    ref = acc.astype(np.int64)
    ref[: n // 2] += ref[n // 2:]
    ref = ((ref + (1 << 31)) % (1 << 32) - (1 << 31)) >> 3
    ref = np.clip(ref, -100, 100)
    got = tsim.read(a_out, n * eb_out).view(np.int8).reshape(ref.shape)
    assert np.array_equal(got, ref.astype(np.int8))
    assert stats.hw_counters["alu_uops"] == stats.alu_uops == n // 2 + 3 * n


@pytest.mark.parametrize("size", [64])
def test_blocked_matmul_matches_numpy_and_fsim(tsim, fsim, size):
    rng = np.random.default_rng(13)
    a = rng.integers(-128, 128, (size, size), dtype=np.int8)
    w = rng.integers(-128, 128, (size, size), dtype=np.int8)
    epilogue = ((AluOp.SHR, 6), (AluOp.MAX, -128), (AluOp.MIN, 127))
    outs, stats = [], []
    for dev in (tsim, fsim):
        cq = CommandQueue(dev)
        ab, wb = DeviceBuffer.from_array(dev, pack_a(a, CFG)), DeviceBuffer.from_array(dev, pack_w(w, CFG))
        cb = DeviceBuffer(dev, size * size)
        blocked_matmul(cq, ab, wb, cb, size, size, size, epilogue=epilogue)
        stats.append(cq.synchronize())
        outs.append(unpack_c(cb.read(np.int8), size, size, CFG))
        for buf in (ab, wb, cb):
            buf.free()
    expect = np.clip((a.astype(np.int32) @ w.astype(np.int32).T) >> 6, -128, 127).astype(np.int8)
    assert np.array_equal(outs[0], expect)
    assert np.array_equal(outs[1], expect)
    assert stats[0].hw_counters["gemm_uops"] == stats[1].gemm_uops


def test_hardware_rejects_unknown_opcode_and_recovers():
    with open_device("tsim", CFG, dram_bytes=DRAM, verbose=0, check=False) as dev:
        blob = bytearray(encode_program([FinishInsn(), FinishInsn()], CFG))
        blob[0] = (blob[0] & ~0x7) | 0x7  # opcode 7 does not exist
        addr = put(dev, bytes(blob))
        with pytest.raises(SimulationError, match=r"error 1 \(unknown opcode\) at instruction 0"):
            dev.run(addr, 2, timeout_s=10)
        stats = run_program(dev, [FinishInsn()])
        assert stats.cycles is not None
