"""Analytic cost model of the conv template and the tile search built on it.

Time is counted in accelerator cycles:

- compute stage: one GEMM micro-op per cycle (reset micro-ops too), `alu_cycles` per
  ALU micro-op with an immediate, `alu_tensor_cycles` per ALU micro-op with a tensor
  operand (the ACC read port serves src and dst), `alu_tensor_reuse_cycles` when its src
  is the previous micro-op's src (read once: the MIN-init's per-channel init, broadcast
  over pixels), `insn_cycles` per instruction;
- load/store stages: DRAM bytes at `Config.bus_bytes` per cycle plus `dma_cycles` per
  transfer; the stages share the one memory bus;
- overlap: with two virtual threads the stages run concurrently (time = the busiest
  stage or the bus, plus filling and draining the pipeline); with one, a tile's store
  and the next tile's compute serialize (they share the accumulator region); with a
  single INP or WGT slot, loads and compute serialize;
- dual issue (`CostParams.dual_issue`; off: one in-order unit, the model before dual
  issue): with two virtual threads in different ACC banks one thread's ALU tail runs
  beside the other's GEMMs, so compute counts as the busier unit, bounded below by a
  thread's serial chain (init, GEMMs, tail and store of its region in turn).

Loads are counted under the memory planner's rule (a block still resident in one of
the two slots is not loaded again). `search` evaluates thousands of candidate Tiles at
once with numpy and returns them best first; `stream_timing.simulate` times a lowered,
tokenized stream op by op, and the operators compile the search's best few candidates,
keep the best simulated one and report its simulation as `predicted_cycles`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .acc_banks import fits_bank
from .expr import ceil_div
from .pass_lower import PAD_MAX
from .tiling import ORDERS, Tiles, packs_rows
from .workload import ConvSpec


@dataclass(frozen=True)
class CostParams:
    """Per-event costs in cycles, calibrated on TSIM's counters for the default core.

    compute_busy - (GEMM + ALU micro-ops) is ~70 cycles per compute instruction (micro-op
    fetch, pipeline fill and drain); load_busy - read beats is ~30 cycles per transfer.
    With dual issue an instruction starts `dispatch_cycles` after its dispatch or
    `queued_insn_cycles` after its unit's previous instruction (queued behind it: the micro-op
    sequencer runs kernels back to back), whichever is later; a unit queues up to `kernel_queue`
    instructions and `push_queue` pending pushes (vta_hw: KernelQueueDepth, PushQueueDepth).
    Fitted on TSIM's ResNet-18 layers (within 3 %).
    dual_issue: the compute stage runs GEMM and ALU instructions on two units (module docstring);
    False is the single in-order unit of the model before dual issue.
    """

    alu_cycles: float = 1.0
    alu_tensor_cycles: float = 2.0
    alu_tensor_reuse_cycles: float = 1.0
    insn_cycles: float = 70.0
    dma_cycles: float = 30.0
    dispatch_cycles: float = 20.0
    queued_insn_cycles: float = 2.0
    dual_issue: bool = True
    kernel_queue: int = 8
    push_queue: int = 4


DEFAULT = CostParams()


@dataclass
class Prediction:
    """Model figures for one schedule.

    compute_cycles: time the compute stage is busy (some unit runs an instruction, or a LOAD UOP or
    LOAD ACC runs); with dual issue the GEMM and ALU units overlap, so it can be less than
    gemm_unit_cycles + alu_unit_cycles (each unit's own busy time, loads in neither).
    """

    cycles: float
    compute_cycles: float
    load_cycles: float
    store_cycles: float
    bus_cycles: float
    gemm_uops: int
    alu_uops: int
    load_bytes: dict[str, int] = field(default_factory=dict)  # inp, wgt, acc, uop
    store_bytes: int = 0
    instructions: int = 0
    gemm_unit_cycles: float = 0.0
    alu_unit_cycles: float = 0.0

    def text(self) -> str:
        lb = ", ".join(f"{k} {v}" for k, v in self.load_bytes.items())
        return (f"predicted {self.cycles:.0f} cycles (compute {self.compute_cycles:.0f}: GEMM unit "
                f"{self.gemm_unit_cycles:.0f}, ALU unit {self.alu_unit_cycles:.0f}; load "
                f"{self.load_cycles:.0f}, store {self.store_cycles:.0f}, bus {self.bus_cycles:.0f}); GEMM uops "
                f"{self.gemm_uops}, ALU uops {self.alu_uops}, {self.instructions} instructions; loads {lb}; "
                f"stores {self.store_bytes} B")


def min_dram_bytes(spec: ConvSpec) -> int:
    """Each input element some tap reads, each weight and each output element, once."""
    cfg = spec.config
    n_in = spec.nb * spec.cib * _used(spec.rows) * _used(spec.cols) * cfg.inp_elem_bytes
    n_w = spec.cob * spec.span * len(spec.taps) * cfg.wgt_elem_bytes
    n_out = spec.out_elems * cfg.out_elem_bytes
    return n_in + n_w + n_out


def roofline_cycles(spec: ConvSpec) -> float:
    """max(GEMM micro-ops at one per cycle, minimum DRAM traffic / bus bytes per cycle)."""
    return max(float(spec.gemm_uops), min_dram_bytes(spec) / spec.config.bus_bytes)


def _used(dim) -> int:
    """Input positions along one dimension that some output reads."""
    used = set()
    for p in dim.phases:
        for q in range(p.count):
            for m in range(len(p.taps)):
                i = q * dim.in_step + p.base + m
                if 0 <= i < dim.size_in:
                    used.add(i)
    return len(used)


def _cands(n: int, limit: int = 10) -> list[int]:
    """Tile sizes worth trying for an extent: divisors and near-even splits."""
    out = {d for d in range(1, n + 1) if n % d == 0}
    out |= {ceil_div(n, k) for k in range(1, min(n, limit) + 1)}
    return sorted(out)


@dataclass
class Candidates:
    """Candidate Tiles of a search, best first, with their predicted cycles."""

    tiles: list[Tiles]
    cycles: np.ndarray


def search(spec: ConvSpec, *, alu_steps: int, bias: bool, residual: bool, bias_gemm: bool = False,
           min_init: bool = False, params: CostParams = DEFAULT, top: int = 8, tolerance: float = 0.03) -> Candidates:
    """Evaluate every candidate Tiles that fits the buffers; return the `top` best.

    bias_gemm: the bias is added by a GEMM from WGT (tiling.make_plan) rather than by the ALU from ACC.
    min_init: reset and bias are one ALU MIN per vector from init values in ACC (min_init.py), its src
    the same over a channel's pixels; the accumulator regions are reset once in the prologue.

    Best: predicted cycles within `tolerance` of the minimum, fewest instructions first.
    """
    cfg = spec.config
    rows, cols = spec.rows, spec.cols
    # per-dimension candidates
    qh_c = np.array(_cands(rows.q_total), dtype=np.int64)
    qw_c = np.array(_cands(cols.q_total), dtype=np.int64)
    nb_c = np.array(_cands(spec.nb, 4), dtype=np.int64)
    if spec.units > 1:
        co_list = [d for d in range(1, spec.cpg + 1) if spec.cpg % d == 0]
        co_list += [spec.cpg * k for k in _cands(spec.units) if k > 1]
    else:
        co_list = _cands(spec.cob)
    co_c = np.array(sorted(set(co_list)), dtype=np.int64)
    ci_c = np.array(_cands(spec.span), dtype=np.int64)
    vt_c = np.array([1, 2], dtype=np.int64)
    ord_c = np.array([0, 1], dtype=np.int64)
    grid = np.meshgrid(qh_c, qw_c, nb_c, co_c, ci_c, vt_c, ord_c, indexing="ij")
    tqh, tqw, nbt, cot, cit, vt, order = (g.reshape(-1) for g in grid)
    whole_units = (cot >= spec.cpg) & (spec.units > 1)
    tu = np.where(whole_units, cot // spec.cpg, 0)
    cit = np.where(whole_units, spec.span, cit)
    # drop duplicates created by forcing cit
    keep = ~whole_units | (grid[4].reshape(-1) == ci_c[-1])
    in_blocks = np.where(whole_units, tu * cit, cit)
    # tiling.packs_rows: the window holds only the rows the taps read
    packed = np.where(tqw >= cols.q_total, packs_rows(spec, cols.q_total), packs_rows(spec, 0))
    ih = np.where(packed, tqh * rows.run, (tqh - 1) * rows.in_step + rows.hi - rows.lo)
    iw = (tqw - 1) * cols.in_step + cols.hi - cols.lo
    th = np.minimum(tqh * rows.out_step, spec.oh)
    tw = np.minimum(tqw * cols.out_step, spec.ow)
    T = len(spec.taps)
    s_inp = nbt * in_blocks * ih * iw
    s_acc = nbt * cot * th * tw
    s_res = s_acc if residual else 0 * s_acc
    s_wgt = cot * cit * T
    min_init = bias and min_init
    bias_gemm = bias and bias_gemm and not min_init
    ident = (1 if residual else 0) + (spec.cob if bias_gemm else 0)
    ones = 1 if bias_gemm else 0
    inp2 = 2 * (s_inp + s_res) + ones <= cfg.inp_depth
    inp1 = (s_inp + 2 * s_res + ones <= cfg.inp_depth) & (vt == 1)
    wgt2 = 2 * s_wgt + ident <= cfg.wgt_depth
    wgt1 = (s_wgt + ident <= cfg.wgt_depth) & (vt == 1)
    n_bias = spec.cob if bias and not bias_gemm else 0
    ok = keep & (inp2 | inp1) & (wgt2 | wgt1) & (vt * s_acc + n_bias <= cfg.acc_depth)
    ok &= (spec.cpg % np.minimum(cot, spec.cpg) == 0) | (spec.units == 1)
    # the DMA pad fields are 4 bits wide
    pad_ok_h = np.array([rows.max_pad(int(t)) <= PAD_MAX for t in qh_c])
    pad_ok_w = np.array([cols.max_pad(int(t)) <= PAD_MAX for t in qw_c])
    ok &= pad_ok_h[np.searchsorted(qh_c, tqh)] & pad_ok_w[np.searchsorted(qw_c, tqw)]
    # avoid pointless duplicates: tiles larger than the extent
    ok &= (tqh <= rows.q_total) & (tqw <= cols.q_total) & (nbt <= spec.nb) & (cot <= spec.cob) & (cit <= spec.span)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return Candidates([], np.zeros(0))
    sel = lambda a: a[idx] if isinstance(a, np.ndarray) else a  # noqa: E731
    tqh, tqw, nbt, cot, cit, vt, order, tu = map(sel, (tqh, tqw, nbt, cot, cit, vt, order, tu))
    inp2, wgt2, s_inp, s_wgt, s_acc, th, tw = map(sel, (inp2, wgt2, s_inp, s_wgt, s_acc, th, tw))
    in_blocks, packed = sel(in_blocks), sel(packed)

    # ---- tile counts
    n_n = -(-spec.nb // nbt)
    n_c = -(-spec.cob // cot)
    n_h = -(-rows.q_total // tqh)
    n_w = -(-cols.q_total // tqw)
    n_red = np.where(tu > 0, 1, -(-spec.span // cit))
    n_sp = n_n * n_h * n_w
    n_tiles = n_sp * n_c
    # with one spatial tile or one channel tile both loop orders are the same program
    same = (order == 1) & ((n_sp == 1) | (n_c == 1))
    inp_slots = np.where(inp2, 2, 1)
    wgt_slots = np.where(wgt2, 2, 1)
    # ---- DRAM bytes
    rows_sum = np.array([rows.data_extent_sum(int(t)) for t in qh_c])
    cols_sum = np.array([cols.data_extent_sum(int(t)) for t in qw_c])
    rs = np.where(packed, rows.data_extent_sum(1, packed=True), rows_sum[np.searchsorted(qh_c, tqh)])
    cs = cols_sum[np.searchsorted(qw_c, tqw)]
    in_pass = spec.nb * spec.cib * rs * cs * cfg.inp_elem_bytes  # every spatial tile once, all channels
    shared_in = spec.units == 1  # the input window does not depend on the output-channel tile
    within_unit = np.where(tu > 0, 1, np.maximum(1, spec.cpg // np.minimum(cot, spec.cpg)))
    reuse_in = np.where(order == 0, n_red <= inp_slots, n_sp * n_red <= inp_slots)
    in_factor = np.where(reuse_in, 1, np.where(shared_in, n_c, within_unit))
    in_bytes = in_pass * in_factor
    w_pass = spec.cob * spec.span * T * cfg.wgt_elem_bytes
    reuse_w = np.where(order == 0, n_c * n_red <= wgt_slots, n_red <= wgt_slots)
    w_bytes = w_pass * np.where(reuse_w, 1, n_sp)
    out_bytes = spec.out_elems * cfg.out_elem_bytes
    res_bytes = out_bytes if residual else 0
    bias_bytes = spec.cob * cfg.acc_elem_bytes if bias and not bias_gemm else 0  # LOAD ACC: compute stage
    biasw_bytes = spec.cob * cfg.wgt_elem_bytes + cfg.inp_elem_bytes if bias_gemm else 0  # load stage
    # ---- instructions
    pad = rows.pad_possible or cols.pad_possible
    full_w = tqw >= cols.q_total
    in_dmas_step = np.where(pad | ~full_w | packed, nbt * in_blocks, nbt)  # packed: one per plane
    in_loads = n_tiles * n_red * in_dmas_step * np.where(reuse_in, 1.0 / np.maximum(1, np.where(
        order == 0, np.where(shared_in, n_c, within_unit), 1)), 1.0)
    w_loads = np.where(reuse_w, n_c * n_red, n_tiles * n_red)
    gemms = n_tiles * n_red * len(spec.phases) * np.maximum(tu, 1)
    store_dmas = n_tiles * np.where(full_w, nbt, nbt * cot)
    # per tile: the epilogue's ALU steps, the bias, the residual and the reset (MIN-init: one init
    # instead of reset and bias; the prologue resets each accumulator region once)
    epi = n_tiles * (alu_steps + (1 if bias else 0) + (1 if residual else 0) + (0 if min_init else 1)) + \
        (vt if min_init else 0)
    res_dmas = n_tiles * np.where(full_w, nbt, nbt * cot) if residual else 0
    load_insns = in_loads + w_loads + res_dmas
    compute_insns = gemms + epi
    # ---- cycles
    gemm_uops = spec.gemm_uops
    reset_uops = vt * s_acc if min_init else spec.out_elems
    # the bias ADD or the MIN-init: a tensor ALU op whose src (the channel's value) repeats over the pixels
    tensor_alu = params.alu_tensor_reuse_cycles if bias and not bias_gemm else 0
    alu_cycles = spec.out_elems * (alu_steps * params.alu_cycles + tensor_alu)
    ident_uops = spec.out_elems * ((1 if residual else 0) + (1 if bias_gemm else 0))
    bus = cfg.bus_bytes
    # acc_banks.plan_acc: two threads that both run, each region with its own copy of the ACC constants in one bank
    banked = (vt == 2) & (n_tiles >= 2) & fits_bank(s_acc, n_bias, cfg.acc_depth)
    bias_bytes = bias_bytes * np.where(banked, 2, 1)
    # the GEMM unit's work (convolution, reset, bias by GEMM, residual) and the ALU unit's (tail, bias ADD, MIN-init)
    alu_insns = n_tiles * (alu_steps + (1 if bias and not bias_gemm else 0))
    gemm_work = gemm_uops + reset_uops + ident_uops + (compute_insns - alu_insns) * params.insn_cycles
    alu_work = alu_cycles + alu_insns * params.insn_cycles
    compute = gemm_work + alu_work + bias_bytes / bus
    load = (in_bytes + w_bytes + res_bytes + biasw_bytes) / bus + load_insns * params.dma_cycles
    store = out_bytes / bus + store_dmas * params.dma_cycles
    if params.dual_issue:
        # Banked: one thread's ALU work runs beside the other's GEMMs, but each thread's init, GEMMs, tail
        # and store run in turn (its region is busy from init to store); thread 0 has the odd tile.
        chain = (gemm_work + alu_work + store) * (-(-n_tiles // 2)) / n_tiles
        dual = np.maximum.reduce([gemm_work, alu_work, chain]) + bias_bytes / bus
        compute = np.where(banked, dual, compute)
    busc = (in_bytes + w_bytes + res_bytes + out_bytes + bias_bytes + biasw_bytes) / bus
    fill = (s_inp * cfg.inp_elem_bytes + s_wgt * cfg.wgt_elem_bytes + s_acc * cfg.out_elem_bytes) / bus
    single = (inp_slots == 1) | (wgt_slots == 1)
    total = np.where(vt == 2, np.maximum.reduce([compute, load, store, busc]),
                     np.maximum.reduce([compute + store, load, busc]))
    total = np.where(single, np.maximum.reduce([compute + load, store, busc]), total) + fill
    insns = load_insns + compute_insns + store_dmas
    # Cycle estimates are only so exact: among candidates within `tolerance` of the best, fewer
    # (larger) instructions win; they also make the simulators faster.
    total = np.where(same, np.inf, total)
    near = total <= total.min() * (1 + tolerance)
    order_idx = np.lexsort((total, insns, ~near))
    order_idx = order_idx[np.isfinite(total[order_idx])][:top]
    tiles = []
    for i in order_idx:
        h = int(min(tqh[i] * rows.out_step, spec.oh)) if tqh[i] < rows.q_total else spec.oh
        w = int(min(tqw[i] * cols.out_step, spec.ow)) if tqw[i] < cols.q_total else spec.ow
        tiles.append(Tiles(h=h, w=w, co=int(cot[i]), ci=int(cit[i]), batch=int(nbt[i]), vthreads=int(vt[i]),
                           order=ORDERS[int(order[i])]))
    return Candidates(tiles, total[order_idx])
