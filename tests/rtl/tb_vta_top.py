"""cocotb bench of vta_top: small programs encoded with vta.isa, DRAM = cocotbext-axi AxiRam,
registers through AxiLiteMaster; results compared with numpy references written here."""

from __future__ import annotations

import numpy as np
import cocotb
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from rtl_build import config_from_env
from tb_util import REG, alu_lane_ref, start_clock_and_reset
from vta.hw import regmap
from vta.isa import AluInsn, AluOp, Config, FinishInsn, GemmInsn, MemType, Uop, load, store
from vta.isa.encode import encode_insn, encode_uop

MEM_BYTES = 1 << 21
POISON = MEM_BYTES - (1 << 16)  # accesses at or above answer SLVERR
ERRORS = {text: code for code, text in regmap.ERROR_CODES.items()}


class Top:
    """vta_top with a RAM on its AXI master and a register master on its AXI-Lite slave."""

    def __init__(self, dut, config: Config) -> None:
        self.dut = dut
        self.cfg = config
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk_i, dut.rst_ni,
                          reset_active_level=False, size=MEM_BYTES)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni,
                                  reset_active_level=False)
        self.next = 0x1000
        for port, name in ((self.ram.read_if, "_read"), (self.ram.write_if, "_write")):
            setattr(port, name, self._poisoned(getattr(port, name)))

    @staticmethod
    def _poisoned(access):
        async def wrapped(address, arg):
            if address >= POISON:
                raise ValueError(f"poisoned address {address:#x}")
            return await access(address, arg)
        return wrapped

    def alloc(self, nbytes: int) -> int:
        addr = self.next
        self.next += -(-max(nbytes, 1) // 4096) * 4096
        return addr

    def put(self, array: np.ndarray) -> int:
        data = np.ascontiguousarray(array).tobytes()
        addr = self.alloc(len(data))
        self.ram.write(addr, data)
        return addr

    def get(self, addr: int, shape, dtype) -> np.ndarray:
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        return np.frombuffer(self.ram.read(addr, n), dtype=dtype).reshape(shape).copy()

    async def reg(self, name: str) -> int:
        return int.from_bytes(await self.axil.read(REG[name], 4), "little")

    async def set_reg(self, name: str, value: int) -> None:
        await self.axil.write(REG[name], int(value).to_bytes(4, "little"))

    async def run(self, insns, max_cycles: int = 200_000) -> dict[str, int]:
        """Write the program, launch it, poll control.finish; returns every register."""
        prog = b"".join(encode_insn(i, self.cfg) for i in insns)
        addr = self.put(np.frombuffer(prog, dtype=np.uint8))
        await self.set_reg("insn_count", len(insns))
        await self.set_reg("insn_addr", addr)
        await self.set_reg("control", 1 << regmap.CTRL_LAUNCH_BIT)
        waited = 0
        while not (await self.reg("control")) >> regmap.CTRL_FINISH_BIT & 1:
            assert int(self.dut.irq_o.value) == 0
            await ClockCycles(self.dut.clk_i, 20)
            waited += 20
            assert waited < max_cycles, f"no finish after {max_cycles} cycles"
        assert int(self.dut.irq_o.value) == 1
        return {r.name: await self.reg(r.name) for r in regmap.REGISTERS}

    def uops(self, uops: list[Uop]) -> int:
        """Put micro-ops in DRAM; returns their dram_base (in micro-op units)."""
        words = np.array([encode_uop(u, self.cfg) for u in uops], dtype=np.uint32)
        return self.put(words) // 4


def padded(rows: np.ndarray, yp0: int, yp1: int, xp0: int, xp1: int) -> np.ndarray:
    """Reference 2D load: rows (y, x, ...) -> dense SRAM block ((yp0+y+yp1)*(xp0+x+xp1), ...)."""
    y, x = rows.shape[:2]
    out = np.zeros((yp0 + y + yp1, xp0 + x + xp1) + rows.shape[2:], dtype=rows.dtype)
    out[yp0:yp0 + y, xp0:xp0 + x] = rows
    return out.reshape((-1,) + rows.shape[2:])


def alu_ref(op: AluOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ALU table applied lane by lane (tb_util.alu_lane_ref)."""
    out = [alu_lane_ref(int(op), x, y) for x, y in zip(a.astype(np.int64).ravel().tolist(),
                                                       b.astype(np.int64).ravel().tolist())]
    return np.array(out, dtype=np.int64).reshape(a.shape).astype(np.int32)


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def gemm_with_padded_loads(dut):
    """LOAD INP (all four pads, stride) + WGT + UOP, GEMM reset then accumulate 3x into each entry, STORE."""
    cfg = config_from_env()
    await start_clock_and_reset(dut)
    top = Top(dut, cfg)
    rng = np.random.default_rng(1)
    b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
    ys, xs, stride, yp0, yp1, xp0, xp1 = 2, 3, 4, 1, 1, 1, 2
    inp_dram = rng.integers(-128, 128, size=(ys, stride, b, bi), dtype=np.int8)
    wgt_dram = rng.integers(-128, 128, size=(3, bo, bi), dtype=np.int8)
    inp_addr, wgt_addr = top.put(inp_dram), top.put(wgt_dram)
    n = (yp0 + ys + yp1) * (xp0 + xs + xp1)
    uop_base = top.uops([Uop(dst_idx=0, src_idx=0, wgt_idx=0)])
    out_addr = top.alloc(n * cfg.out_elem_bytes)
    prog = [
        load(MemType.INP, sram_base=0, dram_base=inp_addr // cfg.inp_elem_bytes, y_size=ys, x_size=xs,
             x_stride=stride, y_pad_0=yp0, y_pad_1=yp1, x_pad_0=xp0, x_pad_1=xp1),
        load(MemType.WGT, sram_base=0, dram_base=wgt_addr // cfg.wgt_elem_bytes, y_size=1, x_size=3, x_stride=3,
             push_next_dep=True),
        load(MemType.UOP, sram_base=0, dram_base=uop_base, y_size=1, x_size=1, x_stride=1),
        GemmInsn(reset_reg=True, uop_bgn=0, uop_end=1, iter_out=n, iter_in=1, dst_factor_out=1),
        GemmInsn(uop_bgn=0, uop_end=1, iter_out=n, iter_in=3, dst_factor_out=1, src_factor_out=1,
                 wgt_factor_in=1, pop_prev_dep=True, push_next_dep=True),
        store(sram_base=0, dram_base=out_addr // cfg.out_elem_bytes, y_size=1, x_size=n, x_stride=n,
              pop_prev_dep=True, push_prev_dep=True),
        FinishInsn(pop_next_dep=True),
    ]
    regs = await top.run(prog)
    inp = padded(inp_dram[:, :xs], yp0, yp1, xp0, xp1).astype(np.int32)      # (n, b, bi)
    w = wgt_dram.astype(np.int32).sum(axis=0)                                 # (bo, bi)
    want = np.einsum("nbk,jk->nbj", inp, w).astype(np.int8)
    got = top.get(out_addr, (n, b, bo), np.int8)
    dut._log.info("cycles=%d gemm_uops=%d", regs["cycles"], regs["gemm_uops"])
    assert regs["status"] == 0
    assert np.array_equal(got, want), f"GEMM mismatch:\n{got}\n{want}"
    assert regs["gemm_uops"] == 3 * n
    assert regs["acc_wr_count"] == 4 * n
    assert 0 < regs["cycles"]


@cocotb.test(timeout_time=40, timeout_unit="ms")
async def alu_all_ops(dut):
    """LOAD ACC (padded), all five ALU ops with imm and vector operands, RAW chains, 32-bit check via 4 stores."""
    cfg = config_from_env()
    await start_clock_and_reset(dut)
    top = Top(dut, cfg)
    rng = np.random.default_rng(2)
    lanes = cfg.batch * cfg.block_out
    n = 48
    acc = rng.integers(-(1 << 20), 1 << 20, size=(n, cfg.batch, cfg.block_out), dtype=np.int32)
    amounts = np.array([0, 1, 5, 31, 32, 40, 1 << 30, -1, -5, -31, -32, -100, -(1 << 31), 7, 16, 30],
                       dtype=np.int32)
    acc[36:40] = np.resize(amounts, (4, cfg.batch, cfg.block_out))
    acc[40:44] = rng.integers(-1 << 31, 1 << 31, size=(4, cfg.batch, cfg.block_out), dtype=np.int64).astype(np.int32)
    acc_addr = top.put(acc)
    # A padded ACC load into ACC[48..): 2 rows of 2 from a stride-3 array, all pads 1.
    acc2 = rng.integers(-1000, 1000, size=(2, 3, cfg.batch, cfg.block_out), dtype=np.int32)
    acc2_addr = top.put(acc2)
    n2 = 4 * 4
    total = n + n2

    ref = np.concatenate([acc, padded(acc2[:, :2], 1, 1, 1, 1)]).astype(np.int32)

    uops: list[Uop] = [Uop(dst_idx=44, src_idx=45), Uop(dst_idx=45, src_idx=44)]  # RAW through src
    region_uops: dict[tuple[int, int], int] = {}

    def uop_for(dst: int, src: int) -> int:
        if (dst, src) not in region_uops:
            region_uops[(dst, src)] = len(uops)
            uops.append(Uop(dst_idx=dst, src_idx=src))
        return region_uops[(dst, src)]

    kernels: list[AluInsn] = []

    def alu(op, dst, cnt, *, src=0, imm=None, iter_in=1, dst_in=0, src_in=0):
        u = uop_for(dst, src)
        kernels.append(AluInsn(alu_opcode=op, uop_bgn=u, uop_end=u + 1, iter_out=cnt, iter_in=iter_in,
                               dst_factor_out=1, dst_factor_in=dst_in, src_factor_out=1, src_factor_in=src_in,
                               use_imm=imm is not None, imm=imm if imm is not None else 0))
        for y in range(cnt):
            for x in range(iter_in):
                d = dst + y + x * dst_in
                s = src + y + x * src_in
                bval = np.full(ref[d].shape, imm, dtype=np.int32) if imm is not None else ref[s].copy()
                ref[d] = alu_ref(op, ref[d], bval)

    alu(AluOp.MIN, 0, 4, imm=-3)
    alu(AluOp.MAX, 4, 4, src=20)
    alu(AluOp.ADD, 8, 4, imm=1000)
    alu(AluOp.ADD, 8, 4, src=24)                      # chained on the same region
    alu(AluOp.SHR, 12, 4, imm=3)
    alu(AluOp.SHR, 16, 4, imm=-4)                     # left shift
    alu(AluOp.SHR, 28, 4, src=36)                     # amounts >= 32, negative, INT_MIN
    alu(AluOp.MUL, 32, 4, src=40)
    alu(AluOp.MUL, 24, 4, imm=-7)
    alu(AluOp.ADD, 1, 1, imm=1, iter_in=3)            # back-to-back on one entry
    alu(AluOp.MAX, 2, 1, src=3, iter_in=2)
    # RAW through src inside one kernel: ACC[44] += ACC[45]; ACC[45] += ACC[44] (new value)
    kernels.append(AluInsn(alu_opcode=AluOp.ADD, uop_bgn=0, uop_end=2, iter_out=1, iter_in=2))
    for _ in range(2):
        ref[44] = alu_ref(AluOp.ADD, ref[44], ref[45].copy())
        ref[45] = alu_ref(AluOp.ADD, ref[45], ref[44].copy())
    alu(AluOp.SHR, n, n2, imm=0)                      # copy the padded load to OUT
    alu(AluOp.MIN, 20, 4, imm=32767)                  # touch every remaining entry so OUT holds all of ACC
    alu(AluOp.MIN, 36, 8, imm=0x7FFF)
    alu(AluOp.MIN, 46, 2, imm=0x7FFF)

    # The full 32-bit values: store OUT (low byte), then shift right by 8 and store again, 4 times.
    shift_uop = uop_for(0, 0)
    uop_base = top.uops(uops)
    prog = [
        load(MemType.UOP, sram_base=0, dram_base=uop_base, y_size=1, x_size=len(uops), x_stride=len(uops)),
        load(MemType.ACC, sram_base=0, dram_base=acc_addr // cfg.acc_elem_bytes, y_size=1, x_size=n, x_stride=n),
        load(MemType.ACC, sram_base=n, dram_base=acc2_addr // cfg.acc_elem_bytes, y_size=2, x_size=2, x_stride=3,
             y_pad_0=1, y_pad_1=1, x_pad_0=1, x_pad_1=1),
        *kernels,
    ]
    outs = []
    for k in range(4):
        if k:
            prog.append(AluInsn(alu_opcode=AluOp.SHR, uop_bgn=shift_uop, uop_end=shift_uop + 1, iter_out=total,
                                dst_factor_out=1, use_imm=True, imm=8, pop_next_dep=True))
        prog[-1] = prog[-1].replace(push_next_dep=True)
        addr = top.alloc(total * cfg.out_elem_bytes)
        outs.append(addr)
        prog.append(store(sram_base=0, dram_base=addr // cfg.out_elem_bytes, y_size=1, x_size=total,
                          x_stride=total, pop_prev_dep=True, push_prev_dep=True))
    prog.append(FinishInsn(pop_next_dep=True))
    regs = await top.run(prog)
    got = np.zeros((total, cfg.batch, cfg.block_out), dtype=np.int64)
    for k, addr in enumerate(outs):
        got |= (top.get(addr, got.shape, np.uint8).astype(np.int64)) << (8 * k)
    got = got.astype(np.uint32).astype(np.int32)
    assert regs["status"] == 0
    bad = np.argwhere(got != ref)
    assert np.array_equal(got, ref), f"ALU mismatch at {bad[:8].tolist()}: got {got[tuple(bad[0])]} want {ref[tuple(bad[0])]}"
    want_uops = sum(k.iter_out * k.iter_in * (k.uop_end - k.uop_bgn) for k in prog if isinstance(k, AluInsn))
    assert regs["alu_uops"] == want_uops
    dut._log.info("lanes=%d cycles=%d alu_uops=%d", lanes, regs["cycles"], regs["alu_uops"])


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def errors_end_the_run(dut):
    """Unknown opcode / memory type / ALU opcode, illegal flags, AXI error: finish with status error, no hang."""
    cfg = config_from_env()
    await start_clock_and_reset(dut)
    top = Top(dut, cfg)
    ok_load = load(MemType.INP, sram_base=0, dram_base=top.put(np.zeros(64, np.int8)) // cfg.inp_elem_bytes,
                   y_size=1, x_size=1, x_stride=1)
    cases = [
        ("unknown opcode", 2, None),
        ("unknown memory type", 1, load(MemType.OUT, x_size=1, y_size=1)),
        ("unknown ALU opcode", 1, AluInsn(alu_opcode=6, uop_bgn=0, uop_end=1)),
        ("illegal dependency flag", 1, ok_load.replace(pop_prev_dep=True)),
        ("AXI error response", 1, load(MemType.WGT, dram_base=POISON // cfg.wgt_elem_bytes,
                                       y_size=1, x_size=1, x_stride=1)),
        ("AXI error response", 1, store(dram_base=POISON // cfg.out_elem_bytes, y_size=2, x_size=3, x_stride=3,
                                        push_prev_dep=True)),
    ]
    for text, idx, bad in cases:
        # FINISH waits for the load stage (l2g) and the store stage (s2g) so errors there come first.
        prog = [ok_load, ok_load.replace(push_next_dep=True),
                FinishInsn(pop_prev_dep=True, pop_next_dep=bad is not None and bad.stage.name == "STORE")]
        if bad is None:  # opcode 7: forge the encoding of a FINISH
            raw = bytearray(encode_insn(FinishInsn(), cfg))
            raw[0] |= 0x7
            addr = top.put(np.frombuffer(bytes(b"".join(encode_insn(i, cfg) for i in prog[:2]) + raw +
                                               encode_insn(FinishInsn(), cfg)), np.uint8))
            await top.set_reg("insn_count", 4)
            await top.set_reg("insn_addr", addr)
            await top.set_reg("control", 1)
            for _ in range(500):
                if (await top.reg("control")) & 2:
                    break
                await ClockCycles(dut.clk_i, 10)
            regs = {r.name: await top.reg(r.name) for r in regmap.REGISTERS}
        else:
            prog.insert(idx, bad)
            regs = await top.run(prog, max_cycles=20_000)
        status = regs["status"]
        assert regs["control"] == 0b10, text
        assert status >> regmap.STATUS_ERROR_BIT & 1, f"{text}: status {status:#x}"
        assert not status >> regmap.STATUS_BUSY_BIT & 1
        assert status >> regmap.STATUS_ERROR_CODE_LSB & 0xFF == ERRORS[text], f"{text}: status {status:#x}"
        assert regs["error_insn"] == idx, f"{text}: error_insn {regs['error_insn']}"
    # The device is usable again after an error.
    regs = await top.run([ok_load.replace(push_next_dep=True), FinishInsn(pop_prev_dep=True)])
    assert regs["status"] == 0 and regs["control"] == 0b10


@cocotb.test(timeout_time=60, timeout_unit="ms")
async def gemm_double_buffered(dut):
    """Matmul with double-buffered INP/WGT tiles: loads overlap compute; reports GEMM uops per cycle.

    The tile is 64 x 8 ACC elements where the buffers allow, smaller otherwise: two INP
    tiles of `rows` and two WGT tiles of `cols` elements, and rows * cols ACC elements.
    """
    cfg = config_from_env()
    await start_clock_and_reset(dut)
    top = Top(dut, cfg)
    rng = np.random.default_rng(3)
    b, bi, bo = cfg.batch, cfg.block_in, cfg.block_out
    cols = min(8, cfg.wgt_depth // 2)                 # ACC tile columns (WGT tile), double-buffered
    rows = min(64, cfg.inp_depth // 2, cfg.acc_depth // cols)  # ACC tile rows (INP tile), double-buffered
    steps = 6                                         # K steps
    assert rows >= 1 and cols >= 1 and 2 * rows <= cfg.inp_depth and rows * cols <= cfg.acc_depth
    inp = rng.integers(-128, 128, size=(steps, rows, b, bi), dtype=np.int8)
    wgt = rng.integers(-128, 128, size=(steps, cols, bo, bi), dtype=np.int8)
    inp_addr, wgt_addr = top.put(inp), top.put(wgt)
    out_addr = top.alloc(rows * cols * cfg.out_elem_bytes)
    uop_base = top.uops([Uop(dst_idx=0, src_idx=0, wgt_idx=0), Uop(dst_idx=0, src_idx=rows, wgt_idx=cols)])
    nest = dict(iter_out=rows, iter_in=cols, dst_factor_out=cols, dst_factor_in=1, src_factor_out=1,
                wgt_factor_in=1)
    prog = [load(MemType.UOP, sram_base=0, dram_base=uop_base, y_size=1, x_size=2, x_stride=2),
            GemmInsn(reset_reg=True, uop_bgn=0, uop_end=1, **nest)]
    for k in range(steps):
        buf = k % 2
        prog.append(load(MemType.INP, sram_base=buf * rows, dram_base=inp_addr // cfg.inp_elem_bytes + k * rows,
                         y_size=1, x_size=rows, x_stride=rows, pop_next_dep=k >= 2))
        prog.append(load(MemType.WGT, sram_base=buf * cols, dram_base=wgt_addr // cfg.wgt_elem_bytes + k * cols,
                         y_size=1, x_size=cols, x_stride=cols, push_next_dep=True))
        prog.append(GemmInsn(uop_bgn=buf, uop_end=buf + 1, **nest, pop_prev_dep=True,
                             push_prev_dep=k + 2 < steps, push_next_dep=k == steps - 1))
    prog.append(store(sram_base=0, dram_base=out_addr // cfg.out_elem_bytes, y_size=1, x_size=rows * cols,
                      x_stride=rows * cols, pop_prev_dep=True, push_prev_dep=True))
    prog.append(FinishInsn(pop_next_dep=True))
    regs = await top.run(prog, max_cycles=400_000)
    want = np.einsum("krbi,kcji->rcbj", inp.astype(np.int32), wgt.astype(np.int32)).astype(np.int8)
    got = top.get(out_addr, (rows, cols, b, bo), np.int8)
    assert regs["status"] == 0
    assert np.array_equal(got, want), "matmul mismatch"
    uops = steps * rows * cols
    assert regs["gemm_uops"] == uops
    # Cycles the GEMM pipeline needs at one micro-op per clock: the reset pass plus every K step.
    ideal = (steps + 1) * rows * cols
    # The final store (not overlapped with anything) is left out of the ratio.
    ratio = ideal / (regs["cycles"] - regs["store_busy"])
    # A K step's loads take at least one bus beat per cycle; where they outlast its micro-ops
    # (small ACC or wide WGT elements on a narrow bus) the memory, not the pipeline, sets the pace.
    beats = -(-rows * cfg.inp_elem_bytes // cfg.bus_bytes) + -(-cols * cfg.wgt_elem_bytes // cfg.bus_bytes)
    bound = 0.9 * min(1.0, rows * cols / beats)
    dut._log.info("tile=%dx%d cycles=%d store_busy=%d gemm_uops=%d ideal=%d ratio=%.3f (bound %.3f) load_busy=%d "
                  "compute_busy=%d compute_stall=%d rd_beats=%d", rows, cols, regs["cycles"], regs["store_busy"],
                  uops, ideal, ratio, bound, regs["load_busy"], regs["compute_busy"], regs["compute_stall"],
                  regs["mem_rd_beats"])
    assert ratio >= bound, f"GEMM pipeline busy only {ratio:.2f} of the time (bound {bound:.2f}, tile {rows}x{cols})"
