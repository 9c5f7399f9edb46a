"""cocotb bench of vta_mem_engine with a cocotbext-axi AxiRam: five readers and the writer move data at
the same time (random transfer sizes crossing 4 KiB pages, random back-pressure); every beat is checked
against the RAM, every burst against the AXI rules; then an abort drains the bus."""

from __future__ import annotations

from collections import deque

import numpy as np
import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiBus, AxiRam

from rtl_build import config_from_env
from tb_util import start_clock_and_reset

SEED = 17
NUM_RD = 5
RD_REGION = (0x0000, 0x10000)
WR_REGION = (0x20000, 0x30000)


def split(value: int, width: int, n: int) -> list[int]:
    return [(value >> (i * width)) & ((1 << width) - 1) for i in range(n)]


def join(values: list[int], width: int) -> int:
    out = 0
    for i, v in enumerate(values):
        out |= v << (i * width)
    return out


class Bursts:
    """Checks every AR/AW handshake: INCR, full-width beats, <= 256 beats, inside one 4 KiB page."""

    def __init__(self, dut, bus_bytes):
        self.dut, self.bb = dut, bus_bytes
        self.ar_ids: list[int] = []
        self.count = 0

    async def run(self):
        d = self.dut
        while True:
            await RisingEdge(d.clk_i)
            for ch in ("ar", "aw"):
                if int(getattr(d, f"m_axi_{ch}valid").value) and int(getattr(d, f"m_axi_{ch}ready").value):
                    addr = int(getattr(d, f"m_axi_{ch}addr").value)
                    beats = int(getattr(d, f"m_axi_{ch}len").value) + 1
                    assert int(getattr(d, f"m_axi_{ch}burst").value) == 1
                    assert 1 << int(getattr(d, f"m_axi_{ch}size").value) == self.bb
                    assert addr % self.bb == 0
                    assert addr // 4096 == (addr + beats * self.bb - 1) // 4096, f"{ch} burst crosses 4 KiB"
                    self.count += 1
                    if ch == "ar":
                        self.ar_ids.append(int(d.m_axi_arid.value))


@cocotb.test(timeout_time=50, timeout_unit="ms")
async def concurrent_clients(dut):
    cfg = config_from_env()
    bb = cfg.bus_bytes
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, bus %d", SEED, cfg.bus_width)
    ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk_i, dut.rst_ni, reset_active_level=False, size=1 << 18)
    image = rng.integers(0, 256, size=1 << 18, dtype=np.uint8)
    ram.write(0, image.tobytes())
    for s in ("rd_req_valid_i", "rd_ready_i", "wr_req_valid_i", "wr_valid_i", "abort_i"):
        getattr(dut, s).value = 0
    await start_clock_and_reset(dut)
    bursts = Bursts(dut, bb)
    cocotb.start_soon(bursts.run())

    # Per reader: transfers (addr, beats) and the beats still expected.
    todo = []
    for c in range(NUM_RD):
        ts = deque()
        for _ in range(6):
            beats = int(rng.choice([1, 2, 7, 64, 300, 513]))
            addr = int(rng.integers(RD_REGION[0], RD_REGION[1] - beats * bb)) // bb * bb
            ts.append((addr, beats))
        todo.append(ts)
    expect = [deque() for _ in range(NUM_RD)]
    received = [0] * NUM_RD
    # Writer: transfers and the beats to send (data, strobe).
    w_reqs = deque()
    w_beats = deque()
    want = image.copy()
    for _ in range(5):
        beats = int(rng.choice([1, 3, 100, 290]))
        addr = int(rng.integers(WR_REGION[0], WR_REGION[1] - beats * bb)) // bb * bb
        w_reqs.append((addr, beats))
        for i in range(beats):
            data = rng.integers(0, 256, size=bb, dtype=np.uint8)
            strb = int(rng.integers(0, 1 << bb)) if rng.random() < 0.5 else (1 << bb) - 1
            w_beats.append((int.from_bytes(data.tobytes(), "little"), strb))
            a = addr + i * bb
            for j in range(bb):
                if strb >> j & 1:
                    want[a + j] = data[j]

    req_valid = [False] * NUM_RD
    rd_ready = [False] * NUM_RD
    wreq_valid = wvalid = False
    for cycle in range(60000):
        await RisingEdge(dut.clk_i)
        # handshakes that happened at this edge
        req_ready = split(int(dut.rd_req_ready_o.value), 1, NUM_RD)
        rd_valid = split(int(dut.rd_valid_o.value), 1, NUM_RD)
        data = int(dut.rd_data_o.value)
        for c in range(NUM_RD):
            if req_valid[c] and req_ready[c]:
                addr, beats = todo[c].popleft()
                expect[c].extend(addr + i * bb for i in range(beats))
            if rd_ready[c] and rd_valid[c]:
                assert expect[c], f"client {c}: unexpected beat"
                a = expect[c].popleft()
                assert data == int.from_bytes(image[a:a + bb].tobytes(), "little"), f"client {c}: bad data at {a:#x}"
                received[c] += 1
        if wreq_valid and int(dut.wr_req_ready_o.value):
            w_reqs.popleft()
        if wvalid and int(dut.wr_ready_o.value):
            w_beats.popleft()
        # next cycle's inputs
        req_valid = [bool(todo[c]) and rng.random() < 0.5 for c in range(NUM_RD)]
        rd_ready = [rng.random() < 0.8 for _ in range(NUM_RD)]
        dut.rd_req_valid_i.value = join([int(v) for v in req_valid], 1)
        dut.rd_req_addr_i.value = join([todo[c][0][0] if todo[c] else 0 for c in range(NUM_RD)], 32)
        dut.rd_req_beats_i.value = join([todo[c][0][1] if todo[c] else 0 for c in range(NUM_RD)], 32)
        dut.rd_ready_i.value = join([int(v) for v in rd_ready], 1)
        wreq_valid = bool(w_reqs) and rng.random() < 0.5
        dut.wr_req_valid_i.value = int(wreq_valid)
        if w_reqs:
            dut.wr_req_addr_i.value = w_reqs[0][0]
            dut.wr_req_beats_i.value = w_reqs[0][1]
        wvalid = bool(w_beats) and rng.random() < 0.8
        dut.wr_valid_i.value = int(wvalid)
        if w_beats:
            dut.wr_data_i.value, dut.wr_strb_i.value = w_beats[0]
        done = not any(todo) and not any(expect) and not w_reqs and not w_beats
        if done and int(dut.idle_o.value) and int(dut.wr_idle_o.value):
            break
    else:
        raise AssertionError(f"traffic did not finish: received {received}")
    got = np.frombuffer(ram.read(0, 1 << 18), dtype=np.uint8)
    bad = np.flatnonzero(got != want)
    assert not bad.size, f"RAM bytes differ at {bad[:8].tolist()}"
    assert set(bursts.ar_ids) == set(range(NUM_RD)), f"read IDs {sorted(set(bursts.ar_ids))}"
    dut._log.info("%d bursts in %d cycles, beats per reader %s", bursts.count, cycle, received)

    # Abort in the middle of traffic: new work is refused, in-flight bursts drain, the engine goes idle.
    dut.rd_req_valid_i.value = 0b11111
    dut.rd_req_addr_i.value = join([0] * NUM_RD, 32)
    dut.rd_req_beats_i.value = join([200] * NUM_RD, 32)
    dut.rd_ready_i.value = 0b11111
    dut.wr_req_valid_i.value = 1
    dut.wr_req_addr_i.value = WR_REGION[0]
    dut.wr_req_beats_i.value = 50
    dut.wr_valid_i.value = 1
    dut.wr_strb_i.value = 0
    await ClockCycles(dut.clk_i, 30)
    dut.abort_i.value = 1
    for _ in range(3000):
        await RisingEdge(dut.clk_i)
        if int(dut.idle_o.value):
            break
    else:
        raise AssertionError("engine not idle after abort")
    dut.abort_i.value = 0
