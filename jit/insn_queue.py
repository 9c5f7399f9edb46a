"""The instruction stream under construction and its dependency tokens (upstream's InsnQueue).

Stages are load (1), compute (2), store (3). `dep_push(a, b)` makes the last
instruction of stage a push a token toward b (or appends a NOP that does);
`dep_pop(a, b)` makes the next instruction of stage b wait for one. The
serial mode rewrites every adjacent pair of stages to run one after another,
the debug aid for suspected missing dependencies (stronger than upstream's, which
only linked adjacent pairs and so could let a STORE overtake a GEMM across a LOAD).
"""

from __future__ import annotations

from vta.isa.insn import FinishInsn, Insn, MemInsn
from vta.isa.opcodes import MemType, Opcode, Stage

from .errors import JitError

_PAIRS = {(Stage.LOAD, Stage.COMPUTE), (Stage.COMPUTE, Stage.LOAD), (Stage.COMPUTE, Stage.STORE), (Stage.STORE, Stage.COMPUTE)}


def nop(stage: Stage) -> MemInsn:
    """Dependency-only instruction of a stage (x_size 0), encoded as upstream does."""
    if stage == Stage.LOAD:
        return MemInsn(opcode=Opcode.LOAD, memory_type=MemType.INP)
    if stage == Stage.COMPUTE:
        return MemInsn(opcode=Opcode.LOAD, memory_type=MemType.UOP)
    return MemInsn(opcode=Opcode.STORE, memory_type=MemType.UOP)


class InsnQueue:
    """Instructions in program order, with pending pops applied to each stage's next instruction."""

    def __init__(self) -> None:
        self.insns: list[Insn] = []
        self._pending_prev = {s: False for s in Stage}
        self._pending_next = {s: False for s in Stage}

    def __len__(self) -> int:
        return len(self.insns)

    def append(self, insn: Insn) -> int:
        """Add an instruction (flags unset), folding in its stage's pending pops; returns its index."""
        stage = insn.stage
        if self._pending_prev[stage] or self._pending_next[stage]:
            insn = insn.replace(pop_prev_dep=self._pending_prev[stage], pop_next_dep=self._pending_next[stage])
            self._pending_prev[stage] = self._pending_next[stage] = False
        self.insns.append(insn)
        return len(self.insns) - 1

    def commit_pending_pop(self, stage: Stage) -> None:
        if self._pending_prev[stage] or self._pending_next[stage]:
            self.append(nop(stage))

    def dep_pop(self, src: Stage, dst: Stage) -> None:
        """The next instruction of stage `dst` waits for a token from stage `src`."""
        _check_pair(src, dst)
        pending = self._pending_prev if src < dst else self._pending_next
        if pending[dst]:
            self.commit_pending_pop(dst)
        pending[dst] = True

    def dep_push(self, src: Stage, dst: Stage) -> None:
        """The latest instruction of stage `src` sends a token to stage `dst`."""
        _check_pair(src, dst)
        self.commit_pending_pop(src)
        flag = "push_next_dep" if src < dst else "push_prev_dep"
        if self.insns and self.insns[-1].stage == src and not getattr(self.insns[-1], flag):
            self.insns[-1] = self.insns[-1].replace(**{flag: True})
        else:
            self.insns.append(nop(src).replace(**{flag: True}))

    def finish(self) -> None:
        """Balance tokens so FINISH waits for the load and store stages, then append FINISH."""
        self.dep_push(Stage.STORE, Stage.COMPUTE)
        self.dep_push(Stage.LOAD, Stage.COMPUTE)
        self.dep_pop(Stage.STORE, Stage.COMPUTE)
        self.dep_pop(Stage.LOAD, Stage.COMPUTE)
        self.commit_pending_pop(Stage.COMPUTE)
        self.insns.append(FinishInsn())

    def serialize(self) -> None:
        """Rewrite flags so every instruction waits for all earlier ones of the stages it can talk to.

        For each instruction X of stage B and each neighbour stage A (load/store for
        compute, compute for load and store): if an A instruction ran since B's previous
        instruction, the latest such one pushes a token to B and X pops it. Load and
        store share no buffers, so ordering them through compute is enough.
        """
        insns = [i.replace(pop_prev_dep=False, pop_next_dep=False, push_prev_dep=False, push_next_dep=False)
                 for i in self.insns]
        last_of: dict[Stage, int] = {}
        for k, insn in enumerate(insns):
            b = insn.stage
            for a in (Stage.LOAD, Stage.COMPUTE, Stage.STORE):
                if (a, b) not in _PAIRS or a not in last_of:
                    continue
                y = last_of[a]
                if y > last_of.get(b, -1):
                    push = "push_next_dep" if a < b else "push_prev_dep"
                    pop = "pop_prev_dep" if a < b else "pop_next_dep"
                    insns[y] = insns[y].replace(**{push: True})
                    insns[k] = insns[k].replace(**{pop: True})
            last_of[b] = k
        self.insns = insns
        self._pending_prev = {s: False for s in Stage}
        self._pending_next = {s: False for s in Stage}


def _check_pair(src: Stage, dst: Stage) -> None:
    if (Stage(src), Stage(dst)) not in _PAIRS:
        raise JitError(f"no dependency path from the {Stage(src).name.lower()} stage to the "
                       f"{Stage(dst).name.lower()} stage (only load<->compute and compute<->store)")
