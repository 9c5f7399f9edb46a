"""Text assembler and disassembler (round-trip exact), driven by the field tables.

One instruction or micro-op per line:

    LOAD INP sram_base=0 dram_base=0x100 y_size=1 x_size=16 x_stride=16 pop_next push_next
    GEMM reset uop_bgn=0 uop_end=4 iter_out=2 dst_factor_out=4
    ALU SHR uop_bgn=4 uop_end=5 use_imm=1 imm=-3
    STORE OUT sram_base=0 dram_base=64 y_size=1 x_size=16 x_stride=16 pop_prev push_prev
    FINISH
    UOP dst_idx=1 src_idx=2 wgt_idx=3

Fields left out are zero, except iter_out/iter_in which default to 1 as a
convenience when a whole nest is omitted. `#` starts a comment. The
disassembler prints every field that differs from those defaults, so
asm(disasm(x)) == x for every decodable instruction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .encode import _plan, decode_insn, encode_insn, encode_uop
from .errors import IsaError
from .fields import Kind
from .insn import AluInsn, FinishInsn, GemmInsn, Insn, MemInsn, Uop
from .opcodes import AluOp, MemType, Opcode

_FLAGS = {"pop_prev": "pop_prev_dep", "pop_next": "pop_next_dep", "push_prev": "push_prev_dep",
          "push_next": "push_next_dep", "reset": "reset_reg"}
_FLAG_NAMES = {v: k for k, v in _FLAGS.items()}
_DEFAULT_ONE = {"iter_out", "iter_in"}
_HEX_FIELDS = {"dram_base"}


def _enum_text(enum: type, value: int, prefix: str) -> str:
    try:
        return enum(value).name
    except ValueError:
        return f"{prefix}{int(value)}"


def disasm(insn: Insn | Uop) -> str:
    """One line of assembly for an instruction or micro-op."""
    if isinstance(insn, Uop):
        return f"UOP dst_idx={insn.dst_idx} src_idx={insn.src_idx} wgt_idx={insn.wgt_idx}"
    if isinstance(insn, MemInsn):
        head = [Opcode(insn.opcode).name, _enum_text(MemType, insn.memory_type, "mem")]
        skip = {"opcode", "memory_type"}
    elif isinstance(insn, AluInsn):
        head = ["ALU", _enum_text(AluOp, insn.alu_opcode, "aluop")]
        skip = {"opcode", "alu_opcode"}
    elif isinstance(insn, GemmInsn):
        head, skip = ["GEMM"], {"opcode"}
    else:
        head, skip = ["FINISH"], {"opcode"}
    parts, flags = list(head), []
    for f in _table_fields(insn.KIND):
        if f in skip or (isinstance(insn, FinishInsn) and f not in _FLAG_NAMES):
            continue
        value = getattr(insn, f, 0)
        if f in _FLAG_NAMES:
            if value:
                flags.append(_FLAG_NAMES[f])
            continue
        default = 1 if f in _DEFAULT_ONE else 0
        if isinstance(insn, MemInsn) and insn.x_size and f in ("y_size", "x_size", "x_stride", "sram_base", "dram_base"):
            default = None  # always printed: they say what moves where
        if value != default:
            parts.append(f"{f}={value:#x}" if f in _HEX_FIELDS else f"{f}={int(value)}")
    return " ".join(parts + flags)


def _table_fields(kind: Kind) -> list[str]:
    from .fields import TABLES

    return [f.name for f in TABLES[kind]]


def disasm_bytes(data: bytes, config: Config) -> str:
    """Disassemble 16 bytes; an undecodable instruction prints as its raw words."""
    try:
        return disasm(decode_insn(data, config))
    except IsaError as exc:
        lo = int.from_bytes(data[:8], "little")
        hi = int.from_bytes(data[8:16], "little")
        return f".insn {lo:#018x} {hi:#018x}  # {exc}"


@dataclass
class Program:
    """Result of assembling a text file: instructions and micro-ops, in order."""

    insns: list[Insn]
    uops: list[Uop]

    def insn_bytes(self, config: Config) -> bytes:
        return b"".join(encode_insn(i, config) for i in self.insns)

    def uop_bytes(self, config: Config) -> bytes:
        return b"".join(encode_uop(u, config).to_bytes(4, "little") for u in self.uops)


def assemble(text: str, config: Config, origin: str = "<text>") -> Program:
    """Parse assembly; IsaError names the file, line and the problem."""
    insns: list[Insn] = []
    uops: list[Uop] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            item = parse_line(line, config)
        except IsaError as exc:
            raise IsaError(f"{origin}:{lineno}: {exc} (in: {raw.strip()!r})") from None
        (uops if isinstance(item, Uop) else insns).append(item)
    return Program(insns, uops)


def assemble_file(path: str | Path, config: Config) -> Program:
    p = Path(path)
    if not p.is_file():
        raise IsaError(f"assembly file {str(p)!r} does not exist")
    return assemble(p.read_text(), config, origin=str(p))


def parse_line(line: str, config: Config) -> Insn | Uop:
    tokens = line.split()
    mnemonic = tokens[0].upper()
    rest = tokens[1:]
    values: dict[str, int] = {}
    if mnemonic in ("LOAD", "STORE"):
        if not rest:
            raise IsaError(f"{mnemonic} needs a memory type ({', '.join(m.name for m in MemType)})")
        values["memory_type"] = _parse_enum(MemType, rest[0], "mem", "memory type")
        rest = rest[1:]
        kind, cls = Kind.MEM, MemInsn
        values["opcode"] = Opcode[mnemonic]
    elif mnemonic == "ALU":
        if not rest:
            raise IsaError(f"ALU needs an operation ({', '.join(a.name for a in AluOp)})")
        values["alu_opcode"] = _parse_enum(AluOp, rest[0], "aluop", "ALU operation")
        rest = rest[1:]
        kind, cls = Kind.ALU, AluInsn
    elif mnemonic == "GEMM":
        kind, cls = Kind.GEMM, GemmInsn
    elif mnemonic == "FINISH":
        kind, cls = Kind.FINISH, FinishInsn
    elif mnemonic == "UOP":
        return _parse_uop(rest, config)
    else:
        raise IsaError(f"unknown mnemonic {tokens[0]!r} (LOAD, STORE, GEMM, ALU, FINISH, UOP)")
    allowed = {name for name, *_ in _plan(kind, config)} - {"opcode", "memory_type", "alu_opcode"}
    if kind is Kind.FINISH:
        allowed = {"pop_prev_dep", "pop_next_dep", "push_prev_dep", "push_next_dep"}
    for tok in rest:
        if "=" not in tok:
            name = _FLAGS.get(tok.lower())
            if name is None or name not in allowed:
                raise IsaError(f"unknown flag {tok!r} for {mnemonic}")
            values[name] = 1
            continue
        key, _, text = tok.partition("=")
        if key not in allowed:
            raise IsaError(f"{mnemonic} has no field {key!r} (fields: {', '.join(sorted(allowed))})")
        values[key] = _parse_int(text, key)
    insn = _make(cls, values)
    encode_insn(insn, config)  # range-check every field now, with the line number
    return insn


def _make(cls: type[Insn], values: dict[str, int]) -> Insn:
    from .encode import _build

    kind = cls.KIND
    full = {"iter_out": 1, "iter_in": 1} if kind in (Kind.GEMM, Kind.ALU) else {}
    full.update(values)
    return _build(kind, full)


def _parse_uop(rest: list[str], config: Config) -> Uop:
    values = {}
    for tok in rest:
        key, sep, text = tok.partition("=")
        if not sep or key not in ("dst_idx", "src_idx", "wgt_idx"):
            raise IsaError(f"UOP takes dst_idx=, src_idx=, wgt_idx=; got {tok!r}")
        values[key] = _parse_int(text, key)
    uop = Uop(**values)
    encode_uop(uop, config)
    return uop


def _parse_enum(enum: type, text: str, prefix: str, what: str) -> int:
    up = text.upper()
    if up in enum.__members__:
        return enum[up]
    if text.lower().startswith(prefix) and text[len(prefix):].isdigit():
        return int(text[len(prefix):])
    raise IsaError(f"unknown {what} {text!r} ({', '.join(enum.__members__)})")


def _parse_int(text: str, key: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise IsaError(f"field {key}: {text!r} is not an integer") from None
