"""conv2d, dense, grouped conv2d and conv2d_transpose: the conv template behind one operator class."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from vta.isa.config import Config

from .cost_model import Candidates, roofline_cycles, search
from .stream_timing import simulate
from .epilogue import alu_instructions, lower_epilogue
from .errors import CompileError
from .layout import (bias_gemm_blocks, expand_groups, identity_block, pack_activation, pack_bias, pack_weight_blocks,
                     unpack_activation)
from .min_init import MinInit, plan_min_init
from .op_base import CompiledOp
from .pipeline import run_pipeline
from .schedule_conv import TAIL_CHUNKS, schedule_conv
from .tiling import ConvPlan, Tiles, make_plan
from .workload import ConvSpec, make_conv_spec


#: Candidate tilings compiled and simulated per operator when tiles=None.
EVALUATE_TOP = 4
#: tilings compiled and simulated per lowering when both reset-and-bias lowerings are candidates
EVALUATE_EACH = 3
#: (tile order, tail parts) of schedule_conv a two-thread tiling is compiled with; each is simulated and the
#: fastest kept. Every candidate tiling is compiled with SCAN_VARIANT. When the ALU micro-ops are at least
#: ALU_HEAVY of the GEMM micro-ops (1x1 convs: the tail matters, and how it splits), the best HEAVY_SPLIT are
#: also compiled with ALU_HEAVY_VARIANTS[0] and the best one of each lowering with the rest of them; elsewhere
#: the other variants were within 0.5 % on TSIM (C2-C11) and not worth their compile time.
SCAN_VARIANT = ("pipelined", 1)
ALU_HEAVY_VARIANTS = (("pipelined", 3), ("interleaved", TAIL_CHUNKS), ("pipelined", 2), ("pipelined", 4))
ALU_HEAVY = 0.25
#: ALU-heavy ops: candidate tilings compiled per lowering (their ranking by the analytic search is the least
#: faithful there), and how many of the best are compiled with ALU_HEAVY_VARIANTS[0] too
EVALUATE_HEAVY = 8
HEAVY_SPLIT = 2


#: The active choice cache of `shared_choices` (None: every conv searches).
_CHOICES: ContextVar[dict | None] = ContextVar("conv_choices", default=None)


@contextmanager
def shared_choices() -> Iterator[None]:
    """Within the block, a conv whose shape, epilogue steps and lowering options equal an earlier
    one's (only weights, bias and the steps' immediates differ) reuses that one's choice of
    tiling, lowering and tile order instead of searching and compiling candidates again: the
    cost model's ranking depends on no constant, so it would come out the same. Model compiles
    and module loads use it (ResNet-18 repeats most of its conv shapes)."""
    token = _CHOICES.set({}) if _CHOICES.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _CHOICES.reset(token)


@dataclass(frozen=True)
class MeasureTiles:
    """tiles=MeasureTiles(device): compile the search's `top` best tilings, run each once, keep the fastest.

    Fastest means fewest measured cycles where the device counts them (TSIM); a device
    without a clock (fsim) falls back to the model's simulated cycles.
    """

    device: object
    top: int = 4
    seed: int = 0


def _pair(v, what: str, op: str) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v), int(v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(x, (int, np.integer)) for x in v):
        return int(v[0]), int(v[1])
    raise CompileError(f"{op}: {what} must be an int or a pair of ints, got {v!r}")


def _check_array(a, name: str, dtype, shape: tuple | None, op: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise CompileError(f"{op}: {name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != dtype:
        raise CompileError(f"{op}: {name} must be {np.dtype(dtype).name}, got {a.dtype}")
    if shape is not None and tuple(a.shape) != tuple(shape):
        raise CompileError(f"{op}: {name} has shape {tuple(a.shape)}, expected {tuple(shape)}")
    return a


class ConvOp(CompiledOp):
    """A compiled conv-template operator (see ops.conv2d / ops.dense / ops.conv2d_transpose)."""

    def __init__(self, kind: str, spec: ConvSpec, dense_kernel: np.ndarray, bias: np.ndarray | None,
                 epilogue, tiles, in_shape: tuple[int, ...], out_shape: tuple[int, ...], macs: int,
                 min_init: bool | None = None) -> None:
        self.kind = kind
        self.spec = spec
        self.input_shape = in_shape
        self.output_shape = out_shape
        self.macs = macs
        self.actions = lower_epilogue(kind, tuple(epilogue), has_bias=bias is not None)
        self.has_residual = any(a[0] == "residual" for a in self.actions)
        has_bias_action = any(a[0] == "bias" for a in self.actions)
        if min_init not in (None, True, False):
            raise CompileError(f"{kind} {spec.shapes()}: min_init must be None (the cost model decides), True or "
                               f"False, got {min_init!r}")
        self.tuning: list[dict] = []
        self.candidates: Candidates | None = None
        cfg = spec.config
        consts = {"w": pack_weight_blocks(dense_kernel, cfg, units=spec.units, cpg=spec.cpg, span=spec.span,
                                          taps=spec.taps)}
        # Reset and bias may fold into one ALU MIN per output vector where that is provably exact
        # (min_init.py); otherwise the bias is added by a GEMM (one cycle per micro-op) when every
        # value is within its reach, else by a tensor ALU ADD from ACC (one cycle per micro-op once its per-channel src
        # is held: the ALU reads a repeated src once; two where it must be read).
        proven, self.min_init_reason = None, "no AddBias"
        gemm_bias = None
        if has_bias_action:
            proven, self.min_init_reason = plan_min_init(self.actions, dense_kernel, bias, cfg,
                                                         spec.cob * cfg.block_out)
            gemm_bias = bias_gemm_blocks(bias, cfg, spec.cob * cfg.block_out)
        if proven is not None and min_init is False:
            proven, self.min_init_reason = None, "disabled (min_init=False)"
        self._dense_kernel, self._bias, self._epilogue = dense_kernel, bias, tuple(epilogue)
        self._min_init_mode, self._proven, self._gemm_bias = min_init, proven, gemm_bias
        # min_init=None: both lowerings are compiled and the cost model keeps the faster one
        options = [True, False] if proven is not None and min_init is None else [proven is not None]
        use_mi, plan, func, result = self._choose(tiles, has_bias_action, options)
        self.min_init: MinInit | None = proven if use_mi else None
        self.bias_gemm = gemm_bias is not None and not use_mi
        if self.min_init is not None:
            consts["init"] = pack_bias(self.min_init.init.astype(np.int32), cfg, spec.cob * cfg.block_out)
        elif self.bias_gemm:
            consts["ones"], consts["biasw"] = gemm_bias
        elif has_bias_action:
            consts["bias"] = pack_bias(bias, cfg, spec.cob * cfg.block_out)
        if self.has_residual:
            consts["ident"] = identity_block(cfg)
        self.plan: ConvPlan = plan
        self.tiles = plan.tiles
        super().__init__(f"{kind}", cfg, func, consts, result=result)
        self.roofline_cycles = roofline_cycles(spec)
        # GEMM micro-ops the epilogue adds (bias by GEMM, residual through the identity block);
        # the device counts them with the convolution's own
        self.epilogue_gemm_uops = spec.out_elems * (int(self.bias_gemm) + int(self.has_residual))
        if isinstance(tiles, MeasureTiles):
            self._measure(tiles)

    # ------------------------------------------------------------ tiling
    def _plan_func(self, tiles: Tiles, bias: bool, use_mi: bool, variant: tuple[str, int] = SCAN_VARIANT):
        """Plan, schedule and run the pass pipeline for one Tiles, lowering and (tile order, tail parts)
        (CompileError if any step rejects it)."""
        bias_gemm = self._gemm_bias is not None and not use_mi
        plan = make_plan(self.spec, tiles, bias=bias, residual=self.has_residual, bias_gemm=bias_gemm,
                         min_init=use_mi)
        func = schedule_conv(plan, self.actions, self.kind, self._proven if use_mi else None, tail_chunks=variant[1],
                             tile_order=variant[0])
        return plan, func, run_pipeline(func)

    def _compiled(self, tiles: Tiles, bias: bool, use_mi: bool, variant: tuple[str, int]):
        """((predicted cycles, instructions), (use_mi, plan, func, pipeline result), Prediction, variant)
        of one variant."""
        done = self._plan_func(tiles, bias, use_mi, variant)
        pred = simulate(done[2].stream)
        return (pred.cycles, pred.instructions), (use_mi,) + done, pred, variant

    def _try(self, found, bias: bool, use_mi: bool, variant: tuple[str, int]):
        """`found`'s tiling compiled with another variant, or `found` itself when that does not compile."""
        try:
            return self._compiled(found[1][1].tiles, bias, use_mi, variant)
        except CompileError:
            return found

    def _choose(self, tiles, bias: bool, options: list[bool]):
        """(MIN-init used, plan, func, pipeline result): the best simulated of the lowerings in `options`
        (each with the search's best few tilings, or with the given Tiles)."""
        if tiles is not None and not isinstance(tiles, (Tiles, MeasureTiles)):
            raise CompileError(f"{self.kind} {self.spec.shapes()}: tiles must be None, a Tiles or MeasureTiles, "
                               f"got {tiles!r}")
        choices = _CHOICES.get() if tiles is None else None
        # the epilogue's steps without their immediates (shift amounts, clip bounds): those change
        # no instruction or micro-op count, so equal keys give equal cost-model rankings
        steps = tuple((a[0], a[1]) if a[0] == "alu" else a[:1] for a in self.actions)
        key = (self.kind, self.spec, steps, bias, self.has_residual, self._gemm_bias is not None, tuple(options))
        if choices is not None and key in choices:
            use_mi, chosen, variant, cands, reason = choices[key]
            try:
                found = self._compiled(chosen, bias, use_mi, variant)
            except CompileError:
                found = None  # not expected (the plan depends on the key alone); search as usual
            if found is not None:
                self.candidates, self.min_init_reason = cands, reason
                return found[1]
        first_error, best, cands = None, None, {}
        predicted: dict[bool, float] = {}
        for use_mi in options:
            if isinstance(tiles, Tiles):
                todo = [tiles]
            else:
                cands[use_mi] = search(self.spec, alu_steps=alu_instructions(self.actions), bias=bias,
                                       residual=self.has_residual, bias_gemm=self._gemm_bias is not None and not use_mi,
                                       min_init=use_mi)
                todo = cands[use_mi].tiles
            # The analytic search ranks thousands of tilings; the best few are compiled and their
            # streams simulated (stage overlap, token waits), which ranks them more faithfully.
            evaluated, heavy, scanned = 0, False, []
            for t in todo:
                try:
                    found = self._compiled(t, bias, use_mi, SCAN_VARIANT)
                except CompileError as exc:
                    first_error = first_error or exc
                    continue
                if evaluated == 0:
                    heavy = found[2].alu_uops >= ALU_HEAVY * found[2].gemm_uops
                    if best is not None and max(found[2].gemm_uops, found[2].alu_uops) >= best[0][0]:
                        # a lowering's GEMM and ALU micro-ops do not depend on the tiling, and each
                        # takes a cycle of its unit: no tiling of this one beats the best so far
                        scanned.append(found)
                        heavy = False
                        break
                scanned.append(found)
                evaluated += 1
                if evaluated >= (EVALUATE_HEAVY if heavy else EVALUATE_TOP if len(options) == 1 else EVALUATE_EACH):
                    break
            scanned.sort(key=lambda f: f[0])
            if heavy:
                # the best few again with the split tail that wins most often, the best of all with the rest
                for n, found in enumerate(scanned[:HEAVY_SPLIT]):
                    if found[1][1].tiles.vthreads == 2:
                        scanned[n] = min(found, self._try(found, bias, use_mi, ALU_HEAVY_VARIANTS[0]), key=lambda f: f[0])
                scanned.sort(key=lambda f: f[0])
                if scanned and scanned[0][1][1].tiles.vthreads == 2:
                    for variant in ALU_HEAVY_VARIANTS[1:]:
                        scanned[0] = min(scanned[0], self._try(scanned[0], bias, use_mi, variant), key=lambda f: f[0])
            best_here = scanned[0] if scanned else None
            if best_here is not None:
                predicted[use_mi] = best_here[0][0]
                if best is None or best_here[0] < best[0]:
                    best = best_here
        if best is None and first_error is None:
            # the smallest tile gives the most specific message about what does not fit
            smallest = Tiles(h=self.spec.rows.out_step, w=self.spec.cols.out_step, co=1, ci=1, vthreads=1)
            self._plan_func(smallest, bias, options[-1])
            raise CompileError(f"{self.kind} {self.spec.shapes()}: no tiling fits the on-chip buffers of "
                               f"{self.spec.config.bitstream}")
        if best is None:
            raise first_error
        use_mi = best[1][0]
        self.candidates = cands.get(use_mi)
        if not use_mi and True in predicted:
            self.min_init_reason = (f"the cost model predicts {predicted[True]:.0f} cycles with it, "
                                    f"{predicted[False]:.0f} without")
        elif not use_mi and len(options) == 2:
            self.min_init_reason = f"no tiling compiles with it ({first_error})"
        if choices is not None:
            choices[key] = (use_mi, best[1][1].tiles, best[3], self.candidates, self.min_init_reason)
        return best[1]

    @property
    def reset_and_bias(self) -> str:
        """How the accumulator reset and the bias are lowered, and why (the MIN-init decision)."""
        how = self.func.attr("reset_and_bias")
        return how if self.min_init is not None else f"{how} (no MIN-init: {self.min_init_reason})"

    def _measure(self, m: MeasureTiles) -> None:
        rng = np.random.default_rng(m.seed)
        x = rng.integers(-128, 128, self.input_shape, dtype=np.int8)
        res = rng.integers(-128, 128, self.output_shape, dtype=np.int8) if self.has_residual else None
        rows = []
        best = None
        for t in self.candidates.tiles[: m.top]:
            try:
                op = self.with_tiles(t)
            except CompileError:
                continue
            op.run(m.device, x, residual=res)
            s = op.last_stats
            score = s.cycles if s.cycles is not None else op.predicted_cycles
            rows.append({"tiles": op.tiles, "predicted_cycles": op.predicted_cycles, "measured_cycles": s.cycles,
                         "elapsed_s": s.elapsed_s, "score": score})
            if best is None or score < best[0]:
                best = (score, op)
            op.release(m.device)
        self.tuning = rows
        if best is not None:
            b = best[1]
            self.plan, self.tiles, self.func, self.result = b.plan, b.tiles, b.func, b.result
            self.program, self.work, self.prediction = b.program, b.work, b.prediction

    def with_tiles(self, tiles: Tiles) -> "ConvOp":
        """The same operator compiled with other tiles."""
        return type(self)(self.kind, self.spec, self._dense_kernel, self._bias, self._epilogue, tiles,
                          self.input_shape, self.output_shape, self.macs, self._min_init_mode)

    def tuning_text(self) -> str:
        """The measured candidates: the model's prediction next to the device's cycles."""
        lines = [f"{'tiles':72s} {'predicted':>10s} {'measured':>10s}"]
        for r in self.tuning:
            meas = "-" if r["measured_cycles"] is None else str(r["measured_cycles"])
            lines.append(f"{r['tiles'].text():72s} {r['predicted_cycles']:10.0f} {meas:>10s}")
        return "\n".join(lines)

    # ------------------------------------------------------------ running
    def run(self, device, x: np.ndarray, residual: np.ndarray | None = None) -> np.ndarray:
        """x int8 in the op's input layout -> int8 output (NCHW, or (N, O) for dense)."""
        spec, cfg = self.spec, self.config
        _check_array(x, "x", np.int8, self.input_shape, f"{self.kind}.run")
        x4 = x.reshape(spec.n, spec.ci, spec.rows.size_in, spec.cols.size_in)
        inputs = {"x": pack_activation(x4, cfg)}
        if self.has_residual:
            if residual is None:
                raise CompileError(f"{self.kind}.run: the epilogue has AddResidual, so a residual tensor is required")
            _check_array(residual, "residual", np.int8, self.output_shape, f"{self.kind}.run")
            r4 = residual.reshape(spec.n, spec.co, spec.oh, spec.ow)
            inputs["res"] = pack_activation(r4, cfg)
        elif residual is not None:
            raise CompileError(f"{self.kind}.run: a residual was given but the epilogue has no AddResidual")
        out = self._execute(device, inputs)
        y = unpack_activation(out, spec.n, spec.co)
        return y.reshape(self.output_shape)


def _operands(op: str, config: Config | None, input_shape, weight, weight_layout: str,
              bias, bias_channels) -> tuple[Config, tuple[int, ...]]:
    """The Config and the input shape, after checking the shape's rank, the weight's rank and the bias."""
    rank = 2 if op == "dense" else 4
    shape = tuple(int(v) for v in input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) != rank:
        raise CompileError(f"{op}: input_shape must be {'(N, I)' if rank == 2 else '(N, C, H, W)'}, "
                           f"got {input_shape!r}")
    if not isinstance(weight, np.ndarray) or weight.ndim != weight_layout.count(",") + 1:
        raise CompileError(f"{op}: weight must be an int8 numpy array {weight_layout}")
    if bias is not None:
        _check_array(bias, "bias", np.int32, (weight.shape[bias_channels],), op)
    return (config if config is not None else Config()), shape


def conv2d(weight: np.ndarray, bias: np.ndarray | None = None, *, input_shape, stride=1, padding=0, groups: int = 1,
           epilogue=(), config: Config | None = None, tiles=None, min_init: bool | None = None) -> ConvOp:
    op = "conv2d"
    cfg, shape = _operands(op, config, input_shape, weight, "(O, I/groups, KH, KW)", bias, 0)
    o, ig, kh, kw = weight.shape
    if not isinstance(groups, int) or groups < 1 or shape[1] % groups or o % groups:
        raise CompileError(f"{op} input {shape}, weight {weight.shape}: groups={groups!r} must be a positive "
                           f"divisor of the input ({shape[1]}) and output ({o}) channels")
    _check_array(weight, "weight", np.int8, (o, shape[1] // groups, kh, kw), f"{op} input {shape}")
    st, pd = _pair(stride, "stride", op), _pair(padding, "padding", op)
    spec = make_conv_spec(op, cfg, shape, o, kh, kw, st, pd, groups)
    dense = expand_groups(weight, groups) if groups > 1 else weight
    macs = shape[0] * o * spec.oh * spec.ow * ig * kh * kw
    return ConvOp(op, spec, dense, bias, epilogue, tiles, shape, (shape[0], o, spec.oh, spec.ow), macs, min_init)


def dense(weight: np.ndarray, bias: np.ndarray | None = None, *, input_shape, epilogue=(), config: Config | None = None,
          tiles=None, min_init: bool | None = None) -> ConvOp:
    op = "dense"
    cfg, shape = _operands(op, config, input_shape, weight, "(O, I)", bias, 0)
    o = weight.shape[0]
    _check_array(weight, "weight", np.int8, (o, shape[1]), f"{op} input {shape}")
    spec = make_conv_spec(op, cfg, (shape[0], shape[1], 1, 1), o, 1, 1, (1, 1), (0, 0))
    if isinstance(tiles, Tiles):
        tiles = Tiles(1, 1, tiles.co, tiles.ci, tiles.batch, tiles.vthreads, tiles.order)
    return ConvOp(op, spec, weight.reshape(o, shape[1], 1, 1), bias, epilogue, tiles, shape, (shape[0], o),
                  shape[0] * o * shape[1], min_init)


def conv2d_transpose(weight: np.ndarray, bias: np.ndarray | None = None, *, input_shape, stride=1, padding=0,
                     output_padding=0, epilogue=(), config: Config | None = None, tiles=None,
                     min_init: bool | None = None) -> ConvOp:
    op = "conv2d_transpose"
    cfg, shape = _operands(op, config, input_shape, weight, "(I, O, KH, KW)", bias, 1)
    i, o, kh, kw = weight.shape
    _check_array(weight, "weight", np.int8, (shape[1], o, kh, kw), f"{op} input {shape}")
    st, pd = _pair(stride, "stride", op), _pair(padding, "padding", op)
    opad = _pair(output_padding, "output_padding", op)
    spec = make_conv_spec(op, cfg, shape, o, kh, kw, st, pd, 1, opad, transpose=True)
    dense_kernel = np.ascontiguousarray(weight.transpose(1, 0, 2, 3))
    macs = shape[0] * i * shape[2] * shape[3] * o * kh * kw
    return ConvOp(op, spec, dense_kernel, bias, epilogue, tiles, shape, (shape[0], o, spec.oh, spec.ow), macs,
                  min_init)
