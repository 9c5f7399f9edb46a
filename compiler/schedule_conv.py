"""The conv template: a ConvPlan and an epilogue -> the initial loop IR (conv2d, dense, grouped, transposed).

Loop structure (order "spatial"; "channel" puts the output-channel tile loop outermost):

    bias -> ACC, identity -> WGT                        (once, if used)
    MIN-init: init values -> ACC, acc[every t] = 0      (once)
    for n_o, h_o, w_o, c_o (tile loops; 2 virtual threads split the innermost one):
        residual tile -> INP                            (if AddResidual)
        acc[t] = 0                                      (MIN-init: acc[t] = min(acc[t], init[channel]))
        for r (reduction steps):
            input window -> INP   (zero padding from the convolution's pad; only the rows the
                                   taps read when they skip rows: plan.packed_rows)
            weight block -> WGT
            per phase: acc[t] += inp * wgt              (scalar nest with b/j/k lanes)
        epilogue on acc[t]                              (ALU; AddResidual: GEMM with identity)
        acc[t] -> out tile

ACC (acc_banks.py, plan.acc): with two virtual threads and a tile that fits a bank with the
bias or init values, thread t's region and its own copy of those constants sit in bank t
(the constants are loaded once per copy; thread t's ALU ops read copy t), so its GEMM and
ALU instructions can dual-issue with the other thread's; otherwise the packed layout.
"""

from __future__ import annotations

from vta.isa.opcodes import MemType

from .epilogue import Action
from .errors import CompileError
from .expr import Expr, as_expr, emax, emin, floordiv, lt, var
from .loop_ir import (Access, Axis, BufferDecl, Contract, Copy, Elementwise, Fill, For, Func, If, Ref, Region,
                      Stmt, TensorDecl)
from .min_init import MinInit
from .schedule_parts import chunked_init, chunked_tail
from .tiling import ConvPlan

Z = as_expr(0)

#: Parts the last tile's tail and store are cut into (see `chunked_tail`; measured on TSIM in docs/compiler.md).
TAIL_CHUNKS = 4
#: Compute order of a two-thread plan's tiles: "pipelined" (pass_pipeline: every tile's tail, store and
#: MIN-init in `tail_chunks` parts) or "interleaved" (pass_vthread's order; the last tiles split).
TILE_ORDER = "pipelined"


def _axis(name: str, extent: Expr | int, nominal: int) -> Axis:
    return Axis(name, as_expr(extent), int(nominal))


def tile_extent(tile: int, total: int, start: Expr) -> Expr:
    """Extent of the tile starting at `start`: `tile`, or what is left at the edge when tiles do not divide."""
    return as_expr(tile) if total % tile == 0 else emin(tile, total - start)


def tile_loops(order: list[str], counts: dict[str, int], vthreads: int) -> tuple[dict[str, Expr], list[tuple], str | None]:
    """Tile index expressions, the loop headers (var, extent, kind, guard) and the loop bound to virtual threads."""
    bind = None
    if vthreads == 2:
        for k in reversed(order):
            if counts[k] > 1:
                bind = k
                break
    idx: dict[str, Expr] = {}
    loops: list[tuple] = []
    for k in order:
        n = counts[k]
        if n == 1:
            idx[k] = Z
            continue
        v = var(f"{k}_o")
        if k == bind:
            idx[k] = v * 2 + var("t")
            loops.append((f"{k}_o", (n + 1) // 2, "serial", None))
            loops.append(("t", 2, "vthread", lt(idx[k], n) if n % 2 else None))
        else:
            idx[k] = v
            loops.append((f"{k}_o", n, "serial", None))
    return idx, loops, bind


def nest_loops(loops: list[tuple], body: list[Stmt]) -> list[Stmt]:
    """Wrap `body` in the loop headers of `tile_loops` (innermost last)."""
    stmts = body
    for name, extent, kind, guard in reversed(loops):
        if guard is not None:
            stmts = [If(guard, tuple(stmts))]
        stmts = [For(name, as_expr(extent), tuple(stmts), kind)]
    return stmts


def _tile_env(order: list[str], counts: dict[str, int], bind: str | None, flat: int) -> dict[str, int]:
    """Values of the tile loop variables (and the virtual thread) at tile number `flat` (row-major over `order`)."""
    env: dict[str, int] = {}
    for k in reversed(order):
        i, flat = flat % counts[k], flat // counts[k]
        if counts[k] > 1:
            env[f"{k}_o"] = i // 2 if k == bind else i
            if k == bind:
                env["t"] = i % 2
    return env


def _equals(e: Expr, v: int) -> Expr | None:
    """The condition e == v (None when e is the constant v)."""
    return None if e.is_const else lt(v - 1, e) * lt(e, v + 1)


def schedule_conv(plan: ConvPlan, actions: list[Action], name: str, min_init: MinInit | None = None,
                  tail_chunks: int = TAIL_CHUNKS, tile_order: str = TILE_ORDER) -> Func:
    """The conv template's loop IR for one plan; `min_init` (with plan.min_init) replaces the accumulator
    reset and the bias by one ALU MIN from per-channel init values and runs its shifted tail.
    `tail_chunks`: parts the last tile's trailing ALU ops and store are cut into (`chunked_tail`)."""
    if plan.min_init != (min_init is not None):
        raise CompileError(f"{name}: internal: plan.min_init and the MIN-init lowering must be given together")
    spec = plan.spec
    cfg = spec.config
    rows, cols = spec.rows, spec.cols
    tiles = plan.tiles
    counts = plan.counts
    order = ["batch", "h", "w", "co"] if tiles.order == "spatial" else ["co", "batch", "h", "w"]
    idx, loops, bind = tile_loops(order, counts, tiles.vthreads)
    thread = var("t") if bind else Z
    acc_ref = Ref("acc", thread)
    layout = plan.acc
    const_copy = thread if layout.banked else Z  # the bias or init copy this thread's ALU ops read

    # ---- tile geometry
    nbt, cot = tiles.batch, plan.cot
    nb0 = idx["batch"] * nbt
    nbe = tile_extent(nbt, spec.nb, nb0)
    q0h, q0w = idx["h"] * plan.tq_h, idx["w"] * plan.tq_w
    qhe, qwe = tile_extent(plan.tq_h, rows.q_total, q0h), tile_extent(plan.tq_w, cols.q_total, q0w)
    oh0, ow0 = q0h * rows.out_step, q0w * cols.out_step
    the = tile_extent(plan.tq_h * rows.out_step, spec.oh, oh0)
    twe = tile_extent(plan.tq_w * cols.out_step, spec.ow, ow0)
    # packed rows (tiling.packs_rows): the window holds the run of rows each q reads, q after q
    run = rows.run if plan.packed_rows else 0
    ihe = qhe * run if run else (qhe - 1) * rows.in_step + rows.hi - rows.lo
    iwe = (qwe - 1) * cols.in_step + cols.hi - cols.lo
    red = var("r") if plan.n_red > 1 else Z
    if plan.tu:
        u0 = idx["co"] * plan.tu
        ue = tile_extent(plan.tu, spec.units, u0)
        co0, coe = u0 * spec.cpg, ue * spec.cpg
        c_start, c_ext = u0 * spec.span, ue * spec.span
        l0, lte = Z, as_expr(spec.span)
    else:
        co0 = idx["co"] * cot
        coe = tile_extent(cot, spec.cob, co0)
        u0 = floordiv(co0, spec.cpg) if spec.units > 1 else Z
        l0 = red * plan.cit
        lte = tile_extent(plan.cit, spec.span, l0)
        c_start, c_ext = u0 * spec.span + l0, lte
    # on-chip strides (compact blocks)
    IW, IA = iwe, ihe * iwe
    IN = c_ext * IA
    T = len(spec.taps)
    WL = T
    WC = lte * T
    AW, AC = twe, the * twe
    AN = coe * AC
    total = nbe * AN

    body: list[Stmt] = []
    if plan.residual:
        body.append(Copy("load", Ref("res", Z, "r"), Region("res", (nb0, co0, oh0, ow0), (nbe, coe, the, twe))))
    # per output vector (batch block, channel block, pixel); pixels innermost so consecutive micro-ops
    # of the MIN-init read the same src
    vec_axes = (_axis("nb", nbe, nbt), _axis("co", coe, cot), _axis("p", AC, plan.th * plan.tw))
    vec_acc = Access(acc_ref, Z, (("nb", AN), ("co", AC), ("p", as_expr(1))))
    init_stmt = None
    if min_init is not None:
        init_stmt = Elementwise("min", vec_axes, vec_acc,
                                 src=Access(Ref("init", const_copy), co0, (("co", as_expr(1)),)),
                                 note=f"reset + bias: {min_init.text()}")
        body.append(init_stmt)
        actions = list(min_init.tail)
    else:
        body.append(Fill((_axis("e", total, plan.s_acc),), Access(acc_ref, Z, (("e", as_expr(1)),)),
                         note="reset the accumulator tile"))

    # ---- reduction step
    step: list[Stmt] = [
        Copy("load", Ref("inp", Z, "x"),
             Region("x", (nb0, c_start, q0h * rows.in_step + rows.lo, q0w * cols.in_step + cols.lo),
                    (nbe, c_ext, ihe, iwe), *((rows.in_step, run) if run else ())),
             pad=(False, False, rows.pad_possible, cols.pad_possible)),
        Copy("load", Ref("wgt", Z, "w"), Region("w", (co0, l0, Z, Z), (coe, lte, as_expr(T), as_expr(1)))),
    ]
    co_ext, co_nom = (as_expr(spec.cpg), spec.cpg) if plan.tu else (coe, cot)
    for ph in spec.phases:
        ch = qhe if ph.row.count == rows.q_total else emin(qhe, ph.row.count - q0h)
        cw = qwe if ph.col.count == cols.q_total else emin(qwe, ph.col.count - q0w)
        mh, mw = len(ph.row.taps), len(ph.col.taps)
        axes = [_axis("nb", nbe, nbt)]
        if plan.tu:
            axes.append(_axis("u", ue, plan.tu))
        axes += [_axis("co", co_ext, co_nom), _axis("ci", lte, plan.cit), _axis("kh", mh, mh), _axis("kw", mw, mw),
                 _axis("oh", ch, plan.tq_h), _axis("ow", cw, plan.tq_w)]
        one = as_expr(1)
        names = {a.var for a in axes}

        def steps(*pairs):
            return tuple((v, as_expr(st)) for v, st in pairs if v in names)

        acc = Access(acc_ref, as_expr(ph.row.r) * AW + ph.col.r,
                     steps(("nb", AN), ("u", spec.cpg * AC), ("co", AC), ("oh", rows.out_step * AW),
                           ("ow", cols.out_step)))
        inp = Access(Ref("inp", Z, "x"), as_expr(ph.row.base - rows.lo) * IW + (ph.col.base - cols.lo),
                     steps(("nb", IN), ("u", spec.span * IA), ("ci", IA), ("kh", IW), ("kw", one),
                           ("oh", (run or rows.in_step) * IW), ("ow", cols.in_step)))
        wgt = Access(Ref("wgt", Z, "w"), as_expr(ph.tap_offset),
                     steps(("u", spec.cpg * WC), ("co", WC), ("ci", WL), ("kh", mw), ("kw", one)))
        note = "" if len(spec.phases) == 1 else f"phase rows {ph.row.r} mod {rows.out_step}, cols {ph.col.r} mod {cols.out_step}"
        c = Contract(tuple(axes), acc, inp, wgt, (cfg.batch, cfg.block_out, cfg.block_in), note=note)
        conds = [cnt for cnt, dim, p in ((ch, rows, ph.row), (cw, cols, ph.col)) if p.count < dim.q_total]
        if conds:
            guard = lt(0, conds[0]) if len(conds) == 1 else lt(0, conds[0]) * lt(0, conds[1])
            step.append(If(guard, (c,)))
        else:
            step.append(c)
    # A window wholly in the padding (output_padding, or padding >= kernel) holds no data: the DMA
    # cannot express it (x_size 0 is a NOP) and its GEMMs would add zeros, so the step is skipped.
    empty = []
    for dim, tq, start, ext in ((rows, plan.tq_h, q0h * rows.in_step + rows.lo, ihe),
                                (cols, plan.tq_w, q0w * cols.in_step + cols.lo, iwe)):
        if dim.empty_window(tq):
            empty.append(lt(emax(start, 0), emin(start + ext, dim.size_in)))
    if empty:
        step = [If(empty[0] if len(empty) == 1 else empty[0] * empty[1], tuple(step))]
    if plan.n_red > 1:
        body.append(For("r", as_expr(plan.n_red), tuple(step)))
    else:
        body.extend(step)

    # ---- epilogue
    flat = (_axis("e", total, plan.s_acc),)
    flat_acc = Access(acc_ref, Z, (("e", as_expr(1)),))
    writes_out = False
    for act in actions:
        if act[0] == "alu":
            body.append(Elementwise(act[1], flat, flat_acc, imm=act[2]))
            writes_out = True
        elif act[0] == "bias" and plan.bias_gemm:
            body.append(Contract(vec_axes, vec_acc, Access(Ref("ones"), Z, ()),
                                 Access(Ref("biasw"), co0, (("co", as_expr(1)),)),
                                 (cfg.batch, cfg.block_out, cfg.block_in), note="+ bias (GEMM: ones . bias block)"))
            writes_out = True
        elif act[0] == "bias":
            body.append(Elementwise("add", vec_axes, vec_acc, src=Access(Ref("bias", const_copy), co0,
                                                                         (("co", as_expr(1)),)),
                                    note="+ bias"))
            writes_out = True
        else:
            body.append(Contract(flat, flat_acc, Access(Ref("res", Z, "r"), Z, (("e", as_expr(1)),)),
                                 Access(Ref("ident"), Z, ()), (cfg.batch, cfg.block_out, cfg.block_in),
                                 note="+ residual (identity weight)"))
            writes_out = True
    if not writes_out and (not spec.full_coverage or empty):
        body.append(Elementwise("add", flat, flat_acc, imm=0, note="write OUT where no tap reaches"))
    n_alu = 0  # the trailing immediate ALU statements over the whole tile: split with the store on the last tile
    while (n_alu < len(body) and isinstance(body[-1 - n_alu], Elementwise) and body[-1 - n_alu].axes == flat
           and body[-1 - n_alu].src is None):
        n_alu += 1
    tail = body[len(body) - n_alu:]
    del body[len(body) - n_alu:]
    store = Copy("store", acc_ref, Region("out", (nb0, co0, oh0, ow0), (nbe, coe, the, twe)))
    starts = (nb0, co0, oh0, ow0)
    n_tiles = 1
    flat_tile = Z
    for k in order:
        flat_tile = flat_tile * counts[k] + idx[k]
        n_tiles *= counts[k]
    pipelined = tile_order == "pipelined" and tiles.vthreads == 2 and n_tiles >= 2
    if pipelined:
        # every tile: its tail, store and MIN-init in parts, classed by the tile's extents (edge tiles differ)
        classes: dict[tuple[int, ...], None] = {}
        for f in range(n_tiles):
            env = _tile_env(order, counts, bind, f)
            classes[tuple(int(e.evaluate(env)) for e in (nbe, coe, the, twe))] = None
        ends, inits = [], []
        for ext in classes:
            conds = [c for c in (_equals(e, v) for e, v in zip((nbe, coe, the, twe), ext)) if c is not None]
            cond = None
            for c in conds:
                cond = c if cond is None else cond * c
            chunked = chunked_tail(tail, acc_ref, starts, list(ext), tail_chunks) or tail + [store]
            ends.append(tuple(chunked) if cond is None else If(cond, tuple(chunked)))
            if init_stmt is not None:
                parts = chunked_init(init_stmt, list(ext), tail_chunks) or [init_stmt]
                inits.append(tuple(parts) if cond is None else If(cond, tuple(parts)))
        if len(classes) == 1:
            ends, inits = list(ends[0]), list(inits[0]) if inits else []
        body += ends
        if init_stmt is not None:
            at = body.index(init_stmt)
            body[at:at + 1] = inits
    else:
        # interleaved: the last tile of each of two virtual threads: their stores are the ones left with nothing
        # to overlap (one thread: not split; the model then ranks C6's one-thread tiling first, which TSIM
        # contradicts)
        split = {}
        for f in range(max(0, n_tiles - tiles.vthreads), n_tiles if tiles.vthreads == 2 else 0):
            env = _tile_env(order, counts, bind, f)
            chunked = chunked_tail(tail, acc_ref, starts, [int(e.evaluate(env)) for e in (nbe, coe, the, twe)],
                                    tail_chunks)
            if chunked is not None:
                split[f] = chunked
        if not split:
            body += tail + [store]
        elif n_tiles == 1:
            body += split[0]
        else:
            first = min(split)
            body.append(If(lt(flat_tile, first), tuple(tail + [store])))
            for f, chunked in split.items():
                body.append(If(_equals(flat_tile, f), tuple(chunked)))
            for f in range(first, n_tiles):
                if f not in split:
                    body.append(If(_equals(flat_tile, f), tuple(tail + [store])))

    prologue: list[Stmt] = []
    whole = tuple(map(as_expr, (spec.cob, 1, 1, 1)))
    if plan.acc_bias:
        for c in range(layout.const_copies):
            prologue.append(Copy("load", Ref("bias", as_expr(c)), Region("bias", (Z, Z, Z, Z), whole)))
    if plan.bias_gemm:
        prologue.append(Copy("load", Ref("biasw"), Region("biasw", (Z, Z, Z, Z), whole)))
        prologue.append(Copy("load", Ref("ones"), Region("ones", (Z, Z, Z, Z), tuple(map(as_expr, (1, 1, 1, 1))))))
    if plan.residual:
        prologue.append(Copy("load", Ref("ident"), Region("ident", (Z, Z, Z, Z), tuple(map(as_expr, (1, 1, 1, 1))))))
    if min_init is not None:
        for c in range(layout.const_copies):
            prologue.append(Copy("load", Ref("init", as_expr(c)), Region("init", (Z, Z, Z, Z), whole)))
        for t in range(plan.acc_regions):
            prologue.append(Fill((_axis("e", plan.s_acc, plan.s_acc),),
                                 Access(Ref("acc", as_expr(t)), Z, (("e", as_expr(1)),)),
                                 note="MIN-init: zero once, so the first MIN yields the init"))

    (acc_base, acc_stride), (const_base, const_stride) = layout.area(0), layout.constants()
    tensors = [TensorDecl("x", MemType.INP, (spec.nb, spec.cib, rows.size_in, cols.size_in), "input"),
               TensorDecl("w", MemType.WGT, (spec.cob, spec.span, T, 1), "weight")]
    buffers = [BufferDecl("inp", MemType.INP, plan.inp_base, plan.s_inp, plan.inp_slots, True),
               BufferDecl("wgt", MemType.WGT, plan.wgt_base, plan.s_wgt, plan.wgt_slots, True),
               BufferDecl("acc", MemType.ACC, acc_base, plan.s_acc, tiles.vthreads, False, acc_stride)]
    if plan.acc_bias:
        tensors.append(TensorDecl("bias", MemType.ACC, (spec.cob, 1, 1, 1), "bias"))
        buffers.append(BufferDecl("bias", MemType.ACC, const_base, spec.cob, layout.const_copies, False, const_stride))
    if plan.bias_gemm:
        tensors.append(TensorDecl("biasw", MemType.WGT, (spec.cob, 1, 1, 1), "bias"))
        tensors.append(TensorDecl("ones", MemType.INP, (1, 1, 1, 1), "const"))
        buffers.append(BufferDecl("biasw", MemType.WGT, plan.biasw_base, spec.cob, 1, False))
        buffers.append(BufferDecl("ones", MemType.INP, plan.ones_base, 1, 1, False))
    if plan.residual:
        tensors.append(TensorDecl("res", MemType.INP, (spec.nb, spec.cob, spec.oh, spec.ow), "residual"))
        tensors.append(TensorDecl("ident", MemType.WGT, (1, 1, 1, 1), "const"))
        buffers.append(BufferDecl("res", MemType.INP, plan.res_base, plan.s_res, 2, True))
        buffers.append(BufferDecl("ident", MemType.WGT, plan.ident_base, 1, 1, False))
    if min_init is not None:
        tensors.append(TensorDecl("init", MemType.ACC, (spec.cob, 1, 1, 1), "bias"))
        buffers.append(BufferDecl("init", MemType.ACC, const_base, spec.cob, layout.const_copies, False, const_stride))
    tensors.append(TensorDecl("out", MemType.OUT, (spec.nb, spec.cob, spec.oh, spec.ow), "output"))
    attrs = (("tiles", plan.tiles.text()), ("tile_order", "pipelined" if pipelined else "interleaved"),
             ("vthread_loop", bind or "none"), ("acc_layout", layout.text()),
             ("intrinsic", (cfg.batch, cfg.block_out, cfg.block_in)),
             ("reset_and_bias", min_init.text() if min_init is not None else "reset, then " + (
                 "bias by GEMM" if plan.bias_gemm else "bias by ALU ADD" if plan.acc_bias else "no bias")))
    return Func(name, tuple(tensors), tuple(buffers), tuple(prologue + nest_loops(loops, body)), attrs, config=cfg)

