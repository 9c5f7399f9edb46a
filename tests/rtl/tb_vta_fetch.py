"""cocotb bench of vta_fetch: a random instruction stream is routed in order to the load, compute and
store queues (random back-pressure), with its indices; bad instructions stop fetch with an error."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.triggers import RisingEdge

from rtl_build import config_from_env
from tb_util import ReadClientModel, start_clock_and_reset
from vta.hw import regmap
from vta.isa import AluInsn, AluOp, FinishInsn, GemmInsn, MemType, Stage, load, store
from vta.isa.encode import encode_insn

SEED = 15
ERRORS = {text: code for code, text in regmap.ERROR_CODES.items()}


def random_insn(rng):
    k = int(rng.integers(0, 8))
    flags = {f: bool(rng.random() < 0.3) for f in ("pop_prev_dep", "pop_next_dep", "push_prev_dep", "push_next_dep")}
    size = dict(x_size=int(rng.integers(0, 4)), y_size=1, x_stride=4, sram_base=int(rng.integers(0, 100)),
                dram_base=int(rng.integers(0, 1 << 20)))
    if k in (0, 1):  # load stage: only *_next flags
        return load(MemType.INP if k == 0 else MemType.WGT, **size,
                    pop_next_dep=flags["pop_next_dep"], push_next_dep=flags["push_next_dep"])
    if k == 2:
        return store(**size, pop_prev_dep=flags["pop_prev_dep"], push_prev_dep=flags["push_prev_dep"])
    if k == 3:
        return load(MemType.UOP if rng.random() < 0.5 else MemType.ACC, **size, **flags)
    if k == 4:
        return GemmInsn(uop_bgn=1, uop_end=int(rng.integers(2, 9)), iter_out=3, iter_in=2, **flags)
    if k == 5:
        return AluInsn(alu_opcode=AluOp(int(rng.integers(0, 5))), use_imm=True, imm=-5, **flags)
    if k == 6:
        return FinishInsn(**flags)
    return store(x_size=0, pop_prev_dep=flags["pop_prev_dep"]).replace(memory_type=MemType.UOP)  # NOP, any type


class Fetch:
    def __init__(self, dut, cfg, rng):
        self.dut, self.cfg, self.rng = dut, cfg, rng
        self.dram = np.zeros(1 << 16, dtype=np.uint8)
        self.got = {Stage.LOAD: [], Stage.COMPUTE: [], Stage.STORE: []}

    async def sink(self):
        d = self.dut
        ports = {Stage.LOAD: ("ld_valid_o", "ld_ready_i"), Stage.COMPUTE: ("co_valid_o", "co_ready_i"),
                 Stage.STORE: ("st_valid_o", "st_ready_i")}
        ready = {s: False for s in ports}
        while True:
            await RisingEdge(d.clk_i)
            for s, (v, r) in ports.items():
                if ready[s] and int(getattr(d, v).value):
                    self.got[s].append((int(d.idx_o.value), int(d.insn_o.value)))
                ready[s] = self.rng.random() < 0.7
                getattr(d, r).value = int(ready[s])

    async def run(self, prog: bytes, addr: int, max_cycles: int = 4000):
        d = self.dut
        self.dram[:] = 0
        self.dram[addr:addr + len(prog)] = np.frombuffer(prog, dtype=np.uint8)
        for v in self.got.values():
            v.clear()
        d.insn_count_i.value = len(prog) // 16
        d.insn_addr_i.value = addr
        d.clr_i.value = 1
        await RisingEdge(d.clk_i)
        d.clr_i.value = 0
        d.start_i.value = 1
        await RisingEdge(d.clk_i)
        d.start_i.value = 0
        err = None
        for _ in range(max_cycles):
            await RisingEdge(d.clk_i)
            if int(d.err_o.value) and err is None:
                err = (int(d.err_code_o.value), int(d.cur_idx_o.value))
            if not int(d.busy_o.value):
                break
        else:
            raise AssertionError("fetch still busy")
        for _ in range(20):
            await RisingEdge(d.clk_i)
        return err


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def routing_and_errors(dut):
    cfg = config_from_env()
    rng = np.random.default_rng(SEED)
    dut._log.info("seed %d, bus %d", SEED, cfg.bus_width)
    dut.start_i.value = 0
    dut.clr_i.value = 0
    await start_clock_and_reset(dut)
    f = Fetch(dut, cfg, rng)
    client = ReadClientModel(dut, f.dram, cfg.bus_bytes, rng)
    cocotb.start_soon(client.run(dut.clk_i))
    cocotb.start_soon(f.sink())

    # A long valid stream (several fetch chunks), at a 16-byte aligned address inside a beat.
    insns = [random_insn(rng) for _ in range(150)]
    raw = [encode_insn(i, cfg) for i in insns]
    err = await f.run(b"".join(raw), 4096 + 16 * (1 if cfg.bus_bytes > 16 else 0))
    assert err is None, f"unexpected error {err}"
    for stage in Stage:
        want = [(i, int.from_bytes(r, "little")) for i, (ins, r) in enumerate(zip(insns, raw)) if ins.stage == stage]
        assert f.got[stage] == want, f"{stage.name} queue: got {len(f.got[stage])} want {len(want)}"

    # Every error class stops fetch at the bad instruction; nothing after it is dispatched.
    bad_opcode = bytearray(encode_insn(FinishInsn(), cfg))
    bad_opcode[0] |= 0x6
    bad_cases = [
        ("unknown opcode", bytes(bad_opcode)),
        ("unknown memory type", encode_insn(load(MemType.OUT, x_size=1), cfg)),
        ("unknown memory type", encode_insn(store(x_size=1).replace(memory_type=MemType.ACC), cfg)),
        ("unknown ALU opcode", encode_insn(AluInsn(alu_opcode=5), cfg)),
        ("illegal dependency flag", encode_insn(load(MemType.WGT, push_prev_dep=True), cfg)),
        ("illegal dependency flag", encode_insn(store(pop_next_dep=True), cfg)),
    ]
    for text, bad in bad_cases:
        k = int(rng.integers(0, 6))
        prog = raw[:k] + [bad] + raw[k:k + 5]
        err = await f.run(b"".join(prog), 8192)
        assert err == (ERRORS[text], k), f"{text}: got {err}, want ({ERRORS[text]}, {k})"
        n = sum(len(v) for v in f.got.values())
        assert n == k, f"{text}: {n} instructions dispatched, want {k}"
