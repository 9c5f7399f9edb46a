"""Tile knobs of the conv template and the on-chip buffer plan they imply.

    Tiles(h=4, w=56, co=4, ci=4, batch=1, vthreads=2, order="spatial")

h, w: output rows/columns per tile (conv2d_transpose: multiples of the stride);
co: output-channel blocks per tile; ci: input-channel blocks per reduction
step; batch: batch blocks per tile; vthreads: 1 or 2 accumulator regions that
alternate between tiles (2 overlaps one tile's epilogue and store with the next
tile's loads and GEMMs); order: "spatial" (spatial tiles outer, channel tiles
inner: inputs are reused across output channels) or "channel" (the opposite:
weights are reused across the image).

`make_plan` checks that a Tiles fits every SRAM of the Config and lays the
buffers out:

    INP  [inp slot 0 | inp slot 1 | res slot 0 | res slot 1 | ones]
    WGT  [wgt slot 0 | wgt slot 1 | identity block | bias blocks]
    ACC  [acc region 0 | bias or init | ...][acc region 1 | bias or init | ...]   (banked)
    ACC  [acc region 0 | acc region 1 | bias or init]                            (packed)

The bias lives either in ACC (added by a tensor ALU ADD: two cycles per micro-op
that reads its src, one when it repeats the previous micro-op's src) or,
with `bias_gemm`, as one WGT block per output block that a GEMM with the constant
INP element `ones` adds (one cycle per micro-op; layout.bias_gemm_blocks). With
`min_init` the bias is folded into per-channel init values held in ACC where the
ALU-form bias would be (min_init.py), one element per output block.

ACC is banked (acc_banks.py) when two virtual threads run and a bank holds one
accumulator tile plus the bias or init values: thread t's region and its own copy
of those constants start bank t, so its GEMM and ALU instructions stay in bank t and
can dual-issue with the other thread's. Otherwise it is packed as before (one
thread, or a tile too big for a bank); the capacity check is the packed layout's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .acc_banks import AccLayout, plan_acc
from .errors import CompileError
from .expr import ceil_div
from .workload import ConvSpec

ORDERS = ("spatial", "channel")
MAX_LOOP_EXTENT = (1 << 14) - 1


@dataclass(frozen=True)
class Tiles:
    h: int
    w: int
    co: int
    ci: int
    batch: int = 1
    vthreads: int = 2
    order: str = "spatial"

    def text(self) -> str:
        return (f"Tiles(h={self.h}, w={self.w}, co={self.co}, ci={self.ci}, batch={self.batch}, "
                f"vthreads={self.vthreads}, order={self.order!r})")


@dataclass(frozen=True)
class ConvPlan:
    """A Tiles resolved against a ConvSpec: tile extents in template units and buffer sizes/bases."""

    spec: ConvSpec
    tiles: Tiles
    tq_h: int  # q positions per tile (rows)
    tq_w: int
    tu: int  # whole group units per tile (0: the tile is a part of one unit)
    cot: int  # output blocks per tile
    cit: int  # input blocks per reduction step
    in_rows: int  # input window of a full tile
    in_cols: int
    s_inp: int
    s_res: int
    s_wgt: int
    s_acc: int
    inp_slots: int
    wgt_slots: int
    bias: bool
    residual: bool
    bias_gemm: bool = False
    min_init: bool = False
    packed_rows: bool = False  # the input window holds only the rows the taps read (packs_rows)

    @property
    def acc_bias(self) -> bool:
        """The bias is held in ACC (added by the ALU)."""
        return self.bias and not self.bias_gemm and not self.min_init

    @property
    def acc_regions(self) -> int:
        """Accumulator regions the schedule uses: a second virtual thread needs a second tile to run."""
        tiles = [n for k, n in self.counts.items() if k != "red"]
        return self.tiles.vthreads if any(n > 1 for n in tiles) else 1

    # ------------------------------------------------------------ counts
    @property
    def th(self) -> int:
        return min(self.tq_h * self.spec.rows.out_step, self.spec.oh)

    @property
    def tw(self) -> int:
        return min(self.tq_w * self.spec.cols.out_step, self.spec.ow)

    @property
    def in_blocks(self) -> int:
        """Input channel blocks held per tile and reduction step."""
        return self.tu * self.cit if self.tu else self.cit

    @property
    def n_red(self) -> int:
        return 1 if self.tu else ceil_div(self.spec.span, self.cit)

    @property
    def counts(self) -> dict[str, int]:
        s = self.spec
        return {"batch": ceil_div(s.nb, self.tiles.batch), "co": ceil_div(s.cob, self.cot),
                "h": ceil_div(s.rows.q_total, self.tq_h), "w": ceil_div(s.cols.q_total, self.tq_w),
                "red": self.n_red}

    # ------------------------------------------------------------ layout
    @property
    def inp_base(self) -> int:
        return 0

    @property
    def res_base(self) -> int:
        return self.inp_slots * self.s_inp

    @property
    def wgt_base(self) -> int:
        return 0

    @property
    def ident_base(self) -> int:
        return self.wgt_slots * self.s_wgt

    @property
    def ones_base(self) -> int:
        return self.inp_slots * self.s_inp + (2 * self.s_res if self.residual else 0)

    @property
    def biasw_base(self) -> int:
        return self.ident_base + (1 if self.residual else 0)

    @property
    def acc_consts(self) -> int:
        """ACC elements of the constants the ALU reads as a tensor src: the ALU-form bias or the MIN-init values."""
        return self.spec.cob if self.acc_bias or self.min_init else 0

    @property
    def acc(self) -> AccLayout | None:
        """Where the accumulator regions and the bias or init copies live (acc_banks.py); None: they do not fit."""
        return plan_acc(self.spec.config.acc_depth, (self.s_acc,), self.acc_consts, self.tiles.vthreads,
                        self.acc_regions)

    def text(self) -> str:
        s = self.spec
        packed = f" (rows {s.rows.run} of every {s.rows.in_step})" if self.packed_rows else ""
        return (f"{self.tiles.text()}: tile {self.tiles.batch}x{self.cot}x{self.th}x{self.tw} "
                f"(batch blocks x out blocks x rows x cols), {self.in_blocks} in blocks x {self.in_rows}x"
                f"{self.in_cols} window{packed}, "
                f"{self.n_red} reduction steps; INP {self.inp_slots}x{self.s_inp}"
                f"{f' + 2x{self.s_res}' if self.residual else ''} of {s.config.inp_depth}, WGT {self.wgt_slots}x"
                f"{self.s_wgt}{' + 1' if self.residual else ''}{f' + {s.cob} bias' if self.bias_gemm else ''} of "
                f"{s.config.wgt_depth}, ACC {self.tiles.vthreads}x{self.s_acc}{f' + {s.cob}' if self.acc_bias else ''}"
                f"{f' + {s.cob} init' if self.min_init else ''} of {s.config.acc_depth}"
                f"{', one region and its constants per bank' if self.acc is not None and self.acc.banked else ''}")


def whole_rows(spec: ConvSpec, tq_w: int) -> bool:
    """Whether a tile's input column window is whole tensor rows (so consecutive rows are contiguous in DRAM)."""
    return tq_w >= spec.cols.q_total and spec.cols.window(0, spec.cols.q_total) == (0, spec.cols.size_in)


def packs_rows(spec: ConvSpec, tq_w: int) -> bool:
    """Whether a tile's input window holds only the rows its taps read (`Dim1D.skips`: e.g. every other
    row of a 1x1 stride-2 conv), loaded with a DRAM row stride of `in_step` rows. Kernels of one row:
    always. Taps over several rows: only when the column window is whole rows, so each run of rows
    is one DMA row (the 2D DMA cannot skip within a row, and a run per DMA would cost a DMA per q)."""
    rows = spec.rows
    return rows.skips and (rows.run == 1 or whole_rows(spec, tq_w))


def make_plan(spec: ConvSpec, tiles: Tiles, *, bias: bool, residual: bool, bias_gemm: bool = False,
              min_init: bool = False) -> ConvPlan:
    """Resolve and check a Tiles; CompileError naming the op, its shapes and the constraint broken.

    bias_gemm: the bias is added by a GEMM (WGT bias blocks, one INP element) instead of the ALU.
    min_init: reset and bias are one ALU MIN from per-channel init values in ACC (min_init.py).
    """
    min_init = bias and min_init
    bias_gemm = bias and bias_gemm and not min_init
    cfg = spec.config

    def fail(rule: str) -> CompileError:
        return CompileError(f"{spec.op} {spec.shapes()}: {tiles.text()}: {rule}")

    for name in ("h", "w", "co", "ci", "batch"):
        v = getattr(tiles, name)
        if not isinstance(v, int) or v < 1:
            raise fail(f"tile {name}={v!r} must be a positive integer")
    if tiles.vthreads not in (1, 2):
        raise fail(f"vthreads must be 1 or 2, got {tiles.vthreads}")
    if tiles.order not in ORDERS:
        raise fail(f"order must be one of {ORDERS}, got {tiles.order!r}")
    rows, cols = spec.rows, spec.cols
    tq = []
    for name, dim, size in (("h", rows, spec.oh), ("w", cols, spec.ow)):
        t = getattr(tiles, name)
        if t >= size:
            tq.append(dim.q_total)
        elif t % dim.out_step:
            raise fail(f"tile {name}={t} must be a multiple of the transposed stride {dim.out_step} "
                       f"(or cover the whole output, {size})")
        else:
            tq.append(t // dim.out_step)
    tq_h, tq_w = tq
    batch = min(tiles.batch, spec.nb)
    cot = min(tiles.co, spec.cob)
    if cot >= spec.cpg and spec.units > 1:
        if cot % spec.cpg:
            raise fail(f"tile co={cot} must divide or be a multiple of the {spec.cpg} output blocks of a group unit")
        tu = cot // spec.cpg
        cit = spec.span
    else:
        if spec.cpg % cot and spec.units > 1:
            raise fail(f"tile co={cot} must divide the {spec.cpg} output blocks of a group unit")
        tu = 0
        cit = min(tiles.ci, spec.span)
    packed_rows = packs_rows(spec, tq_w)
    in_rows = tq_h * rows.run if packed_rows else rows.window(0, tq_h)[1]
    in_cols = cols.window(0, tq_w)[1]
    in_blocks = tu * cit if tu else cit
    th = min(tq_h * rows.out_step, spec.oh)
    tw = min(tq_w * cols.out_step, spec.ow)
    s_inp = batch * in_blocks * in_rows * in_cols
    s_acc = batch * cot * th * tw
    s_res = s_acc if residual else 0
    s_wgt = cot * cit * len(spec.taps)
    vt = tiles.vthreads
    ones = 1 if bias_gemm else 0
    if 2 * (s_inp + s_res) + ones <= cfg.inp_depth:
        inp_slots = 2
    elif s_inp + 2 * s_res + ones <= cfg.inp_depth and vt == 1:
        inp_slots = 1
    else:
        need = 2 * (s_inp + s_res) + ones
        raise fail(f"INP buffer: the input block ({in_blocks} channel blocks x {in_rows}x{in_cols} "
                   f"{'used rows of the ' if packed_rows else ''}window"
                   f"{f' x {batch} batch blocks' if batch > 1 else ''} = {s_inp} elements"
                   f"{f', plus a {s_res}-element residual tile' if residual else ''}) needs {need} of "
                   f"{cfg.inp_depth} elements double-buffered")
    ident = (1 if residual else 0) + (spec.cob if bias_gemm else 0)
    if 2 * s_wgt + ident <= cfg.wgt_depth:
        wgt_slots = 2
    elif s_wgt + ident <= cfg.wgt_depth and vt == 1:
        wgt_slots = 1
    else:
        raise fail(f"WGT buffer: the weight block ({cot} out x {cit} in blocks x {len(spec.taps)} taps = {s_wgt} "
                   f"elements){f', plus {spec.cob} bias blocks,' if bias_gemm else ''} needs {2 * s_wgt + ident} of "
                   f"{cfg.wgt_depth} elements double-buffered")
    plan = ConvPlan(spec, Tiles(tiles.h, tiles.w, cot, cit, batch, vt, tiles.order), tq_h, tq_w, tu, cot, cit,
                    in_rows, in_cols, s_inp, s_res, s_wgt, s_acc, inp_slots, wgt_slots, bias, residual, bias_gemm,
                    min_init, packed_rows)
    if plan.acc is None:  # banked or packed (acc_banks.plan_acc): whatever fits banked fits packed
        n, what = plan.acc_consts, "init" if min_init else "bias"
        raise fail(f"ACC buffer: {vt} accumulator tile(s) of {s_acc} elements ({batch} batch x {cot} out blocks x "
                   f"{th}x{tw}){f' plus {n} {what} elements' if n else ''} exceed the "
                   f"{cfg.acc_depth}-element ACC")
    if s_acc > MAX_LOOP_EXTENT * MAX_LOOP_EXTENT:
        raise fail("tile too large for the instruction loop fields")
    return plan
