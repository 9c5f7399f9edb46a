"""Micro-op kernels: a list of micro-ops under up to two affine loops, GEMM or ALU.

    kb = KernelBuilder.gemm()                      # or .gemm(reset=True), .alu(AluOp.ADD, imm=3)
    kb.loop(4, dst=1, src=1, wgt=0)                # outer loop -> iter_out / *_factor_out
    kb.loop(2, dst=0, src=4, wgt=1)                # inner loop -> iter_in / *_factor_in
    kb.uop(dst=0, src=0, wgt=0); kb.uops(dst=..., src=..., wgt=...)
    kernel = kb.build()

As upstream's runtime, a kernel's loops all come before its micro-ops, and no
micro-op may target the same dst as either of the two before it (the pipeline
hazard rule). A kernel is immutable and hashable by content, so the command
queue can keep one copy per distinct kernel.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from vta.isa.config import Config
from vta.isa.encode import encode_uops
from vta.isa.insn import AluInsn, GemmInsn
from vta.isa.opcodes import AluOp

from .errors import JitError

MAX_LOOPS = 2
IMM_RANGE = (-(1 << 15), (1 << 15) - 1)


@dataclass(frozen=True)
class Loop:
    """One loop level: extent and the index step of dst, src and wgt per iteration."""

    extent: int
    dst: int = 0
    src: int = 0
    wgt: int = 0


@dataclass(frozen=True, eq=False)
class UopKernel:
    """A built kernel: mode, loop levels, micro-op columns (int64 arrays) and ALU settings."""

    mode: str  # "gemm" or "alu"
    loops: tuple[Loop, ...]
    dst: np.ndarray
    src: np.ndarray
    wgt: np.ndarray
    reset: bool = False
    alu_opcode: AluOp = AluOp.MIN
    use_imm: bool = False
    imm: int = 0
    key: str = field(default="", compare=False)

    def __len__(self) -> int:
        return len(self.dst)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UopKernel) and other.key == self.key

    def words(self, config: Config) -> np.ndarray:
        """The micro-ops encoded for `config` (uint32)."""
        return encode_uops(self.dst, self.src, self.wgt, config)

    def instruction(self, uop_bgn: int) -> GemmInsn | AluInsn:
        """The GEMM/ALU instruction running this kernel from UOP SRAM index `uop_bgn` (flags unset)."""
        loops = list(self.loops)
        if self.mode == "alu" and len(loops) == 1:
            loops = [Loop(1)] + loops  # upstream: a single ALU loop is the inner loop
        while len(loops) < 2:
            loops.append(Loop(1))
        outer, inner = loops
        common = dict(uop_bgn=uop_bgn, uop_end=uop_bgn + len(self), iter_out=outer.extent, iter_in=inner.extent,
                      dst_factor_out=outer.dst, dst_factor_in=inner.dst,
                      src_factor_out=outer.src, src_factor_in=inner.src)
        if self.mode == "gemm":
            return GemmInsn(reset_reg=self.reset, wgt_factor_out=outer.wgt, wgt_factor_in=inner.wgt, **common)
        return AluInsn(alu_opcode=self.alu_opcode, use_imm=self.use_imm, imm=self.imm, **common)

    def operation(self) -> str:
        """What the instruction does: "GEMM", "GEMM reset" or "ALU <op> [imm=..]"."""
        head = "GEMM reset" if self.mode == "gemm" and self.reset else self.mode.upper()
        if self.mode == "alu":
            head += f" {AluOp(self.alu_opcode).name}" + (f" imm={self.imm}" if self.use_imm else "")
        return head

    def shape(self) -> str:
        """The loops and the micro-op count: "[extent: dst+.. src+.. wgt+..] ... N uops"."""
        loops = " ".join(f"[{lp.extent}: dst+{lp.dst} src+{lp.src} wgt+{lp.wgt}]" for lp in self.loops)
        return f"{loops} {len(self)} uops" if loops else f"{len(self)} uops"

    def describe(self) -> str:
        return f"{self.operation()} {self.shape()}"


class KernelBuilder:
    """Records loops, then micro-ops, of one kernel (mirrors upstream's VTAUopLoopBegin/VTAUopPush)."""

    def __init__(self, mode: str, *, reset: bool = False, alu_opcode: AluOp = AluOp.MIN, imm: int | None = None,
                 hazard_check: bool = True) -> None:
        if mode not in ("gemm", "alu"):
            raise JitError(f"kernel mode must be 'gemm' or 'alu', got {mode!r}")
        if imm is not None and not IMM_RANGE[0] <= imm <= IMM_RANGE[1]:
            raise JitError(f"ALU immediate {imm} does not fit 16 signed bits {IMM_RANGE}")
        self.mode = mode
        self.reset = bool(reset)
        self.alu_opcode = AluOp(alu_opcode)
        self.imm = imm
        self.hazard_check = hazard_check  # off only for fuzzing the hardware's own hazard handling
        self._loops: list[Loop] = []
        self._cols: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    @classmethod
    def gemm(cls, reset: bool = False) -> "KernelBuilder":
        return cls("gemm", reset=reset)

    @classmethod
    def alu(cls, opcode: AluOp, imm: int | None = None) -> "KernelBuilder":
        """An ALU kernel; with `imm` the second operand is the immediate, else ACC[src]."""
        return cls("alu", alu_opcode=opcode, imm=imm)

    def loop(self, extent: int, dst: int = 0, src: int = 0, wgt: int = 0) -> "KernelBuilder":
        if self._cols:
            raise JitError("kernel loops must all be declared before the first micro-op")
        if len(self._loops) == MAX_LOOPS:
            raise JitError(f"a kernel has at most {MAX_LOOPS} loop levels")
        if extent < 1 or min(dst, src, wgt) < 0:
            raise JitError(f"loop extent must be >= 1 and factors >= 0, got extent={extent} dst={dst} src={src} wgt={wgt}")
        if self.mode == "alu" and wgt:
            raise JitError("ALU kernels have no weight index: loop wgt factor must be 0")
        self._loops.append(Loop(int(extent), int(dst), int(src), int(wgt)))
        return self

    def uop(self, dst: int, src: int = 0, wgt: int = 0) -> "KernelBuilder":
        return self.uops([dst], [src], [wgt])

    def uops(self, dst, src=None, wgt=None) -> "KernelBuilder":
        """Append many micro-ops at once (array-likes of equal length; src/wgt default to 0)."""
        d = np.asarray(dst, dtype=np.int64).reshape(-1)
        s = np.zeros_like(d) if src is None else np.broadcast_to(np.asarray(src, dtype=np.int64).reshape(-1), d.shape)
        w = np.zeros_like(d) if wgt is None else np.broadcast_to(np.asarray(wgt, dtype=np.int64).reshape(-1), d.shape)
        if d.size and min(d.min(), s.min(), w.min()) < 0:
            raise JitError("micro-op indices must be >= 0")
        if self.mode == "alu" and w.any():
            raise JitError("ALU micro-ops have no weight index: wgt must be 0")
        self._cols.append((d, np.array(s), np.array(w)))
        return self

    def build(self) -> UopKernel:
        if not self._cols:
            raise JitError("a kernel needs at least one micro-op")
        dst = np.concatenate([c[0] for c in self._cols])
        src = np.concatenate([c[1] for c in self._cols])
        wgt = np.concatenate([c[2] for c in self._cols])
        for lag in (1, 2) if self.hazard_check else ():
            clash = np.flatnonzero(dst[lag:] == dst[:-lag]) if len(dst) > lag else np.zeros(0, np.int64)
            if clash.size:
                i = int(clash[0]) + lag
                raise JitError(
                    f"micro-op {i} writes dst {int(dst[i])}, as micro-op {i - lag} does: a micro-op may not share "
                    "its dst with either of the two before it (pipeline hazard rule); reorder the micro-ops")
        use_imm = self.imm is not None
        digest = hashlib.blake2b(digest_size=16)
        digest.update(repr((self.mode, self.reset, int(self.alu_opcode), use_imm, self.imm or 0, self._loops)).encode())
        for col in (dst, src, wgt):
            digest.update(col.tobytes())
        return UopKernel(self.mode, tuple(self._loops), dst, src, wgt, reset=self.reset, alu_opcode=self.alu_opcode,
                         use_imm=use_imm, imm=self.imm or 0, key=digest.hexdigest())
