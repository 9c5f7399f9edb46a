"""The differential fuzzer itself, against a deliberately broken device (fsim that corrupts output).

No TSIM build is needed: the "device under test" is an fsim device that
flips a stored byte once a program has enough GEMM instructions, so the
smallest failing `ops` count is known independently of the shrinker.
"""

from __future__ import annotations

import numpy as np
import pytest

from vta.isa.config import Config
from vta.isa.encode import decode_program
from vta.isa.opcodes import Opcode
from vta.jit.fsim_device import FsimDevice
from vta.jit.fuzz import random_program
from vta.tsim.fuzz_diff import Case, Differ, cases, dram_bytes

CFG = Config()
GEMMS = 3


class CorruptingDevice(FsimDevice):
    """fsim, then: if the program has at least GEMMS GEMM instructions, flip the first byte its last STORE wrote
    (what="data"), or a byte just past the end of the DRAM allocations (what="stray")."""

    name = "broken"

    def __init__(self, config, what="data", **kw):
        super().__init__(config, **kw)
        self.what = what

    def _execute(self, insn_addr, insn_count, timeout_s):
        stats = super()._execute(insn_addr, insn_count, timeout_s)
        insns = decode_program(bytes(self.dram.data[insn_addr: insn_addr + 16 * insn_count]), self.config)
        if sum(i.opcode == Opcode.GEMM for i in insns) >= GEMMS:
            if self.what == "data":
                store = [i for i in insns if i.opcode == Opcode.STORE][-1]
                self.dram.data[store.dram_base * self.config.out_elem_bytes] ^= 0x5A
            else:
                end = max(a + n for a, n in self.dram.allocations())
                self.dram.data[end + 4096] ^= 1
        return stats


def _differ(what="data"):
    size = dram_bytes(CFG)
    return Differ(FsimDevice(CFG, dram_bytes=size), {"default": CorruptingDevice(CFG, what, dram_bytes=size)})


def _smallest_ops_with_gemms(seed, hazards, top):
    for ops in range(top + 1):
        prog = random_program(CFG, seed, ops, hazards)
        if sum(i.opcode == Opcode.GEMM for i in prog.insns) >= GEMMS:
            return ops
    return None


def test_cases_alternate_hazards_then_timings():
    got = cases(6, seed=10, ops=5, timings=("default", "slow"))
    assert [(c.seed, c.hazards, c.timing) for c in got] == [
        (10, True, "default"), (11, False, "default"), (12, True, "slow"), (13, False, "slow"),
        (14, True, "default"), (15, False, "default")]


def test_a_corrupted_output_is_found_and_shrunk_to_the_smallest_failing_program():
    with _differ() as differ:
        report = differ.run_batch(12, seed=40)
    assert report.failed > 0 and report.mismatches
    for m in report.mismatches:
        want = _smallest_ops_with_gemms(m.case.seed, m.case.hazards, m.case.ops)
        assert want is not None and m.minimal.ops == want, (m.case, want)
        assert m.differences[0].kind == "data" and "buffer 3 (out)" in m.differences[0].detail
        assert m.program_text == random_program(CFG, m.case.seed, want, m.case.hazards).text()
        text = m.text()
        assert f"seed={m.case.seed}" in text and f"smallest failing ops={want}" in text and "GEMM" in text
    assert report.as_dict()["mismatches"] == report.failed


def test_a_write_outside_the_buffers_is_found():
    case = next(Case(s, 24, True, "default") for s in range(100)
                if _smallest_ops_with_gemms(s, True, 24) is not None)
    with _differ("stray") as differ:
        diffs = differ.compare(case)
        assert [d.kind for d in diffs] == ["stray"]
        assert np.array_equal(differ.fsim.dram.data, differ.tsim["default"].dram.data)  # resynchronised


def test_identical_devices_pass():
    size = dram_bytes(CFG)
    with Differ(FsimDevice(CFG, dram_bytes=size), {"slow": FsimDevice(CFG, dram_bytes=size)}) as differ:
        report = differ.run_batch(20, seed=7)
    assert report.ok and report.programs == 20 and report.by_hazards == {"on": 10, "off": 10}


def test_unknown_timing_is_rejected():
    with pytest.raises(Exception, match="unknown DRAM timing 'warp'"):
        Differ(FsimDevice(CFG), {"warp": FsimDevice(CFG)})
