"""Bit placement of the field tables: upstream's C bit-field packing rule, for any Config.

Fields go LSB-first in table order; a field that would straddle a storage-word
boundary (64 bits for instructions, 32 for micro-ops) starts at the next word,
as GCC/Clang lay out `uint64_t`/`uint32_t` bit-fields on x86-64 and ARM.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import ConfigError
from .fields import INSN_BITS, INSN_WORD_BITS, TABLES, UOP_BITS, UOP_WORD_BITS, UOP_FIELDS, Field, Kind


@dataclass(frozen=True)
class Slot:
    """A placed field: bits [lsb, lsb + width) of the instruction (or micro-op)."""

    field: Field
    lsb: int
    width: int

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


@dataclass(frozen=True)
class Layout:
    """All slots of one instruction kind (or the micro-op) for one Config."""

    name: str
    slots: tuple[Slot, ...]
    total_bits: int

    def slot(self, name: str) -> Slot:
        for s in self.slots:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def used_bits(self) -> int:
        return max(s.lsb + s.width for s in self.slots)


def place(name: str, fields: tuple[Field, ...], config: object, word_bits: int, total_bits: int) -> Layout:
    """Place fields with the packing rule; raise ConfigError if they do not fit total_bits."""
    slots = []
    pos = 0
    for f in fields:
        width = f.bits(config)
        if width < 1:
            raise ConfigError(f"{name} field {f.name} would be {width} bits wide (width {f.describe_width()})")
        if width > word_bits:
            raise ConfigError(f"{name} field {f.name} is {width} bits, wider than a {word_bits}-bit storage word")
        if pos // word_bits != (pos + width - 1) // word_bits:
            pos = (pos // word_bits + 1) * word_bits
        slots.append(Slot(f, pos, width))
        pos += width
    if pos > total_bits:
        detail = ", ".join(f"{s.name}@{s.lsb}:{s.width}" for s in slots if s.lsb + s.width > total_bits)
        raise ConfigError(
            f"the {name} layout needs {pos} bits but must fit {total_bits} "
            f"(fields past the end: {detail}; rule: VTA_REFERENCE 2.2 packing into {total_bits // word_bits} "
            f"x {word_bits}-bit words)"
        )
    return Layout(name, tuple(slots), total_bits)


@lru_cache(maxsize=256)
def insn_layout(kind: Kind, config: object) -> Layout:
    """Layout of an instruction kind for a Config (cached; Config is frozen and hashable)."""
    return place(kind.name, TABLES[kind], config, INSN_WORD_BITS, INSN_BITS)


@lru_cache(maxsize=256)
def uop_layout(config: object) -> Layout:
    return place("UOP", UOP_FIELDS, config, UOP_WORD_BITS, UOP_BITS)
