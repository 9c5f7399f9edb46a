"""The simulator's walk over a program: fetch routing, token queues, validation and stats.

One walk serves three purposes: fast execution (numpy executor), reference
execution (plain per-uop executor) and the data-free check-only mode (no
executor; UOP loads still happen because later index checks read micro-ops).
Every rule of isa/semantics.md that can reject a program is enforced here, so
all modes reject the same programs with the same message.
"""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np

from ..config import Config
from ..dram import Dram
from ..errors import SimulationError
from ..opcodes import MemType, Opcode, Stage
from ..stats import RunStats
from .machine import Machine
from .program import DecodedProgram, MemFields, NestFields

TOKEN_LIMIT = 65535
# Fetch dispatches in order into one command queue per stage and stalls while the next instruction's
# queue holds this many instructions that have not started (isa/semantics.md, the RTL's queue depth).
QUEUE_DEPTH = 256
L2G, G2L, S2G, G2S = range(4)
_STAGE_NAMES = ("load", "compute", "store")
_TOKEN_NAMES = ("l2g (load->compute)", "g2l (compute->load)", "s2g (store->compute)", "g2s (compute->store)")
_LOAD_BYTES_KEY = {MemType.INP: "inp_load_nbytes", MemType.WGT: "wgt_load_nbytes",
                   MemType.ACC: "acc_load_nbytes", MemType.UOP: "uop_load_nbytes"}


class Executor(Protocol):
    """Data-path semantics of each instruction kind (arguments already validated)."""

    def load(self, m: Machine, dram: Dram, f: MemFields) -> None: ...

    def store(self, m: Machine, dram: Dram, f: MemFields) -> None: ...

    def gemm(self, m: Machine, f: NestFields) -> None: ...

    def alu(self, m: Machine, f: NestFields) -> None: ...


def walk(
    config: Config,
    dram: Dram,
    insn_addr: int,
    insn_count: int,
    machine: Machine,
    executor: Executor | None,
    timeout_s: float = 60.0,
) -> RunStats:
    """Run (or, with executor None, only check) a program; SimulationError on any broken rule."""
    if insn_count <= 0:
        raise SimulationError(f"instruction count must be positive, got {insn_count}")
    if not dram.contains(insn_addr, insn_count * 16):
        raise SimulationError(
            f"instruction stream [{insn_addr:#x}, {insn_addr + insn_count * 16:#x}) is not inside one allocation")
    prog = DecodedProgram(dram.data[insn_addr : insn_addr + insn_count * 16], config)
    prog.static_check()
    return _Walker(config, dram, prog, machine, executor, timeout_s).run()


class _Walker:
    def __init__(self, config: Config, dram: Dram, prog: DecodedProgram, machine: Machine,
                 executor: Executor | None, timeout_s: float) -> None:
        self.c, self.dram, self.p, self.m, self.x = config, dram, prog, machine, executor
        self.deadline = time.perf_counter() + timeout_s
        self.timeout_s = timeout_s
        self.tokens = [0, 0, 0, 0]
        kinds = (MemType.UOP, MemType.WGT, MemType.INP, MemType.ACC, MemType.OUT)
        self.depth = {int(mt): config.depth(mt) for mt in kinds}
        self.elem_bytes = {int(mt): config.elem_bytes(mt) for mt in kinds}
        self.stats = RunStats(insn_count=prog.count)
        self.counts = {"LOAD": 0, "STORE": 0, "GEMM": 0, "ALU": 0, "FINISH": 0, "NOP": 0}
        pp, pn, sp, sn = prog.flags
        # Per instruction: the token queues it pops before and pushes after, by its stage.
        self.pops: list[tuple[int, ...]] = []
        self.pushes: list[tuple[int, ...]] = []
        for i, stage in enumerate(prog.stage.tolist()):
            if stage == Stage.LOAD:
                self.pops.append((G2L,) if pn[i] else ())
                self.pushes.append((L2G,) if sn[i] else ())
            elif stage == Stage.STORE:
                self.pops.append((G2S,) if pp[i] else ())
                self.pushes.append((S2G,) if sp[i] else ())
            else:
                self.pops.append(tuple(q for q, f in ((L2G, pp[i]), (S2G, pn[i])) if f))
                self.pushes.append(tuple(q for q, f in ((G2L, sp[i]), (G2S, sn[i])) if f))

    # ------------------------------------------------------------ scheduling
    def run(self) -> RunStats:
        p = self.p
        stage = p.stage
        stage_list = stage.tolist()
        queues = [np.flatnonzero(stage == s).tolist() for s in (Stage.LOAD, Stage.COMPUTE, Stage.STORE)]
        ptr = [0, 0, 0]
        finish = p.count - 1
        tokens = self.tokens
        fetched = 0  # instructions [0, fetched) have been dispatched into their stage's queue
        waiting = [0, 0, 0]  # dispatched instructions per stage that have not started
        while True:
            while fetched <= finish and waiting[stage_list[fetched] - 1] < QUEUE_DEPTH:
                waiting[stage_list[fetched] - 1] += 1
                fetched += 1
            best = -1
            for q in range(3):
                if ptr[q] < len(queues[q]):
                    i = queues[q][ptr[q]]
                    if i < fetched and all(tokens[t] > 0 for t in self.pops[i]) and (best < 0 or i < best):
                        best = i
            if best < 0:
                raise self._deadlock(queues, ptr, fetched)
            if ptr[1] < len(queues[1]) and queues[1][ptr[1]] == finish and all(tokens[t] > 0 for t in self.pops[finish]):
                pending = [queues[q][ptr[q]] for q in (0, 2) if ptr[q] < len(queues[q])]
                if pending:
                    k = min(pending)
                    raise p.error(finish, f"FINISH can execute before instruction {k} ({p.disasm(k)}) completes: "
                                          "the stream must make FINISH wait for the load and store stages through tokens")
            for t in self.pops[best]:
                tokens[t] -= 1
            self._execute(best)
            for t in self.pushes[best]:
                if tokens[t] >= TOKEN_LIMIT:
                    raise p.error(best, f"token queue {_TOKEN_NAMES[t]} overflows ({TOKEN_LIMIT} tokens)")
                tokens[t] += 1
            ptr[stage_list[best] - 1] += 1
            waiting[stage_list[best] - 1] -= 1
            if best == finish:
                break
            if time.perf_counter() > self.deadline:
                raise p.error(best, f"timeout: the run exceeded {self.timeout_s} s")
        self.stats.insns_by_opcode = {k: v for k, v in self.counts.items() if v}
        return self.stats

    def _deadlock(self, queues: list[list[int]], ptr: list[int], fetched: int) -> SimulationError:
        waits = []
        for q, name in enumerate(_STAGE_NAMES):
            if ptr[q] < len(queues[q]):
                i = queues[q][ptr[q]]
                if i >= fetched:
                    continue
                need = ", ".join(_TOKEN_NAMES[t] for t in self.pops[i] if self.tokens[t] == 0)
                waits.append(f"{name} stage at instruction {i} ({self.p.disasm(i)}) waits for a token on {need}")
        if fetched < self.p.count:
            full = _STAGE_NAMES[int(self.p.stage[fetched]) - 1]
            waits.append(f"fetch is stalled at instruction {fetched} ({self.p.disasm(fetched)}) because the {full} "
                         f"queue holds {QUEUE_DEPTH} instructions that have not started (the queue depth: a stage may "
                         f"not run more than {QUEUE_DEPTH} instructions ahead of the token that releases it)")
        return SimulationError("deadlock: no stage can proceed before FINISH; " + "; ".join(waits))

    # ------------------------------------------------------------ execution
    def _execute(self, i: int) -> None:
        op = self.p.opcode_list[i]
        if op == Opcode.LOAD or op == Opcode.STORE:
            f = self.p.mem(i)
            if f.x_size == 0:
                self.counts["NOP"] += 1
            elif op == Opcode.LOAD:
                self.counts["LOAD"] += 1
                self._load(i, f)
            else:
                self.counts["STORE"] += 1
                self._store(i, f)
        elif op == Opcode.GEMM:
            self.counts["GEMM"] += 1
            self._nest(i, self.p.nest(i), gemm=True)
        elif op == Opcode.ALU:
            self.counts["ALU"] += 1
            self._nest(i, self.p.nest(i), gemm=False)
        else:
            self.counts["FINISH"] += 1

    def _dram_range(self, i: int, f: MemFields, elem_bytes: int, what: str) -> None:
        if f.y_size == 0:
            return
        first = f.dram_base * elem_bytes
        end = (f.dram_base + (f.y_size - 1) * f.x_stride + f.x_size) * elem_bytes
        if not self.dram.contains(first, end - first):
            raise self.p.error(i, f"{what} DRAM bytes [{first:#x}, {end:#x}) are not inside one allocation of the device")

    def _load(self, i: int, f: MemFields) -> None:
        c = self.c
        mt = f.memory_type
        width = f.x_pad_0 + f.x_size + f.x_pad_1
        height = f.y_pad_0 + f.y_size + f.y_pad_1
        depth = self.depth[mt]
        if f.sram_base + width * height > depth:
            name = MemType(mt).name
            raise self.p.error(i, f"LOAD {name} writes SRAM elements [{f.sram_base}, {f.sram_base + width * height})"
                                  f" past the {name} depth {depth}")
        eb = self.elem_bytes[mt]
        self._dram_range(i, f, eb, "LOAD reads")
        key = _LOAD_BYTES_KEY[mt]
        setattr(self.stats, key, getattr(self.stats, key) + f.x_size * f.y_size * eb)
        if self.x is not None:
            self.x.load(self.m, self.dram, f)
        elif mt == MemType.UOP:
            from .memops import load_2d  # check-only mode still loads micro-ops: later checks read them

            load_2d(self.m, self.dram, f)
        if mt == MemType.UOP:
            self.m.uops_changed(f.sram_base, f.sram_base + width * height)

    def _store(self, i: int, f: MemFields) -> None:
        c = self.c
        if f.y_pad_0 or f.y_pad_1 or f.x_pad_0 or f.x_pad_1:
            raise self.p.error(i, "STORE cannot pad: y_pad_0, y_pad_1, x_pad_0 and x_pad_1 must be 0")
        n = f.y_size * f.x_size
        if f.sram_base + n > c.out_depth:
            raise self.p.error(i, f"STORE reads OUT elements [{f.sram_base}, {f.sram_base + n}) past the OUT depth {c.out_depth}")
        self._dram_range(i, f, c.out_elem_bytes, "STORE writes")
        self.stats.out_store_nbytes += n * c.out_elem_bytes
        if self.x is not None:
            self.x.store(self.m, self.dram, f)

    def _nest(self, i: int, f: NestFields, gemm: bool) -> None:
        c, m = self.c, self.m
        nu = f.uop_end - f.uop_bgn
        if nu <= 0 or f.iter_out == 0 or f.iter_in == 0:
            return
        what = "GEMM" if gemm else "ALU"
        if f.uop_end > c.uop_depth:
            raise self.p.error(i, f"{what} reads micro-ops [{f.uop_bgn}, {f.uop_end}) past the UOP depth {c.uop_depth}")
        entry = m.nest_plan(f)
        tops = entry.get("tops")
        if tops is None:  # largest index the nest reaches in each SRAM (unsigned factors: the last iteration)
            sl = slice(f.uop_bgn, f.uop_end)
            yo, xi = f.iter_out - 1, f.iter_in - 1
            tops = entry["tops"] = (
                int(m.uop_dst[sl].max()) + yo * f.dst_factor_out + xi * f.dst_factor_in,
                int(m.uop_src[sl].max()) + yo * f.src_factor_out + xi * f.src_factor_in,
                int(m.uop_wgt[sl].max()) + yo * f.wgt_factor_out + xi * f.wgt_factor_in)
        top_dst, top_src, top_wgt = tops
        if top_dst >= c.acc_depth:
            raise self.p.error(i, f"{what} ACC index reaches {top_dst}, past the ACC depth {c.acc_depth}")
        count = nu * f.iter_out * f.iter_in
        if gemm:
            if f.reset_reg:
                self.stats.gemm_reset_uops += count
            else:
                if top_src >= c.inp_depth:
                    raise self.p.error(i, f"GEMM INP index reaches {top_src}, past the INP depth {c.inp_depth}")
                if top_wgt >= c.wgt_depth:
                    raise self.p.error(i, f"GEMM WGT index reaches {top_wgt}, past the WGT depth {c.wgt_depth}")
                self.stats.gemm_uops += count
            if self.x is not None:
                self.x.gemm(m, f)
        else:
            if not f.use_imm:
                if top_src >= c.acc_depth:
                    raise self.p.error(i, f"ALU source ACC index reaches {top_src}, past the ACC depth {c.acc_depth}")
            self.stats.alu_uops += count
            if self.x is not None:
                self.x.alu(m, f)
