"""Schedules of the ALU-centred operators: max pooling and elementwise add.

Both bring int8 data on chip through INP (the load stage, overlapped with
compute) and move it into ACC with a GEMM against an identity weight block,
which is exact: ACC[b][j] += INP[b][j].

max_pool2d (input pre-padded with -128 on the host, so padding never wins):
    acc_in[t] = 0;  acc_in[t] += inp . I                    (the input window)
    acc[t]    = 0;  acc[t]    += inp[tap (0,0)] . I         (first tap, strided)
    acc[t]    = max(acc[t], acc_in[t][tap])  for every tap  (ALU MAX, tensor operand)
    acc[t] -> out

add:
    acc[t] = 0;  acc[t] += a . I;  acc[t] += b . I;  epilogue (ALU);  acc[t] -> out

ACC (acc_banks.py): with two virtual threads, thread t's areas (pooling: acc and accin;
add: acc) start bank t when they fit half the ACC, so each thread's GEMM and ALU
instructions stay in one bank and can dual-issue with the other's; otherwise packed.
Neither reads an ACC constant.
"""

from __future__ import annotations

from dataclasses import dataclass

from vta.isa.config import Config
from vta.isa.opcodes import MemType

from .acc_banks import AccLayout, plan_acc
from .epilogue import Action
from .expr import as_expr, emin, var
from .loop_ir import Access, Axis, BufferDecl, Contract, Copy, Elementwise, Fill, Func, Ref, Region, TensorDecl
from .schedule_conv import nest_loops, tile_loops

Z = as_expr(0)
ONE = as_expr(1)


@dataclass(frozen=True)
class PoolPlan:
    config: Config
    nb: int
    cb: int
    hp: int  # padded input height
    wp: int
    oh: int
    ow: int
    k: tuple[int, int]
    s: tuple[int, int]
    batch: int  # tile: batch blocks
    cot: int  # channel blocks
    th: int
    tw: int
    vthreads: int

    @property
    def in_rows(self) -> int:
        return (self.th - 1) * self.s[0] + self.k[0]

    @property
    def in_cols(self) -> int:
        return (self.tw - 1) * self.s[1] + self.k[1]

    @property
    def s_in(self) -> int:
        return self.batch * self.cot * self.in_rows * self.in_cols

    @property
    def s_out(self) -> int:
        return self.batch * self.cot * self.th * self.tw

    @property
    def counts(self) -> dict[str, int]:
        return {"batch": -(-self.nb // self.batch), "co": -(-self.cb // self.cot), "h": -(-self.oh // self.th),
                "w": -(-self.ow // self.tw)}

    @property
    def acc(self) -> AccLayout | None:
        """ACC placement of the output tile and the input copy (acc_banks.py); None: they do not fit."""
        threads = self.vthreads if any(n > 1 for n in self.counts.values()) else 1
        return plan_acc(self.config.acc_depth, (self.s_out, self.s_in), 0, self.vthreads, threads)

    def fits(self) -> bool:
        c = self.config
        return 2 * self.s_in <= c.inp_depth and self.acc is not None and c.wgt_depth >= 1


def _flat(n, nominal: int) -> tuple[Axis, ...]:
    return (Axis("e", as_expr(n), nominal),)


def schedule_pool(p: PoolPlan, name: str) -> Func:
    cfg = p.config
    order = ["batch", "co", "h", "w"]
    idx, loops, bind = tile_loops(order, p.counts, p.vthreads)
    layout = p.acc
    t = Z if bind is None else var("t")
    nb0, c0 = idx["batch"] * p.batch, idx["co"] * p.cot
    oh0, ow0 = idx["h"] * p.th, idx["w"] * p.tw
    nbe, ce = emin(p.batch, p.nb - nb0), emin(p.cot, p.cb - c0)
    the, twe = emin(p.th, p.oh - oh0), emin(p.tw, p.ow - ow0)
    ihe, iwe = (the - 1) * p.s[0] + p.k[0], (twe - 1) * p.s[1] + p.k[1]
    IW, IA = iwe, ihe * iwe
    IN = ce * IA
    AW, AC = twe, the * twe
    AN = ce * AC
    e_in, e_out = nbe * IN, nbe * AN
    lanes = (cfg.batch, cfg.block_out, cfg.block_in)
    inp, ident = Ref("inp", Z, "x"), Ref("ident")
    acc_in, acc = Ref("accin", t), Ref("acc", t)
    e1 = (("e", ONE),)
    win = (Axis("nb", nbe, p.batch), Axis("c", ce, p.cot))
    out_axes = (Axis("oh", the, p.th), Axis("ow", twe, p.tw))
    taps = (Axis("kh", as_expr(p.k[0]), p.k[0]), Axis("kw", as_expr(p.k[1]), p.k[1]))
    dst_out = Access(acc, Z, (("nb", AN), ("c", AC), ("oh", AW), ("ow", ONE)))
    body = [
        Copy("load", inp, Region("x", (nb0, c0, oh0 * p.s[0], ow0 * p.s[1]), (nbe, ce, ihe, iwe))),
        Fill(_flat(e_in, p.s_in), Access(acc_in, Z, e1), note="reset the input copy"),
        Contract(_flat(e_in, p.s_in), Access(acc_in, Z, e1), Access(inp, Z, e1), Access(ident, Z), lanes,
                 note="input window -> ACC"),
        Fill(_flat(e_out, p.s_out), Access(acc, Z, e1), note="reset the output tile"),
        Contract(win + out_axes, dst_out,
                 Access(inp, Z, (("nb", IN), ("c", IA), ("oh", p.s[0] * IW), ("ow", as_expr(p.s[1])))),
                 Access(ident, Z), lanes, note="first tap"),
        Elementwise("max", win + taps + out_axes, dst_out,
                    src=Access(acc_in, Z, (("nb", IN), ("c", IA), ("kh", IW), ("kw", ONE), ("oh", p.s[0] * IW),
                                           ("ow", as_expr(p.s[1])))), note="max over the window"),
        Copy("store", acc, Region("out", (nb0, c0, oh0, ow0), (nbe, ce, the, twe))),
    ]
    prologue = [Copy("load", ident, Region("ident", (Z, Z, Z, Z), (ONE, ONE, ONE, ONE)))]
    tensors = (TensorDecl("x", MemType.INP, (p.nb, p.cb, p.hp, p.wp), "input"),
               TensorDecl("ident", MemType.WGT, (1, 1, 1, 1), "const"),
               TensorDecl("out", MemType.OUT, (p.nb, p.cb, p.oh, p.ow), "output"))
    buffers = (BufferDecl("inp", MemType.INP, 0, p.s_in, 2, True),
               BufferDecl("ident", MemType.WGT, 0, 1, 1, False),
               BufferDecl("acc", MemType.ACC, layout.area(0)[0], p.s_out, p.vthreads, False, layout.area(0)[1]),
               BufferDecl("accin", MemType.ACC, layout.area(1)[0], p.s_in, p.vthreads, False, layout.area(1)[1]))
    attrs = (("tiles", f"batch={p.batch} c={p.cot} h={p.th} w={p.tw} vthreads={p.vthreads}"),
             ("vthread_loop", bind or "none"), ("acc_layout", layout.text()), ("intrinsic", lanes))
    return Func(name, tensors, buffers, tuple(prologue + nest_loops(loops, body)), attrs, config=cfg)


@dataclass(frozen=True)
class AddPlan:
    config: Config
    elems: int  # packed elements of each operand
    tile: int
    vthreads: int

    @property
    def acc(self) -> AccLayout | None:
        """ACC placement of the tiles (acc_banks.py); None: they do not fit."""
        threads = self.vthreads if self.elems > self.tile else 1
        return plan_acc(self.config.acc_depth, (self.tile,), 0, self.vthreads, threads)


def schedule_add(p: AddPlan, actions: list[Action], name: str) -> Func:
    cfg = p.config
    counts = {"e": -(-p.elems // p.tile)}
    idx, loops, bind = tile_loops(["e"], counts, p.vthreads)
    layout = p.acc
    t = Z if bind is None else var("t")
    e0 = idx["e"] * p.tile
    ee = emin(p.tile, p.elems - e0)
    lanes = (cfg.batch, cfg.block_out, cfg.block_in)
    acc = Ref("acc", t)
    e1 = (("e", ONE),)
    flat = _flat(ee, p.tile)
    body = [
        Copy("load", Ref("ina", Z, "a"), Region("a", (Z, Z, Z, e0), (ONE, ONE, ONE, ee))),
        Copy("load", Ref("inb", Z, "b"), Region("b", (Z, Z, Z, e0), (ONE, ONE, ONE, ee))),
        Fill(flat, Access(acc, Z, e1)),
        Contract(flat, Access(acc, Z, e1), Access(Ref("ina", Z, "a"), Z, e1), Access(Ref("ident"), Z), lanes,
                 note="+ a"),
        Contract(flat, Access(acc, Z, e1), Access(Ref("inb", Z, "b"), Z, e1), Access(Ref("ident"), Z), lanes,
                 note="+ b"),
    ]
    for act in actions:
        body.append(Elementwise(act[1], flat, Access(acc, Z, e1), imm=act[2]))
    body.append(Copy("store", acc, Region("out", (Z, Z, Z, e0), (ONE, ONE, ONE, ee))))
    prologue = [Copy("load", Ref("ident"), Region("ident", (Z, Z, Z, Z), (ONE, ONE, ONE, ONE)))]
    tensors = (TensorDecl("a", MemType.INP, (1, 1, 1, p.elems), "input"),
               TensorDecl("b", MemType.INP, (1, 1, 1, p.elems), "input"),
               TensorDecl("ident", MemType.WGT, (1, 1, 1, 1), "const"),
               TensorDecl("out", MemType.OUT, (1, 1, 1, p.elems), "output"))
    buffers = (BufferDecl("ina", MemType.INP, 0, p.tile, 2, True),
               BufferDecl("inb", MemType.INP, 2 * p.tile, p.tile, 2, True),
               BufferDecl("ident", MemType.WGT, 0, 1, 1, False),
               BufferDecl("acc", MemType.ACC, layout.area(0)[0], p.tile, p.vthreads, False, layout.area(0)[1]))
    attrs = (("tiles", f"elements={p.tile} vthreads={p.vthreads}"), ("vthread_loop", bind or "none"),
             ("acc_layout", layout.text()), ("intrinsic", lanes))
    return Func(name, tensors, buffers, tuple(prologue + nest_loops(loops, body)), attrs, config=cfg)
