"""ACC placement: where each virtual thread's accumulator areas and its copy of the ACC constants live.

The compute stage issues a GEMM and an ALU instruction together (dual issue) when their
ACC footprints lie in different banks: bank(i) = 0 if i < acc_depth // 2 else 1 (OUT, of
the same depth, is banked alike). A footprint is every dst index an instruction touches,
and for an ALU instruction without an immediate every src index too. So with two
virtual threads each thread keeps its compute instructions in one bank: thread t's areas
(the conv accumulator tile; pooling's output tile and input copy) and a copy of every ACC
constant its ALU instructions read as a tensor src (the ALU-form bias, MIN-init's
per-channel values) sit in bank t:

    banked   [t0: area 0 | area 1 | .. | consts copy 0 | free][t1: area 0 | area 1 | .. | consts copy 1 | free]
              0                                                acc_depth // 2
    packed   [area 0: t0, t1 | area 1: t0, t1 | .. | consts]     (one copy of the constants)

Banked when two threads run and one thread's areas plus the constants fit half the ACC;
otherwise (one thread, or a tile too big for a bank) packed, where the threads may share
a bank and then wait for each other. Whatever fits banked fits packed (S + c <= D/2
implies 2S + c <= D), so a plan's ACC capacity is the packed layout's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccLayout:
    """The ACC bases of a schedule's per-thread areas and of its constant copies (module docstring)."""

    depth: int  # ACC elements
    areas: tuple[int, ...]  # elements per thread of each area, in placement order
    consts: int  # elements of the ACC constants (copied into each bank when banked)
    regions: int  # regions of each area: the schedule's virtual threads (1 or 2)
    banked: bool

    @property
    def bank(self) -> int:
        """ACC elements per bank."""
        return self.depth // 2

    def area(self, k: int) -> tuple[int, int]:
        """(ACC base of thread 0's region, distance to thread 1's region) of area k."""
        if self.banked:
            return sum(self.areas[:k]), self.bank
        return self.regions * sum(self.areas[:k]), self.areas[k]

    @property
    def const_copies(self) -> int:
        """Copies of the constants: one per bank when banked (thread t reads copy t), else one."""
        return 2 if self.banked else 1

    def constants(self) -> tuple[int, int]:
        """(ACC base of copy 0, distance to copy 1) of the constants."""
        if self.banked:
            return sum(self.areas), self.bank
        return self.regions * sum(self.areas), self.consts

    def text(self) -> str:
        areas = " + ".join(map(str, self.areas))
        consts = f" + {self.consts} const" if self.consts else ""
        if self.banked:
            return f"banked: {areas}{consts} in each {self.bank}-element bank"
        return f"packed: {self.regions} x ({areas}){consts} of {self.depth}"


def fits_bank(per_thread, consts, depth: int):
    """Whether one thread's ACC areas plus the constants fit a bank (ints, or numpy arrays in a tiling search)."""
    return per_thread + consts <= depth // 2


def plan_acc(depth: int, areas: tuple[int, ...], consts: int, regions: int, threads: int) -> AccLayout | None:
    """The banked layout when `threads` (virtual threads that run: 2 needs a second tile) is 2 and one
    thread's areas plus the constants fit a bank; else the packed one; None when that does not fit either.
    `regions`: the regions each area declares (the plan's vthreads)."""
    per_thread = sum(areas)
    if threads == 2 and regions == 2 and fits_bank(per_thread, consts, depth):
        return AccLayout(depth, tuple(areas), consts, regions, True)
    if regions * per_thread + consts <= depth:
        return AccLayout(depth, tuple(areas), consts, regions, False)
    return None
