"""The RTL source list, in compile order (package first, top last), and per-module dependencies.

One list serves Verilator (lint, cocotb benches, TSIM), Yosys (`vta synth`)
and the FuseSoC core file; a test checks that every file in rtl/ is listed.
"""

from __future__ import annotations

from pathlib import Path

RTL_DIR = Path(__file__).resolve().parent / "rtl"
PACKAGE = "vta_pkg.sv"

#: Every RTL file, dependencies before their users.
FILES: tuple[str, ...] = (
    PACKAGE,
    "vta_fifo.sv",
    "vta_rr_arb.sv",
    "vta_dep_counter.sv",
    "vta_sram.sv",
    "vta_sram_2p.sv",
    "vta_scratchpad.sv",
    "vta_burst_gen.sv",
    "vta_event_counters.sv",
    "vta_dma_rows.sv",
    "vta_row_beats.sv",
    "vta_tensor_load.sv",
    "vta_tensor_store.sv",
    "vta_stage_ctrl.sv",
    "vta_load.sv",
    "vta_store.sv",
    "vta_uop_seq.sv",
    "vta_gemm_core.sv",
    "vta_tensor_alu.sv",
    "vta_footprint.sv",
    "vta_push_queue.sv",
    "vta_inflight.sv",
    "vta_compute.sv",
    "vta_fetch.sv",
    "vta_mem_engine.sv",
    "vta_regs.sv",
    "vta_core.sv",
    "vta_top.sv",
)

TOP = "vta_top"


def modules() -> list[str]:
    """Names of every module (one per file, named after the file), package excluded."""
    return [f[:-3] for f in FILES if f != PACKAGE]


def paths(package: Path | str | None = None) -> list[Path]:
    """Absolute source paths in order; `package` replaces the committed vta_pkg.sv (another Config)."""
    out = []
    for name in FILES:
        if name == PACKAGE and package is not None:
            out.append(Path(package))
        else:
            out.append(RTL_DIR / name)
    return out
