"""Verilate a top module with the TSIM harness into a shared library, cached per design.

    lib = build(BuildSpec(config, top="vta_top", sources=(...)), BuildOptions())
    lib.path  # .../vta-kit/tsim/<name>-<key>/libtsim.so

The cache key hashes everything that changes the library: RTL sources and
generated files, the harness sources, the generated register header, the
Config, the Verilator and compiler versions and the build options. A build
runs in a private temporary folder and is renamed into place under a file
lock, so concurrent test workers never see a half-written library and build
a given key only once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from vta.hw import toolchain
from vta.hw.regmap_header import c_header
from vta.hw.toolchain import ToolchainError
from vta.isa.config import Config

#: Bump when the build recipe changes in a way the key does not see.
SCHEME = 1
LIB_NAME = "libtsim.so"
HARNESS_DIR = Path(__file__).resolve().parent / "harness"
HARNESS_SOURCES = ("tsim_harness.cpp", "axi_dram.cpp")
TRACE_FORMATS = ("", "fst", "vcd")
#: Libraries kept in the cache; older ones are deleted after a new build (a loaded library stays usable).
MAX_CACHED = 32

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildSpec:
    """What to Verilate: a top module with vta_top's ports, its sources, and the Config it implements."""

    config: Config
    top: str = "vta_top"
    sources: tuple[Path, ...] = ()  # SystemVerilog files in compile order
    generated: tuple[tuple[str, str], ...] = ()  # (file name, text) written to the include folder; *.sv compiled first
    include_dirs: tuple[Path, ...] = ()
    parameters: tuple[tuple[str, int], ...] = ()  # top-level parameter overrides (-G)
    label: str = "vta"  # readable part of the cache folder name


@dataclass(frozen=True)
class BuildOptions:
    """How to build. The defaults are the fast simulation build."""

    trace: str = ""  # "", "fst" or "vcd": a traced library (slower) that can write waveforms
    threads: int = 1  # Verilator --threads for the model
    opt: str = "-O2"  # C++ optimisation of the model and harness
    native: bool = True  # -march=native (the key records what it means on this machine)
    x_fast: bool = True  # --x-assign fast --x-initial fast
    assertions: bool = False  # --assert (SystemVerilog assertions stop the run)
    jobs: int = 2  # parallel compile jobs
    extra_args: tuple[str, ...] = ()  # more Verilator options, e.g. ("-Wno-fatal",) during bring-up

    def __post_init__(self) -> None:
        if self.trace not in TRACE_FORMATS:
            raise ToolchainError(f"BuildOptions.trace must be one of {TRACE_FORMATS}, got {self.trace!r}")
        if self.threads < 1 or self.jobs < 1:
            raise ToolchainError("BuildOptions.threads and jobs must be at least 1")


@dataclass(frozen=True)
class BuiltLibrary:
    """A TSIM shared library in the cache."""

    path: Path
    key: str
    cached: bool  # True if it was already built
    seconds: float  # time spent in build() (waiting for a lock included)
    options: BuildOptions = field(default_factory=BuildOptions)


# ---------------------------------------------------------------- keys
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ToolchainError(f"cannot read {what} {path}: {exc.strerror}") from exc


def _include_files(spec: BuildSpec) -> list[tuple[str, str]]:
    out = []
    for folder in spec.include_dirs:
        for p in sorted(Path(folder).glob("*")):
            if p.suffix in (".sv", ".svh", ".vh", ".v") and p.is_file():
                out.append((str(p), _sha(_read(p, "include file"))))
    return out


def cache_key(spec: BuildSpec, options: BuildOptions) -> str:
    """The hash naming a library: changes whenever anything that goes into it changes."""
    recipe = {
        "scheme": SCHEME,
        "top": spec.top,
        "sources": [(Path(p).name, _sha(_read(Path(p), "RTL source"))) for p in spec.sources],
        "generated": [(name, _sha(text.encode())) for name, text in spec.generated],
        "includes": _include_files(spec),
        "parameters": list(spec.parameters),
        "harness": [(p.name, _sha(p.read_bytes())) for p in sorted(HARNESS_DIR.iterdir()) if p.is_file()],
        "regs_header": _sha(c_header().encode()),
        "config": spec.config.to_json(),
        "verilator": toolchain.verilator_version(),
        "cxx": toolchain.cxx_version(),
        "options": [options.trace, options.threads, options.opt, options.x_fast, options.assertions,
                    list(options.extra_args), native_target() if options.native else ""],
    }
    return _sha(json.dumps(recipe, sort_keys=True).encode())


def library_name(spec: BuildSpec, options: BuildOptions, key: str) -> str:
    trace = f"-{options.trace}" if options.trace else ""
    return f"{spec.label}-{spec.config.bitstream}-bus{spec.config.bus_width}{trace}-{key[:16]}"


def tsim_cache_dir() -> Path:
    path = toolchain.cache_dir() / "tsim"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------- build
def build(spec: BuildSpec, options: BuildOptions | None = None, *, verbose: int = 1,
          progress: Progress | None = None) -> BuiltLibrary:
    """The cached library for `spec`, building it first if needed.

    verbose: 0 silent, 1 one line per build stage, 2 also the tools' output.
    Raises ToolchainError naming the failing stage with the end of its output.
    """
    options = options or BuildOptions()
    say = progress or (_stderr if verbose > 0 else _quiet)
    start = time.perf_counter()
    if not spec.sources and not any(n.endswith(".sv") for n, _ in spec.generated):
        raise ToolchainError(f"nothing to build for top {spec.top!r}: the spec lists no SystemVerilog sources")
    if options.trace == "fst":
        missing = toolchain.fst_support()
        if missing:
            raise ToolchainError(missing)
    key = cache_key(spec, options)
    name = library_name(spec, options, key)
    root = tsim_cache_dir()
    final = root / name
    if (final / LIB_NAME).is_file():
        return BuiltLibrary(final / LIB_NAME, key, True, time.perf_counter() - start, options)
    with _locked(root / f"{name}.lock", say, name):
        if (final / LIB_NAME).is_file():  # another process built it while we waited
            return BuiltLibrary(final / LIB_NAME, key, True, time.perf_counter() - start, options)
        say(f"building {spec.top} for {spec.config.bitstream} (bus {spec.config.bus_width} bits"
            f"{', ' + options.trace + ' tracing' if options.trace else ''}) into {final}")
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=root))
        log = root / f"{name}.log"
        log.unlink(missing_ok=True)
        try:
            _build_in(tmp, spec, options, key, say, verbose, log)
            shutil.rmtree(tmp / "obj", ignore_errors=True)  # objects are not reused; keep the cache small
            shutil.move(str(log), str(tmp / "build.log"))
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _prune(root, keep=MAX_CACHED)
    seconds = time.perf_counter() - start
    say(f"built {final / LIB_NAME} in {seconds:.1f} s")
    return BuiltLibrary(final / LIB_NAME, key, False, seconds, options)


def _build_in(folder: Path, spec: BuildSpec, options: BuildOptions, key: str, say: Progress, verbose: int,
              log: Path) -> None:
    gen = folder / "gen"
    obj = folder / "obj"
    gen.mkdir()
    (gen / "vta_regs.h").write_text(c_header())
    gen_sv = []
    for fname, text in spec.generated:
        (gen / fname).write_text(text)
        if fname.endswith(".sv"):
            gen_sv.append(gen / fname)
    env = toolchain.verilator_env()
    env.pop("MAKEFLAGS", None)  # the make variables are passed explicitly below
    verilator = str(toolchain.verilator_root() / "bin" / "verilator")

    _stage("verilating", say, log, verbose, env, folder,
           [verilator, *verilator_args(spec, options, gen, obj), *map(str, gen_sv),
            *(str(Path(p).resolve()) for p in spec.sources), *(str(HARNESS_DIR / s) for s in HARNESS_SOURCES)])
    through = comb_input_outputs(obj)
    if through:
        say(f"  outputs that follow inputs within a cycle ({', '.join(through[:4])}"
            f"{', ...' if len(through) > 4 else ''}): evaluating both clock edges")
    runtime = _runtime_objects(obj)
    runtime_dir = tsim_cache_dir() / f"runtime-{_runtime_key(spec, options, runtime)[:16]}"
    reused = _reuse_runtime(runtime_dir, obj, runtime)
    _stage(f"compiling the model (make -j{options.jobs}{', Verilator runtime cached' if reused else ''})",
           say, log, verbose, env, folder,
           ["make", "-C", str(obj), "-f", "Vtop.mk", f"-j{options.jobs}", *make_args(options),
            *(["USER_CPPFLAGS=-DTSIM_EVAL_NEGEDGE"] if through else [])])
    if not reused:
        _keep_runtime(runtime_dir, obj, runtime)
    shutil.move(str(obj / LIB_NAME), str(folder / LIB_NAME))
    meta = {
        "key": key,
        "top": spec.top,
        "sources": [str(p) for p in spec.sources],
        "config": spec.config.to_dict(),
        "options": options.__dict__,
        "verilator": toolchain.verilator_version(),
        "cxx": toolchain.cxx_version(),
        "outputs_following_inputs": through,
        "built": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (folder / "build.json").write_text(json.dumps(meta, indent=2) + "\n")


#: C++ flags of every object, the Verilator runtime's included.
COMMON_CFLAGS = ("-fPIC", "-fvisibility=hidden", "-DVL_USER_FINISH", "-DVL_USER_STOP", "-DVL_USER_FATAL")


def verilator_args(spec: BuildSpec, options: BuildOptions, gen: Path, obj: Path) -> list[str]:
    """Verilator's command line (without the source files)."""
    cflags = [*COMMON_CFLAGS, f"-DTSIM_BUS_BYTES={spec.config.bus_bytes}", f"-I{gen}", f"-I{HARNESS_DIR}"]
    ldflags = ["-shared", "-Wl,-Bsymbolic", "-Wl,--no-undefined"]
    args = [
        # Warnings do not stop a simulation build (lint is the RTL tests' job); they are counted and logged.
        "--cc", "--exe", "-O3", "-Wno-fatal", "--prefix", "Vtop", "--top-module", spec.top, "--Mdir", str(obj),
        "-o", LIB_NAME, f"-I{gen}", *(f"-I{Path(d).resolve()}" for d in spec.include_dirs),
        *(f"-G{name}={value}" for name, value in spec.parameters),
    ]
    if options.x_fast:
        args += ["--x-assign", "fast", "--x-initial", "fast"]
    if options.threads > 1:
        args += ["--threads", str(options.threads)]
    if options.assertions:
        args += ["--assert"]
    if options.trace:
        args += [f"--trace-{options.trace}", "--trace-structs"]
        cflags.append("-DTSIM_TRACE" if options.trace == "fst" else "-DTSIM_TRACE -DTSIM_TRACE_VCD")
    args += [*options.extra_args, "-CFLAGS", " ".join(cflags), "-LDFLAGS", " ".join(ldflags)]
    return args


def make_args(options: BuildOptions) -> list[str]:
    opt = f"{options.opt} -march=native" if options.native else options.opt
    return [*toolchain.verilator_make_vars(), f"OPT_FAST={opt}", "OPT_SLOW=-O1", f"OPT_GLOBAL={opt}",
            "VM_PARALLEL_BUILDS=1"]


@lru_cache(maxsize=1)
def native_target() -> str:
    """What -march=native selects here (the compiler's resolved target options, hashed).

    Part of the cache key of native builds, so that a cache folder shared between machines
    never hands a library built for one CPU to another.
    """
    cxx = toolchain.require_cxx()
    try:
        out = subprocess.run([cxx, "-march=native", "-Q", "--help=target"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"{cxx} -march=native -Q --help=target failed: {exc}") from exc
    march = re.search(r"^\s*-march=\s+(\S+)", out, re.M)
    return f"{march.group(1) if march else 'native'}-{_sha(out.encode())[:16]}"


def _stage(what: str, say: Progress, log: Path, verbose: int, env: dict[str, str], cwd: Path,
           cmd: list[str]) -> None:
    """Run one build step, logging its output; ToolchainError with the output's tail if it fails."""
    say(f"  {what} ...")
    start = time.perf_counter()
    tail: deque[str] = deque(maxlen=60)
    last_note = start
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, errors="replace")
        except OSError as exc:
            raise ToolchainError(f"TSIM build: cannot run {cmd[0]}: {exc.strerror}") from exc
        for line in proc.stdout or ():
            fh.write(line)
            tail.append(line.rstrip("\n"))
            if verbose >= 2:
                say("    " + line.rstrip("\n"))
            now = time.perf_counter()
            if verbose == 1 and now - last_note > 20:
                say(f"  ... still {what.split(' (')[0]} ({now - start:.0f} s)")
                last_note = now
        rc = proc.wait()
    if rc != 0:
        raise ToolchainError(
            f"TSIM build failed while {what} (exit status {rc}); full log: {log}\n" + "\n".join(tail))
    warnings = sum(1 for line in _lines_of(log, cmd) if line.startswith("%Warning"))
    note = f", {warnings} warning{'s' if warnings != 1 else ''} (see {log})" if warnings else ""
    say(f"  {what}: {time.perf_counter() - start:.1f} s{note}")


# ---------------------------------------------------------------- evals per cycle
_ICO_FUNC = re.compile(r"^(?:VL_ATTR_COLD )?\w+ Vtop___024root___(\w*ico\w*)\(Vtop___024root\* vlSelf\) \{\n(.*?)^\}",
                       re.M | re.S)
_ASSIGNED = re.compile(r"vlSelfRef\.(\w+)(?:\[[^\]]*\])*\s*=(?!=)")


def comb_input_outputs(obj: Path) -> list[str]:
    """Output ports the Verilated model sets in its input-combinational ('ico') phase.

    Those follow an input within the same cycle, so the harness must evaluate the falling
    edge too before it samples them (-DTSIM_EVAL_NEGEDGE); with none, one eval per cycle
    gives the same results. Empty if the model has no such phase.
    """
    try:
        header = (obj / "Vtop.h").read_text()
    except OSError as exc:
        raise ToolchainError(f"TSIM build: Verilator wrote no {obj / 'Vtop.h'}: {exc.strerror}") from exc
    outputs = set(re.findall(r"VL_OUT(?:8|16|64|W)?\(&(\w+)", header))
    found: set[str] = set()
    for cpp in sorted(obj.glob("Vtop___024root*.cpp")):
        for match in _ICO_FUNC.finditer(cpp.read_text()):
            found.update(name for name in _ASSIGNED.findall(match.group(2)) if name in outputs)
    return sorted(found)


# ---------------------------------------------------------------- Verilator runtime reuse
# The runtime objects (verilated.o, verilated_threads.o, the trace writer) depend only on
# Verilator, the compiler and the flags, not on the design: they are compiled once and
# copied into later builds, which saves about ten seconds of compiling per build.
def _runtime_objects(obj: Path) -> list[str]:
    """The runtime object names the generated Makefile will link (VM_GLOBAL_FAST/SLOW)."""
    try:
        text = (obj / "Vtop_classes.mk").read_text()
    except OSError:
        return []
    names: list[str] = []
    for var in ("VM_GLOBAL_FAST", "VM_GLOBAL_SLOW"):
        match = re.search(rf"^{var} \+= \\\n((?:[ \t]+\S+ \\\n)*)", text, re.M)
        if match:
            names += [line.strip().rstrip("\\").strip() for line in match.group(1).splitlines()]
    return [f"{n}.o" for n in names if n]


def _runtime_key(spec: BuildSpec, options: BuildOptions, objects: list[str]) -> str:
    recipe = [SCHEME, toolchain.verilator_version(), toolchain.cxx_version(), COMMON_CFLAGS, options.opt,
              native_target() if options.native else "",
              options.trace, options.threads, objects]
    return _sha(json.dumps(recipe).encode())


def _reuse_runtime(cached: Path, obj: Path, objects: list[str]) -> bool:
    """Copy cached runtime objects into `obj`, newer than the Makefile so make keeps them."""
    if not objects or not all((cached / o).is_file() for o in objects):
        return False
    for o in objects:
        shutil.copy(cached / o, obj / o)
    now = time.time() + 1
    for o in objects:
        os.utime(obj / o, (now, now))
    return True


def _keep_runtime(cached: Path, obj: Path, objects: list[str]) -> None:
    if not objects or cached.exists() or not all((obj / o).is_file() for o in objects):
        return
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{cached.name}-", dir=cached.parent))
    try:
        for o in objects:
            shutil.copy(obj / o, tmp / o)
        os.replace(tmp, cached)
    except OSError:
        pass  # another build stored it first
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _lines_of(log: Path, cmd: list[str]) -> list[str]:
    """The lines the last logged command printed."""
    text = log.read_text(errors="replace")
    return text[text.rfind(f"$ {' '.join(cmd)}\n"):].splitlines()[1:]


def _prune(root: Path, keep: int) -> None:
    """Delete all but the `keep` most recently built libraries."""
    entries = sorted((p for p in root.iterdir() if (p / LIB_NAME).is_file()), key=lambda p: p.stat().st_mtime)
    for old in entries[:-keep] if len(entries) > keep else []:
        shutil.rmtree(old, ignore_errors=True)


class _locked:
    """An exclusive fcntl lock on a file, reporting when it has to wait."""

    def __init__(self, path: Path, say: Progress, name: str) -> None:
        self.path, self.say, self.name = path, say, name

    def __enter__(self) -> "_locked":
        self.fh = open(self.path, "a")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.say(f"waiting for another process building {self.name}")
            fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def _stderr(msg: str) -> None:
    print(f"tsim: {msg}", file=sys.stderr, flush=True)


def _quiet(msg: str) -> None:
    pass
