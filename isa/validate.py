"""Config validation: the rules a Config must meet before any layout or SRAM is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConfigError
from .fields import Kind

if TYPE_CHECKING:
    from .config import Config

# Which config keys a derived field width depends on (to name them in errors).
_WIDTH_KEYS = {
    "log_uop_depth": "LOG_UOP_BUFF_SIZE",
    "log_inp_depth": "LOG_INP_BUFF_SIZE",
    "log_wgt_depth": "LOG_WGT_BUFF_SIZE",
    "log_acc_depth": "LOG_ACC_BUFF_SIZE",
}


def validate_config(c: "Config") -> None:
    """Raise ConfigError naming the key and the rule for anything the kit cannot build."""
    from .config import MAX_ELEM_BYTES, MAX_SRAM_DEPTH, TARGETS

    if c.target not in TARGETS:
        raise ConfigError(f"key TARGET={c.target!r} is not one of {', '.join(TARGETS)}")
    fixed = {"LOG_INP_WIDTH": (c.log_inp_width, 3), "LOG_WGT_WIDTH": (c.log_wgt_width, 3),
             "LOG_ACC_WIDTH": (c.log_acc_width, 5)}
    for key, (value, want) in fixed.items():
        if value != want:
            raise ConfigError(
                f"key {key}={value} is not supported: the kit implements int8 inputs/weights and int32 "
                f"accumulators ({key} must be {want})"
            )
    ranges = {
        "LOG_BATCH": (c.log_batch, 0, 4),
        "LOG_BLOCK": (c.log_block, 1, 6),
        "LOG_BUS_WIDTH": (c.log_bus_width, 6, 9),
        "LOG_UOP_BUFF_SIZE": (c.log_uop_buff_size, 2, 24),
        "LOG_INP_BUFF_SIZE": (c.log_inp_buff_size, 1, 24),
        "LOG_WGT_BUFF_SIZE": (c.log_wgt_buff_size, 1, 24),
        "LOG_ACC_BUFF_SIZE": (c.log_acc_buff_size, 1, 24),
    }
    for key, (value, lo, hi) in ranges.items():
        if not lo <= value <= hi:
            raise ConfigError(f"key {key}={value} is outside the supported range [{lo}, {hi}]")
    if not isinstance(c.clock_mhz, int) or c.clock_mhz <= 0:
        raise ConfigError(f"key CLOCK_MHZ={c.clock_mhz!r} must be a positive integer")

    for kind, key, nbytes in (("INP", "LOG_INP_BUFF_SIZE", c.inp_elem_bytes),
                              ("WGT", "LOG_WGT_BUFF_SIZE", c.wgt_elem_bytes),
                              ("ACC", "LOG_ACC_BUFF_SIZE", c.acc_elem_bytes)):
        if nbytes > MAX_ELEM_BYTES:
            raise ConfigError(
                f"LOG_BATCH/LOG_BLOCK give a {kind} element of {nbytes} bytes; elements must be at most "
                f"{MAX_ELEM_BYTES} bytes (one DRAM page)"
            )
        log_depth = getattr(c, f"log_{kind.lower()}_depth")
        if log_depth < 0:
            raise ConfigError(f"key {key}={getattr(c, key.lower())} is smaller than one {kind} element ({nbytes} bytes)")
        if (1 << log_depth) > MAX_SRAM_DEPTH:
            raise ConfigError(
                f"key {key}={getattr(c, key.lower())} gives a {kind} depth of {1 << log_depth} elements; "
                f"16-bit sram_base fields address at most {MAX_SRAM_DEPTH}"
            )

    from .layout import insn_layout, uop_layout

    for kind in (Kind.MEM, Kind.GEMM, Kind.ALU):
        _check_fits(lambda: insn_layout(kind, c), f"{kind.name} instruction", kind)
    _check_fits(lambda: uop_layout(c), "micro-op", None)


def _check_fits(build, what: str, kind: Kind | None) -> None:
    from .fields import TABLES, UOP_FIELDS

    try:
        build()
    except ConfigError as exc:
        fields = TABLES[kind] if kind is not None else UOP_FIELDS
        keys = sorted({_WIDTH_KEYS[a] for f in fields if not isinstance(f.width, int)
                       for a in f.width.attrs if a in _WIDTH_KEYS})
        raise ConfigError(f"keys {'/'.join(keys)} make the {what} too wide: {exc}") from None
