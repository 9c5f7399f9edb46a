"""One description for every GEMM-shaped operator: conv2d, dense, grouped conv2d, conv2d_transpose.

Spatially, each output dimension is a set of *phases*. A phase covers the
outputs o = out_step*q + r (q = 0 .. count-1) and reads inputs
i = in_step*q + base + m for taps m = 0 .. M-1, tap m using kernel index
taps[m]:

- conv2d (stride s, pad p): one phase, out_step 1, in_step s, base -p, taps 0..K-1;
- conv2d_transpose (stride s, pad p): s phases, out_step s, in_step 1. The output
  o = s*q + r collects the kernel indices k = (r+p) mod s + s*j, i.e. a stride-1
  correlation with the flipped sub-kernel, so no multiply ever meets an inserted
  zero (upstream's InjectConv2DTransposeSkip does the same job at run time).

Channels are *units*: unit u owns output blocks u*cpg .. u*cpg+cpg-1 and reads
input blocks u*span .. u*span+span-1. Dense convolution is one unit; grouped
convolution packs as many groups into a unit as it takes for both channel
ranges to be whole blocks (depthwise: 16 groups per 16-channel block, with a
diagonal weight block). Grouped shapes where that is impossible fall back to
one unit with a block-diagonal (zero-filled) dense kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from vta.isa.config import Config

from .errors import CompileError
from .expr import ceil_div


@dataclass(frozen=True)
class Phase1D:
    r: int  # output residue: outputs out_step*q + r
    count: int  # number of q positions with an output inside the tensor
    base: int  # input index of tap 0 at q = 0
    taps: tuple[int, ...]  # kernel index of tap m


@dataclass(frozen=True)
class Dim1D:
    """One spatial dimension: sizes, steps, phases and the input window of a q-tile."""

    size_in: int
    size_out: int
    out_step: int
    in_step: int
    phases: tuple[Phase1D, ...]
    empty_residues: int  # residues with no kernel tap (their outputs are bias/epilogue only)

    @property
    def q_total(self) -> int:
        return max((p.count for p in self.phases), default=0)

    @property
    def lo(self) -> int:
        """Input offset of the first window element relative to in_step*q0."""
        return min(p.base for p in self.phases)

    @property
    def hi(self) -> int:
        """One past the last window element relative to in_step*(q0 + n - 1)."""
        return max(p.base + len(p.taps) for p in self.phases)

    def window(self, q0: int, n: int) -> tuple[int, int]:
        """(start, extent) of the input window for q in [q0, q0+n)."""
        return q0 * self.in_step + self.lo, (n - 1) * self.in_step + self.hi - self.lo

    @property
    def skips(self) -> bool:
        """The taps read a strided subset of every window: one phase with fewer taps than the stride
        (a 1x1 stride-2 conv reads every other row), wholly inside the input. A window can then
        hold just the used positions, `len(taps)` of every `in_step` (schedule_conv packs rows so).
        Windows that may need zero padding keep the dense form, to keep this simple: the DMA's
        row pads would have to be counted in runs of taps and the DRAM start moved to the first
        run inside the input (no ResNet-style strided 1x1 conv is padded)."""
        return len(self.phases) == 1 and len(self.phases[0].taps) < self.in_step and not self.pad_possible

    @property
    def run(self) -> int:
        """Consecutive positions a q reads (the taps of the one phase of a `skips` dimension)."""
        return max(len(p.taps) for p in self.phases)

    @property
    def pad_possible(self) -> bool:
        last = (self.q_total - 1) * self.in_step + self.hi
        return self.lo < 0 or last > self.size_in

    def empty_window(self, tq: int) -> bool:
        """Whether some q-tile of size tq reads a window lying wholly outside the input (all padding)."""
        for q0 in range(0, self.q_total, tq):
            s, e = self.window(q0, min(tq, self.q_total - q0))
            if min(s + e, self.size_in) <= max(s, 0):
                return True
        return False

    def max_pad(self, tq: int) -> int:
        """The largest zero padding a DMA of a non-empty q-tile window needs on one side."""
        worst = 0
        for q0 in range(0, self.q_total, tq):
            s, e = self.window(q0, min(tq, self.q_total - q0))
            if min(s + e, self.size_in) > max(s, 0):
                worst = max(worst, -s, s + e - self.size_in)
        return worst

    def data_extent_sum(self, tq: int, packed: bool = False) -> int:
        """Sum over q-tiles of size tq of the in-bounds part of each window (DRAM elements loaded);
        `packed` (a `skips` dimension): only the used positions are loaded."""
        if packed:
            return self.q_total * self.run
        total = 0
        for q0 in range(0, self.q_total, tq):
            s, e = self.window(q0, min(tq, self.q_total - q0))
            total += max(0, min(s + e, self.size_in) - max(s, 0))
        return total


def conv_dim(size: int, k: int, s: int, p: int) -> Dim1D:
    out = (size + 2 * p - k) // s + 1
    return Dim1D(size, out, 1, s, (Phase1D(0, out, -p, tuple(range(k))),), 0)


def transpose_dim(size: int, k: int, s: int, p: int, output_padding: int) -> Dim1D:
    out = (size - 1) * s - 2 * p + k + output_padding
    phases = []
    empty = 0
    for r in range(s):
        if r >= out:
            continue
        t = r + p
        res, div = t % s, t // s
        m = ceil_div(k - res, s) if res < k else 0
        count = ceil_div(out - r, s)
        if m == 0:
            empty += 1
            continue
        taps = tuple(res + s * (m - 1 - j) for j in range(m))
        phases.append(Phase1D(r, count, div - (m - 1), taps))
    return Dim1D(size, out, s, 1, tuple(phases), empty)


@dataclass(frozen=True)
class Phase2D:
    row: Phase1D
    col: Phase1D
    tap_offset: int  # first tap of this phase in the packed weight's tap axis

    @property
    def taps(self) -> list[tuple[int, int]]:
        return [(kh, kw) for kh in self.row.taps for kw in self.col.taps]


@dataclass(frozen=True)
class ConvSpec:
    """Everything the conv template needs to know about one operator instance."""

    op: str  # conv2d, dense, conv2d_transpose
    config: Config
    n: int
    ci: int
    co: int
    kh: int
    kw: int
    groups: int
    rows: Dim1D
    cols: Dim1D
    units: int
    cpg: int  # output blocks per unit
    span: int  # input blocks per unit
    diagonal_fallback: bool  # grouped conv computed densely with a block-diagonal kernel

    # ------------------------------------------------------------ derived
    @property
    def nb(self) -> int:
        return ceil_div(self.n, self.config.batch)

    @property
    def cob(self) -> int:
        return self.units * self.cpg

    @property
    def cib(self) -> int:
        return self.units * self.span

    @property
    def oh(self) -> int:
        return self.rows.size_out

    @property
    def ow(self) -> int:
        return self.cols.size_out

    @property
    def phases(self) -> list[Phase2D]:
        out = []
        off = 0
        for pr in self.rows.phases:
            for pc in self.cols.phases:
                out.append(Phase2D(pr, pc, off))
                off += len(pr.taps) * len(pc.taps)
        return out

    @property
    def taps(self) -> list[tuple[int, int]]:
        return [t for ph in self.phases for t in ph.taps]

    @property
    def full_coverage(self) -> bool:
        """Every output position receives at least one GEMM (so GEMM alone writes OUT everywhere)."""
        return self.rows.empty_residues == 0 and self.cols.empty_residues == 0

    @property
    def gemm_uops(self) -> int:
        """Exact GEMM micro-ops of the layer: one per (batch block, out block, in block, tap, output pixel)."""
        per = sum(ph.row.count * ph.col.count * len(ph.row.taps) * len(ph.col.taps) for ph in self.phases)
        return self.nb * self.cob * self.span * per

    @property
    def out_elems(self) -> int:
        return self.nb * self.cob * self.oh * self.ow

    def shapes(self) -> str:
        return (f"(input N={self.n} C={self.ci} H={self.rows.size_in} W={self.cols.size_in}, "
                f"out C={self.co} kernel {self.kh}x{self.kw}, groups {self.groups})")


def channel_units(ci: int, co: int, groups: int, block: int) -> tuple[int, int, int, bool]:
    """(units, out blocks per unit, in blocks per unit, diagonal fallback) for a grouped channel map."""
    if groups == 1:
        return 1, ceil_div(co, block), ceil_div(ci, block), False
    gi, go = ci // groups, co // groups
    need_o = block // gcd(block, go)
    need_i = block // gcd(block, gi)
    per = need_o * need_i // gcd(need_o, need_i)  # groups per unit: lcm
    if groups % per == 0:
        return groups // per, per * go // block, per * gi // block, False
    return 1, ceil_div(co, block), ceil_div(ci, block), True


def make_conv_spec(op: str, config: Config, input_shape: tuple[int, ...], co: int, kh: int, kw: int,
                   stride: tuple[int, int], padding: tuple[int, int], groups: int = 1,
                   output_padding: tuple[int, int] = (0, 0), transpose: bool = False) -> ConvSpec:
    n, ci, h, w = input_shape
    shapes = f"(input {tuple(input_shape)}, {co} output channels, kernel {kh}x{kw})"
    if min(n, ci, h, w, co, kh, kw) < 1:
        raise CompileError(f"{op} {shapes}: every size must be >= 1")
    if min(stride) < 1:
        raise CompileError(f"{op} {shapes}: stride {stride} must be >= 1")
    if min(padding) < 0 or min(output_padding) < 0:
        raise CompileError(f"{op} {shapes}: padding {padding} and output_padding {output_padding} must be >= 0")
    if groups < 1 or ci % groups or co % groups:
        raise CompileError(f"{op} {shapes}: groups={groups} must divide the input ({ci}) and output ({co}) channels")
    if transpose:
        if any(op_ >= s and op_ >= 1 for op_, s in zip(output_padding, stride)):
            raise CompileError(f"{op} {shapes}: output_padding {output_padding} must be smaller than the stride {stride}")
        rows = transpose_dim(h, kh, stride[0], padding[0], output_padding[0])
        cols = transpose_dim(w, kw, stride[1], padding[1], output_padding[1])
    else:
        if h + 2 * padding[0] < kh or w + 2 * padding[1] < kw:
            raise CompileError(f"{op} {shapes}: the padded input ({h + 2 * padding[0]}x{w + 2 * padding[1]}) "
                               f"is smaller than the kernel")
        rows = conv_dim(h, kh, stride[0], padding[0])
        cols = conv_dim(w, kw, stride[1], padding[1])
    if rows.size_out < 1 or cols.size_out < 1:
        raise CompileError(f"{op} {shapes}: the output would be empty ({rows.size_out}x{cols.size_out})")
    if not rows.phases or not cols.phases:
        raise CompileError(f"{op} {shapes}: no output position receives a kernel tap")
    units, cpg, span, fallback = channel_units(ci, co, groups, config.block_out)
    return ConvSpec(op, config, n, ci, co, kh, kw, groups, rows, cols, units, cpg, span, fallback)
