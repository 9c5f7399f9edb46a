"""TSIM build cache: keys, cache hits, failures reported with the tool's words."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from vta.hw.toolchain import ToolchainError
from vta.isa import Config
from vta.tsim import build as build_module
from vta.tsim.build import BuildOptions, BuildSpec, build, cache_key, make_args


def test_second_build_is_a_cache_hit(fixture_lib, fixture_spec):
    again = build(fixture_spec(Config()), verbose=0)
    assert again.cached
    assert again.path == fixture_lib.path
    assert again.seconds < 2.0
    assert (again.path.parent / "build.json").is_file()
    assert (again.path.parent / "build.log").is_file()


def test_key_changes_with_everything_that_goes_into_the_library(fixture_spec, wide_config):
    spec = fixture_spec(Config())
    base = cache_key(spec, BuildOptions())
    assert cache_key(spec, BuildOptions(jobs=1)) == base  # parallelism does not change the library
    others = [
        cache_key(spec, BuildOptions(trace="vcd")),
        cache_key(spec, BuildOptions(opt="-O3")),
        cache_key(spec, BuildOptions(threads=2)),
        cache_key(spec, BuildOptions(assertions=True)),
        cache_key(spec, BuildOptions(native=False)),
        cache_key(fixture_spec(wide_config), BuildOptions()),
        cache_key(dataclasses.replace(spec, parameters=(("BusWidth", 128),)), BuildOptions()),
        cache_key(dataclasses.replace(spec, generated=(("vta_regs.svh", "// other"),)), BuildOptions()),
    ]
    assert len({base, *others}) == len(others) + 1


def test_native_builds_are_keyed_on_what_native_means_on_this_machine(fixture_spec, monkeypatch):
    """A cache folder shared by two machines must not hand one CPU's -march=native library to another."""
    spec = fixture_spec(Config())
    here, portable = cache_key(spec, BuildOptions()), cache_key(spec, BuildOptions(native=False))
    assert build_module.native_target()  # the compiler's resolved -march, hashed with its target options
    monkeypatch.setattr(build_module, "native_target", lambda: "othercpu-0123456789abcdef")
    assert cache_key(spec, BuildOptions()) != here
    assert cache_key(spec, BuildOptions(native=False)) == portable
    assert any("-march=native" in a for a in make_args(BuildOptions()))
    assert not any("-march=native" in a for a in make_args(BuildOptions(native=False)))


def test_key_follows_source_contents(tmp_path, fixture_spec):
    src = tmp_path / "fixture_dma_top.sv"
    shutil.copy(fixture_spec(Config()).sources[0], src)
    spec = dataclasses.replace(fixture_spec(Config()), sources=(src,))
    before = cache_key(spec, BuildOptions())
    src.write_text(src.read_text() + "\n// a comment changes the key too\n")
    assert cache_key(spec, BuildOptions()) != before


def test_failed_build_reports_the_file_and_leaves_no_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("VTA_CACHE_DIR", str(tmp_path / "cache"))
    bad = tmp_path / "bad_top.sv"
    bad.write_text("module bad_top (input logic clk_i);\n  assign = ;\nendmodule\n")
    with pytest.raises(ToolchainError, match=r"(?s)while verilating.*bad_top\.sv:2"):
        build(BuildSpec(Config(), top="bad_top", sources=(bad,)), verbose=0)
    root = tmp_path / "cache" / "tsim"
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]
    assert [p for p in root.iterdir() if p.suffix == ".log"]  # the full log is kept for the user


def test_missing_source_is_a_toolchain_error(tmp_path):
    with pytest.raises(ToolchainError, match="cannot read RTL source"):
        build(BuildSpec(Config(), top="x", sources=(tmp_path / "missing.sv",)), verbose=0)


def test_spec_without_sources_is_rejected():
    with pytest.raises(ToolchainError, match="no SystemVerilog sources"):
        build(BuildSpec(Config(), top="x"), verbose=0)


def test_bad_options_are_rejected():
    with pytest.raises(ToolchainError, match="trace"):
        BuildOptions(trace="gtkw")


def test_fst_without_lz4_names_the_missing_package(fixture_spec, tmp_path, monkeypatch):
    failing_cxx = tmp_path / "c++"  # a compiler that cannot find lz4.h, like a machine without liblz4-dev
    failing_cxx.write_text("#!/bin/sh\necho 'fatal error: lz4.h: No such file or directory' >&2\nexit 1\n")
    failing_cxx.chmod(0o755)
    monkeypatch.setenv("CXX", str(failing_cxx))
    with pytest.raises(ToolchainError, match="liblz4-dev"):
        build(fixture_spec(Config()), BuildOptions(trace="fst"), verbose=0)
