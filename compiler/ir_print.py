"""Text form of the loop IR: one line per statement, indented by nesting."""

from __future__ import annotations

from .loop_ir import (Axis, Contract, Copy, Dma, DmaGroup, Elementwise, Fill, For, Func, If, NestAxis, Stmt,
                      UopNest)


def _axes_text(axes: tuple[Axis, ...] | tuple[NestAxis, ...]) -> str:
    return ", ".join(f"{a.var}<{a.extent}" for a in axes)


def _with_body(head: str, body: tuple[Stmt, ...], indent: int) -> list[str]:
    lines = ["  " * indent + head]
    for b in body:
        lines += stmt_lines(b, indent + 1)
    return lines


def stmt_lines(s: Stmt, indent: int = 0) -> list[str]:
    pad = "  " * indent
    if isinstance(s, For):
        return _with_body(f"{'vthread' if s.kind == 'vthread' else 'for'} {s.var} in 0..{s.extent}:", s.body, indent)
    if isinstance(s, If):
        return _with_body(f"if {s.cond}:", s.body, indent)
    if isinstance(s, Copy):
        arrow = "<-" if s.direction == "load" else "->"
        padded = [d for d, p in zip("nchw", s.pad) if p]
        extra = f"  (zero pad {','.join(padded)})" if padded else ""
        at = f"[{s.offset}:]" if s.offset != 0 else ""
        return [f"{pad}{s.ref.text()}{at} {arrow} {s.region.text()}{extra}"]
    if isinstance(s, Contract):
        b, j, k = s.lanes
        note = f"  # {s.note}" if s.note else ""
        return [f"{pad}for {_axes_text(s.axes)}, b<{b}, j<{j}, k<{k}:{note}",
                f"{pad}  {s.acc.text()}[b][j] += {s.inp.text()}[b][k] * {s.wgt.text()}[j][k]"]
    if isinstance(s, Fill):
        note = f"  # {s.note}" if s.note else ""
        return [f"{pad}for {_axes_text(s.axes)}: {s.dst.text()} = 0{note}"]
    if isinstance(s, Elementwise):
        imm = s.imm if not isinstance(s.imm, tuple) else ", ".join(map(str, s.imm))
        rhs = str(imm) if s.imm is not None else (s.src.text() if s.src is not None else "")
        sym = {"add": "+", "mul": "*", "shr": ">>", "shl": "<<"}.get(s.op)
        if sym:
            expr = f"{s.dst.text()} {sym} {rhs}"
        elif s.op == "copy":
            expr = rhs or s.dst.text()
        else:
            expr = f"{s.op}({s.dst.text()}{', ' + rhs if rhs else ''})"
        note = f"  # {s.note}" if s.note else ""
        return [f"{pad}for {_axes_text(s.axes)}: {s.dst.text()} = {expr}{note}"]
    if isinstance(s, DmaGroup):
        arrow = "<-" if s.direction == "load" else "->"
        return _with_body(f"block {s.ref.text()} {arrow} {s.region.text()}:", s.body, indent)
    if isinstance(s, Dma):
        op = "LOAD" if s.direction == "load" else "STORE"
        pads = "" if all(p == 0 for p in s.pads) else " pad=(" + ", ".join(str(p) for p in s.pads) + ")"
        return [f"{pad}{op} {s.mem.name} sram+{s.sram.text(paren=True)} dram={s.tensor}+{s.offset.text(paren=True)} "
                f"x={s.x} y={s.y} stride={s.stride}{pads}"]
    if isinstance(s, UopNest):
        if s.mode == "gemm":
            head = "GEMM reset" if s.reset else "GEMM"
            ops = f"{s.dst.text()}" if s.reset else f"{s.dst.text()} += {s.src.text()} . {s.wgt.text()}"
        else:
            head = f"ALU {s.alu_op.upper()}"
            rhs = f"imm {s.imm}" if s.imm is not None else s.src.text()
            ops = f"{s.dst.text()} , {rhs}"
        if s.loops is not None:
            loops = [a for name in s.loops for a in s.axes if a.var == name]
            uops = [a for a in s.axes if a.var not in s.loops]
            detail = f"loops[{_axes_text(tuple(loops))}] uops[{_axes_text(tuple(uops))}]"
        else:
            detail = f"[{_axes_text(s.axes)}]"
        steps = "; ".join(f"{a.var}: dst+{a.dst} src+{a.src} wgt+{a.wgt}" for a in s.axes)
        note = f"  # {s.note}" if s.note else ""
        return [f"{pad}{head} {detail}: {ops}{note}", f"{pad}    steps {steps}"]
    return [f"{pad}{s!r}"]


def print_func(func: Func) -> str:
    lines = [f"func {func.name}" + (f" for {func.config.bitstream}" if func.config is not None else "")]
    for t in func.tensors:
        lines.append(f"  dram   {t.text()}")
    for b in func.buffers:
        lines.append(f"  sram   {b.text()}")
    for key, value in func.attrs:
        lines.append(f"  attr   {key} = {value}")
    for s in func.body:
        lines += stmt_lines(s, 1)
    return "\n".join(lines)
