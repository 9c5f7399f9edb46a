"""Binary encoding: instructions <-> 16 little-endian bytes, micro-ops <-> 4 bytes.

Generated from the field tables and the packing rule (layout.py). Besides the
scalar functions there are whole-program forms: `encode_program` for the JIT and
`decode_columns`, which turns a program into one numpy column per field for the
simulator.
"""

from __future__ import annotations

from dataclasses import fields as dc_fields
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from .config import Config
from .errors import IsaError
from .fields import Kind
from .insn import INSN_CLASSES, OPCODE_KIND, Insn, Uop
from .layout import Layout, insn_layout, uop_layout
from .opcodes import AluOp, MemType, Opcode

_ENUM_ATTRS = {"opcode": Opcode, "memory_type": MemType, "alu_opcode": AluOp}


@lru_cache(maxsize=256)
def _plan(kind: Kind, config: Config) -> tuple[tuple[str, int, int, int, bool], ...]:
    """(name, word, shift, mask, signed) per field: the encoder's precomputed recipe."""
    lay = insn_layout(kind, config)
    return tuple((s.name, s.lsb // 64, s.lsb % 64, s.mask, s.field.signed) for s in lay.slots)


def _check(kind_name: str, name: str, value: int, mask: int, signed: bool) -> int:
    width = mask.bit_length()
    if signed:
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        if not lo <= value <= hi:
            raise IsaError(f"{kind_name} field {name}={value} does not fit {width} signed bits [{lo}, {hi}]")
        return value & mask
    if not 0 <= value <= mask:
        raise IsaError(f"{kind_name} field {name}={value} does not fit {width} bits [0, {mask}]")
    return value


def encode_words(insn: Insn, config: Config) -> tuple[int, int]:
    """The two 64-bit words of an instruction; IsaError if a field is out of range."""
    words = [0, 0]
    kind = insn.KIND
    for name, word, shift, mask, signed in _plan(kind, config):
        value = int(getattr(insn, name, 0))  # FINISH has only its header; the rest is zero
        if value & ~mask or signed:  # slow path only when a check can fail
            value = _check(kind.name, name, value, mask, signed)
        words[word] |= value << shift
    return words[0], words[1]


def encode_insn(insn: Insn, config: Config) -> bytes:
    lo, hi = encode_words(insn, config)
    return lo.to_bytes(8, "little") + hi.to_bytes(8, "little")


def encode_program(insns: Iterable[Insn], config: Config) -> bytes:
    """Concatenated encodings of a list of instructions."""
    out = bytearray()
    for insn in insns:
        lo, hi = encode_words(insn, config)
        out += lo.to_bytes(8, "little")
        out += hi.to_bytes(8, "little")
    return bytes(out)


def opcode_of(data: bytes | Sequence[int]) -> int:
    return data[0] & 0x7


def decode_insn(data: bytes, config: Config) -> Insn:
    """Decode 16 bytes; IsaError for an unknown opcode."""
    if len(data) != 16:
        raise IsaError(f"an instruction is 16 bytes, got {len(data)}")
    lo = int.from_bytes(data[:8], "little")
    hi = int.from_bytes(data[8:], "little")
    opcode = lo & 0x7
    kind = OPCODE_KIND.get(opcode)
    if kind is None:
        raise IsaError(f"unknown opcode {opcode} (valid: {', '.join(f'{o.name}={o.value}' for o in Opcode)})")
    words = (lo, hi)
    values: dict[str, object] = {}
    for name, word, shift, mask, signed in _plan(kind, config):
        v = (words[word] >> shift) & mask
        if signed and v >> (mask.bit_length() - 1):
            v -= mask + 1
        values[name] = v
    return _build(kind, values)


def _build(kind: Kind, values: dict[str, object]) -> Insn:
    cls = INSN_CLASSES[kind]
    kwargs = {}
    for f in dc_fields(cls):
        if f.name not in values:
            continue
        v = values[f.name]
        enum = _ENUM_ATTRS.get(f.name)
        if enum is not None:
            try:
                v = enum(v)
            except ValueError:
                pass  # kept as a plain int; executing it is an error, decoding is not
        elif f.type in ("bool", bool):
            v = bool(v)
        kwargs[f.name] = v
    return cls(**kwargs)


def decode_program(data: bytes, config: Config) -> list[Insn]:
    if len(data) % 16:
        raise IsaError(f"instruction stream of {len(data)} bytes is not a multiple of 16")
    return [decode_insn(data[i : i + 16], config) for i in range(0, len(data), 16)]


# ---------------------------------------------------------------- micro-ops
@lru_cache(maxsize=256)
def _uop_plan(config: Config) -> tuple[tuple[str, int, int], ...]:
    return tuple((s.name, s.lsb, s.mask) for s in uop_layout(config).slots)


def encode_uop(uop: Uop, config: Config) -> int:
    word = 0
    for name, shift, mask in _uop_plan(config):
        value = int(getattr(uop, name))
        if value & ~mask:
            _check("UOP", name, value, mask, False)
        word |= value << shift
    return word


def decode_uop(word: int, config: Config) -> Uop:
    return Uop(**{name: (word >> shift) & mask for name, shift, mask in _uop_plan(config)})


def encode_uops(dst: np.ndarray, src: np.ndarray, wgt: np.ndarray, config: Config) -> np.ndarray:
    """Vectorized micro-op encoding to uint32 words (IsaError naming the first bad index)."""
    out = np.zeros(len(dst), dtype=np.uint32)
    for (name, shift, mask), col in zip(_uop_plan(config), (dst, src, wgt)):
        col = np.asarray(col, dtype=np.int64)
        bad = np.flatnonzero((col < 0) | (col > mask))
        if bad.size:
            i = int(bad[0])
            raise IsaError(f"micro-op {i}: field {name}={int(col[i])} does not fit {mask.bit_length()} bits [0, {mask}]")
        out |= (col.astype(np.uint32) & np.uint32(mask)) << np.uint32(shift)
    return out


def decode_uops(words: np.ndarray, config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized micro-op decoding: (dst, src, wgt) as int64 arrays."""
    w = np.asarray(words, dtype=np.uint32).astype(np.int64)
    cols = [(w >> shift) & mask for _, shift, mask in _uop_plan(config)]
    return cols[0], cols[1], cols[2]


# ---------------------------------------------------------------- columns
def program_words(data: bytes | np.ndarray) -> np.ndarray:
    """View an instruction stream as an (N, 2) array of little-endian uint64 words."""
    arr = np.frombuffer(data, dtype="<u8") if not isinstance(data, np.ndarray) else data.view("<u8")
    if arr.size % 2:
        raise IsaError("instruction stream length is not a multiple of 16 bytes")
    return arr.reshape(-1, 2)


def decode_columns(words: np.ndarray, kind: Kind, config: Config) -> dict[str, np.ndarray]:
    """Every field of `kind`'s layout extracted from all N instructions (int64 columns)."""
    lay: Layout = insn_layout(kind, config)
    cols: dict[str, np.ndarray] = {}
    for s in lay.slots:
        v = ((words[:, s.lsb // 64] >> np.uint64(s.lsb % 64)) & np.uint64(s.mask)).astype(np.int64)
        if s.field.signed:
            v = np.where(v >> (s.width - 1), v - (1 << s.width), v)
        cols[s.name] = v
    return cols
