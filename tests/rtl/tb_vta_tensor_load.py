"""cocotb bench of vta_tensor_load: 2D loads with every padding case, strides, unaligned starts and the
x_size == 0 NOP, against a numpy reference of semantics.md LOAD. The memory engine is modelled with
random stalls; the scratchpad records writes (lanes and slices)."""

from __future__ import annotations

import os

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from rtl_build import config_from_env
from tb_util import ReadClientModel, SramModel, insn_int, lanes, slices, start_clock_and_reset
from vta.isa import MemType, load

SEED = 13
SENTINEL = 0x5A


def cases(rng, n_elems):
    """(name, fields) of the loads to run; dram_base is relative to the test buffer (in elements)."""
    base = dict(y_size=3, x_size=4, x_stride=6)
    out = [
        ("no pad", dict(base, dram_base=0)),
        ("y_pad_0", dict(base, dram_base=1, y_pad_0=2)),
        ("y_pad_1", dict(base, dram_base=2, y_pad_1=3)),
        ("x_pad_0", dict(base, dram_base=3, x_pad_0=1)),
        ("x_pad_1", dict(base, dram_base=5, x_pad_1=2)),
        ("all pads", dict(base, dram_base=7, y_pad_0=1, y_pad_1=2, x_pad_0=3, x_pad_1=15)),
        ("stride == size", dict(y_size=2, x_size=5, x_stride=5, dram_base=1)),
        ("one row", dict(y_size=1, x_size=9, x_stride=9, dram_base=3, x_pad_0=2)),
        ("NOP with pads", dict(y_size=2, x_size=0, x_stride=3, dram_base=0, y_pad_0=1, x_pad_1=1)),
        ("no rows, pads", dict(y_size=0, x_size=2, x_stride=2, dram_base=0, y_pad_0=1, y_pad_1=1, x_pad_0=1)),
    ]
    for i in range(6):
        ys, xs = int(rng.integers(1, 4)), int(rng.integers(1, 7))
        out.append((f"random {i}", dict(y_size=ys, x_size=xs, x_stride=xs + int(rng.integers(0, 5)),
                                        dram_base=int(rng.integers(0, 9)),
                                        **{k: int(rng.integers(0, 4)) for k in ("y_pad_0", "y_pad_1", "x_pad_0", "x_pad_1")})))
    return out


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def padded_loads(dut):
    cfg = config_from_env()
    mtype = MemType[os.environ.get("VTA_TB_MEMTYPE", "INP")]
    elem_bytes = cfg.elem_bytes(mtype)
    elem_bits = 8 * elem_bytes
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, %s elements of %d bits, bus %d", SEED, mtype.name, elem_bits, cfg.bus_width)
    depth = 512
    dram = rng.integers(0, 256, size=1 << 16, dtype=np.uint8)
    buf = 4096  # byte address of the test buffer
    sram = SramModel(dut, elem_bits, depth, wr="", lanes=lanes(cfg, elem_bits), slices=slices(cfg, elem_bits))
    client = ReadClientModel(dut, dram, cfg.bus_bytes, rng)
    dut.start_i.value = 0
    await start_clock_and_reset(dut)
    cocotb.start_soon(client.run(dut.clk_i))
    cocotb.start_soon(sram.run(dut.clk_i))

    sram_base = 3
    for name, f in cases(rng, 64):
        sram.mem = [int.from_bytes(bytes([SENTINEL]) * elem_bytes, "little")] * depth
        insn = load(mtype, sram_base=sram_base, **{**f, "dram_base": buf // elem_bytes + f["dram_base"]})
        dut.insn_i.value = insn_int(insn, cfg)
        dut.start_i.value = 1
        await RisingEdge(dut.clk_i)
        while not int(dut.ready_o.value):
            await RisingEdge(dut.clk_i)
        dut.start_i.value = 0
        cycles = 0
        while not int(dut.done_o.value):
            await RisingEdge(dut.clk_i)
            cycles += 1
            assert cycles < 5000, f"{name}: no done"
        await RisingEdge(dut.clk_i)  # the last write lands with done
        # reference
        ys, xs, st = f["y_size"], f["x_size"], f["x_stride"]
        yp0, yp1, xp0, xp1 = (f.get(k, 0) for k in ("y_pad_0", "y_pad_1", "x_pad_0", "x_pad_1"))
        want = np.full((depth, elem_bytes), SENTINEL, dtype=np.uint8)
        if xs:
            w, h = xp0 + xs + xp1, yp0 + ys + yp1
            block = np.zeros((h, w, elem_bytes), dtype=np.uint8)
            start = buf + f["dram_base"] * elem_bytes
            for r in range(ys):
                row = dram[start + r * st * elem_bytes: start + (r * st + xs) * elem_bytes]
                block[yp0 + r, xp0:xp0 + xs] = row.reshape(xs, elem_bytes)
            want[sram_base:sram_base + w * h] = block.reshape(w * h, elem_bytes)
        got = np.array([list(v.to_bytes(elem_bytes, "little")) for v in sram.mem], dtype=np.uint8)
        bad = np.flatnonzero((got != want).any(axis=1))
        assert not bad.size, f"{name}: SRAM elements {bad[:10].tolist()} differ"
        dut._log.info("%s: ok in %d cycles", name, cycles)
