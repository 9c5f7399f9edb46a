"""Two virtual threads keep their compute instructions in different ACC banks (dual issue).

The compute stage may run a GEMM and an ALU instruction at once when their ACC
footprints lie in different banks (bank(i) = i >= acc_depth // 2). For every
operator compiled with two virtual threads whose ACC areas and constants fit a bank
(compiler/acc_banks.py), the footprint of each GEMM/ALU instruction, computed here
from the encoded instruction stream and micro-ops read back from device memory
(micro-op dst/src plus iter_out * factor_out + iter_in * factor_in over every
iteration; an ALU's src too unless it uses an immediate), lies in one bank, and the
two threads' instructions lie in different banks. The thread of an instruction is
the accumulator region the compiler's stream says it writes; the banks are not.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from vta.compiler import ops
from vta.compiler.acc_banks import fits_bank, plan_acc
from vta.compiler.stream import SNest
from vta.isa.config import Config
from vta.isa.encode import decode_program, decode_uops
from vta.isa.insn import AluInsn, GemmInsn, MemInsn
from vta.isa.opcodes import MemType, Opcode
from vta.jit import open_device
from vta.jit.buffer import DeviceBuffer
from vta.jit.command_queue import CommandQueue

from . import ops_reference as ref
from .test_ops_workloads import RESNET18, TAIL, _conv_case

SEED = 0xACCB


@pytest.fixture(scope="module")
def fsim():
    with open_device("fsim", Config()) as dev:
        yield dev


def footprints(device, op) -> list[tuple[str, np.ndarray]]:
    """("gemm" or "alu", sorted ACC indices) of every GEMM/ALU instruction that runs, in program order,
    decoded from the op's encoded streams and micro-ops as recorded on `device`."""
    cfg = device.config
    cq = CommandQueue(device)
    buffers = {t.name: DeviceBuffer(device, max(int(np.prod(t.shape)) * cfg.elem_bytes(t.mem), 1))
               for t in op.result.stream.tensors.values()}
    out = []
    try:
        for rec in op.program.record(cq, buffers):
            insns = decode_program(device.read(rec.insn_buf.addr, 16 * len(rec)).tobytes(), cfg)
            uop = np.zeros((3, cfg.uop_depth), dtype=np.int64)
            for insn in insns:
                if isinstance(insn, MemInsn) and insn.opcode == Opcode.LOAD and insn.memory_type == MemType.UOP:
                    words = device.read(insn.dram_base * 4, insn.x_size * 4).view(np.uint32)
                    uop[:, insn.sram_base: insn.sram_base + insn.x_size] = np.stack(decode_uops(words, cfg))
                elif isinstance(insn, (GemmInsn, AluInsn)):
                    if insn.iter_out * insn.iter_in == 0 or insn.uop_end <= insn.uop_bgn:
                        continue  # an empty nest (kernel preload) touches nothing
                    u = uop[:, insn.uop_bgn: insn.uop_end]
                    y = np.arange(insn.iter_out)[:, None, None]
                    x = np.arange(insn.iter_in)[None, :, None]
                    idx = [u[0][None, None, :] + y * insn.dst_factor_out + x * insn.dst_factor_in]
                    if isinstance(insn, AluInsn) and not insn.use_imm:
                        idx.append(u[1][None, None, :] + y * insn.src_factor_out + x * insn.src_factor_in)
                    out.append(("gemm" if isinstance(insn, GemmInsn) else "alu",
                                np.unique(np.concatenate([i.reshape(-1) for i in idx]))))
            rec.free()
    finally:
        for b in buffers.values():
            b.free()
        cq.close()
    return out


def threads(op) -> list[int]:
    """The accumulator region (virtual thread) each non-empty GEMM/ALU instruction writes, per the stream."""
    return [o.dst.block.index for o in op.result.stream.ops if isinstance(o, SNest)
            for k in o.kernels if all(lp.extent > 0 for lp in k.loops)]


def check_banks(device, op, name: str) -> None:
    """Each instruction in one bank, thread t's instructions all in one bank, the two threads in different ones."""
    half = device.config.acc_depth // 2
    fps, thr = footprints(device, op), threads(op)
    assert len(fps) == len(thr), f"{name}: {len(fps)} instructions decoded, {len(thr)} in the stream"
    assert set(thr) == {0, 1}, f"{name}: not a two-thread schedule"
    banks: dict[int, set[int]] = {0: set(), 1: set()}
    for i, ((kind, idx), t) in enumerate(zip(fps, thr)):
        b = set((idx >= half).astype(int).tolist())
        assert len(b) == 1, (f"{name}: {kind} instruction {i} (thread {t}) touches ACC {idx.min()}..{idx.max()}, "
                             f"both banks (bank size {half})")
        banks[t] |= b
    assert len(banks[0]) == len(banks[1]) == 1 and banks[0] != banks[1], \
        f"{name}: thread 0 uses banks {sorted(banks[0])}, thread 1 banks {sorted(banks[1])}"


def _acc_consts(conv) -> int:
    """ACC elements of the constants the conv's ALU reads as a tensor src (ALU-form bias or MIN-init values)."""
    return conv.spec.cob if conv.plan.bias and not conv.bias_gemm else 0


@pytest.mark.parametrize("name", list(RESNET18))
def test_resnet18_layers_keep_each_thread_in_its_own_bank(fsim, name):
    h, w, ci, co, k, pad, stride = RESNET18[name]
    _, x, wt, b = _conv_case(name, h, w, ci, co, k, pad, stride)
    conv = ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=pad, epilogue=TAIL)
    if conv.plan.acc_regions == 1:
        pytest.skip(f"{name}: {conv.plan.tiles.text()} runs one virtual thread (packed layout)")
    if conv.plan.s_acc + _acc_consts(conv) > fsim.config.acc_depth // 2:
        pytest.skip(f"{name}: a {conv.plan.s_acc}-element tile and its constants do not fit a bank")
    check_banks(fsim, conv, name)


SMALL = ("conv2d, ALU bias", "conv2d, MIN-init", "dense, ALU bias", "conv2d_transpose, MIN-init", "max_pool2d", "add")


@functools.cache
def _small_cases() -> dict[str, tuple]:
    """Small ops with two virtual threads, one per ACC constant kind and schedule: name -> (op, inputs, numpy)."""
    rng = np.random.default_rng(SEED)
    cases = {}
    x = rng.integers(-128, 128, (1, 32, 14, 14), dtype=np.int8)
    w = rng.integers(-128, 128, (64, 32, 3, 3), dtype=np.int8)
    big = rng.integers(-(1 << 24), 1 << 24, 64).astype(np.int32)  # beyond the bias GEMM's reach: ALU ADD from ACC
    conv = ops.conv2d(w, big, input_shape=x.shape, padding=1, epilogue=(ops.Shr(8), ops.AddBias(), ops.Shr(4)),
                      tiles=ops.Tiles(h=7, w=14, co=2, ci=2))
    assert conv.plan.acc_bias
    cases["conv2d, ALU bias"] = (conv, (x,), ref.wrap32(ref.wrap32(ref.conv2d(x, w, (1, 1), (1, 1)) >> 8)
                                                        + big[None, :, None, None]) >> 4)
    b = rng.integers(-16384, 16384, 64).astype(np.int32)
    conv = ops.conv2d(w, b, input_shape=x.shape, padding=1, epilogue=TAIL, tiles=ops.Tiles(h=7, w=14, co=2, ci=2),
                      min_init=True)
    assert conv.min_init is not None
    cases["conv2d, MIN-init"] = (conv, (x,), ref.upstream_tail(ref.conv2d(x, w, (1, 1), (1, 1)), b))
    xd = rng.integers(-128, 128, (4, 256), dtype=np.int8)
    wd = rng.integers(-128, 128, (128, 256), dtype=np.int8)
    bd = rng.integers(-(1 << 24), 1 << 24, 128).astype(np.int32)
    dense = ops.dense(wd, bd, input_shape=xd.shape, epilogue=(ops.AddBias(), ops.Shr(8)),
                      tiles=ops.Tiles(h=1, w=1, co=4, ci=8))
    cases["dense, ALU bias"] = (dense, (xd,), ref.wrap32(ref.dense(xd, wd) + bd[None, :]) >> 8)
    xt = rng.integers(-128, 128, (1, 64, 8, 8), dtype=np.int8)
    wt = rng.integers(-128, 128, (64, 32, 4, 4), dtype=np.int8)
    bt = rng.integers(-16384, 16384, 32).astype(np.int32)
    ct = ops.conv2d_transpose(wt, bt, input_shape=xt.shape, stride=2, padding=1, epilogue=TAIL,
                              tiles=ops.Tiles(h=4, w=16, co=2, ci=4), min_init=True)
    cases["conv2d_transpose, MIN-init"] = (ct, (xt,), ref.upstream_tail(ref.conv2d_transpose(xt, wt, (2, 2),
                                                                                             (1, 1)), bt))
    xp = rng.integers(-128, 128, (1, 32, 9, 9), dtype=np.int8)
    pool = ops.max_pool2d(input_shape=xp.shape, kernel=3, stride=2, padding=1,
                          tiles=ops.Tiles(h=3, w=5, co=2, ci=1))
    cases["max_pool2d"] = (pool, (xp,), ref.max_pool2d(xp, (3, 3), (2, 2), (1, 1)))
    a, b2 = (rng.integers(-128, 128, (2, 64, 80), dtype=np.int8) for _ in range(2))  # two 512-element tiles
    add = ops.add(shape=a.shape, epilogue=(ops.Shr(1),))
    cases["add"] = (add, (a, b2), (a.astype(np.int32) + b2) >> 1)
    assert tuple(cases) == SMALL
    return cases


@pytest.mark.parametrize("name", SMALL)
def test_small_ops_keep_each_thread_in_its_own_bank_and_stay_exact(fsim, name):
    op, args, want = _small_cases()[name]
    assert op.func.attr("acc_layout").startswith("banked"), op.func.attr("acc_layout")
    check_banks(fsim, op, name)
    got = op.run(fsim, *args)
    assert np.array_equal(got, want.astype(np.int8)), f"{name}: output differs from numpy (seed {SEED:#x})"


def test_plan_acc_places_each_thread_and_its_constants_in_its_bank_or_falls_back_to_packed():
    banked = plan_acc(2048, (98, 50), 64, 2, 2)
    assert banked.banked and banked.area(0) == (0, 1024) and banked.area(1) == (98, 1024)
    assert banked.constants() == (148, 1024) and banked.const_copies == 2
    one_thread = plan_acc(2048, (98, 50), 64, 2, 1)  # a second region declared but never used
    assert not one_thread.banked and one_thread.area(1) == (196, 50) and one_thread.constants() == (296, 64)
    too_big = plan_acc(2048, (1000,), 32, 2, 2)  # 1032 > a bank, 2032 fits packed
    assert not too_big.banked and too_big.constants() == (2000, 32) and too_big.const_copies == 1
    assert plan_acc(2048, (1000,), 64, 2, 2) is None
    # whatever fits banked fits packed: the packed check is the capacity check
    for s in range(0, 1100, 7):
        for c in (0, 1, 16, 64):
            if fits_bank(s, c, 2048):
                assert 2 * s + c <= 2048
