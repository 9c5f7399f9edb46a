"""max_pool2d and add: operators built around the ALU."""

from __future__ import annotations

import numpy as np

from vta.isa.config import Config

from .cost_model import DEFAULT, _cands
from .epilogue import lower_epilogue
from .errors import CompileError
from .expr import ceil_div
from .layout import identity_block, pack_activation, pack_flat, unpack_activation, unpack_flat
from .op_base import CompiledOp
from .op_conv import _check_array, _pair
from .schedule_elementwise import AddPlan, PoolPlan, schedule_add, schedule_pool
from .tiling import Tiles

POOL_PAD_VALUE = -128  # smaller than or equal to every int8, so padding never wins a max


class PoolOp(CompiledOp):
    """max_pool2d on int8 NCHW (see ops.max_pool2d)."""

    kind = "max_pool2d"

    def __init__(self, config: Config, input_shape: tuple[int, ...], kernel: tuple[int, int],
                 stride: tuple[int, int], padding: tuple[int, int], tiles: Tiles | None) -> None:
        n, c, h, w = input_shape
        self.input_shape = input_shape
        self.padding = padding
        hp, wp = h + 2 * padding[0], w + 2 * padding[1]
        oh, ow = (hp - kernel[0]) // stride[0] + 1, (wp - kernel[1]) // stride[1] + 1
        self.output_shape = (n, c, oh, ow)
        self.macs = 0
        nb, cb = ceil_div(n, config.batch), ceil_div(c, config.block_out)
        base = dict(config=config, nb=nb, cb=cb, hp=hp, wp=wp, oh=oh, ow=ow, k=kernel, s=stride)
        shapes = f"(input {input_shape}, kernel {kernel}, stride {stride}, padding {padding})"
        if tiles is not None:
            if not isinstance(tiles, Tiles):
                raise CompileError(f"max_pool2d {shapes}: tiles must be None or a Tiles, got {tiles!r}")
            plan = PoolPlan(batch=min(tiles.batch, nb), cot=min(tiles.co, cb), th=min(tiles.h, oh),
                            tw=min(tiles.w, ow), vthreads=tiles.vthreads, **base)
            if not plan.fits():
                raise CompileError(f"max_pool2d {shapes}: {tiles.text()} needs INP 2x{plan.s_in} of "
                                   f"{config.inp_depth} and ACC {plan.vthreads}x({plan.s_in}+{plan.s_out}) of "
                                   f"{config.acc_depth} elements")
        else:
            plan = self._search(base, shapes)
        self.plan = plan
        self.tiles = Tiles(plan.th, plan.tw, plan.cot, 1, plan.batch, plan.vthreads)
        func = schedule_pool(plan, "max_pool2d")
        super().__init__("max_pool2d", config, func, {"ident": identity_block(config)})

    @staticmethod
    def _search(base: dict, shapes: str) -> PoolPlan:
        cfg = base["config"]
        best = None
        for vt in (2, 1):
            for batch in _cands(base["nb"], 4):
                for cot in _cands(base["cb"]):
                    for th in _cands(base["oh"]):
                        for tw in reversed(_cands(base["ow"])):
                            p = PoolPlan(batch=batch, cot=cot, th=th, tw=tw, vthreads=vt, **base)
                            if not p.fits():
                                continue
                            cost = _pool_cost(p, cfg)
                            if best is None or cost < best[0]:
                                best = (cost, p)
                            break  # widest fitting tw for this th
        if best is None:
            raise CompileError(f"max_pool2d {shapes}: even a one-pixel tile does not fit the on-chip buffers of "
                               f"{cfg.bitstream} (one window needs {base['k'][0] * base['k'][1]} INP and ACC elements)")
        return best[1]

    def run(self, device, x: np.ndarray) -> np.ndarray:
        _check_array(x, "x", np.int8, self.input_shape, "max_pool2d.run")
        ph, pw = self.padding
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=POOL_PAD_VALUE) if ph or pw else x
        out = self._execute(device, {"x": pack_activation(xp, self.config)})
        return unpack_activation(out, self.output_shape[0], self.output_shape[1])


def _pool_cost(p: PoolPlan, cfg: Config) -> float:
    n_tiles = ceil_div(p.nb, p.batch) * ceil_div(p.cb, p.cot) * ceil_div(p.oh, p.th) * ceil_div(p.ow, p.tw)
    out = p.nb * p.cb * p.oh * p.ow
    compute = out * (p.k[0] * p.k[1] * DEFAULT.alu_cycles + 2) + n_tiles * (2 * p.s_in + 6 * DEFAULT.insn_cycles)
    load = n_tiles * (p.s_in * cfg.inp_elem_bytes / cfg.bus_bytes + p.batch * p.cot * DEFAULT.dma_cycles)
    store = out * cfg.out_elem_bytes / cfg.bus_bytes + n_tiles * p.batch * DEFAULT.dma_cycles
    return (max(compute, load, store) if p.vthreads == 2 else max(compute + store, load)) + n_tiles * 2


class AddOp(CompiledOp):
    """Elementwise int8 a + b (int32 on VTA) then an epilogue (see ops.add)."""

    kind = "add"

    def __init__(self, config: Config, shape: tuple[int, ...], epilogue) -> None:
        self.shape = shape
        self.input_shape = shape
        self.output_shape = shape
        self.macs = 0
        self.actions = lower_epilogue("add", tuple(epilogue), has_bias=False, allow_residual=False, allow_bias=False)
        lanes = config.batch * config.block_in
        elems = ceil_div(max(int(np.prod(shape, dtype=np.int64)), 1), lanes)
        tile = max(1, min(elems, config.inp_depth // 4, config.acc_depth // 2))
        plan = AddPlan(config, elems, tile, 2)
        self.plan = plan
        func = schedule_add(plan, self.actions, "add")
        super().__init__("add", config, func, {"ident": identity_block(config)})

    def run(self, device, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        _check_array(a, "a", np.int8, self.shape, "add.run")
        _check_array(b, "b", np.int8, self.shape, "add.run")
        out = self._execute(device, {"a": pack_flat(a, self.config), "b": pack_flat(b, self.config)})
        return unpack_flat(out, self.shape)


def max_pool2d(*, input_shape, kernel, stride=None, padding=0, config: Config | None = None,
               tiles: Tiles | None = None) -> PoolOp:
    cfg = config if config is not None else Config()
    op = "max_pool2d"
    shape = tuple(int(v) for v in input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) != 4 or min(shape) < 1:
        raise CompileError(f"{op}: input_shape must be (N, C, H, W) of positive sizes, got {input_shape!r}")
    k = _pair(kernel, "kernel", op)
    s = _pair(stride if stride is not None else kernel, "stride", op)
    p = _pair(padding, "padding", op)
    if min(k) < 1 or min(s) < 1 or min(p) < 0:
        raise CompileError(f"{op} input {shape}: kernel {k} and stride {s} must be >= 1, padding {p} >= 0")
    if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
        raise CompileError(f"{op} input {shape}: padding {p} must be at most half the kernel {k}")
    if shape[2] + 2 * p[0] < k[0] or shape[3] + 2 * p[1] < k[1]:
        raise CompileError(f"{op} input {shape}: the padded input is smaller than the kernel {k}")
    return PoolOp(cfg, shape, k, s, p, tiles)


def add(*, shape, epilogue=(), config: Config | None = None) -> AddOp:
    cfg = config if config is not None else Config()
    if not isinstance(shape, (tuple, list)) or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in shape):
        raise CompileError(f"add: shape must be a tuple of positive ints, got {shape!r}")
    return AddOp(cfg, tuple(int(v) for v in shape), epilogue)
