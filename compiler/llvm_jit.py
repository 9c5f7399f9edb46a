"""LLVM through llvmlite: optimize a module, emit host object code, load it, call its functions.

Every kernel function takes only pointers (`void f(i8*, i8*, ...)`); shapes are
baked into the code. Compiled modules are cached in-process by the hash of their
IR and the host CPU, so compiling the same model twice costs one parse.
The object code can be saved (see artifact.py) and loaded again without the IR.
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .graph_errors import CompileError

_INIT_LOCK = threading.Lock()
_INITIALIZED = False
_CACHE: dict[str, "NativeModule"] = {}


def _llvm() -> Any:
    global _INITIALIZED
    import llvmlite.binding as llvm

    with _INIT_LOCK:
        if not _INITIALIZED:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            _INITIALIZED = True
    return llvm


def host_target() -> dict[str, str]:
    """Triple, CPU name and features of this machine (object code is only reused on a match)."""
    llvm = _llvm()
    return {"triple": llvm.get_process_triple(), "cpu": llvm.get_host_cpu_name(),
            "features": llvm.get_host_cpu_features().flatten()}


def _target_machine(opt: int = 3) -> Any:
    llvm = _llvm()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
                                        opt=opt, reloc="pic", codemodel="jitdefault")


@dataclass
class NativeModule:
    """Loaded machine code for one LLVM module; `function(name, nargs)` gives a ctypes callable."""

    ir_text: str
    object_code: bytes
    target: dict[str, str]
    _engine: Any = field(default=None, repr=False)
    _funcs: dict[str, Any] = field(default_factory=dict, repr=False)

    def function(self, name: str, nargs: int) -> Any:
        f = self._funcs.get(name)
        if f is None:
            addr = self._engine.get_function_address(name)
            if not addr:
                raise CompileError(f"CPU kernel {name!r} is not in the compiled module")
            f = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * nargs))(addr)
            self._funcs[name] = f
        return f


def compile_ir(ir_text: str) -> NativeModule:
    """Optimize (O3, vectorizers on) and compile LLVM IR for the host; cached by content."""
    key = hashlib.sha256((ir_text + repr(sorted(host_target().items()))).encode()).hexdigest()
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    llvm = _llvm()
    try:
        mod = llvm.parse_assembly(ir_text)
        mod.verify()
    except RuntimeError as exc:
        raise CompileError(f"generated LLVM IR does not verify: {exc}") from None
    tm = _target_machine()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = False  # unrolling multiplies compile time ~4x for little run-time gain here
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    obj = tm.emit_object(mod)
    native = load_object(ir_text, obj, host_target())
    _CACHE[key] = native
    return native


def load_object(ir_text: str, object_code: bytes, target: dict[str, str]) -> NativeModule:
    """Load saved object code; if it was built for another host, recompile from the IR."""
    here = host_target()
    if target.get("triple") != here["triple"] or target.get("cpu") != here["cpu"] or \
            target.get("features") != here["features"]:
        if not ir_text:
            raise CompileError(f"object code was built for {target.get('triple')}/{target.get('cpu')} and no IR is saved")
        return compile_ir(ir_text)
    llvm = _llvm()
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(object_code))
    engine.finalize_object()
    return NativeModule(ir_text, object_code, dict(target), engine)


def call(fn: Any, arrays: list[np.ndarray]) -> None:
    """Call a kernel with C-contiguous numpy arrays as its pointer arguments."""
    fn(*[a.ctypes.data for a in arrays])
