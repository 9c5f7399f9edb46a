"""The one configuration of the accelerator: upstream `vta_config.json` keys plus derived quantities.

Every other part of the kit (ISA layouts, fsim, RTL package, compiler tiling)
reads its sizes from a `Config`; nothing re-derives them.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError

#: TARGET values upstream knows; the kit accepts the same names.
TARGETS = ("sim", "tsim", "pynq", "ultra96", "zcu104", "de10nano", "intelfocl")

#: Per-target defaults for keys upstream derived in pkg_config.py rather than the JSON.
_TARGET_BUS_LOG = {"ultra96": 7, "zcu104": 7}
_TARGET_CLOCK_MHZ = {"ultra96": 333, "zcu104": 333}

#: Largest element the runtime accepts (one 4 KiB page, as upstream checks).
MAX_ELEM_BYTES = 4096
#: SRAM indices travel in 16-bit instruction fields (sram_base, x/y sizes).
MAX_SRAM_DEPTH = 1 << 16


@dataclass(frozen=True)
class Config:
    """Architecture parameters; field names are the lower-case upstream JSON keys.

    `Config()` is upstream's default 1x16x16 int8/int32 design with a 64-bit bus.
    """

    target: str = "sim"
    hw_ver: str = "0.0.2"
    log_inp_width: int = 3
    log_wgt_width: int = 3
    log_acc_width: int = 5
    log_batch: int = 0
    log_block: int = 4
    log_uop_buff_size: int = 15
    log_inp_buff_size: int = 15
    log_wgt_buff_size: int = 18
    log_acc_buff_size: int = 17
    log_bus_width: int | None = None  # None: the target's upstream default (64-bit bus)
    clock_mhz: int | None = None  # None: the target's upstream default

    #: JSON keys the loader accepts, in the order `to_json` writes them.
    KEYS: ClassVar[tuple[str, ...]] = (
        "TARGET", "HW_VER", "LOG_INP_WIDTH", "LOG_WGT_WIDTH", "LOG_ACC_WIDTH",
        "LOG_BATCH", "LOG_BLOCK", "LOG_UOP_BUFF_SIZE", "LOG_INP_BUFF_SIZE",
        "LOG_WGT_BUFF_SIZE", "LOG_ACC_BUFF_SIZE", "LOG_BUS_WIDTH", "CLOCK_MHZ",
    )

    def __post_init__(self) -> None:
        if self.log_bus_width is None:
            object.__setattr__(self, "log_bus_width", _TARGET_BUS_LOG.get(self.target, 6))
        if self.clock_mhz is None:
            object.__setattr__(self, "clock_mhz", _TARGET_CLOCK_MHZ.get(self.target, 100))
        from .validate import validate_config  # late: validation reads the ISA tables

        validate_config(self)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, name_or_path: str | Path) -> "Config":
        """Read a preset name (see `presets()`) or a `vta_config.json`-style file."""
        text, origin = _read_source(name_or_path)
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{origin}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{origin}: top level must be a JSON object of config keys")
        return cls.from_dict(raw, origin=origin)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], origin: str = "config") -> "Config":
        """Build from upstream keys (upper case); unknown keys and wrong types are errors."""
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in cls.KEYS:
                raise ConfigError(f"{origin}: unknown key {key!r}; known keys: {', '.join(cls.KEYS)}")
            attr = key.lower()
            if key in ("TARGET", "HW_VER"):
                if not isinstance(value, str):
                    raise ConfigError(f"{origin}: key {key} must be a string, got {value!r}")
            elif not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{origin}: key {key} must be an integer, got {value!r}")
            kwargs[attr] = value
        try:
            return cls(**kwargs)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """Upstream-style keys and values (round-trips through `from_dict`)."""
        return {key: getattr(self, key.lower()) for key in self.KEYS}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def replace(self, **changes: Any) -> "Config":
        return dataclasses.replace(self, **changes)

    # ---------------------------------------------------------------- derived
    @property
    def batch(self) -> int:
        return 1 << self.log_batch

    @property
    def block_in(self) -> int:
        return 1 << self.log_block

    @property
    def block_out(self) -> int:
        return 1 << self.log_block

    @property
    def log_block_in(self) -> int:
        return self.log_block

    @property
    def log_block_out(self) -> int:
        return self.log_block

    @property
    def log_out_width(self) -> int:
        return self.log_inp_width

    @property
    def inp_width(self) -> int:
        return 1 << self.log_inp_width

    @property
    def wgt_width(self) -> int:
        return 1 << self.log_wgt_width

    @property
    def acc_width(self) -> int:
        return 1 << self.log_acc_width

    @property
    def out_width(self) -> int:
        return 1 << self.log_out_width

    # element ("matrix") sizes
    @property
    def inp_elem_bits(self) -> int:
        return self.inp_width * self.batch * self.block_in

    @property
    def wgt_elem_bits(self) -> int:
        return self.wgt_width * self.block_out * self.block_in

    @property
    def acc_elem_bits(self) -> int:
        return self.acc_width * self.batch * self.block_out

    @property
    def out_elem_bits(self) -> int:
        return self.out_width * self.batch * self.block_out

    @property
    def uop_elem_bits(self) -> int:
        return 32

    @property
    def inp_elem_bytes(self) -> int:
        return self.inp_elem_bits // 8

    @property
    def wgt_elem_bytes(self) -> int:
        return self.wgt_elem_bits // 8

    @property
    def acc_elem_bytes(self) -> int:
        return self.acc_elem_bits // 8

    @property
    def out_elem_bytes(self) -> int:
        return self.out_elem_bits // 8

    @property
    def uop_elem_bytes(self) -> int:
        return 4

    # buffer sizes and depths
    @property
    def log_out_buff_size(self) -> int:
        return self.log_acc_buff_size + self.log_out_width - self.log_acc_width

    @property
    def log_uop_depth(self) -> int:
        return self.log_uop_buff_size - 5 + 3

    @property
    def log_inp_depth(self) -> int:
        return self.log_inp_buff_size - self.log_batch - self.log_block_in - self.log_inp_width + 3

    @property
    def log_wgt_depth(self) -> int:
        return self.log_wgt_buff_size - self.log_block_out - self.log_block_in - self.log_wgt_width + 3

    @property
    def log_acc_depth(self) -> int:
        return self.log_acc_buff_size - self.log_batch - self.log_block_out - self.log_acc_width + 3

    @property
    def log_out_depth(self) -> int:
        return self.log_acc_depth

    @property
    def uop_depth(self) -> int:
        return 1 << self.log_uop_depth

    @property
    def inp_depth(self) -> int:
        return 1 << self.log_inp_depth

    @property
    def wgt_depth(self) -> int:
        return 1 << self.log_wgt_depth

    @property
    def acc_depth(self) -> int:
        return 1 << self.log_acc_depth

    @property
    def out_depth(self) -> int:
        return self.acc_depth

    # instruction and memory interface
    @property
    def insn_bytes(self) -> int:
        return 16

    @property
    def uop_bytes(self) -> int:
        return 4

    @property
    def bus_width(self) -> int:
        """AXI memory data width in bits (64 upstream; 128 to 512 allowed)."""
        return 1 << self.log_bus_width

    @property
    def bus_bytes(self) -> int:
        return self.bus_width // 8

    @property
    def macs_per_cycle(self) -> int:
        return self.batch * self.block_in * self.block_out

    @property
    def peak_gops(self) -> float:
        """Peak GEMM throughput in GOP/s (2 ops per MAC) at `clock_mhz`."""
        return 2 * self.macs_per_cycle * self.clock_mhz / 1000.0

    @property
    def bitstream(self) -> str:
        """Upstream's design name, e.g. ``1x16_i8w8a32_15_15_18_17``."""
        return (
            f"{self.batch}x{self.block_in}_i{self.inp_width}w{self.wgt_width}a{self.acc_width}"
            f"_{self.log_uop_buff_size}_{self.log_inp_buff_size}_{self.log_wgt_buff_size}_{self.log_acc_buff_size}"
        )

    @property
    def model(self) -> str:
        return f"{self.target}_{self.bitstream}"

    def elem_bytes(self, memory_type: int) -> int:
        """DRAM bytes of one element of a memory type (the unit of dram_base and strides)."""
        from .opcodes import MemType

        sizes = {
            MemType.UOP: self.uop_elem_bytes,
            MemType.WGT: self.wgt_elem_bytes,
            MemType.INP: self.inp_elem_bytes,
            MemType.ACC: self.acc_elem_bytes,
            MemType.OUT: self.out_elem_bytes,
        }
        try:
            return sizes[MemType(memory_type)]
        except (ValueError, KeyError):
            raise ConfigError(f"memory type {memory_type} has no element size in this kit") from None

    def depth(self, memory_type: int) -> int:
        """Number of elements in the on-chip SRAM of a memory type."""
        from .opcodes import MemType

        depths = {
            MemType.UOP: self.uop_depth,
            MemType.WGT: self.wgt_depth,
            MemType.INP: self.inp_depth,
            MemType.ACC: self.acc_depth,
            MemType.OUT: self.out_depth,
        }
        return depths[MemType(memory_type)]

    def derived(self) -> dict[str, Any]:
        """Every derived quantity by name (what `vta info` prints)."""
        names = [
            "batch", "block_in", "block_out", "inp_width", "wgt_width", "acc_width", "out_width",
            "inp_elem_bytes", "wgt_elem_bytes", "acc_elem_bytes", "out_elem_bytes", "uop_elem_bytes",
            "log_out_buff_size", "uop_depth", "inp_depth", "wgt_depth", "acc_depth", "out_depth",
            "log_uop_depth", "log_inp_depth", "log_wgt_depth", "log_acc_depth",
            "insn_bytes", "bus_width", "bus_bytes", "macs_per_cycle", "peak_gops", "bitstream", "model",
        ]
        return {name: getattr(self, name) for name in names}


def presets() -> list[str]:
    """Names of the presets that ship in the package."""
    folder = resources.files(__package__).joinpath("presets")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def _read_source(name_or_path: str | Path) -> tuple[str, str]:
    path = Path(name_or_path)
    looks_like_path = path.suffix == ".json" or len(path.parts) > 1 or path.is_file()
    if looks_like_path:
        if not path.is_file():
            raise ConfigError(f"config file {str(path)!r} does not exist")
        return path.read_text(), str(path)
    name = str(name_or_path)
    preset = resources.files(__package__).joinpath("presets", f"{name}.json")
    if not preset.is_file():
        raise ConfigError(f"unknown config preset {name!r}; presets: {', '.join(presets())} (or give a .json path)")
    return preset.read_text(), f"preset {name}"
