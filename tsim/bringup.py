"""Bring up an accelerator configuration: validate, generate, lint, build, conformance and fuzz, one table.

    report = bringup("4x16x16", build_dir=Path("build/bringup"), fuzz_programs=150)
    print(report.table())          # pass/fail per step with times
    report.ok

Steps (a failed step skips the ones that need it):

1. config      load the preset or JSON file; a bad key raises ConfigError naming it
2. package     vta_pkg.sv for the Config (vta.hw.pkg_gen) written into the build directory;
               the committed default package is only rewritten with install_package=True
3. lint        verilator --lint-only -Wall over the RTL with that package (vta.hw.lint)
4. build       the TSIM library of vta_top with that package (the build cache is shared with
               open_device("tsim", config), so tests and later runs reuse it)
5. conformance every program of vta.tsim.conformance on fsim and TSIM, one row per group
6. fuzz        random programs (vta.jit.fuzz) on fsim and TSIM, hazards on and off, three DRAM timings

Nothing is edited by hand for a new Config: every size the RTL needs comes from the package.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from vta.hw import lint as hw_lint
from vta.hw import pkg_gen
from vta.isa.config import Config
from vta.isa.errors import VtaError

from . import conformance
from .build import BuildSpec, BuiltLibrary, build
from .fuzz_diff import Differ
from .rtl import PKG_NAME, vta_top_spec

#: Random programs a bring-up runs by default (about 5 to 20 s on two busy cores).
DEFAULT_FUZZ = 150

Progress = Callable[[str], None]


@dataclass
class Step:
    """One row of the table: status is pass, FAIL or skipped."""

    name: str
    status: str
    seconds: float = 0.0
    detail: str = ""
    failures: list[str] = field(default_factory=list)  # full text of what failed, printed under the table


@dataclass
class BringupReport:
    source: str  # preset name or JSON path as given
    config: Config | None = None
    build_dir: Path | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.status == "pass" for s in self.steps)

    def table(self) -> str:
        title = f"vta bringup: {self.source}"
        if self.config is not None:
            title += f" = {self.config.bitstream}, bus {self.config.bus_width} bits"
        width = max([len(s.name) for s in self.steps] + [len("overall")])
        lines = [title, f"  {'step':<{width}}  {'result':<7} {'time':>8}  detail"]
        for s in self.steps:
            lines.append(f"  {s.name:<{width}}  {s.status:<7} {s.seconds:>7.1f}s  {s.detail}")
        total = sum(s.seconds for s in self.steps)
        lines.append(f"  {'overall':<{width}}  {'PASS' if self.ok else 'FAIL':<7} {total:>7.1f}s")
        for s in self.steps:
            for text in s.failures:
                lines.append("")
                lines.append(f"{s.name}: {text}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "ok": self.ok,
            "config": self.config.to_dict() if self.config else None,
            "bitstream": self.config.bitstream if self.config else None,
            "build_dir": str(self.build_dir) if self.build_dir else None,
            "steps": [{"name": s.name, "status": s.status, "seconds": round(s.seconds, 3), "detail": s.detail,
                       "failures": s.failures} for s in self.steps],
        }


def build_folder(build_dir: Path, config: Config) -> Path:
    """Where a Config's bring-up files go: <build_dir>/<bitstream>-bus<N>."""
    return Path(build_dir) / f"{config.bitstream}-bus{config.bus_width}"


def package_spec(config: Config, package: Path) -> BuildSpec:
    """vta_top's TSIM build spec with the package read from `package` (the same cache key as
    open_device("tsim", config) when the file holds pkg_gen's output for that Config)."""
    base = vta_top_spec(config)
    return replace(base, generated=((PKG_NAME, package.read_text()),))


def bringup(source: str | Path, *, build_dir: Path = Path("build/bringup"), fuzz_programs: int = DEFAULT_FUZZ,
            seed: int = 0, install_package: bool = False, groups: tuple[str, ...] = conformance.GROUPS,
            verbose: int = 0, progress: Progress | None = None) -> BringupReport:
    """Run every bring-up step for a preset name or config file; ConfigError if the Config is invalid."""
    say = progress or (lambda _msg: None)
    report = BringupReport(str(source))
    start = time.perf_counter()
    config = Config.load(source)  # ConfigError names the key and the rule
    report.config = config
    d = config.derived()
    report.steps.append(Step("config", "pass", time.perf_counter() - start,
                             f"BATCH {config.batch}, BLOCK {config.block_in}; depths uop {d['uop_depth']}, inp "
                             f"{d['inp_depth']}, wgt {d['wgt_depth']}, acc {d['acc_depth']}"))

    folder = build_folder(build_dir, config)
    report.build_dir = folder
    try:
        _steps(report, config, folder, str(source), install_package, verbose, seed, groups, fuzz_programs, say)
    finally:
        if folder.is_dir():
            (folder / "bringup.json").write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    return report


def _steps(report: BringupReport, config: Config, folder: Path, source: str, install_package: bool, verbose: int,
           seed: int, groups: tuple[str, ...], fuzz_programs: int, say: Progress) -> None:
    say(f"package -> {folder}")
    step, package = _package(config, folder, source, install_package)
    report.steps.append(step)
    say("lint")
    report.steps.append(_lint(config, source))
    if package is None:
        return _skip(report, ("build", "conformance", "fuzz"), "no package")
    say("build")
    step, spec = _build(config, package, verbose)
    report.steps.append(step)
    if spec is None:
        return _skip(report, ("conformance", "fuzz"), "no TSIM library")
    say("conformance")
    report.steps += _conformance(spec, seed, groups)
    if fuzz_programs > 0:
        say(f"fuzz ({fuzz_programs} programs)")
        report.steps.append(_fuzz(spec, fuzz_programs, seed))


def _skip(report: BringupReport, names: tuple[str, ...], why: str) -> None:
    report.steps += [Step(n, "skipped", 0.0, why) for n in names]


def _package(config: Config, folder: Path, source: str, install: bool) -> tuple[Step, Path | None]:
    start = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vta_config.json").write_text(config.to_json())
        text = dict(vta_top_spec(config).generated)[PKG_NAME]
        path = folder / PKG_NAME
        path.write_text(text)
        detail = str(path)
        if install:
            pkg_gen.write(pkg_gen.PKG_PATH, config, source)
            detail += f"; installed as {pkg_gen.PKG_PATH}"
    except (OSError, VtaError, ValueError) as exc:
        return Step("package", "FAIL", time.perf_counter() - start, str(exc)), None
    return Step("package", "pass", time.perf_counter() - start, detail), path


def _lint(config: Config, source: str) -> Step:
    start = time.perf_counter()
    try:
        result = hw_lint.lint(config, config_name=source)
    except VtaError as exc:
        return Step("lint", "FAIL", time.perf_counter() - start, str(exc))
    seconds = time.perf_counter() - start
    if result.ok:
        return Step("lint", "pass", seconds, "verilator --lint-only -Wall: clean")
    warnings = [line for line in result.output.splitlines() if line.startswith("%")]
    return Step("lint", "FAIL", seconds, f"{len(warnings)} warnings/errors", ["\n".join(warnings[:40])])


def _build(config: Config, package: Path, verbose: int) -> tuple[Step, BuildSpec | None]:
    start = time.perf_counter()
    try:
        spec = package_spec(config, package)
        lib: BuiltLibrary = build(spec, verbose=verbose)
    except VtaError as exc:
        return Step("build", "FAIL", time.perf_counter() - start, "TSIM build failed", [str(exc)]), None
    state = "cached" if lib.cached else "built"
    return Step("build", "pass", time.perf_counter() - start, f"{state}: {lib.path}"), spec


def _conformance(spec: BuildSpec, seed: int, groups: tuple[str, ...]) -> list[Step]:
    config = spec.config
    try:
        pair = conformance.DevicePair.open(config, spec=spec)
    except VtaError as exc:
        return [Step("conformance", "FAIL", 0.0, "cannot open the devices", [str(exc)])]
    steps = []
    with pair:
        for group in groups:
            start = time.perf_counter()
            outcomes = [pair.compare(p, seed) for p in conformance.programs(config, (group,))]
            bad = [o for o in outcomes if o.problems]
            unfit = [o for o in outcomes if o.not_applicable]
            ran = len(outcomes) - len(unfit)
            cycles = sum(o.cycles or 0 for o in outcomes)
            detail = f"{ran - len(bad)}/{ran} programs identical, {cycles:,} TSIM cycles"
            if unfit:
                detail += (f"; {len(unfit)} do not fit this Config (fsim rejects them): "
                           + ", ".join(o.name.split("/", 1)[1] for o in unfit))
            if ran == 0:
                bad = unfit  # nothing ran: the group proves nothing
            steps.append(Step(f"conformance/{group}", "FAIL" if bad else "pass", time.perf_counter() - start,
                              detail, [o.text() for o in bad]))
    return steps


def _fuzz(spec: BuildSpec, n: int, seed: int) -> Step:
    start = time.perf_counter()
    try:
        differ = Differ.open(spec.config, spec=spec)
    except VtaError as exc:
        return Step("fuzz", "FAIL", time.perf_counter() - start, "cannot open the devices", [str(exc)])
    with differ:
        report = differ.run_batch(n, seed)
    hz = ", ".join(f"hazards {k} {v}" for k, v in sorted(report.by_hazards.items()))
    detail = (f"{report.programs} programs ({hz}; {len(report.by_timing)} DRAM timings), "
              f"{report.failed} mismatches, {report.tsim_cycles:,} TSIM cycles")
    return Step("fuzz", "pass" if report.ok else "FAIL", time.perf_counter() - start, detail,
                [m.text() for m in report.mismatches])
