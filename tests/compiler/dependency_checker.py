"""Independent check of an instruction stream's dependency tokens (not part of the compiler).

fsim executes a stream in program order, so a missing token never changes its
result; hardware runs the three stages concurrently. This checker computes the
happens-before order that the flags guarantee (each stage in order; the k-th pop
of a token queue after its k-th push) and verifies that every pair of
instructions in different stages touching the same SRAM element, one of them
writing it, is ordered by it.
"""

from __future__ import annotations

import numpy as np

from vta.isa.encode import decode_uops
from vta.isa.insn import AluInsn, GemmInsn, MemInsn
from vta.isa.opcodes import MemType, Opcode, Stage

L2G, G2L, S2G, G2S = range(4)


def _flags(insn) -> tuple[list[int], list[int]]:
    st = insn.stage
    pops, pushes = [], []
    if st == Stage.LOAD:
        if insn.pop_next_dep:
            pops.append(G2L)
        if insn.push_next_dep:
            pushes.append(L2G)
    elif st == Stage.STORE:
        if insn.pop_prev_dep:
            pops.append(G2S)
        if insn.push_prev_dep:
            pushes.append(S2G)
    else:
        if insn.pop_prev_dep:
            pops.append(L2G)
        if insn.pop_next_dep:
            pops.append(S2G)
        if insn.push_prev_dep:
            pushes.append(G2L)
        if insn.push_next_dep:
            pushes.append(G2S)
    return pops, pushes


def check_dependencies(device, insns: list) -> int:
    """Raise AssertionError on an unordered conflict; return the number of conflicting pairs checked."""
    cfg = device.config
    uop = np.zeros((3, cfg.uop_depth), dtype=np.int64)
    stage_idx = {Stage.LOAD: 0, Stage.COMPUTE: 1, Stage.STORE: 2}
    seq = [0, 0, 0]
    last_vc = [np.zeros(3, np.int64) for _ in range(3)]
    pushes: list[list[np.ndarray]] = [[], [], [], []]
    popped = [0, 0, 0, 0]
    vcs, seqno, stage_of = [], [], []
    mems = {"inp": cfg.inp_depth, "wgt": cfg.wgt_depth, "out": cfg.acc_depth}
    last_writer = {m: np.full(d, -1, np.int64) for m, d in mems.items()}
    last_reader = {m: np.full((3, d), -1, np.int64) for m, d in mems.items()}
    checked = 0

    def hb(a: int, b: int) -> bool:
        return vcs[b][stage_of[a]] >= seqno[a]

    def access(i: int, mem: str, idx: np.ndarray, write: bool) -> None:
        nonlocal checked
        s = stage_of[i]
        idx = np.unique(idx)
        for w in np.unique(last_writer[mem][idx]):
            if w >= 0 and stage_of[w] != s:
                checked += 1
                assert hb(w, i), f"instruction {i} ({insns[i]}) {'writes' if write else 'reads'} {mem} that " \
                                 f"instruction {w} ({insns[w]}) wrote, with no token ordering them"
        if write:
            for s2 in range(3):
                if s2 == s:
                    continue
                for r in np.unique(last_reader[mem][s2][idx]):  # readers since the last write
                    if r >= 0:
                        checked += 1
                        assert hb(r, i), f"instruction {i} ({insns[i]}) overwrites {mem} that instruction {r} " \
                                         f"({insns[r]}) reads, with no token ordering them"
            last_writer[mem][idx] = i
            last_reader[mem][:, idx] = -1
        else:
            last_reader[mem][s][idx] = i

    for i, insn in enumerate(insns):
        s = stage_idx[insn.stage]
        pops, push = _flags(insn)
        v = last_vc[s].copy()
        for q in pops:
            k = popped[q]
            popped[q] += 1
            assert k < len(pushes[q]), f"instruction {i} pops token queue {q} before the matching push is issued"
            v = np.maximum(v, pushes[q][k])
        seq[s] += 1
        v[s] = seq[s]
        vcs.append(v)
        seqno.append(seq[s])
        stage_of.append(s)
        last_vc[s] = v
        for q in push:
            pushes[q].append(v)
        if isinstance(insn, MemInsn):
            if insn.x_size == 0:
                continue
            n = (insn.x_pad_0 + insn.x_size + insn.x_pad_1) * (insn.y_pad_0 + insn.y_size + insn.y_pad_1)
            if insn.opcode == Opcode.STORE:
                access(i, "out", insn.sram_base + np.arange(insn.x_size * insn.y_size), write=False)
            elif insn.memory_type == MemType.UOP:
                words = device.read(insn.dram_base * 4, insn.x_size * 4).view(np.uint32)
                d, sr, w = decode_uops(words, cfg)
                uop[:, insn.sram_base : insn.sram_base + insn.x_size] = np.stack([d, sr, w])
            elif insn.memory_type in (MemType.INP, MemType.WGT):
                mem = "inp" if insn.memory_type == MemType.INP else "wgt"
                access(i, mem, insn.sram_base + np.arange(n), write=True)
        elif isinstance(insn, (GemmInsn, AluInsn)):
            sl = slice(insn.uop_bgn, insn.uop_end)
            y = np.arange(insn.iter_out)[:, None, None]
            x = np.arange(insn.iter_in)[None, :, None]
            dst = (uop[0, sl][None, None, :] + y * insn.dst_factor_out + x * insn.dst_factor_in).reshape(-1)
            if isinstance(insn, GemmInsn) and not insn.reset_reg:
                src = (uop[1, sl][None, None, :] + y * insn.src_factor_out + x * insn.src_factor_in).reshape(-1)
                wgt = (uop[2, sl][None, None, :] + y * insn.wgt_factor_out + x * insn.wgt_factor_in).reshape(-1)
                access(i, "inp", src, write=False)
                access(i, "wgt", wgt, write=False)
            if not (isinstance(insn, GemmInsn) and insn.reset_reg):  # a reset clears ACC, not OUT
                access(i, "out", dst, write=True)
    for q in range(4):
        assert popped[q] <= len(pushes[q])
    return checked
