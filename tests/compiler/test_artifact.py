"""The one-file artifact: save/load round trip without compiler passes, bad files, and the CLI."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from vta.cli.main import main as vta_main
from vta.compiler import compile as compile_model
from vta.compiler import model_digits
from vta.compiler.artifact_runtime import CompiledModule
from vta.compiler.graph_errors import CompileError
from vta.isa.config import Config


@pytest.fixture(scope="module")
def module():
    m = compile_model(model_digits.model_path(), Config(), model_digits.calibration_set(16), batch=4,
                      partition_policy="vta")
    yield m
    m.close()


def test_round_trip_gives_identical_outputs_without_any_pass(module, tmp_path, monkeypatch):
    path = module.save(tmp_path / "digits.vta")
    with zipfile.ZipFile(path) as z:
        assert {"manifest.json", "vta.npz", "consts.npz", "cpu.o", "cpu.ll", "graph.txt", "vta_programs.txt"} <= set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
    assert [s["target"] for s in manifest["steps"]].count("vta") == 5
    import vta.compiler.compile_model as cm
    import vta.compiler.frontend_onnx as fe
    import vta.compiler.quant as qu

    def boom(*a, **k):
        raise AssertionError("a compiler pass ran while loading")

    monkeypatch.setattr(fe, "from_onnx", boom)
    monkeypatch.setattr(qu, "quantize", boom)
    monkeypatch.setattr(cm, "quantized_graph", boom)
    loaded = CompiledModule.load(path)
    x = model_digits.load_split()[2][:12]
    a = module.run(x)
    b = loaded.run(x)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert [s.target for s in loaded.steps] == [s.target for s in module.steps]
    loaded.close()


def test_object_code_for_another_host_is_rebuilt_from_the_ir(module, tmp_path):
    from vta.compiler.llvm_jit import load_object

    native = load_object(module.native.ir_text, b"not object code", {"triple": "riscv64-unknown-elf", "cpu": "x"})
    assert native.function(module.steps[0].kernel_func, 2) is not None


def test_bad_files_are_errors(tmp_path, module):
    with pytest.raises(CompileError, match="does not exist"):
        CompiledModule.load(tmp_path / "missing.vta")
    bad = tmp_path / "bad.vta"
    bad.write_bytes(b"hello")
    with pytest.raises(CompileError, match="not a zip archive"):
        CompiledModule.load(bad)
    with zipfile.ZipFile(tmp_path / "other.vta", "w") as z:
        z.writestr("manifest.json", json.dumps({"format": "something-else", "version": 1}))
    with pytest.raises(CompileError, match="format"):
        CompiledModule.load(tmp_path / "other.vta")
    path = module.save(tmp_path / "ok.vta")
    with pytest.raises(CompileError, match="compiled for config"):
        CompiledModule.load(path, Config(log_batch=1))


def test_wrong_input_shape_is_an_error(module):
    with pytest.raises(CompileError, match="compiled for"):
        module.run(np.zeros((4, 1, 9, 9), np.float32))


def test_cli_compile_and_run(tmp_path, capsys):
    calib = tmp_path / "calib.npy"
    np.save(calib, model_digits.calibration_set(16))
    x = tmp_path / "x.npy"
    np.save(x, model_digits.load_split()[2][:3])
    out = tmp_path / "m.vta"
    assert vta_main(["compile", str(model_digits.model_path()), "-o", str(out), "--calib", str(calib), "-q"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert vta_main(["run", str(out), "--input", str(x), "--device", "fsim", "--profile",
                     "--output", str(tmp_path / "y.npz")]) == 0
    text = capsys.readouterr().out
    assert "probs: float32[3, 10]" in text and "conv2" in text
    with np.load(tmp_path / "y.npz") as y:
        assert y["probs"].shape == (3, 10)
    assert vta_main(["run", str(tmp_path / "nope.vta"), "--input", str(x)]) == 2
