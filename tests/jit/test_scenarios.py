"""Upstream's unit-test scenarios through the JIT on fsim, against numpy written here, on several configs."""

import numpy as np
import pytest

from vta.isa import Config
from vta.jit import CommandQueue, open_device
from vta.jit import scenarios as sc

CONFIGS = {"default": Config(), "1x32x32": Config.load("1x32x32"), "4x16x16": Config.load("4x16x16")}
SEED = 0xDEADB


def wrap8(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x, dtype=np.int64) & 0xFF).astype(np.uint8).view(np.int8)


def shift(a: np.ndarray, b) -> np.ndarray:
    """SHR as the kit defines it, with plain integer arithmetic: floor division or wrapped multiplication."""
    a = a.astype(np.int64)
    b = np.broadcast_to(np.asarray(b, dtype=np.int64), a.shape)
    right = np.floor_divide(a, 2 ** np.clip(b, 0, 62))
    left = (a * 2 ** np.clip(-b, 0, 32)) % (1 << 32)
    left = np.where(left >= 1 << 31, left - (1 << 32), left)
    return np.where(b >= 0, right, left)


@pytest.fixture(params=list(CONFIGS), ids=list(CONFIGS))
def cq(request):
    with open_device("fsim", CONFIGS[request.param], dram_bytes=1 << 24) as dev:
        yield CommandQueue(dev)


def test_save_load_out(cq):
    r = sc.save_load_out(cq, np.random.default_rng(SEED))
    assert np.array_equal(r.output, r.inputs["a"].astype(np.int8))
    assert r.stats.alu_uops == 36 and r.stats.acc_load_nbytes == r.inputs["a"].nbytes


@pytest.mark.parametrize("case", list(sc.PAD_CASES))
def test_padded_load(cq, case):
    r = sc.padded_load(cq, np.random.default_rng(SEED), case)
    p = r.params
    expect = np.pad(r.inputs["a"], ((p["y0"], p["y1"]), (p["x0"], p["x1"]), (0, 0), (0, 0)))
    assert np.array_equal(r.output, expect.astype(np.int8))


@pytest.mark.parametrize("variant", ["gemm", "gemm_smt"])
def test_gemm(cq, variant):
    r = sc.SCENARIOS[variant](cq, np.random.default_rng(SEED))
    x, w = r.inputs["x"].astype(np.int64), r.inputs["w"].astype(np.int64)
    # out[row, blk, b, j] = sum_k x[row, 0, b, k] * w[blk, 0, j, k]
    acc = np.einsum("rbk,njk->rnbj", x[:, 0], w[:, 0])
    expect = np.clip(acc >> 8, 0, 127).astype(np.int8)
    assert np.array_equal(r.output, expect)
    assert r.stats.gemm_uops == 16


@pytest.mark.parametrize("case", list(sc.ALU_CASES))
def test_alu(cq, case):
    r = sc.alu(cq, np.random.default_rng(SEED), case)
    a, b, imm = r.inputs["a"].astype(np.int64), r.inputs["b"].astype(np.int64), r.params["imm"]
    expect = {
        "shl_imm": a * 2 ** imm, "max_imm": np.maximum(a, imm), "max": np.maximum(a, b), "add_imm": a + imm,
        "add": a + b, "shr_imm": a >> imm, "min_imm": np.minimum(a, imm), "min": np.minimum(a, b),
        "mul_imm": a * imm, "mul": a * b, "shr": shift(a, b),
    }[case]
    assert np.array_equal(r.output, wrap8(expect))


def test_relu(cq):
    r = sc.relu(cq, np.random.default_rng(SEED))
    assert np.array_equal(r.output, np.clip(r.inputs["a"], 0, 127).astype(np.int8))


def test_shift_and_scale(cq):
    r = sc.shift_and_scale(cq, np.random.default_rng(SEED))
    expect = (r.inputs["a"].astype(np.int64) + r.params["add"]) >> r.params["shift"]
    assert np.array_equal(r.output, wrap8(expect))


def test_runtime_array(cq):
    r = sc.runtime_array(cq, np.random.default_rng(SEED))
    assert np.array_equal(r.output, r.inputs["a"])


def test_force_serial_gives_the_same_result():
    cfg = Config()
    outs = []
    for serial in (False, True):
        with open_device("fsim", cfg, dram_bytes=1 << 24) as dev:
            outs.append(sc.SCENARIOS["gemm_smt"](CommandQueue(dev, force_serial=serial), np.random.default_rng(1)).output)
    assert np.array_equal(outs[0], outs[1])
