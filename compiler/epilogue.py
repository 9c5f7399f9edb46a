"""Epilogue steps: elementwise work on the int32 accumulator before the int8 store, in the order given.

    epilogue = (ops.Shr(8), ops.AddBias(), ops.Clip(0, 127))

Each step lowers to VTA ALU instructions (AddResidual to a GEMM against an
identity weight block, which adds the sign-extended int8 residual exactly).
The final STORE keeps the low 8 bits of each lane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import CompileError

IMM_MIN, IMM_MAX = -(1 << 15), (1 << 15) - 1


class Step:
    """Base class of epilogue steps."""

    def alu(self) -> list[tuple[str, object]]:
        """(elementwise op, immediate) pairs for immediate steps; [] for tensor steps."""
        return []


@dataclass(frozen=True)
class Shr(Step):
    """Arithmetic shift right by n (n < 0: shift left by -n), isa/semantics.md SHR."""

    n: int

    def alu(self) -> list[tuple[str, object]]:
        return [("shr", self.n)] if not isinstance(self.n, int) or self.n >= 0 else [("shl", -self.n)]


@dataclass(frozen=True)
class AddImm(Step):
    c: int

    def alu(self) -> list[tuple[str, object]]:
        return [("add", self.c)]


@dataclass(frozen=True)
class MulImm(Step):
    c: int

    def alu(self) -> list[tuple[str, object]]:
        return [("mul", self.c)]


@dataclass(frozen=True)
class MinImm(Step):
    c: int

    def alu(self) -> list[tuple[str, object]]:
        return [("min", self.c)]


@dataclass(frozen=True)
class MaxImm(Step):
    c: int

    def alu(self) -> list[tuple[str, object]]:
        return [("max", self.c)]


@dataclass(frozen=True)
class Clip(Step):
    """MaxImm(lo) then MinImm(hi)."""

    lo: int
    hi: int

    def alu(self) -> list[tuple[str, object]]:
        return [("clip", (self.lo, self.hi))]


@dataclass(frozen=True)
class Relu(Step):
    """MaxImm(0)."""

    def alu(self) -> list[tuple[str, object]]:
        return [("relu", None)]


@dataclass(frozen=True)
class AddBias(Step):
    """+ the op's per-output-channel int32 bias (held in ACC)."""


@dataclass(frozen=True)
class AddResidual(Step):
    """+ a second int8 tensor of the output's shape, passed to run()."""


#: One lowered epilogue action: ("alu", op, imm), ("bias",) or ("residual",); op is an elementwise op of
#: tensorize_alu (add, mul, min, max, shr, shl, clip with imm (lo, hi), relu with imm None).
Action = tuple


def lower_epilogue(op: str, epilogue: tuple | list, *, has_bias: bool, allow_residual: bool = True,
                   allow_bias: bool = True) -> list[Action]:
    """Validate an epilogue and flatten it into actions; CompileError naming the op and the bad step."""
    actions: list[Action] = []
    seen_residual = False
    for i, step in enumerate(epilogue):
        if not isinstance(step, Step):
            raise CompileError(f"{op}: epilogue step {i} is {step!r}, not an ops epilogue step "
                               "(Shr, AddImm, MulImm, MinImm, MaxImm, Clip, Relu, AddBias, AddResidual)")
        if isinstance(step, AddBias):
            if not allow_bias:
                raise CompileError(f"{op}: epilogue step {i} AddBias: this op has no bias operand")
            if not has_bias:
                raise CompileError(f"{op}: epilogue step {i} AddBias needs a bias, but bias=None was given")
            actions.append(("bias",))
            continue
        if isinstance(step, AddResidual):
            if not allow_residual:
                raise CompileError(f"{op}: epilogue step {i} AddResidual is not supported by this op")
            if seen_residual:
                raise CompileError(f"{op}: epilogue step {i}: AddResidual may appear only once (one residual tensor)")
            seen_residual = True
            actions.append(("residual",))
            continue
        for alu_op, imm in step.alu():
            values = () if imm is None else imm if isinstance(imm, tuple) else (imm,)
            for v in values:
                if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not IMM_MIN <= int(v) <= IMM_MAX:
                    raise CompileError(f"{op}: epilogue step {i} {step!r}: immediate {v!r} does not fit the ALU's "
                                       f"16-bit signed field [{IMM_MIN}, {IMM_MAX}]")
            if alu_op == "shl" and int(imm) > IMM_MAX:
                raise CompileError(f"{op}: epilogue step {i} {step!r}: a left shift by {imm} does not fit the ALU's "
                                   "16-bit signed field")
            norm = tuple(int(v) for v in values) if isinstance(imm, tuple) else (None if imm is None else int(imm))
            actions.append(("alu", alu_op, norm))
    return actions


#: ALU instructions per elementwise op (clip is MAX then MIN; copy from a tensor is MUL 0 then ADD).
ALU_INSTRUCTIONS = {"clip": 2}


def alu_instructions(actions: list[Action]) -> int:
    """ALU instructions the epilogue's immediate steps lower to (for the cost model)."""
    return sum(ALU_INSTRUCTIONS.get(a[1], 1) for a in actions if a[0] == "alu")


def reference_epilogue(acc: np.ndarray, actions: list[Action], bias_per_channel: np.ndarray | None = None,
                       residual: np.ndarray | None = None, channel_axis: int = 1) -> np.ndarray:
    """Plain numpy meaning of lowered actions on an int32 array (what the ALU computes), then int8."""
    a = acc.astype(np.int64)
    for act in actions:
        if act[0] == "bias":
            shape = [1] * a.ndim
            shape[channel_axis] = -1
            a = a + bias_per_channel.astype(np.int64).reshape(shape)
        elif act[0] == "residual":
            a = a + residual.astype(np.int64)
        else:
            _, op, imm = act
            if op == "add":
                a = a + imm
            elif op == "mul":
                a = a * imm
            elif op == "min":
                a = np.minimum(a, imm)
            elif op == "max":
                a = np.maximum(a, imm)
            elif op == "clip":
                a = np.minimum(np.maximum(a, imm[0]), imm[1])
            elif op == "relu":
                a = np.maximum(a, 0)
            elif op == "shl":
                a = a << min(imm, 32)
            else:
                a = a >> min(imm, 31) if imm >= 0 else (a << min(-imm, 32))
        a = ((a + (1 << 31)) % (1 << 32)) - (1 << 31)  # int32 wrap after every ALU step
    return a.astype(np.int8)
