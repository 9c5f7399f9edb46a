"""`vta asm` and `vta disasm`: text assembly <-> binary instruction (and micro-op) files."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from vta.isa import Config, IsaError
from vta.isa.asm import assemble_file, disasm, disasm_bytes
from vta.isa.encode import decode_uop


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("asm", help="assemble a text file into 16-byte instructions (and 4-byte micro-ops)")
    p.add_argument("file")
    p.add_argument("-o", "--output", help="instruction file (default: FILE with .bin)")
    p.add_argument("--config", default="default")
    p.set_defaults(func=run_asm)
    d = sub.add_parser("disasm", help="disassemble a binary instruction file")
    d.add_argument("file")
    d.add_argument("--uops", help="also disassemble a micro-op file")
    d.add_argument("--config", default="default")
    d.set_defaults(func=run_disasm)


def run_asm(args: argparse.Namespace) -> int:
    cfg = Config.load(args.config)
    prog = assemble_file(args.file, cfg)
    out = Path(args.output) if args.output else Path(args.file).with_suffix(".bin")
    out.write_bytes(prog.insn_bytes(cfg))
    print(f"wrote {len(prog.insns)} instructions to {out}")
    if prog.uops:
        uop_path = out.with_suffix(".uop.bin")
        uop_path.write_bytes(prog.uop_bytes(cfg))
        print(f"wrote {len(prog.uops)} micro-ops to {uop_path}")
    return 0


def run_disasm(args: argparse.Namespace) -> int:
    cfg = Config.load(args.config)
    path = Path(args.file)
    if not path.is_file():
        raise IsaError(f"instruction file {str(path)!r} does not exist")
    data = path.read_bytes()
    if len(data) % 16:
        raise IsaError(f"{path}: {len(data)} bytes is not a whole number of 16-byte instructions")
    for i in range(0, len(data), 16):
        print(disasm_bytes(data[i : i + 16], cfg))
    if args.uops:
        words = np.frombuffer(Path(args.uops).read_bytes(), dtype="<u4")
        for w in words.tolist():
            print(disasm(decode_uop(w, cfg)))
    return 0
