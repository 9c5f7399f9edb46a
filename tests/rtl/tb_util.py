"""Shared pieces of the cocotb benches: clock/reset, the generated package's numbers, memory helpers."""

from __future__ import annotations

from collections import deque

import numpy as np
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from vta.hw import regmap
from vta.isa import Config
from vta.isa.encode import encode_insn
from vta.isa.fields import Kind
from vta.isa.layout import insn_layout


async def start_clock_and_reset(dut, cycles: int = 5) -> None:
    """10 ns clock on clk_i; rst_ni low for `cycles` edges."""
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, cycles)
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)


def insn_int(insn, config: Config) -> int:
    """An instruction as the 128-bit integer a bench drives onto an insn port."""
    return int.from_bytes(encode_insn(insn, config), "little")


def lanes(config: Config, elem_bits: int) -> int:
    return max(1, config.bus_width // elem_bits)


def slices(config: Config, elem_bits: int) -> int:
    return max(1, elem_bits // config.bus_width)


def pack_bits(values: np.ndarray, width: int) -> int:
    """Little-endian packing of unsigned `values` (1-D) of `width` bits into one integer."""
    out = 0
    for i, v in enumerate(np.asarray(values, dtype=np.uint64).tolist()):
        out |= (int(v) & ((1 << width) - 1)) << (i * width)
    return out


def unpack_bits(value: int, width: int, count: int, signed: bool = False) -> np.ndarray:
    mask = (1 << width) - 1
    vals = [(value >> (i * width)) & mask for i in range(count)]
    if signed:
        vals = [v - (1 << width) if v >> (width - 1) else v for v in vals]
    return np.array(vals, dtype=np.int64)


def mem_type_field(config: Config) -> tuple[int, int]:
    """(lsb, width) of memory_type in the MEM layout (used to forge bad instructions)."""
    s = insn_layout(Kind.MEM, config).slot("memory_type")
    return s.lsb, s.width


REG = {r.name: r.offset for r in regmap.REGISTERS}


def alu_lane_ref(op: int, a: int, b: int) -> int:
    """One int32 lane of the semantics.md ALU table, with Python integers (independent of fsim)."""
    if op == 0:    # MIN
        r = min(a, b)
    elif op == 1:  # MAX
        r = max(a, b)
    elif op == 2:  # ADD
        r = a + b
    elif op == 3:  # SHR: exact shifting both ways
        r = a >> min(b, 31) if b >= 0 else (0 if -b >= 32 else a << -b)
    else:          # MUL
        r = a * b
    r &= 0xFFFFFFFF
    return r - (1 << 32) if r >> 31 else r


def check_retire(dut, pending: list[bool], clock: int, seed: int) -> tuple[int, int]:
    """(wrote, retired) on this clock, checking that retire_o pulses exactly with the ACC write of an
    instruction's last micro-op. `pending`: the last-flags of micro-ops accepted, not yet written, oldest first."""
    wrote, retire = int(dut.acc_wr_en_o.value), int(dut.retire_o.value)
    want = pending.pop(0) if wrote else False
    assert retire == int(want), (f"clock {clock}: retire_o {retire} on {'a' if wrote else 'no'} write, "
                                 f"want {int(want)} (seed {seed})")
    return wrote, retire


class SramModel:
    """A scratchpad as the bench sees it: lane k of a port is element idx + k, one cycle of read latency.

    `mem` holds one Python int per element. Signal names are `<prefix>_rd_en_o` etc. on the DUT
    (`rd`/`wr` may be None for a port the DUT does not have). Read-first, like vta_sram.

    `snoop` names a DUT input port (`<snoop>_en_i`, `<snoop>_idx_i`) through which the bench reports a
    write by another unit: the bench drives it for a clock and queues the element with `snoop_write`,
    and the model writes it at that clock's end, after the read (the port carries no data).
    """

    def __init__(self, dut, elem_bits: int, depth: int, *, rd: str | None = None, wr: str | None = None,
                 snoop: str | None = None, lanes: int = 1, slices: int = 1) -> None:
        self.dut = dut
        self.elem_bits = elem_bits
        self.depth = depth
        self.lanes = lanes
        self.slices = slices
        self.mem = [0] * depth
        self.rd = rd
        self.wr = wr
        self.snoop = snoop
        self.snoop_data: deque[int] = deque()
        self.writes = 0  # element writes through the DUT's write port (not snooped ones)

    def sig(self, name: str):
        """`<prefix>_<name>`, or `<name>` for the empty prefix (a DUT with a single port of a kind)."""
        return getattr(self.dut, name.lstrip("_"))

    async def run(self, clk) -> None:
        mask = (1 << self.elem_bits) - 1
        slice_bits = self.elem_bits // self.slices
        while True:
            await RisingEdge(clk)
            if self.rd is not None and int(self.sig(f"{self.rd}_rd_en_o").value):
                idx = int(self.sig(f"{self.rd}_rd_idx_o").value)
                word = 0
                for k in range(self.lanes):
                    word |= self.mem[(idx + k) % self.depth] << (k * self.elem_bits)
                self.sig(f"{self.rd}_rd_data_i").value = word
            if self.wr is not None and int(self.sig(f"{self.wr}_wr_en_o").value):
                idx = int(self.sig(f"{self.wr}_wr_idx_o").value)
                data = int(self.sig(f"{self.wr}_wr_data_o").value)
                lane_en = self._int_or(f"{self.wr}_wr_lane_en_o", 1)
                slice_en = self._int_or(f"{self.wr}_wr_slice_en_o", 1)
                for k in range(self.lanes):
                    if lane_en >> k & 1:
                        e = (idx + k) % (1 << 16)
                        assert e < self.depth, f"write to element {e} outside the modelled {self.depth}"
                        val = (data >> (k * self.elem_bits)) & mask
                        old = self.mem[e]
                        for s in range(self.slices):
                            if slice_en >> s & 1:
                                m = ((1 << slice_bits) - 1) << (s * slice_bits)
                                old = (old & ~m) | (val & m)
                        self.mem[e] = old
                        self.writes += 1
            if self.snoop is not None and int(self.sig(f"{self.snoop}_en_i").value):
                idx = int(self.sig(f"{self.snoop}_idx_i").value)
                assert self.snoop_data, f"{self.snoop}_en_i high with no queued snoop_write"
                self.mem[idx % self.depth] = self.snoop_data.popleft() & mask

    def snoop_write(self, idx: int, word: int) -> None:
        """Drive the snoop port for the coming clock: element `idx` becomes `word` at its end."""
        self.sig(f"{self.snoop}_en_i").value = 1
        self.sig(f"{self.snoop}_idx_i").value = idx
        self.snoop_data.append(word)

    def _int_or(self, name: str, default: int) -> int:
        name = name.lstrip("_")
        return int(self.sig(name).value) if hasattr(self.dut, name) else default

    def array(self, lane_bits: int, count: int, signed: bool = True) -> np.ndarray:
        """Every element unpacked into `count` lanes of `lane_bits` (shape depth x count)."""
        return np.stack([unpack_bits(v, lane_bits, count, signed) for v in self.mem])

    def load(self, elems: np.ndarray, lane_bits: int, base: int = 0) -> None:
        """Set elements base.. from an array of shape (n, lanes) of integers."""
        for i, row in enumerate(np.asarray(elems).reshape(len(elems), -1)):
            self.mem[base + i] = pack_bits(np.asarray(row).astype(np.int64) & ((1 << lane_bits) - 1), lane_bits)


class ReadClientModel:
    """The memory engine as a read client sees it: transfers (bus-aligned address, beats) in, beats back
    in order from `dram`, with random stalls on both handshakes. Ports `<prefix>_req_*` / `<prefix>_*`."""

    def __init__(self, dut, dram: np.ndarray, bus_bytes: int, rng, prefix: str = "rd", stall: float = 0.2) -> None:
        self.dut = dut
        self.dram = dram
        self.bus_bytes = bus_bytes
        self.rng = rng
        self.p = prefix
        self.stall = stall
        self.transfers: list[tuple[int, int]] = []

    async def run(self, clk) -> None:
        from collections import deque

        d = self.dut
        p = self.p
        beats: deque[int] = deque()
        req_ready = valid = False
        getattr(d, f"{p}_req_ready_i").value = 0
        getattr(d, f"{p}_valid_i").value = 0
        while True:
            await RisingEdge(clk)
            if req_ready and int(getattr(d, f"{p}_req_valid_o").value):
                addr = int(getattr(d, f"{p}_req_addr_o").value)
                n = int(getattr(d, f"{p}_req_beats_o").value)
                assert addr % self.bus_bytes == 0, f"unaligned transfer address {addr:#x}"
                assert n > 0, "empty transfer"
                self.transfers.append((addr, n))
                beats.extend(addr + i * self.bus_bytes for i in range(n))
            if valid and int(getattr(d, f"{p}_ready_o").value):
                beats.popleft()
            req_ready = self.rng.random() >= self.stall
            getattr(d, f"{p}_req_ready_i").value = int(req_ready)
            valid = bool(beats) and self.rng.random() >= self.stall
            getattr(d, f"{p}_valid_i").value = int(valid)
            if valid:
                a = beats[0]
                getattr(d, f"{p}_data_i").value = int.from_bytes(self.dram[a:a + self.bus_bytes].tobytes(), "little")
