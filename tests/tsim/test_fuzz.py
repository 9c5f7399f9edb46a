"""Differential fuzzing on the real RTL: random valid programs give identical DRAM on fsim and TSIM.

Hazards on (micro-ops repeating a destination back to back) and off, each
over three DRAM timings; about half the programs work on both sides of the ACC
bank boundary, with neighbouring GEMM and ALU nests often in different banks
(the dual-issue cases). A failure prints the smallest failing program with
its seed; reproduce with `python bench/fuzz.py --n 1 --seed SEED --ops OPS`.
"""

from __future__ import annotations

import pytest

from vta.isa.config import Config
from vta.tsim.fuzz_diff import Differ

#: Programs per hazard mode on the default Config (CI; bench/fuzz.py runs many more).
PROGRAMS = 150


@pytest.fixture(scope="module")
def differ():
    with Differ.open(Config()) as d:
        yield d


@pytest.mark.parametrize("hazards", [True, False], ids=["hazards", "no_hazards"])
def test_random_programs_match_fsim(differ, hazards):
    seed = 1000 if hazards else 2000
    report = differ.run_batch(PROGRAMS, seed, hazards=(hazards,))
    assert report.programs == PROGRAMS and sum(report.by_timing.values()) == PROGRAMS
    assert len(report.by_timing) == 3
    assert report.ok, (f"{report.failed} of {report.programs} programs differ (seeds {seed}..{seed + PROGRAMS - 1});"
                       " smallest failing programs:\n" + "\n\n".join(m.text() for m in report.mismatches))
    assert report.tsim_cycles > 0


def test_long_programs_match_fsim(differ):
    """Fewer, longer programs: more instructions in flight between tokens."""
    report = differ.run_batch(30, 3000, ops=96)
    assert report.ok, "\n\n".join(m.text() for m in report.mismatches)
